"""Domain exceptions raised by services; `web/errors.py` maps them to HTTP answers in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule a user can break; `code` is stable, `message` is for people."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class InvalidInput(DomainError):
    status = 400
    code = "invalid_input"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class NotFound(DomainError):
    """Also used for records the caller may not see: their existence is not revealed."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
