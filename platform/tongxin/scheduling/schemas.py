"""Scheduling requests and answers: jobs, their runs, and a person's notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

JobName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Expression = Annotated[str, msgspec.Meta(min_length=1, max_length=64,
                                          description="interval: 30s/15m/1h/1d; cron: 'minute hour day month weekday'")]


class RunOut(msgspec.Struct):
    id: int
    job: str
    scheduled_for: datetime
    instance: str
    status: str
    outcome: str
    started_at: datetime
    finished_at: datetime | None = None


class LastRunOut(msgspec.Struct):
    id: int
    scheduled_for: datetime
    instance: str
    status: str
    outcome: str
    started_at: datetime
    finished_at: datetime | None = None


class JobOut(msgspec.Struct):
    job: str
    description: str
    trigger: str
    expression: str
    enabled: bool
    catch_up: str
    last_scheduled_for: datetime | None = None
    next_run_at: datetime | None = None
    last_run: LastRunOut | None = None


class RunPage(msgspec.Struct):
    items: list[RunOut]
    total: int
    limit: int
    offset: int


class ScheduleIn(msgspec.Struct, forbid_unknown_fields=True):
    """Change a job's schedule; fields left out stay as they are."""

    trigger: Literal["interval", "cron"] | None = None
    expression: Expression | None = None
    enabled: bool | None = None
