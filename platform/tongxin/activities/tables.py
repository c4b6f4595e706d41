"""Activities, their occurrences and the sign-ups for them."""

from piccolo.columns import (
    JSON,
    Boolean,
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
from tongxin.organizations.tables import Organization
from tongxin.volunteers.tables import Volunteer

ACTIVITY_KINDS = ("service_day", "training_drill", "safety_education", "wish_work", "emergency")
ACTIVITY_STATUSES = ("draft", "submitted", "approved", "rejected", "closed", "cancelled")
SIGN_UP_STATUSES = (
    "applied", "confirmed", "waitlisted", "attended", "no_show", "cancelled", "rejected",
)


class Activity(Table):
    """draft → submitted → approved (published) → closed / cancelled. One-off or an RRULE."""

    organization = ForeignKey(references=Organization, null=False, on_delete=OnDelete.cascade)
    title = Varchar(length=120)
    kind = Varchar(length=32)
    description = Text(default="")
    status = Varchar(length=16, default="draft", index=True)
    starts_at = Timestamptz()
    duration_minutes = Integer(default=120)
    rrule = Text(default="")
    rule_changed_at = Timestamptz(null=True, default=None)
    community = ForeignKey(references=Community, null=True, on_delete=OnDelete.set_null)
    grid = ForeignKey(references=Grid, null=True, on_delete=OnDelete.set_null)
    lat = DoublePrecision(null=True, default=None)
    lon = DoublePrecision(null=True, default=None)
    address = Varchar(length=200, default="")
    capacity = Integer(default=10)
    signup_deadline_hours = Integer(default=24)
    min_age = Integer(default=14)
    max_age = Integer(default=70)
    youth_allowed = Boolean(default=False)
    required_skills = JSON(default="[]")
    required_certificates = JSON(default="[]")
    hours_credit = Real(null=True, default=None)
    points_credit = Integer(default=10)
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    submitted_at = Timestamptz(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_reason = Text(default="")


class Occurrence(Table):
    """One dated run of an activity; unique by (activity, starts_at); taken <= capacity by CHECK."""

    activity = ForeignKey(references=Activity, null=False, on_delete=OnDelete.cascade)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    signup_deadline = Timestamptz()
    capacity = Integer(default=10)
    taken = Integer(default=0)
    status = Varchar(length=16, default="open", index=True)
    community = ForeignKey(references=Community, null=True, on_delete=OnDelete.set_null)
    grid = ForeignKey(references=Grid, null=True, on_delete=OnDelete.set_null)
    lat = DoublePrecision(null=True, default=None)
    lon = DoublePrecision(null=True, default=None)
    address = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class SignUp(Table):
    """Volunteer × occurrence, unique per pair: applied → confirmed → attended / no_show."""

    occurrence = ForeignKey(references=Occurrence, null=False, on_delete=OnDelete.cascade)
    volunteer = ForeignKey(references=Volunteer, null=False, on_delete=OnDelete.cascade)
    status = Varchar(length=16, default="confirmed", index=True)
    is_leader = Boolean(default=False)
    source = Varchar(length=16, default="self")
    created_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)
    attendance_marked_at = Timestamptz(null=True, default=None)
