"""An organization's pages: registration, offers, activities, rosters and attendance."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template

from tongxin.activities import attendance, browse, leaders
from tongxin.activities import service as activities
from tongxin.activities.tables import ACTIVITY_KINDS
from tongxin.dates import LOCAL_TZ
from tongxin.errors import DomainError, NotFound
from tongxin.organizations import service as organizations
from tongxin.volunteers import service as volunteers
from tongxin.web import i18n
from tongxin.web import service as web
from tongxin.web.pages.common import (
    error_for,
    lang_of,
    place_choice,
    render,
    require,
    texts,
    ticked,
)
from tongxin.web.service import local_time
from tongxin.wishes.tables import WISH_CATEGORIES

OFFER_KINDS = ("goods", "money", "service")


async def _org_page(request: Request, actor, **values: Any) -> Template:
    organization = None
    activity_list: list = []
    offers: list = []
    if actor.organization_id is not None:
        organization = await organizations.get_organization(actor=actor, organization_id=actor.organization_id)
        activity_list = (await activities.list_activities(actor=actor, mine=True, limit=100))["items"]
        activity_list.sort(key=lambda a: (a["status"] not in ("draft", "submitted"), -a["id"]))  # to-dos first
        offers = (await organizations.list_offers(organization_id=actor.organization_id, limit=100))["items"]
    return await render(request, "org.html", organization=organization, activities=activity_list, offers=offers,
                        categories=WISH_CATEGORIES, offer_kinds=OFFER_KINDS, **values)


@get("/org", include_in_schema=False)
async def org_page(request: Request) -> Template:
    return await _org_page(request, await require(request, "org_member"))


@post("/org", include_in_schema=False)
async def org_register(request: Request) -> Template | Redirect:
    actor = await require(request, "org_member")
    form = await request.form()
    values = texts(form, ("name", "kind", "contact_phone"))
    lang = lang_of(request)
    if len(values["name"]) < 2:
        return await _org_page(request, actor, status_code=400, errors={"name": i18n.translate("too_short", lang)},
                               values=values)
    try:
        await organizations.register_organization(actor=actor, name=values["name"], kind=values["kind"],
                                                  contact_phone=values["contact_phone"])
    except DomainError as exc:
        page = await _org_page(request, actor, errors=error_for(exc, lang), values=values)
        page.status_code = exc.status
        return page
    return Redirect(path="/org")


@post("/org/offers", include_in_schema=False)
async def offer_create(request: Request) -> Template | Redirect:
    """An approved organization offers goods, money or a service that matching can propose for wishes."""
    actor = await require(request, "org_member")
    form = await request.form()
    values = texts(form, ("offer_title", "offer_category", "offer_kind", "offer_quantity"))
    lang = lang_of(request)
    errors: dict[str, str] = {}
    if len(values["offer_title"]) < 2:
        errors["offer_title"] = i18n.translate("too_short", lang)
    if values["offer_category"] not in WISH_CATEGORIES or values["offer_kind"] not in OFFER_KINDS:
        errors["_offer"] = i18n.translate("invalid_input", lang)
    quantity = int(values["offer_quantity"]) if values["offer_quantity"].isdigit() else 0
    if not 1 <= quantity <= 10_000:
        errors["offer_quantity"] = "1–10000"
    if not errors:
        try:
            await organizations.create_offer(actor=actor, title=values["offer_title"], kind=values["offer_kind"],
                                             category=values["offer_category"], quantity=quantity)
        except DomainError as exc:
            errors = {"_offer": i18n.error_text(exc.code, exc.message, lang)}
        else:
            return Redirect(path="/org")
    return await _org_page(request, actor, status_code=400, errors=errors, values=values)


@get("/org/activities/{activity_id:int}/cancel", include_in_schema=False)
async def activity_cancel_confirm(request: Request, activity_id: int) -> Template:
    """Cancelling tells everyone signed up: ask first, with the reason they will read."""
    actor = await require(request, "org_member", "staff")
    activity = await activities.get_activity(actor=actor, activity_id=activity_id)
    if not actor.is_staff and actor.organization_id != activity["organization"]:
        raise NotFound("activity not found")
    return await _cancel_confirm(request, activity)


async def _cancel_confirm(request: Request, activity: dict, status_code: int = 200, **values: Any) -> Template:
    lang = lang_of(request)
    return await render(request, "confirm.html", status_code=status_code,
                        title=i18n.translate("取消活动", lang),
                        question=i18n.translate("取消“{title}”后，所有未来场次和报名都会取消，并通知已报名的志愿者。",
                                                lang, title=activity["title"]),
                        action=f"/org/activities/{activity['id']}/cancel", ask_reason=True,
                        confirm_label=i18n.translate("确定取消", lang), back="/org", **values)


@post("/org/activities/{activity_id:int}/cancel", include_in_schema=False)
async def activity_cancel(request: Request, activity_id: int) -> Template | Redirect:
    actor = await require(request, "org_member", "staff")
    activity = await activities.get_activity(actor=actor, activity_id=activity_id)
    if not actor.is_staff and actor.organization_id != activity["organization"]:
        raise NotFound("activity not found")
    reason = (await request.form()).get("reason", "").strip()
    lang = lang_of(request)
    try:
        await activities.cancel_activity(actor=actor, activity_id=activity_id, reason=reason)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        message = i18n.translate("reason_required", lang) if exc.field == "reason" else \
            i18n.error_text(exc.code, exc.message, lang)
        return await _cancel_confirm(request, activity, status_code=exc.status, errors={"reason": message},
                                     values={"reason": reason})
    return Redirect(path="/org")


@get("/org/activities/new", include_in_schema=False)
async def activity_form(request: Request) -> Template:
    await require(request, "org_member")
    return await _activity_form(request)


async def _activity_form(request: Request, status_code: int = 200, **values: Any) -> Template:
    look = await volunteers.lookups()
    return await render(request, "activity_form.html", status_code=status_code, kinds=ACTIVITY_KINDS,
                        repeats=web.REPEAT_KINDS, nths=web.NTH, weekdays=web.WEEKDAYS,
                        nth_words=web.nth_words(lang_of(request)), weekday_words=web.weekday_words(lang_of(request)),
                        communities=look["communities"], skills=look["skills"],
                        certificate_kinds=look["certificate_kinds"], **values)


def _activity_fields(form, lang: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The activity form read into the service's fields, what was typed (to show again) and the errors."""
    from datetime import datetime

    values: dict[str, Any] = texts(form, ("title", "kind", "starts_at", "duration_minutes", "repeat", "nth", "weekday",
                                           "place", "address", "capacity", "min_age", "max_age", "lat", "lon"))
    errors: dict[str, str] = {}
    numbers: dict[str, int] = {}
    community, grid = place_choice(values["place"])
    if community is None:
        errors["grid_id"] = i18n.translate("required", lang)
    for name in ("duration_minutes", "capacity", "min_age", "max_age"):
        try:
            numbers[name] = int(values[name])
        except ValueError:
            errors[name] = i18n.translate("required", lang)
    point: dict[str, float | None] = {}
    for name, bound in (("lat", 90), ("lon", 180)):
        try:
            point[name] = float(values[name]) if values[name] else None
            if point[name] is not None and abs(point[name]) > bound:
                raise ValueError
        except ValueError:
            errors[name] = f"|{name}| ≤ {bound}"
    chosen = {k: ticked(form, k) for k in ("required_skills", "required_certificates")}
    youth_allowed = form.get("youth_allowed") == "true"
    values.update(chosen, youth_allowed=youth_allowed)  # ticked boxes stay ticked when the form comes back
    starts_at = None
    try:
        starts_at = datetime.fromisoformat(values["starts_at"]).replace(tzinfo=LOCAL_TZ)
    except ValueError:
        errors["starts_at"] = i18n.translate("required", lang)
    if len(values["title"]) < 2:
        errors["title"] = i18n.translate("too_short", lang)
    rrule = ""
    try:
        rrule = web.build_rrule(values["repeat"], nth=values["nth"], weekday=values["weekday"])
    except ValueError:
        errors["rrule"] = i18n.translate("required", lang)
    fields = {} if errors else dict(
        title=values["title"], kind=values["kind"], starts_at=starts_at, description="",
        duration_minutes=numbers["duration_minutes"], rrule=rrule, community_id=community, grid_id=grid,
        lat=point["lat"], lon=point["lon"], address=values["address"], capacity=numbers["capacity"],
        signup_deadline_hours=24, min_age=numbers["min_age"], max_age=numbers["max_age"], youth_allowed=youth_allowed,
        required_skills=chosen["required_skills"], required_certificates=chosen["required_certificates"],
        credit_minutes=None, points_credit=10)
    return fields, values, errors


