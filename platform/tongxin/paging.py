"""One shape for every paginated list: `{"items", "total", "limit", "offset"}`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.params import Parameter

from tongxin.errors import InvalidInput

MAX_PAGE = 100
MAX_OFFSET = 1_000_000_000  # far past any list; a larger number would overflow the database's integer
Limit = Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="page size, at most 100")]
Offset = Annotated[int, Parameter(ge=0, le=MAX_OFFSET, description="how many items to skip")]


def page(items: list, total: int, limit: int, offset: int) -> dict[str, Any]:
    """A page of a list with its total, as every list endpoint answers."""
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def page_bounds(limit: int, offset: int) -> tuple[int, int]:
    """Checks a page request made by code other than the HTTP layer (which validates its own)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"offset must be between 0 and {MAX_OFFSET}", field="offset")
    return limit, offset
