"""Activity endpoints: drafts, submission, staff decisions, browsing, sign-ups and attendance."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, delete, get, post, put
from litestar.di import Provide
from litestar.params import Parameter

from tongxin.accounts.guards import (
    provide_actor,
    provide_optional_actor,
    role_in,
    signed_in,
)
from tongxin.accounts.service import Actor
from tongxin.activities import service
from tongxin.activities.schemas import (
    ActivityIn,
    AttendanceIn,
    CancelIn,
    DecisionIn,
    RuleIn,
    SignUpIn,
    activity_fields,
)
from tongxin.paging import Limit, Offset


class ActivityController(Controller):
    path = "/api/activities"
    tags = ["activities"]
    dependencies = {"actor": Provide(provide_actor), "viewer": Provide(provide_optional_actor)}

    @get("/")
    async def list_activities(self, viewer: Actor | None, status: str | None = None, mine: bool = False,
                              limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        return await service.list_activities(actor=viewer, status=status, mine=mine, limit=limit, offset=offset)

    @post("/", guards=[role_in("org_member")], status_code=201)
    async def create(self, actor: Actor, data: ActivityIn) -> dict[str, Any]:
        """Draft an activity for the signed-in member's (approved) organization."""
        return await service.create_activity(actor=actor, **activity_fields(data))

    @get("/{activity_id:int}")
    async def get_activity(self, viewer: Actor | None, activity_id: int) -> dict[str, Any]:
        return await service.get_activity(actor=viewer, activity_id=activity_id)

    @put("/{activity_id:int}", guards=[signed_in])
    async def update(self, actor: Actor, activity_id: int, data: ActivityIn) -> dict[str, Any]:
        return await service.update_activity(actor=actor, activity_id=activity_id, **activity_fields(data))

    @post("/{activity_id:int}/submit", guards=[signed_in], status_code=200)
    async def submit(self, actor: Actor, activity_id: int) -> dict[str, Any]:
        return await service.submit_activity(actor=actor, activity_id=activity_id)

    @post("/{activity_id:int}/decision", guards=[role_in("staff")], status_code=200)
    async def decide(self, actor: Actor, activity_id: int, data: DecisionIn) -> dict[str, Any]:
        """Staff publish (creating the coming weeks' occurrences) or reject with a reason."""
        return await service.decide_activity(actor=actor, activity_id=activity_id, approve=data.approve,
                                             reason=data.reason)

    @put("/{activity_id:int}/rule", guards=[signed_in])
    async def change_rule(self, actor: Actor, activity_id: int, data: RuleIn) -> dict[str, Any]:
        """Change a published activity's recurrence: future occurrences follow, past ones stay."""
        return await service.change_rule(actor=actor, activity_id=activity_id, rrule=data.rrule,
                                         starts_at=data.starts_at)

    @post("/{activity_id:int}/cancel", guards=[signed_in], status_code=200)
    async def cancel(self, actor: Actor, activity_id: int, data: CancelIn) -> dict[str, Any]:
        return await service.cancel_activity(actor=actor, activity_id=activity_id, reason=data.reason)


class OccurrenceController(Controller):
    path = "/api/occurrences"
    tags = ["activities"]
    dependencies = {"actor": Provide(provide_actor), "viewer": Provide(provide_optional_actor)}

    @get("/")
    async def browse(self, viewer: Actor | None, date_from: date | None = None, date_to: date | None = None,
                     kind: str | None = None, community_id: int | None = None,
                     lat: Annotated[float, Parameter(ge=-90, le=90)] | None = None,
                     lon: Annotated[float, Parameter(ge=-180, le=180)] | None = None,
                     radius_km: Annotated[float, Parameter(gt=0, le=200)] | None = None, fits_me: bool = False,
                     sort: str = "starts_at", limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Published future occurrences; filter by date, kind, community, distance and "fits me"."""
        return await service.list_occurrences(
            actor=viewer, date_from=date_from, date_to=date_to, kind=kind, community_id=community_id, lat=lat,
            lon=lon, radius_km=radius_km, fits_me=fits_me, sort=sort, limit=limit, offset=offset)

    @post("/{occurrence_id:int}/sign-ups", guards=[role_in("volunteer", "guardian")], status_code=201)
    async def sign_up(self, actor: Actor, occurrence_id: int, data: SignUpIn) -> dict[str, Any]:
        """Sign up (a guardian: their child); a full occurrence puts you on the waitlist."""
        return await service.sign_up_for(actor=actor, occurrence_id=occurrence_id, volunteer_id=data.volunteer_id,
                                         as_leader=data.as_leader)

    @get("/{occurrence_id:int}/sign-ups", guards=[signed_in])
    async def sign_ups(self, actor: Actor, occurrence_id: int) -> dict[str, Any]:
        """The organization's (and staff's) view of who signed up."""
        return await service.occurrence_sign_ups(actor=actor, occurrence_id=occurrence_id)


class SignUpController(Controller):
    path = "/api/sign-ups"
    tags = ["activities"]
    guards = [signed_in]
    dependencies = {"actor": Provide(provide_actor)}

    @delete("/{sign_up_id:int}", status_code=200)
    async def cancel(self, actor: Actor, sign_up_id: int) -> dict[str, Any]:
        """Cancel a sign-up; the first on the waitlist takes the place."""
        return await service.cancel_for(actor=actor, sign_up_id=sign_up_id)

    @post("/{sign_up_id:int}/attendance", status_code=200)
    async def attendance(self, actor: Actor, sign_up_id: int, data: AttendanceIn) -> dict[str, Any]:
        """The organization marks attended (hours and points credited once) or no-show."""
        return await service.mark_attendance(actor=actor, sign_up_id=sign_up_id, attended=data.attended)


ROUTES = [ActivityController, OccurrenceController, SignUpController]
