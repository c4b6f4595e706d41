"""Scheduling endpoints: staff see and edit the jobs and their runs; everyone reads their notifications."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, patch
from litestar.di import Provide
from litestar.params import Parameter

from tongxin.accounts.guards import provide_actor, role_in
from tongxin.paging import Limit, Offset
from tongxin.scheduling import schemas, service

ACTOR = {"actor": Provide(provide_actor)}


class SchedulingController(Controller):
    path = "/api/scheduling"
    tags = ["scheduling"]
    guards = [role_in("staff")]

    @get("/jobs")
    async def list_jobs(self) -> list[schemas.JobOut]:
        """Every scheduled job with its schedule, next run and last run's outcome (staff)."""
        return msgspec.convert(await service.list_jobs(), list[schemas.JobOut])

    @patch("/jobs/{job:str}")
    async def update_job(self, job: str, data: schemas.ScheduleIn) -> schemas.JobOut:
        """Change a job's trigger, expression or switch it on/off (staff); takes effect at the next tick."""
        row = await service.update_schedule(job=job, trigger=data.trigger, expression=data.expression,
                                            enabled=data.enabled)
        return msgspec.convert(row, schemas.JobOut)

    @get("/runs")
    async def list_runs(
        self, job: Annotated[str | None, Parameter(max_length=64)] = None,
        status: Annotated[str | None, Parameter(max_length=16)] = None,
        limit: Limit = 20, offset: Offset = 0,
    ) -> schemas.RunPage:
        """Firings, newest first, optionally of one job or status (staff)."""
        page = await service.list_runs(job=job, status=status, limit=limit, offset=offset)
        return msgspec.convert(page, schemas.RunPage)


ROUTES = [SchedulingController]
