"""Volunteers, their skills, certificates and availability; the youth roster; the ledger."""

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Real,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from tongxin.accounts.tables import Community, Grid, User

YOUTH_STATUSES = ("applicant", "assessed", "active", "retired", "withdrawn")
ASSESSMENT_KINDS = ("fitness", "self_rescue", "personality")


class Skill(Table):
    code = Varchar(length=32, unique=True)
    name_zh = Varchar(length=64)
    name_en = Varchar(length=64, default="")


class CertificateKind(Table):
    code = Varchar(length=32, unique=True)
    name_zh = Varchar(length=64)
    name_en = Varchar(length=64, default="")


class Volunteer(Table):
    """A person who serves. A minor's row has no login of its own (the guardian acts)."""

    user = ForeignKey(references=User, null=True, unique=True, on_delete=OnDelete.cascade)
    real_name = Varchar(length=64)
    phone = Varchar(length=32, default="")
    birth_date = Date(null=True, default=None)
    community = ForeignKey(references=Community, null=True, on_delete=OnDelete.set_null)
    grid = ForeignKey(references=Grid, null=True, on_delete=OnDelete.set_null)
    lat = DoublePrecision(null=True, default=None)
    lon = DoublePrecision(null=True, default=None)
    max_hours_month = Real(default=20.0)
    # The person's own weekly and daily limits: hard rules for sign-ups and matching, like the monthly one.
    # Defaults refuse nobody who fits today's rules (the monthly default and the district's 10 h a day).
    max_hours_week = Real(default=20.0)
    max_hours_day = Real(default=10.0)
    max_distance_km = DoublePrecision(null=True, default=None)
    preferred_kinds = JSON(default="[]")
    is_youth = Boolean(default=False, index=True)
    status = Varchar(length=16, default="active")
    minutes_total = Integer(default=0)
    points_total = Integer(default=0)
    attended_count = Integer(default=0)
    no_show_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    # Part of the calendar feed's signed token: renewing it revokes the old link; None = feed switched off.
    calendar_key = Varchar(length=32, null=True, default="")


class VolunteerSkill(Table):
    volunteer = ForeignKey(references=Volunteer, null=False, on_delete=OnDelete.cascade)
    skill = ForeignKey(references=Skill, null=False, on_delete=OnDelete.cascade)


class Certificate(Table):
    volunteer = ForeignKey(references=Volunteer, null=False, on_delete=OnDelete.cascade)
    kind = ForeignKey(references=CertificateKind, null=False, on_delete=OnDelete.restrict)
    number = Varchar(length=64, default="")
    issued_on = Date(null=True, default=None)
    expires_on = Date(null=True, default=None)


class AvailabilityWindow(Table):
    """A weekly window: weekday 0 = Monday, minutes from local midnight."""

    volunteer = ForeignKey(references=Volunteer, null=False, on_delete=OnDelete.cascade)
    weekday = Integer()
    start_minute = Integer()
    end_minute = Integer()


class Squad(Table):
    """A community's emergency squad of little safety officers (unique per community)."""

    community = ForeignKey(references=Community, null=False, unique=True, on_delete=OnDelete.cascade)
    name = Varchar(length=100)


class YouthMember(Table):
    """A little safety officer: applicant → assessed → active → retired / withdrawn."""

    volunteer = ForeignKey(references=Volunteer, null=False, unique=True, on_delete=OnDelete.cascade)
    guardian = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    relationship = Varchar(length=16, default="parent")
    status = Varchar(length=16, default="applicant", index=True)
    consent_at = Timestamptz(null=True, default=None)
    consent_text_version = Varchar(length=16, default="")
    consent_withdrawn_at = Timestamptz(null=True, default=None)
    squad = ForeignKey(references=Squad, null=True, on_delete=OnDelete.set_null)
    activated_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class YouthAssessment(Table):
    """One result per youth member and kind (unique, see migrations)."""

    youth = ForeignKey(references=YouthMember, null=False, on_delete=OnDelete.cascade)
    kind = Varchar(length=16)
    passed = Boolean(default=False)
    score = Real(null=True, default=None)
    notes = Text(default="")
    assessed_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    assessed_at = Timestamptz(default=TimestamptzNow())


class LedgerEntry(Table):
    """Service time (exact minutes) and points; one credit per sign-up (unique index on sign_up)."""

    volunteer = ForeignKey(references=Volunteer, null=False, on_delete=OnDelete.cascade)
    sign_up = Integer(null=True, default=None)
    minutes = Integer(default=0)
    points = Integer(default=0)
    reason = Varchar(length=64, default="attendance")
    created_at = Timestamptz(default=TimestamptzNow())
