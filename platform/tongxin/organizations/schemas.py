"""Request shapes for organizations and their resource offers."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

OrganizationKind = Literal["social_organization", "rescue_team", "enterprise_group", "charity"]
Name = Annotated[str, msgspec.Meta(min_length=2, max_length=120)]
Phone = Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[0-9+\- ]*$")]
Lat = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Lon = Annotated[float, msgspec.Meta(ge=-180, le=180)]


class OrganizationIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    kind: OrganizationKind
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    contact_name: Annotated[str, msgspec.Meta(max_length=64)] = ""
    contact_phone: Phone = ""
    community_id: int | None = None
    lat: Lat | None = None
    lon: Lon | None = None


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    approve: bool
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class OfferIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    category: Literal["daily_goods", "study", "repair", "companionship", "health", "other"]
    kind: Literal["goods", "money", "service"] = "goods"
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100000)] = 1
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class OfferUpdate(msgspec.Struct, forbid_unknown_fields=True):
    remaining: Annotated[int, msgspec.Meta(ge=0, le=100000)] | None = None
    status: Literal["open", "closed"] | None = None
    description: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
