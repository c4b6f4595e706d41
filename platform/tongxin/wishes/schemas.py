"""Request and response shapes for micro-wishes (msgspec structs, validated by Litestar).

Public shapes carry no household field and no grid worker: they are all a stranger may see.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

Category = Literal["daily_goods", "study", "repair", "companionship", "health", "other"]
WishStatus = Literal["submitted", "verified", "open", "matched", "in_progress", "fulfilled", "confirmed",
                     "cancelled"]


class WishEditIn(msgspec.Struct, forbid_unknown_fields=True):
    """The grid worker's own words and the household's record: private. The public text is proposed from them."""

    household_name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    category: Category
    title: Annotated[str, msgspec.Meta(min_length=2, max_length=100)]
    household_phone: Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[0-9+\- ]*$")] = ""
    household_address: Annotated[str, msgspec.Meta(max_length=200)] = ""
    description: Annotated[str, msgspec.Meta(max_length=2000, description="the grid worker's own, private text")] = ""
    needed_by: date | None = None
    urgency: Annotated[int, msgspec.Meta(ge=1, le=3, description="1 can wait, 3 urgent")] = 2
    skills_needed: Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=32)]],
                             msgspec.Meta(max_length=10)] = []


class WishIn(WishEditIn, kw_only=True, forbid_unknown_fields=True):
    grid_id: Annotated[int, msgspec.Meta(ge=1)]


class VerifyIn(msgspec.Struct, forbid_unknown_fields=True):
    """The public title and text staff approve; a field left out approves the proposed one as it stands."""

    title: Annotated[str, msgspec.Meta(min_length=2, max_length=100)] | None = None
    public_text: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class ConfirmIn(msgspec.Struct, forbid_unknown_fields=True):
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=500)] = ""


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class PublicWishOut(msgspec.Struct):
    id: int
    category: str
    title: str
    public_text: str
    community_name: str
    needed_by: date | None
    urgency: int
    status: str


class PublicWishPage(msgspec.Struct):
    items: list[PublicWishOut]
    total: int
    limit: int
    offset: int


class WishOut(msgspec.Struct):
    """The working view for staff, the grid's workers and the helper: still no household field."""

    id: int
    category: str
    title: str
    public_text: str
    needed_by: date | None
    urgency: int
    skills_needed: list[str]
    status: str
    grid: int
    grid_name: str
    community: int
    community_name: str
    posted_by: int | None
    verified_by: int | None
    verified_at: datetime | None
    helper_volunteer: int | None
    helper_organization: int | None
    helper_resource: int | None
    fulfilled_at: datetime | None
    confirmed_at: datetime | None
    rating: int | None
    rating_comment: str
    created_at: datetime


class WishPage(msgspec.Struct):
    items: list[WishOut]
    total: int
    limit: int
    offset: int


class HouseholdOut(msgspec.Struct):
    id: int
    name: str
    phone: str
    address: str
    note: str


class OriginalOut(msgspec.Struct):
    """The grid worker's own title and text, as sensitive as the household."""

    title: str
    text: str


class WishWithHouseholdOut(msgspec.Struct):
    wish: WishOut
    household: HouseholdOut
    original: OriginalOut
