"""Volunteers browse occurrences, sign up, see their schedule and cancel."""

from __future__ import annotations

import functools
from datetime import date
from urllib.parse import urlencode

from litestar import MediaType, Request, Response, get, post
from litestar.response import Redirect, Template

from tongxin.accounts.guards import actor_of
from tongxin.activities import browse, schedule, signups
from tongxin.activities.tables import ACTIVITY_KINDS
from tongxin.dates import LOCAL_TZ
from tongxin.db import current_engine
from tongxin.errors import DomainError, NotFound
from tongxin.memory import BriefMemory, data_version
from tongxin.volunteers import service as volunteers
from tongxin.web import i18n
from tongxin.web.pages.common import PAGE, lang_of, render, require
from tongxin.web.pages.common import code_names as read_code_names
from tongxin.web.service import local_time as format_local_time

# The same moments appear on every person's cards: each is worded by Babel once per language.
local_time = functools.lru_cache(maxsize=8192)(format_local_time)


def _day(value: str) -> date | None:
    """A date field of the filter form; empty or malformed is no filter (a phone's date picker may send "")."""
    try:
        return date.fromisoformat(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


def _number(value: str, kind=int):
    try:
        return kind(value) if value and value.strip() else None
    except ValueError:
        return None


def mine_words(mine: dict | None, lang: str) -> str:
    """My sign-up for an occurrence in words ("已报名", "候补第 2 位"); "" when I have none."""
    status = (mine or {}).get("sign_up_status")
    if not status:
        return ""
    if status == "waitlisted":
        return i18n.translate("mine_waitlisted", lang, n=mine["waitlist_position"] or "")
    if status == "confirmed" and mine.get("is_leader"):
        return i18n.translate("mine_leader", lang)
    if status in ("confirmed", "waiting_for_leader"):
        return i18n.translate(f"mine_{status}", lang)
    return i18n.label(status, lang)


def why_not_words(item: dict, names: dict, lang: str) -> list[str]:
    """Why I may not sign up for this occurrence, one line per rule, naming what is missing."""
    mine = item.get("mine") or {}
    return [i18n.why_not_text(code, lang, skills=[names["skills"].get(c, c) for c in mine.get("missing_skills", [])],
                              certificates=[names["certificates"].get(c, c) for c in mine.get("missing_certificates", [])],
                              min_age=item.get("min_age"), max_age=item.get("max_age"))
            for code in mine.get("why_not", [])]


def describe(item: dict, names: dict, lang: str) -> dict:
    """What a card or the activity page shows about an occurrence besides its own fields."""
    item["local_start"] = local_time(item["starts_at"], lang)
    item["local_end"] = local_time(item["ends_at"], lang) if "ends_at" in item else ""
    if item.get("ends_at") and item["ends_at"].astimezone(LOCAL_TZ).date() == item["starts_at"].astimezone(LOCAL_TZ).date():
        item["local_end"] = item["ends_at"].astimezone(LOCAL_TZ).strftime("%H:%M")
    item["deadline_passed"] = bool(item.get("signup_deadline") and item["signup_deadline"] <= browse.now_utc())
    item["mine_words"] = mine_words(item.get("mine"), lang)
    item["why_not_words"] = why_not_words(item, names, lang)
    return item


_NAMES = BriefMemory("reads", most=8)


async def code_names(lang: str) -> dict:
    """`common.code_names`, once per change and language: the pages here only read it (it copies the
    lookups each time, a millisecond a page)."""
    return await _NAMES.recall((id(current_engine()), lang), lambda: read_code_names(lang))


# Pages as sent, per person, browser (its CSRF token is in the forms), language and address, until anything
# is written (here or in another process: tongxin.memory) or an occurrence starts or a deadline passes.
_PAGES = BriefMemory("reads", most=2_000)


def _page_key(request: Request, actor) -> tuple | None:
    """What a remembered page depends on besides the data; None when the browser has no CSRF cookie yet
    (its page carries a token made for this answer alone)."""
    csrf = request.cookies.get(request.app.csrf_config.cookie_name) if request.app.csrf_config else None
    if not csrf:
        return None
    # The host too: in development the calendar link is built from the address the browser used.
    return (id(current_engine()), data_version(), actor.id if actor else None, lang_of(request),
            request.headers.get("host"), request.url.path, request.url.query, csrf)


async def _remember_page(request: Request, key: tuple | None, template: Template) -> Response[bytes]:
    """Render `template` now and keep the HTML under `key` (see `_PAGES`)."""
    context = template.create_template_context(request)
    body = request.app.template_engine.get_template(template.template_name).render(**context).encode()
    if key is not None and template.status_code == 200:
        _PAGES.put(key, body, until=await browse.next_change_by_time(browse.now_utc()))
    return Response(body, media_type=MediaType.HTML, status_code=template.status_code)


@get("/occurrences", include_in_schema=False)
async def occurrences_page(request: Request, kind: str = "", date_from: str = "", date_to: str = "",
                           fits_me: str = "", community_id: str = "", near: str = "", radius_km: str = "",
                           q: str = "", sort: str = "", offset: int = 0) -> Response[bytes]:
    """Published occurrences with filters that take empty fields, a keyword, and my status on each card."""
    actor = await actor_of(request)
    key = _page_key(request, actor)
    remembered = _PAGES.get(key) if key is not None else None
    if remembered is not None:
        return Response(remembered, media_type=MediaType.HTML)
    lang = lang_of(request)
    near_me, fits = near == "true", fits_me == "true"
    if sort not in browse.OCCURRENCE_SORTS:
        sort = "distance" if near_me else "starts_at"
    filters = {"kind": kind if kind in ACTIVITY_KINDS else "", "date_from": _day(date_from),
               "date_to": _day(date_to), "fits_me": fits, "community_id": _number(community_id),
               "near": near_me, "radius_km": _number(radius_km, float), "q": q.strip()[:50], "sort": sort}
    error = ""
    try:
        page = await browse.list_occurrences(
            actor=actor, kind=filters["kind"] or None, date_from=filters["date_from"], date_to=filters["date_to"],
            fits_me=fits, community_id=filters["community_id"], q=filters["q"] or None,
            radius_km=filters["radius_km"] if near_me else None, sort=sort, limit=PAGE, offset=max(offset, 0))
    except DomainError as exc:
        error = i18n.error_text(exc.code, exc.message, lang)
        page = await browse.list_occurrences(actor=actor, kind=filters["kind"] or None, q=filters["q"] or None,
                                             limit=PAGE, offset=max(offset, 0))
    names = await code_names(lang)
    page = {**page, "items": [describe(dict(item), names, lang) for item in page["items"]]}  # shared: copied
    query = urlencode({k: v for k, v in filters.items() if v})
    return await _remember_page(request, key, await render(
        request, "occurrences.html", page=page, filters=filters, kinds=ACTIVITY_KINDS, query=query, error=error,
        communities=names["communities"], sorts=browse.OCCURRENCE_SORTS))


def map_link(item: dict) -> str:
    """A map page for the place (Amap, which phones here open in the map app); "" without coordinates."""
    if item.get("lat") is None or item.get("lon") is None:
        return ""
    return "https://uri.amap.com/marker?" + urlencode(
        {"position": f"{item['lon']:.6f},{item['lat']:.6f}", "name": item.get("address") or item.get("title", ""),
         "coordinate": "wgs84", "callnative": "1"})


async def _occurrence_page(request: Request, occurrence_id: int, *, status_code: int = 200,
                           error: str = "") -> Template:
    actor = await actor_of(request)
    lang = lang_of(request)
    occurrence = await browse.occurrence_detail(actor=actor, occurrence_id=occurrence_id)
    names = await code_names(lang)
    describe(occurrence, names, lang)
    occurrence["skill_names"] = [names["skills"].get(c, c) for c in occurrence["required_skills"]]
    occurrence["preferred_skill_names"] = [names["skills"].get(c, c) for c in occurrence["preferred_skills"]]
    occurrence["certificate_names"] = [names["certificates"].get(c, c) for c in occurrence["required_certificates"]]
    occurrence["local_deadline"] = local_time(occurrence["signup_deadline"], lang)
    occurrence["map_link"] = map_link(occurrence)
    for child in occurrence.get("children", []):  # a guardian signs a child up here, or reads why not
        child["mine_words"] = mine_words(child["mine"], lang)
        child["why_not_words"] = why_not_words({**child, "min_age": occurrence["min_age"],
                                                "max_age": occurrence["max_age"]}, names, lang)
    return await render(request, "occurrence.html", status_code=status_code, o=occurrence, error=error)


@get("/occurrences/{occurrence_id:int}", include_in_schema=False)
async def occurrence_page(request: Request, occurrence_id: int) -> Template:
    """The activity page of one occurrence: all a person needs to decide, and the sign-up button."""
    return await _occurrence_page(request, occurrence_id)


@post("/occurrences/{occurrence_id:int}/sign-up", include_in_schema=False)
async def sign_up_page(request: Request, occurrence_id: int) -> Redirect | Template:
    """Sign up yourself (as a helper or, ticked, as the adult leader of a youth activity), or as a guardian
    your child; a refusal comes back to the activity page saying why."""
    actor = await require(request, "volunteer", "guardian")
    form = await request.form()
    child = form.get("volunteer_id", "")
    try:
        result = await signups.sign_up_for(actor=actor, occurrence_id=occurrence_id,
                                           volunteer_id=int(child) if child.isdigit() else None,
                                           as_leader=form.get("as_leader") == "true")
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _occurrence_page(request, occurrence_id, status_code=exc.status,
                                      error=i18n.error_text(exc.code, exc.message, lang_of(request)))
    # A guardian has no schedule page of their own: they come back to the activity, which shows the child's status.
    back = f"/occurrences/{occurrence_id}" if actor.role == "guardian" else "/me/sign-ups"
    if result["status"] == "waitlisted":
        return Redirect(path=f"{back}?done=waitlisted&n={result['waitlist_position']}")
    return Redirect(path=f"{back}?done=signed_up")


@get("/me/sign-ups", include_in_schema=False)
async def schedule_page(request: Request, when: str = "upcoming", offset: int = 0) -> Response[bytes]:
    """Own sign-ups (upcoming soonest first, or past newest first), hours and points, the calendar feed."""
    actor = await require(request, "volunteer")
    key = _page_key(request, actor)
    remembered = _PAGES.get(key) if key is not None else None
    if remembered is not None:
        return Response(remembered, media_type=MediaType.HTML)
    when = when if when in ("upcoming", "past") else "upcoming"
    page, totals, calendar_url = {"items": [], "total": 0, "limit": PAGE, "offset": 0}, None, ""
    if actor.volunteer_id is not None:
        page = await schedule.remembered_sign_ups(volunteer_id=actor.volunteer_id, upcoming=when == "upcoming",
                                                  sort="starts_at" if when == "upcoming" else "-starts_at",
                                                  limit=PAGE, offset=max(offset, 0))
        page = {**page, "items": [{**s, "local_start": local_time(s["starts_at"], lang_of(request)),
                                   "title": s["activity_title"]} for s in page["items"]]}  # shared: copied
        totals = await volunteers.ledger(actor=actor, limit=1, offset=0)
        token = await schedule.own_calendar_token(actor=actor, secret_key=request.app.state.settings.secret_key)
        if token is not None:
            calendar_url = request.app.state.settings.link(f"/api/volunteers/calendar/{token}.ics",
                                                           request_base=str(request.base_url))
    return await _remember_page(request, key, await render(
        request, "schedule.html", page=page, sign_ups=page["items"], totals=totals, calendar_url=calendar_url,
        calendar_off=actor.volunteer_id is not None and not calendar_url, when=when))


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