def _activity_values(activity: dict[str, Any]) -> dict[str, Any]:
    """A stored activity as the form shows it (the rule split back into its friendly choices)."""
    rule = dict(p.partition("=")[::2] for p in (activity["rrule"] or "").split(";") if p)
    day = rule.get("BYDAY", "")
    repeat = "once"
    if rule.get("FREQ") == "WEEKLY":
        repeat = "weekly"
    elif rule.get("FREQ") == "MONTHLY":
        repeat = "quarterly" if rule.get("INTERVAL") == "3" else "monthly"
    start = activity["starts_at"].astimezone(LOCAL_TZ)
    return {"title": activity["title"], "kind": activity["kind"], "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": str(activity["duration_minutes"]), "repeat": repeat, "nth": day[:-2].lstrip("+") or "3",
            "weekday": day[-2:] or "SA", "place": f"{activity['community'] or ''}:{activity['grid'] or ''}",
            "address": activity["address"], "capacity": str(activity["capacity"]), "min_age": str(activity["min_age"]),
            "max_age": str(activity["max_age"]), "lat": "" if activity["lat"] is None else str(activity["lat"]),
            "lon": "" if activity["lon"] is None else str(activity["lon"]), "youth_allowed": activity["youth_allowed"],
            "required_skills": list(activity["required_skills"] or []),
            "required_certificates": list(activity["required_certificates"] or [])}


