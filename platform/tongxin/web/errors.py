"""The one place where domain exceptions become HTTP answers."""

from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect

from tongxin.db import is_database_locked
from tongxin.errors import DomainError, NotAuthenticated, RateLimited
from tongxin.serving import printable
from tongxin.web.pages.common import error_page, here, not_found_page

log = logging.getLogger("tongxin")


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not the JSON API)."""
    return not request.url.path.startswith(("/api/", "/schema", "/health")) and \
        "text/html" in request.headers.get("accept", "")


def _log_refusal(request: Request, status: int, code: str) -> None:
    """One line per refused request (4xx), no traceback: bad input is the client's, not a fault of ours."""
    log.info("%s %s -> %s %s", printable(request.method, 16), printable(request.url.path), status, printable(code, 60))


def _log_failure(request: Request) -> None:
    """A fault of ours (5xx): the traceback, with the request line escaped."""
    log.exception("unhandled error on %s %s", printable(request.method, 16), printable(request.url.path))


def domain_error_handler(request: Request, exc: DomainError) -> Response:
    _log_refusal(request, exc.status, exc.code)
    if wants_page(request):
        if isinstance(exc, NotAuthenticated):
            return Redirect(path=f"/login?next={quote(here(request), safe='/')}")
        if exc.status == 404:
            return not_found_page(request)
        return error_page(request, exc.status, code=exc.code, message=exc.message)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    body = {"error": exc.code, "message": exc.message}
    if isinstance(exc, RateLimited):
        body["retry_after"] = exc.retry_after
    if exc.field:
        body["field"] = exc.field
    return Response(body, status_code=exc.status, headers=headers)


def validation_error_handler(request: Request, exc: ValidationException) -> Response:
    """Litestar's validation errors, reshaped: each field with the reason."""
    _log_refusal(request, 400, "invalid_input")
    if wants_page(request):
        return error_page(request, 400)
    fields = [
        {"field": item.get("key"), "reason": item.get("message"), "source": item.get("source")}
        for item in (exc.extra or []) if isinstance(item, dict)
    ]
    return Response({"error": "invalid_input", "message": exc.detail, "fields": fields}, status_code=400)


def bad_value_handler(request: Request, exc: Exception) -> Response:
    """A value no column or date can hold (an id past 2^63, the year 1 minus a day, a NUL character on
    PostgreSQL) reached the database or date arithmetic, or JSON nested too deep to read: the client's
    input is wrong, so 400, not 500."""
    _log_refusal(request, 400, f"bad_value:{type(exc).__name__}")
    if wants_page(request):
        return error_page(request, 400)
    return Response({"error": "invalid_input", "message": "a value is out of range or holds characters that "
                     "cannot be stored (a number too large, a date too far away, a NUL character, JSON nested too deep)"}, status_code=400)


def database_error_handler(request: Request, exc: Exception) -> Response:
    """SQLite still locked after the busy timeout: ask the client to retry, never a 500."""
    if is_database_locked(exc):
        return Response({"error": "busy", "message": "the database is busy; retry shortly"},
                        status_code=503, headers={"Retry-After": "1"})
    return internal_error_handler(request, exc)


def internal_error_handler(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        _log_refusal(request, exc.status_code, "http_error")
    else:
        _log_failure(request)
    if isinstance(exc, HTTPException) and exc.status_code == 404 and wants_page(request):
        return not_found_page(request)
    if wants_page(request):
        return error_page(request, exc.status_code if isinstance(exc, HTTPException) else 500)
    if isinstance(exc, HTTPException):
        return Response({"error": "http_error", "message": exc.detail}, status_code=exc.status_code,
                        headers=exc.headers)
    return Response({"error": "internal", "message": "something went wrong on our side"}, status_code=500)
