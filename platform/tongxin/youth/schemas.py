"""Youth-roster request and response structs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from tongxin.volunteers.schemas import Id, Name, SignUpOut

AssessmentKind = Literal["fitness", "self_rescue", "personality"]
YouthStatus = Literal["applicant", "assessed", "active", "retired", "withdrawn"]


class ConsentTextOut(msgspec.Struct):
    version: str
    zh: str
    en: str


class YouthApplicationIn(msgspec.Struct, forbid_unknown_fields=True):
    child_name: Name
    birth_date: date
    community_id: Id
    grid_id: Id
    consent: bool
    consent_text_version: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
    relationship: Literal["parent", "grandparent", "relative", "other"] = "parent"


class AssessmentIn(msgspec.Struct, forbid_unknown_fields=True):
    passed: bool
    score: Annotated[float, msgspec.Meta(ge=0, le=100)] | None = None
    notes: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class AssessmentOut(msgspec.Struct):
    kind: str
    passed: bool
    score: float | None
    notes: str
    assessed_at: datetime


class YouthOut(msgspec.Struct):
    id: int
    volunteer: int
    child_name: str
    birth_date: date | None
    community: int | None
    community_name: str | None
    grid: int | None
    grid_name: str | None
    relationship: str
    status: str
    consent_at: datetime | None
    consent_text_version: str
    consent_withdrawn_at: datetime | None
    squad: int | None
    squad_name: str | None
    activated_at: datetime | None
    created_at: datetime
    assessments: list[AssessmentOut] = []
    sign_ups: list[SignUpOut] = []


class YouthPage(msgspec.Struct):
    items: list[YouthOut]
    total: int
    limit: int
    offset: int


class WithdrawalOut(YouthOut, kw_only=True):
    sign_ups_cancelled: int
    proposals_withdrawn: int


class SquadMemberOut(msgspec.Struct):
    id: int
    child_name: str
    birth_date: date | None
    activated_at: datetime | None


class SquadOut(msgspec.Struct):
    id: int
    name: str
    community: int
    community_name: str
    members: list[SquadMemberOut]


class SquadPage(msgspec.Struct):
    items: list[SquadOut]
    total: int
    limit: int
    offset: int
