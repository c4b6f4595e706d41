"""Health check, the CSRF cookie and the server-rendered pages."""

from __future__ import annotations

import asyncio
import time

from litestar import Request, Response, get

from tongxin.db import current_engine
from tongxin.web.pages import PAGES

# A load balancer may poll /health many times a second: the database is asked at most this often, and
# checks arriving while one probe runs wait for its answer instead of each sending their own.
HEALTH_PROBE_SECONDS = 1.0
_probe: dict[int, tuple[float, asyncio.Future]] = {}


async def _probe_database() -> str:
    engine = current_engine()
    try:
        await engine.run_ddl("SELECT 1")
        return "ok"
    except Exception as exc:  # any failure to reach the database is the answer here
        return f"unreachable: {type(exc).__name__}"


async def database_health() -> str:
    """"ok", or why the database does not answer; one probe per `HEALTH_PROBE_SECONDS` per process."""
    key = id(current_engine())
    loop = asyncio.get_running_loop()
    found = _probe.get(key)
    if found is None or time.monotonic() - found[0] > HEALTH_PROBE_SECONDS or found[1].get_loop() is not loop:
        _probe.clear()
        found = (time.monotonic(), asyncio.ensure_future(_probe_database()))
        _probe[key] = found
    return await asyncio.shield(found[1])


@get("/health", tags=["health"])
async def health(request: Request) -> Response:
    """Reports whether the database answers; 503 when it does not."""
    engine = current_engine()
    database = await database_health()
    status = 200 if database == "ok" else 503
    return Response({"status": "ok" if status == 200 else "degraded", "database": database,
                     "engine": engine.engine_type}, status_code=status)


@get("/api/csrf", tags=["accounts"], status_code=204)
async def csrf_cookie() -> None:
    """Sets the CSRF cookie; send its value back in `X-CSRFToken` on every write."""


ROUTES = [*PAGES]