@post("/org/activities/new", include_in_schema=False)
async def activity_create(request: Request) -> Template | Redirect:
    """The activity form: friendly repeat choices become the RFC 5545 rule."""
    actor = await require(request, "org_member")
    lang = lang_of(request)
    fields, values, errors = _activity_fields(await request.form(), lang)
    if not errors:
        try:
            await activities.create_activity(actor=actor, **fields)
        except DomainError as exc:
            errors = error_for(exc, lang)
        else:
            return Redirect(path="/org")
    return await _activity_form(request, status_code=400, errors=errors, values=values)


async def _own_activity(actor, activity_id: int) -> dict[str, Any]:
    activity = await activities.get_activity(actor=actor, activity_id=activity_id)
    if actor.organization_id != activity["organization"]:
        raise NotFound("activity not found")
    return activity


@get("/org/activities/{activity_id:int}/edit", include_in_schema=False)
async def activity_edit_form(request: Request, activity_id: int) -> Template:
    """A draft (or a rejected activity, with the reason) back in the form to fix before submitting."""
    actor = await require(request, "org_member")
    activity = await _own_activity(actor, activity_id)
    return await _activity_form(request, values=_activity_values(activity), activity=activity,
                                action=f"/org/activities/{activity_id}/edit")


@post("/org/activities/{activity_id:int}/edit", include_in_schema=False)
async def activity_edit(request: Request, activity_id: int) -> Template | Redirect:
    actor = await require(request, "org_member")
    activity = await _own_activity(actor, activity_id)
    lang = lang_of(request)
    fields, values, errors = _activity_fields(await request.form(), lang)
    if not errors:
        try:
            await activities.update_activity(actor=actor, activity_id=activity_id, **fields)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            errors = error_for(exc, lang)
        else:
            return Redirect(path="/org")
    return await _activity_form(request, status_code=400, errors=errors, values=values, activity=activity,
                                action=f"/org/activities/{activity_id}/edit")


@post("/org/activities/{activity_id:int}/submit", include_in_schema=False)
async def activity_submit(request: Request, activity_id: int) -> Redirect:
    actor = await require(request, "org_member")
    await activities.submit_activity(actor=actor, activity_id=activity_id)
    return Redirect(path="/org")


async def _rosters(request: Request, actor, activity_id: int, *, status_code: int = 200, error: str = "",
                   error_for: int | None = None, **values: Any) -> Template:
    activity = await activities.get_activity(actor=actor, activity_id=activity_id)
    if actor.organization_id != activity["organization"] and not actor.is_staff:
        raise NotFound("activity not found")
    rosters = []
    for occurrence in activity["occurrences"]:
        roster = await attendance.roster(actor=actor, occurrence_id=occurrence["id"])
        roster["local_start"] = local_time(occurrence["starts_at"], lang_of(request))
        roster["local_end"] = occurrence["ends_at"].astimezone(LOCAL_TZ).strftime("%H:%M")
        roster["confirmed"] = sum(1 for s in roster["items"] if s["status"] == "confirmed")
        for s in roster["items"]:
            s["window"] = roster["window"]
        rosters.append(roster)
    asks = await leaders.leader_invitations(occurrence_ids=[r["occurrence"]["id"] for r in rosters])
    for roster in rosters:
        roster["leader_asks"] = asks.get(roster["occurrence"]["id"], [])
        roster["has_leader"] = any(s["is_leader"] and s["status"] in ("confirmed", "attended") for s in roster["items"])
    regulars = []
    if activity.get("youth_allowed") and actor.organization_id is not None:
        regulars = await leaders.known_adults(organization_id=actor.organization_id)
    return await render(request, "activity_roster.html", status_code=status_code, activity=activity,
                        rosters=rosters, error=error, error_for=error_for, regulars=regulars, **values)


