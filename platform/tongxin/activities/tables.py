"""Activities, their occurrences and the sign-ups for them."""

from datetime import timedelta

from piccolo.columns import (
    JSON,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
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
    "confirmed", "waitlisted", "waiting_for_leader", "attended", "no_show", "cancelled",
)
# Sign-ups that hold one of the occurrence's places (`Occurrence.taken` counts exactly these).
HOLDING_PLACE = ("confirmed", "waiting_for_leader")
# Attendance can be marked and corrected until this long after an occurrence ends; only then is it final.
CORRECTION_WINDOW = timedelta(days=7)
# Sign-ups still in play before the occurrence: a person has at most one per occurrence.
ACTIVE_SIGN_UP = (*HOLDING_PLACE, "waitlisted")


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
    # A published activity's rule change waits here for staff review; the current rule runs meanwhile.
    pending_rrule = Text(default="")
    pending_starts_at = Timestamptz(null=True, default=None)
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
    preferred_skills = JSON(default="[]")
    required_certificates = JSON(default="[]")
    credit_minutes = Integer(null=True, default=None)
    points_credit = Integer(default=10)
    contact_name = Varchar(length=64, default="")
    contact_phone = Varchar(length=32, default="")
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    submitted_at = Timestamptz(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_reason = Text(default="")


class Occurrence(Table):
    """One dated run of an activity; unique by (activity, starts_at). Never deleted: cancelled with a
    reason, so an id always means the same day. `taken` counts the sign-ups holding a place."""

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
    cancel_reason = Text(default="")
    cancelled_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class SignUp(Table):
    """Volunteer × occurrence, unique per pair; `tongxin.activities.signups` owns every transition:
    confirmed / waitlisted / waiting_for_leader → attended / no_show (correctable for 7 days), or cancelled.
    `queue_seq` orders the waitlist (unique per occurrence, new at every waitlisting)."""

    occurrence = ForeignKey(references=Occurrence, null=False, on_delete=OnDelete.cascade)
    volunteer = ForeignKey(references=Volunteer, null=False, on_delete=OnDelete.cascade)
    status = Varchar(length=32, default="confirmed", index=True)
    is_leader = Boolean(default=False)
    source = Varchar(length=16, default="self")
    created_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)
    queue_seq = Integer(null=True, default=None)
    attendance_marked_at = Timestamptz(null=True, default=None)
    attendance_source = Varchar(length=16, default="")
