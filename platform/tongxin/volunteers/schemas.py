"""Request and response shapes for volunteers and the youth roster (msgspec structs, validated by Litestar)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Phone = Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[0-9+\- ]*$", description="digits, + - and spaces")]
Id = Annotated[int, msgspec.Meta(ge=1)]
ActivityKind = Literal["service_day", "training_drill", "safety_education", "wish_work", "emergency"]
AssessmentKind = Literal["fitness", "self_rescue", "personality"]
YouthStatus = Literal["applicant", "assessed", "active", "retired", "withdrawn"]


# ---------------------------------------------------------------- lookups


class NamedCode(msgspec.Struct):
    code: str
    name_zh: str
    name_en: str


class GridOut(msgspec.Struct):
    id: int
    code: str
    name: str


class CommunityOut(msgspec.Struct):
    id: int
    code: str
    name: str
    name_en: str
    grids: list[GridOut]


class LookupsOut(msgspec.Struct):
    skills: list[NamedCode]
    certificate_kinds: list[NamedCode]
    communities: list[CommunityOut]
    activity_kinds: list[str]


# ---------------------------------------------------------------- profile


class ProfileIn(msgspec.Struct, forbid_unknown_fields=True):
    real_name: Name
    birth_date: date
    community_id: Id
    grid_id: Id
    phone: Phone = ""
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)] | None = None
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)] | None = None
    max_hours_month: Annotated[float, msgspec.Meta(ge=0, le=200)] = 20.0
    max_hours_week: Annotated[float, msgspec.Meta(ge=1, le=100, description="hard limit per local week")] = 20.0
    max_hours_day: Annotated[float, msgspec.Meta(ge=1, le=24, description="hard limit per local day")] = 10.0
    preferred_kinds: Annotated[list[ActivityKind], msgspec.Meta(max_length=5)] = []


class SkillsIn(msgspec.Struct, forbid_unknown_fields=True):
    codes: Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=32)]], msgspec.Meta(max_length=50)]


class CertificateIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    issued_on: date
    number: Annotated[str, msgspec.Meta(max_length=64)] = ""
    expires_on: date | None = None


class CertificateOut(msgspec.Struct):
    id: int
    kind: str
    kind_name: str
    number: str
    issued_on: date | None
    expires_on: date | None
    validity: Literal["valid", "expiring", "expired"]


class WindowIn(msgspec.Struct, forbid_unknown_fields=True):
    weekday: Annotated[int, msgspec.Meta(ge=0, le=6, description="0 = Monday")]
    start_minute: Annotated[int, msgspec.Meta(ge=0, le=1440)]
    end_minute: Annotated[int, msgspec.Meta(ge=0, le=1440)]


class WindowOut(msgspec.Struct):
    weekday: int
    start_minute: int
    end_minute: int


class AvailabilityIn(msgspec.Struct, forbid_unknown_fields=True):
    windows: Annotated[list[WindowIn], msgspec.Meta(max_length=42)]


class VolunteerOut(msgspec.Struct):
    id: int
    real_name: str
    phone: str
    birth_date: date | None
    community: int | None
    community_name: str | None
    grid: int | None
    grid_name: str | None
    lat: float | None
    lon: float | None
    max_hours_month: float
    max_hours_week: float
    max_hours_day: float
    preferred_kinds: list[str]
    is_youth: bool
    status: str
    minutes_total: int
    hours_total: Annotated[str, msgspec.Meta(description="exact: minutes_total / 60, two decimals")]
    points_total: int
    attended_count: int
    no_show_count: int
    skills: list[str]
    certificates: list[CertificateOut]
    availability: list[WindowOut]
    max_distance_km: float | None = None


# ---------------------------------------------------------------- hours and sign-ups


class LedgerEntryOut(msgspec.Struct):
    id: int
    sign_up: int | None
    minutes: int
    hours: str
    points: int
    reason: str
    created_at: datetime


class LedgerPage(msgspec.Struct):
    items: list[LedgerEntryOut]
    total: int
    limit: int
    offset: int


class LedgerOut(msgspec.Struct):
    minutes_total: int
    hours_total: str
    points_total: int
    attended_count: int
    no_show_count: int
    entries: LedgerPage


class SignUpOut(msgspec.Struct):
    id: int
    status: str
    is_leader: bool
    created_at: datetime
    cancelled_at: datetime | None
    occurrence_id: int
    starts_at: datetime
    ends_at: datetime
    address: str
    community_name: str | None
    activity_id: int
    activity_title: str
    activity_kind: str


class SignUpPage(msgspec.Struct):
    items: list[SignUpOut]
    total: int
    limit: int
    offset: int


class CalendarLinkOut(msgspec.Struct):
    token: str
    url: str


# ---------------------------------------------------------------- youth roster
