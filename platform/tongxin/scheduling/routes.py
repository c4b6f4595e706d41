"""Scheduling endpoints: staff see and edit the jobs and their runs; everyone reads their notifications."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import Provide
from litestar.params import Parameter

from tongxin.accounts.guards import provide_actor, role_in, signed_in
from tongxin.accounts.service import Actor
from tongxin.scheduling import schemas, service

Limit = Annotated[int, Parameter(ge=1, le=service.MAX_PAGE, description="page size, at most 100")]
Offset = Annotated[int, Parameter(ge=0)]
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


class NotificationController(Controller):
    path = "/api/notifications"
    tags = ["notifications"]
    guards = [signed_in]
    dependencies = ACTOR

    @get("/")
    async def list_notifications(self, actor: Actor, limit: Limit = 20, offset: Offset = 0,
                                 unread: bool = False) -> schemas.NotificationPage:
        """Your own in-app messages, newest first, with the unread count."""
        page = await service.notifications_page(recipient_id=actor.id, limit=limit, offset=offset,
                                                unread_only=unread)
        return msgspec.convert(page, schemas.NotificationPage)

    @post("/{notification_id:int}/read", status_code=200)
    async def mark_read(self, actor: Actor, notification_id: int) -> schemas.ReadOut:
        """Mark one of your messages read (404 for anyone else's)."""
        return msgspec.convert(await service.mark_read(notification_id=notification_id, recipient_id=actor.id),
                               schemas.ReadOut)


ROUTES = [SchedulingController, NotificationController]
