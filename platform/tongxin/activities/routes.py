"""Activity endpoints: drafts, submission, staff decisions, browsing, sign-ups and attendance."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, MediaType, Request, Response, delete, get, post, put
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from tongxin.accounts.guards import (
    provide_actor,
    provide_optional_actor,
    role_in,
    signed_in,
)
from tongxin.accounts.service import Actor
from tongxin.activities import (
    attendance,
    browse,
    invitations,
    schedule,
    service,
    signups,
)
from tongxin.activities.schemas import (
    ActivityIn,
    AttendanceIn,
    CancelIn,
    DecisionIn,
    DeclineIn,
    RuleIn,
    SignUpIn,
    activity_fields,
)
from tongxin.errors import NotFound
from tongxin.matches import invitations as matches_invitations
from tongxin.memory import on_change, remembering_reads
from tongxin.paging import Limit, Offset
from tongxin.volunteers.schemas import CalendarLinkOut, SignUpPage


# The JSON of an answer the services remember (the same object while it is remembered, never changed):
# encoded once, not on every request. Forgotten with every change, like the answers themselves.
_ENCODED: dict[int, tuple[Any, bytes]] = {}
on_change(lambda keys: _ENCODED.clear())


def _json_once(value: Any, encode=msgspec.json.encode) -> Response[bytes]:
    if not remembering_reads():  # every answer is new: nothing to keep
        return Response(encode(value), media_type=MediaType.JSON)
    found = _ENCODED.get(id(value))
    if found is None or found[0] is not value:  # the object itself is held, so its id is not reused meanwhile
        if len(_ENCODED) >= 2_000:
            _ENCODED.clear()
        found = _ENCODED[id(value)] = (value, encode(value))
    return Response(found[1], media_type=MediaType.JSON)


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

    @get("/", responses={200: ResponseSpec(data_container=dict[str, Any], description="a page of occurrences")})
    async def browse(self, viewer: Actor | None, date_from: date | None = None, date_to: date | None = None,
                     kind: str | None = None, community_id: int | None = None,
                     lat: Annotated[float, Parameter(ge=-90, le=90)] | None = None,
                     lon: Annotated[float, Parameter(ge=-180, le=180)] | None = None,
                     radius_km: Annotated[float, Parameter(gt=0, le=200)] | None = None, fits_me: bool = False,
                     q: Annotated[str, Parameter(max_length=50, description="words in the title, place or organization")]
                     | None = None,
                     sort: str = "starts_at", limit: Limit = 20, offset: Offset = 0) -> Response[bytes]:
        """Published future occurrences; filter by date, kind, community, words, distance and "fits me".
        A signed-in volunteer sees on each their own status and, if they may not sign up, why not."""
        return _json_once(await browse.list_occurrences(
            actor=viewer, date_from=date_from, date_to=date_to, kind=kind, community_id=community_id, lat=lat,
            lon=lon, radius_km=radius_km, fits_me=fits_me, q=q, sort=sort, limit=limit, offset=offset))

    @post("/{occurrence_id:int}/sign-ups", guards=[role_in("volunteer", "guardian")], status_code=201)
    async def sign_up(self, actor: Actor, occurrence_id: int, data: SignUpIn) -> dict[str, Any]:
        """Sign up (a guardian: their child); a full occurrence puts you on the waitlist."""
        return await signups.sign_up_for(actor=actor, occurrence_id=occurrence_id, volunteer_id=data.volunteer_id,
                                         as_leader=data.as_leader)

    @get("/{occurrence_id:int}/sign-ups", guards=[signed_in])
    async def sign_ups(self, actor: Actor, occurrence_id: int) -> dict[str, Any]:
        """The organization's (and staff's) view of who signed up, with the credit each earned."""
        return await attendance.roster(actor=actor, occurrence_id=occurrence_id)

    @post("/{occurrence_id:int}/attendance", guards=[signed_in], status_code=200)
    async def all_attended(self, actor: Actor, occurrence_id: int) -> dict[str, Any]:
        """Mark every confirmed sign-up attended at once (from the start until 7 days after the end)."""
        return await attendance.mark_all_attended(actor=actor, occurrence_id=occurrence_id)


class SignUpController(Controller):
    path = "/api/sign-ups"
    tags = ["activities"]
    guards = [signed_in]
    dependencies = {"actor": Provide(provide_actor)}

    @delete("/{sign_up_id:int}", status_code=200)
    async def cancel(self, actor: Actor, sign_up_id: int) -> dict[str, Any]:
        """Cancel a sign-up; the first on the waitlist takes the place."""
        return await signups.cancel_for(actor=actor, sign_up_id=sign_up_id)

    @post("/{sign_up_id:int}/attendance", status_code=200)
    async def attendance(self, actor: Actor, sign_up_id: int, data: AttendanceIn) -> dict[str, Any]:
        """The organization marks (or corrects, for 7 days after the end) attended or no-show; minutes and
        points are credited or taken back exactly."""
        return await attendance.mark_attendance(actor=actor, sign_up_id=sign_up_id, attended=data.attended)

    @delete("/{sign_up_id:int}/attendance", status_code=200)
    async def undo_attendance(self, actor: Actor, sign_up_id: int) -> dict[str, Any]:
        """Take an attendance mark back within the correction window."""
        return await attendance.undo_attendance(actor=actor, sign_up_id=sign_up_id)


class InvitationController(Controller):
    path = "/api/invitations"
    tags = ["invitations"]
    guards = [signed_in]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/")
    async def list_invitations(self, actor: Actor, status: Literal["pending", "accepted", "declined", "expired",
                                                                     "withdrawn"] | None = None,
                               limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """The invitations you answer (yours, or your children's), newest first."""
        return await matches_invitations.list_invitations(actor=actor, status=status, limit=limit, offset=offset)

    @get("/{invitation_id:int}")
    async def get_invitation(self, actor: Actor, invitation_id: int) -> dict[str, Any]:
        return await matches_invitations.get_invitation(actor=actor, invitation_id=invitation_id)

    @post("/{invitation_id:int}/accept", status_code=200)
    async def accept(self, actor: Actor, invitation_id: int) -> dict[str, Any]:
        """Say yes: you are signed up (or become the wish's helper); if it filled up, you join the waitlist."""
        return await invitations.accept(actor=actor, invitation_id=invitation_id)

    @post("/{invitation_id:int}/decline", status_code=200)
    async def decline(self, actor: Actor, invitation_id: int, data: DeclineIn) -> dict[str, Any]:
        """Say no, optionally with a reason; you will not be proposed for the same thing again."""
        return await matches_invitations.decline(actor=actor, invitation_id=invitation_id, reason=data.reason)


class ScheduleController(Controller):
    path = "/api/volunteers"
    tags = ["volunteers"]

    @get("/me/sign-ups", guards=[role_in("volunteer")], dependencies={"actor": Provide(provide_actor)},
         responses={200: ResponseSpec(data_container=SignUpPage, description="a page of your sign-ups")})
    async def sign_ups(
        self, actor: Actor, status: Literal["confirmed", "waitlisted", "waiting_for_leader", "attended", "no_show",
                                            "cancelled"] | None = None,
        upcoming: bool | None = None, sort: Literal["starts_at", "-starts_at"] = "starts_at",
        limit: Limit = 20, offset: Offset = 0,
    ) -> Response[bytes]:
        """Your sign-ups, filtered by status and upcoming/past, sorted by start."""
        page = await schedule.own_sign_ups(actor=actor, status=status, upcoming=upcoming, sort=sort,
                                           limit=limit, offset=offset)
        return _json_once(page, lambda found: msgspec.json.encode(msgspec.convert(found, SignUpPage)))

    @get("/me/calendar", guards=[role_in("volunteer")], dependencies={"actor": Provide(provide_actor)})
    async def calendar_link(self, request: Request, actor: Actor) -> CalendarLinkOut:
        """Your secret calendar feed address; anyone holding it can read your sign-ups, so keep it private.
        404 `calendar_off` after you switched it off (POST makes a new one)."""
        token = await schedule.own_calendar_token(actor=actor, secret_key=request.app.state.settings.secret_key)
        if token is None:
            raise NotFound("your calendar link is switched off; make a new one", code="calendar_off")
        return _calendar_link(request, token)

    @post("/me/calendar", status_code=201, guards=[role_in("volunteer")],
          dependencies={"actor": Provide(provide_actor)})
    async def calendar_renew(self, request: Request, actor: Actor) -> CalendarLinkOut:
        """A new calendar feed address; the old one stops working at once (if it was shared or lost)."""
        token = await schedule.renew_calendar(actor=actor, secret_key=request.app.state.settings.secret_key)
        return _calendar_link(request, token)

    @delete("/me/calendar", status_code=204, guards=[role_in("volunteer")],
            dependencies={"actor": Provide(provide_actor)})
    async def calendar_stop(self, actor: Actor) -> None:
        """Switch the calendar feed off: its address answers 404 until you make a new one."""
        await schedule.stop_calendar(actor=actor)

    @get("/calendar/{filename:str}", name="volunteer_calendar", media_type="text/calendar")
    async def calendar(self, request: Request, filename: str) -> Response[bytes]:
        """The iCalendar feed behind a secret token (no sign-in: calendar apps fetch it); wrong token 404."""
        token = filename.removesuffix(".ics")
        volunteer_id = await schedule.volunteer_of_calendar_token(
            token=token if filename.endswith(".ics") else "", secret_key=request.app.state.settings.secret_key)
        body = await schedule.calendar_ics(volunteer_id=volunteer_id)
        return Response(body, media_type="text/calendar; charset=utf-8")


def _calendar_link(request: Request, token: str) -> CalendarLinkOut:
    """The feed's address from TONGXIN_PUBLIC_URL, never from the request's Host header."""
    url = request.app.state.settings.link(f"/api/volunteers/calendar/{token}.ics", request_base=str(request.base_url))
    return CalendarLinkOut(token=token, url=url)

ROUTES = [ActivityController, OccurrenceController, SignUpController, InvitationController, ScheduleController]
