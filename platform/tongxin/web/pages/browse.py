"""Volunteers browse occurrences, sign up, see their schedule and cancel."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.response import Redirect, Template

from tongxin.accounts.guards import actor_of
from tongxin.activities import browse, schedule, signups
from tongxin.activities.tables import ACTIVITY_KINDS
from tongxin.errors import DomainError
from tongxin.volunteers import service as volunteers
from tongxin.web import i18n
from tongxin.web.pages.common import PAGE, lang_of, render, require
from tongxin.web.service import local_time


@get("/occurrences", include_in_schema=False)
async def occurrences_page(request: Request, kind: str | None = None, date_from: date | None = None,
                           date_to: date | None = None, fits_me: bool = False, community_id: int | None = None,
                           near: bool = False, radius_km: float | None = None, sort: str = "",
                           offset: int = 0) -> Template:
    actor = await actor_of(request)
    if sort not in browse.OCCURRENCE_SORTS:
        sort = "distance" if near else "starts_at"
    filters = {"kind": kind or None, "date_from": date_from, "date_to": date_to, "fits_me": fits_me,
               "community_id": community_id, "near": near, "radius_km": radius_km, "sort": sort}
    error = ""
    try:
        page = await browse.list_occurrences(
            actor=actor, kind=kind or None, date_from=date_from, date_to=date_to, fits_me=fits_me,
            community_id=community_id, radius_km=radius_km if near else None,
            sort=sort, limit=PAGE, offset=max(offset, 0))
    except DomainError as exc:
        error = i18n.error_text(exc.code, exc.message, lang_of(request))
        page = await browse.list_occurrences(actor=actor, kind=kind or None, limit=PAGE, offset=max(offset, 0))
    for item in page["items"]:
        item["local_start"] = local_time(item["starts_at"])
    query = urlencode({k: v for k, v in filters.items() if v})
    communities = (await volunteers.lookups())["communities"]
    return await render(request, "occurrences.html", page=page, filters=filters, kinds=ACTIVITY_KINDS,
                        query=query, error=error, communities=communities, sorts=browse.OCCURRENCE_SORTS)


@post("/occurrences/{occurrence_id:int}/sign-up", include_in_schema=False)
async def sign_up_page(request: Request, occurrence_id: int) -> Redirect | Template:
    actor = await require(request, "volunteer", "guardian")
    try:
        result = await signups.sign_up_for(actor=actor, occurrence_id=occurrence_id)
    except DomainError as exc:
        page = await browse.list_occurrences(actor=actor, limit=PAGE)
        for item in page["items"]:
            item["local_start"] = local_time(item["starts_at"])
        return await render(request, "occurrences.html", status_code=exc.status, page=page, filters={},
                            kinds=ACTIVITY_KINDS, query="", communities=[], sorts=browse.OCCURRENCE_SORTS,
                            error=i18n.error_text(exc.code, exc.message, lang_of(request)))
    if result["status"] == "waitlisted":
        return Redirect(path=f"/me/sign-ups?done=waitlisted&n={result['waitlist_position']}")
    return Redirect(path="/me/sign-ups?done=signed_up")


@get("/me/sign-ups", include_in_schema=False)
async def schedule_page(request: Request, when: str = "upcoming", offset: int = 0) -> Template:
    """Own sign-ups (upcoming soonest first, or past newest first), hours and points, the calendar feed."""
    actor = await require(request, "volunteer")
    when = when if when in ("upcoming", "past") else "upcoming"
    page, totals, calendar_url = {"items": [], "total": 0, "limit": PAGE, "offset": 0}, None, ""
    if actor.volunteer_id is not None:
        page = await schedule.sign_ups_of(volunteer_id=actor.volunteer_id, upcoming=when == "upcoming",
                                            sort="starts_at" if when == "upcoming" else "-starts_at",
                                            limit=PAGE, offset=max(offset, 0))
        for s in page["items"]:
            s["local_start"] = local_time(s["starts_at"])
            s["title"] = s["activity_title"]
        totals = await volunteers.ledger(actor=actor, limit=1, offset=0)
        token = await schedule.own_calendar_token(actor=actor, secret_key=request.app.state.settings.secret_key)
        if token is not None:
            calendar_url = request.app.state.settings.link(f"/api/volunteers/calendar/{token}.ics",
                                                           request_base=str(request.base_url))
    return await render(request, "schedule.html", page=page, sign_ups=page["items"], totals=totals,
                        calendar_url=calendar_url, calendar_off=actor.volunteer_id is not None and not calendar_url,
                        when=when)


@post("/me/calendar", include_in_schema=False)
async def calendar_page(request: Request) -> Redirect:
    """Renew the calendar link (the old one stops working) or switch it off."""
    actor = await require(request, "volunteer")
    form = await request.form()
    if form.get("action") == "stop":
        await schedule.stop_calendar(actor=actor)
    else:
        await schedule.renew_calendar(actor=actor, secret_key=request.app.state.settings.secret_key)
    return Redirect(path="/me/sign-ups")


@post("/sign-ups/{sign_up_id:int}/cancel", include_in_schema=False)
async def cancel_page(request: Request, sign_up_id: int) -> Redirect:
    actor = await require(request, "volunteer", "guardian")
    await signups.cancel_for(actor=actor, sign_up_id=sign_up_id)
    return Redirect(path="/me/sign-ups")
