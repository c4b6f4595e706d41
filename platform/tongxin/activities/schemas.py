"""Request shapes for activities, sign-ups and attendance."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

ActivityKind = Literal["service_day", "training_drill", "safety_education", "wish_work", "emergency"]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class ActivityIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=2, max_length=120)]
    kind: ActivityKind
    starts_at: datetime
    description: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    duration_minutes: Annotated[int, msgspec.Meta(ge=15, le=24 * 60)] = 120
    rrule: Annotated[str, msgspec.Meta(max_length=200, description="RFC 5545 RRULE, e.g. FREQ=MONTHLY;BYDAY=+3SA; empty = one-off")] = ""
    community_id: int | None = None
    grid_id: int | None = None
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)] | None = None
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)] | None = None
    address: Annotated[str, msgspec.Meta(max_length=200)] = ""
    capacity: Annotated[int, msgspec.Meta(ge=1, le=10000)] = 10
    signup_deadline_hours: Annotated[int, msgspec.Meta(ge=0, le=24 * 30)] = 24
    min_age: Annotated[int, msgspec.Meta(ge=8, le=100)] = 18
    max_age: Annotated[int, msgspec.Meta(ge=8, le=120)] = 70
    youth_allowed: bool = False
    required_skills: list[Code] = []
    required_certificates: list[Code] = []
    credit_minutes: Annotated[int, msgspec.Meta(ge=1, le=1440, description="fixed credit; default: the length")] \
        | None = None
    points_credit: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 10
    preferred_skills: list[Code] = []
    contact_name: Annotated[str, msgspec.Meta(max_length=64)] = ""
    contact_phone: Annotated[str, msgspec.Meta(max_length=32)] = ""


class RuleIn(msgspec.Struct, forbid_unknown_fields=True):
    rrule: Annotated[str, msgspec.Meta(max_length=200, description="RFC 5545 RRULE; empty = one-off")]
    starts_at: datetime | None = None


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    approve: bool
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class SignUpIn(msgspec.Struct, forbid_unknown_fields=True):
    volunteer_id: int | None = None
    as_leader: bool = False


class AttendanceIn(msgspec.Struct, forbid_unknown_fields=True):
    attended: bool


def activity_fields(data: ActivityIn) -> dict:
    """The struct as the service's keyword arguments."""
    return {f: getattr(data, f) for f in data.__struct_fields__}


class DeclineIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why not (optional): it helps the community office ask better next time."""

    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""