@get("/org/activities/{activity_id:int}", include_in_schema=False)
async def activity_roster(request: Request, activity_id: int) -> Template:
    """Each occurrence with its sign-ups; from the start, attendance is marked row by row (HTMX) or all at
    once, and a mark can be taken back within the correction window."""
    actor = await require(request, "org_member")
    return await _rosters(request, actor, activity_id)


@post("/org/occurrences/{occurrence_id:int}/attendance/all", include_in_schema=False)
async def attendance_all(request: Request, occurrence_id: int) -> Redirect | Template:
    """"全部到场": every confirmed sign-up of one occurrence marked attended in one transaction."""
    actor = await require(request, "org_member")
    occurrence = await browse.occurrence_detail(actor=actor, occurrence_id=occurrence_id)
    if not occurrence["manages"]:
        raise NotFound("occurrence not found")
    try:
        result = await attendance.mark_all_attended(actor=actor, occurrence_id=occurrence_id)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _rosters(request, actor, occurrence["activity"], status_code=exc.status, error_for=occurrence_id,
                              error=i18n.error_text(exc.code, exc.message, lang_of(request)))
    return Redirect(path=f"/org/activities/{occurrence['activity']}?done=all_attended&n={result['marked']}"
                         f"#occurrence-{occurrence_id}")


@post("/org/sign-ups/{sign_up_id:int}/attendance/undo", include_in_schema=False)
async def attendance_undo(request: Request, sign_up_id: int) -> Template:
    """Takes a mark back within the correction window and answers the updated row (for HTMX)."""
    actor = await require(request, "org_member", "staff")
    error = ""
    try:
        await attendance.undo_attendance(actor=actor, sign_up_id=sign_up_id)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        error = i18n.error_text(exc.code, exc.message, lang_of(request))
    item = await attendance.roster_entry(actor=actor, sign_up_id=sign_up_id)
    return await render(request, "roster_row.html", s=item, error=error)


@post("/org/sign-ups/{sign_up_id:int}/attendance", include_in_schema=False)
async def attendance_row(request: Request, sign_up_id: int, attended: bool) -> Template:
    """Marks attended / no-show and answers the updated table row (for HTMX)."""
    actor = await require(request, "org_member", "staff")
    error = ""
    try:
        await attendance.mark_attendance(actor=actor, sign_up_id=sign_up_id, attended=attended)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        error = i18n.error_text(exc.code, exc.message, lang_of(request))
    item = await attendance.roster_entry(actor=actor, sign_up_id=sign_up_id)
    return await render(request, "roster_row.html", s=item, error=error)


@post("/org/occurrences/{occurrence_id:int}/leader", include_in_schema=False)
async def leader_ask(request: Request, occurrence_id: int) -> Template | Redirect:
    """An organization asks an adult (one of its regulars, or anyone by account name) to lead the children of
    a youth occurrence: an invitation the adult answers; nobody is made leader without saying yes."""
    actor = await require(request, "org_member")
    occurrence = await browse.occurrence_detail(actor=actor, occurrence_id=occurrence_id)
    if not occurrence["manages"]:
        raise NotFound("occurrence not found")
    form = await request.form()
    values = texts(form, ("username", "volunteer_id"))
    picked = values["volunteer_id"]
    try:
        await leaders.name_leader(actor=actor, occurrence_id=occurrence_id, username=values["username"],
                                  volunteer_id=int(picked) if picked.isdigit() else None)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _rosters(request, actor, occurrence["activity"], status_code=exc.status, error_for=occurrence_id,
                              error=i18n.error_text(exc.code, exc.message, lang_of(request)), values=values)
    return Redirect(path=f"/org/activities/{occurrence['activity']}?done=leader_asked#occurrence-{occurrence_id}")
