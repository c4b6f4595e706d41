"""The error answers every API operation may give, declared in the OpenAPI document with their real body."""

from __future__ import annotations

import msgspec
from litestar import Litestar
from litestar.handlers.http_handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec


class FieldProblem(msgspec.Struct):
    field: str | None
    reason: str | None
    source: str | None = None


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """What `web/errors.py` answers for every refusal: a stable code, words for people, and where known the
    field (domain rules), each field's problem (request validation) or the seconds to wait (429)."""

    error: str
    message: str
    field: str | None = None
    fields: list[FieldProblem] | None = None
    retry_after: int | None = None


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorBody, description=description, generate_examples=False)


ALWAYS = {
    400: "the input is not valid (see `fields` or `field`)",
    404: "no such record, or one you may not see",
    409: "the request conflicts with the record's state",
    503: "the database is busy; retry after `Retry-After` seconds",
}
GUARDED = {401: "sign in first", 403: "your role may not do this, or the CSRF token is missing"}
WRITES = {403: "the CSRF token is missing or wrong"}
THROTTLED = {429: "too many tries from this client; wait `Retry-After` seconds"}
THROTTLED_PATHS = ("/api/accounts/login", "/api/accounts/register", "/api/accounts/password")
# Operations that check a password answer 401 for a wrong one, even without a guard.
CREDENTIALS = {401: "wrong username or password"}
CREDENTIAL_PATHS = ("/api/accounts/login", "/api/accounts/password")


def declare_error_responses(app: Litestar) -> None:
    """Add the error answers each API operation can give to its OpenAPI entry (before the schema is built)."""
    for route in app.routes:
        if not route.path.startswith("/api/"):
            continue
        for handler in getattr(route, "route_handlers", ()):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            declared = dict(ALWAYS)
            if handler.resolve_guards():
                declared |= GUARDED
            if handler.http_methods - {"GET", "HEAD", "OPTIONS"}:
                declared = WRITES | declared
            if route.path in THROTTLED_PATHS:
                declared |= THROTTLED
            if route.path in CREDENTIAL_PATHS:
                declared = CREDENTIALS | declared
            responses = dict(handler.responses or {})
            for status, description in declared.items():
                responses.setdefault(status, _spec(description))
            handler.responses = responses
