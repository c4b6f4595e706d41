"""Hours you can trust: check-in and check-out records, suspicious-hours flags, service certificates."""

from piccolo.columns import (
    JSON,
    Date,
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

from tongxin.accounts.tables import User
from tongxin.activities.tables import Activity, Occurrence, SignUp
from tongxin.organizations.tables import Organization
from tongxin.volunteers.tables import Volunteer

CHECK_IN_STATUSES = ("checked_in", "checked_out", "confirmed")
FLAG_STATUSES = ("open", "cleared", "corrected")
# A check-in farther than this from the occurrence's place is kept but flagged, unless the activity sets its own.
DEFAULT_RADIUS_METRES = 500


class CheckInRadius(Table):
    """How far from the place a check-in may be before it is flagged, per activity (one row at most)."""

    activity = ForeignKey(references=Activity, null=False, unique=True, on_delete=OnDelete.cascade)
    metres = Integer(default=DEFAULT_RADIUS_METRES)


class CheckIn(Table):
    """One sign-up's presence: checked_in → checked_out → confirmed by the organization (unique per sign-up).
    `minutes` is check-out − check-in clipped to the occurrence; only `confirmed_minutes` reach the ledger."""

    sign_up = ForeignKey(references=SignUp, null=False, unique=True, on_delete=OnDelete.cascade)
    occurrence = ForeignKey(references=Occurrence, null=False, on_delete=OnDelete.cascade)
    volunteer = ForeignKey(references=Volunteer, null=False, on_delete=OnDelete.cascade)
    status = Varchar(length=16, default="checked_in", index=True)
    checked_in_at = Timestamptz()
    checked_out_at = Timestamptz(null=True, default=None)
    in_lat = DoublePrecision(null=True, default=None)
    in_lon = DoublePrecision(null=True, default=None)
    in_distance_m = Integer(null=True, default=None)
    out_lat = DoublePrecision(null=True, default=None)
    out_lon = DoublePrecision(null=True, default=None)
    out_distance_m = Integer(null=True, default=None)
    # A hash of the phone's device cookie: one phone checking in a whole roster is a flag.
    in_device = Varchar(length=32, default="", index=True)
    in_method = Varchar(length=16, default="code")
    in_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    out_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    minutes = Integer(default=0)
    confirmed_minutes = Integer(null=True, default=None)
    confirmed_at = Timestamptz(null=True, default=None)
    confirmed_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class HoursFlag(Table):
    """A reason, in words, why staff should look at a check-in; never changes hours by itself.
    open → cleared (hours stand) or corrected (staff set the hours). `key` = "<check_in>:<rule>" keeps one per rule."""

    check_in = ForeignKey(references=CheckIn, null=False, on_delete=OnDelete.cascade)
    volunteer = ForeignKey(references=Volunteer, null=False, on_delete=OnDelete.cascade)
    occurrence = ForeignKey(references=Occurrence, null=False, on_delete=OnDelete.cascade)
    rule = Varchar(length=24, index=True)
    key = Varchar(length=48, unique=True)
    reason = Text(default="")
    reason_en = Text(default="")
    detail = JSON(default="{}")
    status = Varchar(length=16, default="open", index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    resolved_at = Timestamptz(null=True, default=None)
    resolved_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    note = Text(default="")


class ServiceCertificate(Table):
    """A 志愿服务证明 as issued: the services and totals are a snapshot, so the serial always means the same."""

    serial = Varchar(length=32, unique=True)
    volunteer = ForeignKey(references=Volunteer, null=False, on_delete=OnDelete.cascade)
    # The issuing organization; none means the district (staff, or a volunteer's own district-wide record).
    organization = ForeignKey(references=Organization, null=True, on_delete=OnDelete.set_null)
    holder_name = Varchar(length=64)
    issuer_name = Varchar(length=120)
    period_from = Date()
    period_to = Date()
    services = Integer(default=0)
    total_minutes = Integer(default=0)
    entries = JSON(default="[]")
    issued_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    issued_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    revoke_reason = Text(default="")
