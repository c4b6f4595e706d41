"""Job schedules and claimed firings."""

from piccolo.columns import (
    Boolean,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


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
