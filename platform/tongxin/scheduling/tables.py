"""Job schedules, claimed firings and the notification outbox."""

from piccolo.columns import (
    JSON,
    Boolean,
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


class JobSchedule(Table):
    """A job's schedule lives in the database; its code lives in `scheduling/jobs.py`."""

    job = Varchar(length=64, unique=True)
    trigger = Varchar(length=16, default="interval")
    expression = Varchar(length=64, default="")
    enabled = Boolean(default=True)
    last_scheduled_for = Timestamptz(null=True, default=None)
    next_run_at = Timestamptz(null=True, default=None)


class JobRun(Table):
    """One firing, unique by (job, scheduled_for): a second claim of the same firing fails."""

    job = Varchar(length=64)
    scheduled_for = Timestamptz()
    instance = Varchar(length=64, default="")
    status = Varchar(length=16, default="running")
    outcome = Text(default="")
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)


class Notification(Table):
    """Outbox row, unique by (recipient, kind, target_key), sent by the scheduler."""

    recipient = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    kind = Varchar(length=32)
    target_key = Varchar(length=64)
    channel = Varchar(length=16, default="in_app")
    title = Varchar(length=200)
    body = Text(default="")
    payload = JSON(default="{}")
    attempts = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    read_at = Timestamptz(null=True, default=None)
