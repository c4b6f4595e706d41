"""Health check, the CSRF cookie and the server-rendered pages."""

from __future__ import annotations

from litestar import Request, Response, get

from tongxin.db import current_engine
from tongxin.web.pages import PAGES


@get("/health", tags=["health"])
async def health(request: Request) -> Response:
    """Reports whether the database answers; 503 when it does not."""
    engine = current_engine()
    try:
        await engine.run_ddl("SELECT 1")
        database = "ok"
    except Exception as exc:  # any failure to reach the database is the answer here
        database = f"unreachable: {type(exc).__name__}"
    status = 200 if database == "ok" else 503
    return Response({"status": "ok" if status == 200 else "degraded", "database": database,
                     "engine": engine.engine_type}, status_code=status)


@get("/api/csrf", tags=["accounts"], status_code=204)
async def csrf_cookie() -> None:
    """Sets the CSRF cookie; send its value back in `X-CSRFToken` on every write."""


ROUTES = [*PAGES]
