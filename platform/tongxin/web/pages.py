"""Server-rendered pages over the same services as the JSON API (zh-CN first, English second)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.response import Redirect, Template

from tongxin.accounts import service as accounts
from tongxin.accounts.guards import actor_of
from tongxin.accounts.sessions import rotate_session
from tongxin.activities import service as activities
from tongxin.activities.tables import ACTIVITY_KINDS
from tongxin.errors import DomainError, NotAuthenticated, NotFound
from tongxin.matches import service as matches
from tongxin.organizations import service as organizations
from tongxin.reports import service as reports
from tongxin.scheduling import service as scheduling
from tongxin.volunteers import service as volunteers
from tongxin.web import i18n
from tongxin.web import service as web
from tongxin.web.service import bar_chart, local_time
from tongxin.wishes import service as wishes

LANG_COOKIE = "tx_lang"
PAGE = 20
DONE_MESSAGES = {"signed_up", "waitlisted", "welcome"}


def lang_of(request: Request) -> str:
    return i18n.language_of(request.cookies.get(LANG_COOKIE))


async def context(request: Request, **values: Any) -> dict[str, Any]:
    """What every page template gets: language, translator, the signed-in actor, a flash line."""
    lang = lang_of(request)
    actor = await actor_of(request)
    flash = ""
    done = request.query_params.get("done")
    if done in DONE_MESSAGES:
        flash = i18n.translate(done, lang, n=request.query_params.get("n", ""),
                               name=actor.display_name if actor else "")
    unread = 0
    if actor is not None:
        from tongxin.scheduling.tables import Notification

        unread = await Notification.count().where(
            (Notification.recipient == actor.id) & Notification.read_at.is_null())
    return {"lang": lang, "t": lambda key, **kw: i18n.translate(key, lang, **kw), "actor": actor,
            "label": lambda code: i18n.label(code, lang), "unread": unread, "when": local_time,
            "rule_text": lambda rule: web.rrule_text(rule, lang), "bi": lambda text: i18n.both(text, lang),
            "request_path": request.url.path, "here": _here(request), "flash": flash, "errors": {}, "values": {}, **values}


async def render(request: Request, name: str, status_code: int = 200, **values: Any) -> Template:
    return Template(template_name=name, context=await context(request, **values), status_code=status_code)


def _here(request: Request) -> str:
    """This page's path with its query (filters, page), to come back to after a language switch or sign-in."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _bare_context(request: Request, lang: str) -> dict[str, Any]:
    """The layout's context without a database read (exception handlers are synchronous)."""
    return {"lang": lang, "t": lambda key, **kw: i18n.translate(key, lang, **kw), "actor": None,
            "label": lambda code: i18n.label(code, lang), "unread": 0, "when": local_time,
            "bi": lambda text: i18n.both(text, lang), "rule_text": lambda rule: web.rrule_text(rule, lang),
            "request_path": request.url.path, "here": _here(request), "flash": "", "errors": {}, "values": {}}


def not_found_page(request: Request) -> Template:
    """The 404 page."""
    return Template(template_name="404.html", status_code=404, context=_bare_context(request, lang_of(request)))


def error_page(request: Request, status_code: int, *, code: str = "", message: str = "") -> Template:
    """Any other failure of a page request, said in the user's language with a way back."""
    lang = lang_of(request)
    if status_code == 403:
        text = i18n.translate("page_expired", lang)
    elif status_code >= 500:
        text = i18n.translate("server_error", lang)
    elif code:
        text = i18n.error_text(code, message, lang)
    else:
        text = i18n.translate("invalid_input", lang)
    return Template(template_name="error.html", status_code=status_code,
                    context={**_bare_context(request, lang), "status": status_code, "message": text})


async def _require(request: Request, *roles: str):
    actor = await actor_of(request)
    if actor is None:
        raise NotAuthenticated("please sign in first")
    if roles and actor.role not in roles and not (actor.is_staff and "staff" in roles):
        raise NotFound("page not found")
    return actor


def _texts(form, names) -> dict[str, str]:
    """The named single-line fields of a form, trimmed ("" when missing)."""
    return {name: form.get(name, "").strip() for name in names}


def _place(value: str) -> tuple[int | None, int | None]:
    """A "community:grid" choice of the place selects, as ids (None where empty or malformed)."""
    community, _, grid = value.partition(":")
    return (int(community) if community.isdigit() else None, int(grid) if grid.isdigit() else None)


def _all(form, name: str) -> list[str]:
    """Every value of a repeated form field (ticked checkboxes); none ticked is an empty list."""
    return list(form.getall(name, []))


def _error_for(exc: DomainError, lang: str) -> dict[str, str]:
    return {exc.field or "_form": i18n.error_text(exc.code, exc.message, lang)}


# ---- accounts --------------------------------------------------------------------------------------

@get("/", include_in_schema=False)
async def home(request: Request) -> Template:
    return await render(request, "home.html")


@get("/language", include_in_schema=False)
async def language(to: str = "zh-CN", next: str = "/") -> Redirect:
    """Switch the pages' language (a cookie), then go back where the person was."""
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = Redirect(path=target)
    response.set_cookie(LANG_COOKIE, i18n.language_of(to), max_age=365 * 24 * 3600, samesite="lax")
    return response


@get("/login", include_in_schema=False)
async def login_form(request: Request, next: str = "/") -> Template:
    return await render(request, "login.html", next=next)


@post("/login", include_in_schema=False)
async def login_submit(request: Request) -> Template | Redirect:
    form = await request.form()
    username, password = form.get("username", "").strip(), form.get("password", "")
    lang = lang_of(request)
    errors = {}
    if not username:
        errors["username"] = i18n.translate("required", lang)
    if not password:
        errors["password"] = i18n.translate("required", lang)
    if not errors:
        settings = request.app.state.settings
        try:
            user = await accounts.authenticate(username=username, password=password,
                                               client=request.client.host if request.client else "",
                                               max_failures=settings.login_max_failures,
                                               window_seconds=settings.login_window_seconds)
        except DomainError as exc:
            errors = {"_form": i18n.error_text(exc.code, exc.message, lang)}
        else:
            rotate_session(request)
            request.set_session({"user_id": user["id"]})
            target = form.get("next", "/")
            return Redirect(path=target if target.startswith("/") and not target.startswith("//") else "/")
    return await render(request, "login.html", status_code=400, errors=errors, values={"username": username},
                        next=form.get("next", "/"))


@get("/register", include_in_schema=False)
async def register_form(request: Request) -> Template:
    return await render(request, "register.html")


@post("/register", include_in_schema=False)
async def register_submit(request: Request) -> Template | Redirect:
    form = await request.form()
    values = _texts(form, ("username", "display_name", "role"))
    password = form.get("password", "")
    lang = lang_of(request)
    errors = {}
    if len(values["username"]) < 3:
        errors["username"] = i18n.translate("too_short", lang) + " (≥3)"
    if len(password) < 8:
        errors["password"] = i18n.translate("too_short", lang) + " (≥8)"
    if values["role"] not in ("volunteer", "org_member", "guardian"):
        errors["role"] = i18n.translate("required", lang)
    if not errors:
        try:
            user = await accounts.create_user(username=values["username"], password=password, role=values["role"],
                                              display_name=values["display_name"], locale=lang)
        except DomainError as exc:
            errors = _error_for(exc, lang)
        else:
            rotate_session(request)
            request.set_session({"user_id": user["id"]})
            return Redirect(path="/?done=welcome")
    return await render(request, "register.html", status_code=400, errors=errors, values=values)


@post("/logout", include_in_schema=False)
async def logout(request: Request) -> Redirect:
    request.clear_session()
    return Redirect(path="/")


# ---- volunteers: browse, sign up, schedule ---------------------------------------------------------

@get("/occurrences", include_in_schema=False)
async def occurrences_page(request: Request, kind: str | None = None, date_from: date | None = None,
                           date_to: date | None = None, fits_me: bool = False, community_id: int | None = None,
                           near: bool = False, radius_km: float | None = None, sort: str = "",
                           offset: int = 0) -> Template:
    actor = await actor_of(request)
    if sort not in activities.OCCURRENCE_SORTS:
        sort = "distance" if near else "starts_at"
    filters = {"kind": kind or None, "date_from": date_from, "date_to": date_to, "fits_me": fits_me,
               "community_id": community_id, "near": near, "radius_km": radius_km, "sort": sort}
    error = ""
    try:
        page = await activities.list_occurrences(
            actor=actor, kind=kind or None, date_from=date_from, date_to=date_to, fits_me=fits_me,
            community_id=community_id, radius_km=radius_km if near else None,
            sort=sort, limit=PAGE, offset=max(offset, 0))
    except DomainError as exc:
        error = i18n.error_text(exc.code, exc.message, lang_of(request))
        page = await activities.list_occurrences(actor=actor, kind=kind or None, limit=PAGE, offset=max(offset, 0))
    for item in page["items"]:
        item["local_start"] = local_time(item["starts_at"])
    query = urlencode({k: v for k, v in filters.items() if v})
    communities = (await volunteers.lookups())["communities"]
    return await render(request, "occurrences.html", page=page, filters=filters, kinds=ACTIVITY_KINDS,
                        query=query, error=error, communities=communities, sorts=activities.OCCURRENCE_SORTS)


@post("/occurrences/{occurrence_id:int}/sign-up", include_in_schema=False)
async def sign_up_page(request: Request, occurrence_id: int) -> Redirect | Template:
    actor = await _require(request, "volunteer", "guardian")
    try:
        result = await activities.sign_up_for(actor=actor, occurrence_id=occurrence_id)
    except DomainError as exc:
        page = await activities.list_occurrences(actor=actor, limit=PAGE)
        for item in page["items"]:
            item["local_start"] = local_time(item["starts_at"])
        return await render(request, "occurrences.html", status_code=exc.status, page=page, filters={},
                            kinds=ACTIVITY_KINDS, query="", communities=[], sorts=activities.OCCURRENCE_SORTS,
                            error=i18n.error_text(exc.code, exc.message, lang_of(request)))
    if result["status"] == "waitlisted":
        return Redirect(path=f"/me/sign-ups?done=waitlisted&n={result['waitlist_position']}")
    return Redirect(path="/me/sign-ups?done=signed_up")


@get("/me/sign-ups", include_in_schema=False)
async def schedule_page(request: Request, when: str = "upcoming", offset: int = 0) -> Template:
    """Own sign-ups (upcoming soonest first, or past newest first), hours and points, the calendar feed."""
    actor = await _require(request, "volunteer")
    when = when if when in ("upcoming", "past") else "upcoming"
    page, totals, calendar_url = {"items": [], "total": 0, "limit": PAGE, "offset": 0}, None, ""
    if actor.volunteer_id is not None:
        page = await volunteers.sign_ups_of(volunteer_id=actor.volunteer_id, upcoming=when == "upcoming",
                                            sort="starts_at" if when == "upcoming" else "-starts_at",
                                            limit=PAGE, offset=max(offset, 0))
        for s in page["items"]:
            s["local_start"] = local_time(s["starts_at"])
            s["title"] = s["activity_title"]
        totals = await volunteers.ledger(actor=actor, limit=1, offset=0)
        token = await volunteers.own_calendar_token(actor=actor, secret_key=request.app.state.settings.secret_key)
        calendar_url = str(request.base_url).rstrip("/") + f"/api/volunteers/calendar/{token}.ics"
    return await render(request, "schedule.html", page=page, sign_ups=page["items"], totals=totals,
                        calendar_url=calendar_url, when=when)


@post("/sign-ups/{sign_up_id:int}/cancel", include_in_schema=False)
async def cancel_page(request: Request, sign_up_id: int) -> Redirect:
    actor = await _require(request, "volunteer", "guardian")
    await activities.cancel_for(actor=actor, sign_up_id=sign_up_id)
    return Redirect(path="/me/sign-ups")


# ---- wishes ----------------------------------------------------------------------------------------

WISH_PAGE_SORTS = ("needed_by", "urgency", "-created")


@get("/wishes", include_in_schema=False)
async def wishes_page(request: Request, sort: str = "needed_by", offset: int = 0) -> Template:
    """The public listing: redacted text only, soonest needed (or most urgent) first."""
    sort = sort if sort in WISH_PAGE_SORTS else "needed_by"
    page = await wishes.list_public_wishes(sort=sort, limit=PAGE, offset=max(offset, 0))
    return await render(request, "wishes.html", page=page, sort=sort, sorts=WISH_PAGE_SORTS)


@get("/wishes/mine", include_in_schema=False)
async def my_wishes_page(request: Request, status: str = "", sort: str = "-created", offset: int = 0) -> Template:
    """Wishes to work on: staff all, grid workers their grids' wishes, helpers the ones they help with."""
    from tongxin.wishes.tables import WISH_STATUSES

    actor = await _require(request)
    status = status if status in WISH_STATUSES else ""
    sort = sort if sort in WISH_PAGE_SORTS else "-created"
    page = await wishes.list_wishes(actor=actor, status=status or None, sort=sort, limit=PAGE, offset=max(offset, 0))
    return await render(request, "my_wishes.html", page=page, status=status, statuses=WISH_STATUSES, sort=sort,
                        sorts=WISH_PAGE_SORTS, query=urlencode({"status": status, "sort": sort}))


# ---- staff -----------------------------------------------------------------------------------------

@get("/staff/queue", include_in_schema=False)
async def queue_page(request: Request, kind: str | None = None, offset: int = 0) -> Template:
    actor = await _require(request, "staff")
    kinds = [kind] if kind in reports.QUEUE_KINDS else None
    page = await reports.approval_queue(actor=actor, kinds=kinds, limit=PAGE, offset=max(offset, 0))
    counts = (await reports.approval_queue(actor=actor, limit=1))["counts"]
    return await render(request, "queue.html", page=page, counts=counts, kind=kinds[0] if kinds else "")


@post("/staff/decide/{kind:str}/{item_id:int}", include_in_schema=False)
async def decide_page(request: Request, kind: str, item_id: int) -> Redirect | Template:
    """One form for every queue item: approve, or reject with a reason."""
    actor = await _require(request, "staff")
    form = await request.form()
    approve, reason = form.get("decision") == "approve", form.get("reason", "").strip()
    try:
        if kind == "organization":
            await organizations.decide_organization(actor=actor, organization_id=item_id, approve=approve, reason=reason)
        elif kind == "activity":
            await activities.decide_activity(actor=actor, activity_id=item_id, approve=approve, reason=reason)
        elif kind == "proposal":
            if approve:
                await matches.approve_proposal(actor=actor, proposal_id=item_id)
            else:
                await matches.reject_proposal(actor=actor, proposal_id=item_id, reason=reason)
        elif kind == "wish":
            if approve:
                await wishes.verify_wish(actor=actor, wish_id=item_id)
            else:
                await wishes.cancel_wish(actor=actor, wish_id=item_id, reason=reason)
        else:
            raise NotFound("page not found")
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        lang = lang_of(request)
        message = i18n.translate("reason_required", lang) if exc.field == "reason" else \
            i18n.error_text(exc.code, exc.message, lang)
        page = await reports.approval_queue(actor=actor, kinds=[kind], limit=PAGE, offset=0)
        counts = (await reports.approval_queue(actor=actor, limit=1))["counts"]
        return await render(request, "queue.html", status_code=exc.status, page=page, counts=counts, kind=kind,
                            failed={"key": f"{kind}-{item_id}", "field": exc.field or "_form", "message": message})
    return Redirect(path=f"/staff/queue?kind={kind}")


@post("/staff/matching", include_in_schema=False)
async def matching_page(request: Request) -> Redirect:
    actor = await _require(request, "staff")
    await matches.run_matching_batch(actor_id=actor.id)
    return Redirect(path="/staff/queue?kind=proposal")


@get("/staff/dashboard", include_in_schema=False)
async def dashboard_page(request: Request) -> Template:
    await _require(request, "staff")
    figures = await reports.dashboard()
    lang = lang_of(request)
    t = lambda key: i18n.translate(key, lang)
    none = t("no_figures")
    places = [{**row, "community": i18n.both(str(row["community"]), lang)} for row in figures["by_community"]]
    charts = [
        {"title": f"{t('hours')} · {t('by_community')}", "svg": bar_chart(places, label="community", value="hours", empty=none)},
        {"title": f"{t('people_served')} · {t('by_community')}",
         "svg": bar_chart(places, label="community", value="people_served", empty=none)},
        {"title": f"{t('activities_held')} · {t('by_community')}",
         "svg": bar_chart(places, label="community", value="activities_held", empty=none)},
        {"title": f"{t('hours')} · {t('by_month')}",
         "svg": web.column_chart(figures["by_month"], label="month", value="hours", empty=none)},
        {"title": f"{t('wishes_fulfilled')} · {t('by_month')}",
         "svg": web.column_chart(figures["by_month"], label="month", value="wishes_fulfilled", empty=none)},
    ]
    return await render(request, "dashboard.html", figures=figures, charts=charts)


@get("/staff/jobs", include_in_schema=False)
async def jobs_page(request: Request, offset: int = 0) -> Template:
    await _require(request, "staff")
    jobs = await scheduling.list_jobs()
    for j in jobs:
        j["local_next"] = local_time(j["next_run_at"])
        j["local_last"] = local_time(j["last_run"]["started_at"]) if j["last_run"] else ""
    runs = await scheduling.list_runs(limit=PAGE, offset=max(offset, 0))
    for r in runs["items"]:
        r["local_scheduled"] = local_time(r["scheduled_for"])
    return await render(request, "jobs.html", jobs=jobs, runs=runs)


# ---- notifications ---------------------------------------------------------------------------------

@get("/me/notifications", include_in_schema=False)
async def notifications_list(request: Request, offset: int = 0) -> Template:
    """The signed-in person's messages, newest first."""
    actor = await _require(request)
    page = await scheduling.notifications_page(recipient_id=actor.id, limit=PAGE, offset=max(offset, 0))
    for n in page["items"]:
        n["local_created"] = local_time(n["created_at"])
    return await render(request, "notifications.html", page=page)


@post("/me/notifications/{notification_id:int}/read", include_in_schema=False)
async def notification_read(request: Request, notification_id: int) -> Template | Redirect:
    """Marks one's own message read; HTMX gets the updated item back, a plain form the list."""
    actor = await _require(request)
    await scheduling.mark_read(notification_id=notification_id, recipient_id=actor.id)
    if request.headers.get("hx-request") != "true":
        return Redirect(path="/me/notifications")
    page = await scheduling.notifications_page(recipient_id=actor.id, limit=100)
    item = next((n for n in page["items"] if n["id"] == notification_id), None)
    if item is None:  # older than the first hundred: the whole list is the simplest answer
        return Redirect(path="/me/notifications")
    item["local_created"] = local_time(item["created_at"])
    return await render(request, "notification_item.html", n=item)


# ---- organizations ---------------------------------------------------------------------------------

OFFER_KINDS = ("goods", "money", "service")


async def _org_page(request: Request, actor, **values: Any) -> Template:
    from tongxin.wishes.tables import WISH_CATEGORIES

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
    return await _org_page(request, await _require(request, "org_member"))


@post("/org", include_in_schema=False)
async def org_register(request: Request) -> Template | Redirect:
    actor = await _require(request, "org_member")
    form = await request.form()
    values = _texts(form, ("name", "kind", "contact_phone"))
    lang = lang_of(request)
    if len(values["name"]) < 2:
        return await _org_page(request, actor, status_code=400, errors={"name": i18n.translate("too_short", lang)},
                               values=values)
    try:
        await organizations.register_organization(actor=actor, name=values["name"], kind=values["kind"],
                                                  contact_phone=values["contact_phone"])
    except DomainError as exc:
        page = await _org_page(request, actor, errors=_error_for(exc, lang), values=values)
        page.status_code = exc.status
        return page
    return Redirect(path="/org")


@post("/org/offers", include_in_schema=False)
async def offer_create(request: Request) -> Template | Redirect:
    """An approved organization offers goods, money or a service that matching can propose for wishes."""
    from tongxin.wishes.tables import WISH_CATEGORIES

    actor = await _require(request, "org_member")
    form = await request.form()
    values = _texts(form, ("offer_title", "offer_category", "offer_kind", "offer_quantity"))
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
    actor = await _require(request, "org_member", "staff")
    activity = await activities.get_activity(actor=actor, activity_id=activity_id)
    if not actor.is_staff and actor.organization_id != activity["organization"]:
        raise NotFound("activity not found")
    return await _cancel_confirm(request, activity)


async def _cancel_confirm(request: Request, activity: dict, status_code: int = 200, **values: Any) -> Template:
    lang = lang_of(request)
    return await render(request, "confirm.html", status_code=status_code,
                        title=i18n.both("取消活动 / Cancel the activity", lang),
                        question=i18n.both(f"取消“{activity['title']}”后，所有未来场次和报名都会取消，并通知已报名的志愿者。 / "
                                           f"Cancelling “{activity['title']}” cancels every future occurrence and "
                                           "sign-up and tells the volunteers.", lang),
                        action=f"/org/activities/{activity['id']}/cancel", ask_reason=True,
                        confirm_label=i18n.both("确定取消 / Cancel it", lang), back="/org", **values)


@post("/org/activities/{activity_id:int}/cancel", include_in_schema=False)
async def activity_cancel(request: Request, activity_id: int) -> Template | Redirect:
    actor = await _require(request, "org_member", "staff")
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
    await _require(request, "org_member")
    return await _activity_form(request)


async def _activity_form(request: Request, status_code: int = 200, **values: Any) -> Template:
    look = await volunteers.lookups()
    return await render(request, "activity_form.html", status_code=status_code, kinds=ACTIVITY_KINDS,
                        repeats=web.REPEAT_KINDS, nths=web.NTH, weekdays=web.WEEKDAYS,
                        nth_words=web.NTH_WORDS[lang_of(request)], weekday_words=web.WEEKDAY_WORDS[lang_of(request)],
                        communities=look["communities"], skills=look["skills"],
                        certificate_kinds=look["certificate_kinds"], **values)


def _activity_fields(form, lang: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The activity form read into the service's fields, what was typed (to show again) and the errors."""
    from datetime import datetime

    values: dict[str, Any] = _texts(form, ("title", "kind", "starts_at", "duration_minutes", "repeat", "nth", "weekday",
                                           "place", "address", "capacity", "min_age", "max_age", "lat", "lon"))
    errors: dict[str, str] = {}
    numbers: dict[str, int] = {}
    community, grid = _place(values["place"])
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
    chosen = {k: _all(form, k) for k in ("required_skills", "required_certificates")}
    youth_allowed = form.get("youth_allowed") == "true"
    values.update(chosen, youth_allowed=youth_allowed)  # ticked boxes stay ticked when the form comes back
    starts_at = None
    try:
        starts_at = datetime.fromisoformat(values["starts_at"]).replace(tzinfo=activities.LOCAL_TZ)
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
        hours_credit=None, points_credit=10)
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
    start = activity["starts_at"].astimezone(activities.LOCAL_TZ)
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
    actor = await _require(request, "org_member")
    lang = lang_of(request)
    fields, values, errors = _activity_fields(await request.form(), lang)
    if not errors:
        try:
            await activities.create_activity(actor=actor, **fields)
        except DomainError as exc:
            errors = _error_for(exc, lang)
        else:
            return Redirect(path="/org")
    return await _activity_form(request, status_code=400, errors=errors, values=values)


async def _own_activity(actor, activity_id: int) -> dict[str, Any]:
    activity = await activities.get_activity(actor=actor, activity_id=activity_id)
    if actor.organization_id != activity["organization"]:
        raise NotFound("activity not found")
    if isinstance(activity["required_skills"], str):  # JSON columns come back as text unless loaded
        import json

        activity["required_skills"] = json.loads(activity["required_skills"])
        activity["required_certificates"] = json.loads(activity["required_certificates"])
    return activity


@get("/org/activities/{activity_id:int}/edit", include_in_schema=False)
async def activity_edit_form(request: Request, activity_id: int) -> Template:
    """A draft (or a rejected activity, with the reason) back in the form to fix before submitting."""
    actor = await _require(request, "org_member")
    activity = await _own_activity(actor, activity_id)
    return await _activity_form(request, values=_activity_values(activity), activity=activity,
                                action=f"/org/activities/{activity_id}/edit")


@post("/org/activities/{activity_id:int}/edit", include_in_schema=False)
async def activity_edit(request: Request, activity_id: int) -> Template | Redirect:
    actor = await _require(request, "org_member")
    activity = await _own_activity(actor, activity_id)
    lang = lang_of(request)
    fields, values, errors = _activity_fields(await request.form(), lang)
    if not errors:
        try:
            await activities.update_activity(actor=actor, activity_id=activity_id, **fields)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            errors = _error_for(exc, lang)
        else:
            return Redirect(path="/org")
    return await _activity_form(request, status_code=400, errors=errors, values=values, activity=activity,
                                action=f"/org/activities/{activity_id}/edit")


@post("/org/activities/{activity_id:int}/submit", include_in_schema=False)
async def activity_submit(request: Request, activity_id: int) -> Redirect:
    actor = await _require(request, "org_member")
    await activities.submit_activity(actor=actor, activity_id=activity_id)
    return Redirect(path="/org")


@get("/org/activities/{activity_id:int}", include_in_schema=False)
async def activity_roster(request: Request, activity_id: int) -> Template:
    """Each occurrence with its sign-ups; attendance is marked row by row (HTMX)."""
    actor = await _require(request, "org_member")
    activity = await activities.get_activity(actor=actor, activity_id=activity_id)
    if actor.organization_id != activity["organization"]:
        raise NotFound("activity not found")
    rosters = []
    for occurrence in activity["occurrences"]:
        roster = await activities.occurrence_sign_ups(actor=actor, occurrence_id=occurrence["id"])
        roster["local_start"] = local_time(occurrence["starts_at"])
        await _with_credit(roster["items"])
        rosters.append(roster)
    return await render(request, "activity_roster.html", activity=activity, rosters=rosters)


@post("/org/sign-ups/{sign_up_id:int}/attendance", include_in_schema=False)
async def attendance_row(request: Request, sign_up_id: int, attended: bool) -> Template:
    """Marks attended / no-show and answers the updated table row (for HTMX)."""
    actor = await _require(request, "org_member", "staff")
    error = ""
    try:
        await activities.mark_attendance(actor=actor, sign_up_id=sign_up_id, attended=attended)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        error = i18n.error_text(exc.code, exc.message, lang_of(request))
    from tongxin.activities.tables import SignUp

    row = await SignUp.select(SignUp.id, SignUp.status, SignUp.occurrence).where(SignUp.id == sign_up_id).first()
    roster = await activities.occurrence_sign_ups(actor=actor, occurrence_id=row["occurrence"])
    item = next(s for s in roster["items"] if s["id"] == sign_up_id)
    await _with_credit([item])
    return await render(request, "roster_row.html", s=item, error=error)


async def _with_credit(items: list[dict[str, Any]]) -> None:
    """Adds the hours and points each attended sign-up earned (its ledger entry) to the roster rows."""
    from tongxin.volunteers.tables import LedgerEntry

    ids = [s["id"] for s in items if s["status"] == "attended"]
    entries = {e["sign_up"]: e for e in await LedgerEntry.select(
        LedgerEntry.sign_up, LedgerEntry.hours, LedgerEntry.points).where(LedgerEntry.sign_up.is_in(ids or [-1]))}
    for s in items:
        entry = entries.get(s["id"])
        s["credit"] = {"hours": round(entry["hours"], 1), "points": entry["points"]} if entry else None


# ---- guardians and the youth roster ----------------------------------------------------------------

async def _youth_page(request: Request, actor, status_code: int = 200, **values: Any) -> Template:
    children = (await volunteers.list_youth(actor=actor, limit=50))["items"]
    return await render(request, "youth.html", status_code=status_code, children=children,
                        communities=(await volunteers.lookups())["communities"], consent=volunteers.consent_text(),
                        **values)


@get("/youth", include_in_schema=False)
async def youth_page(request: Request) -> Template:
    return await _youth_page(request, await _require(request, "guardian"))


@post("/youth", include_in_schema=False)
async def youth_apply(request: Request) -> Template | Redirect:
    """A guardian applies for a child; the consent is recorded with the text version they saw."""
    actor = await _require(request, "guardian")
    form = await request.form()
    values = _texts(form, ("child_name", "birth_date", "grid_id", "consent_text_version"))
    lang = lang_of(request)
    errors: dict[str, str] = {}
    if not values["child_name"]:
        errors["child_name"] = i18n.translate("required", lang)
    try:
        birth = date.fromisoformat(values["birth_date"])
    except ValueError:
        errors["birth_date"] = i18n.translate("required", lang)
    if form.get("consent") != "true":
        errors["consent"] = i18n.both("请阅读并勾选同意 / Please read and tick the consent", lang)
    community_id, grid_id = _place(values["grid_id"])
    if grid_id is None:
        errors["grid_id"] = i18n.translate("required", lang)
    if not errors:
        try:
            await volunteers.apply_for_child(actor=actor, child_name=values["child_name"], birth_date=birth,
                                             community_id=community_id, grid_id=grid_id, relationship="parent",
                                             consent=True, consent_text_version=values["consent_text_version"])
        except DomainError as exc:
            errors = _error_for(exc, lang)
        else:
            return Redirect(path="/youth")
    return await _youth_page(request, actor, status_code=400, errors=errors, values=values)


@get("/youth/{youth_id:int}", include_in_schema=False)
async def youth_detail(request: Request, youth_id: int) -> Template:
    actor = await _require(request, "guardian", "staff")
    return await render(request, "youth_detail.html", youth=await volunteers.get_youth(actor=actor, youth_id=youth_id))


@post("/youth/{youth_id:int}/assessments", include_in_schema=False)
async def youth_assess(request: Request, youth_id: int) -> Template | Redirect:
    """Staff record the three assessments with an optional score (0-100) and notes; any bad score saves none."""
    actor = await _require(request, "staff")
    form = await request.form()
    kinds = ("fitness", "self_rescue", "personality")
    values = {k: form.get(k) == "true" for k in kinds} | _texts(form, [f"{k}_{x}" for k in kinds for x in ("score", "notes")])
    errors: dict[str, str] = {}
    scores: dict[str, float | None] = {}
    for kind in kinds:
        text = values[f"{kind}_score"]
        try:
            scores[kind] = float(text) if text else None
            if scores[kind] is not None and not 0 <= scores[kind] <= 100:
                raise ValueError
        except ValueError:
            errors[f"{kind}_score"] = "0–100"
    if errors:
        youth = await volunteers.get_youth(actor=actor, youth_id=youth_id)
        return await render(request, "youth_detail.html", status_code=400, youth=youth, errors=errors, values=values)
    for kind in kinds:
        await volunteers.record_assessment(actor=actor, youth_id=youth_id, kind=kind, passed=values[kind],
                                           score=scores[kind], notes=values[f"{kind}_notes"])
    return Redirect(path=f"/youth/{youth_id}")


@get("/staff/squads", include_in_schema=False)
async def squads_page(request: Request, offset: int = 0) -> Template:
    """Staff: each community's squad of little safety officers with its active members."""
    actor = await _require(request, "staff")
    page = await volunteers.list_squads(actor=actor, limit=PAGE, offset=max(offset, 0))
    return await render(request, "squads.html", page=page)


@post("/youth/{youth_id:int}/activate", include_in_schema=False)
async def youth_activate(request: Request, youth_id: int) -> Redirect:
    actor = await _require(request, "staff")
    await volunteers.activate_youth(actor=actor, youth_id=youth_id)
    return Redirect(path=f"/youth/{youth_id}")


@get("/youth/{youth_id:int}/withdraw", include_in_schema=False)
async def youth_withdraw_confirm(request: Request, youth_id: int) -> Template:
    """Withdrawing consent is destructive: ask first."""
    actor = await _require(request, "guardian")
    youth = await volunteers.get_youth(actor=actor, youth_id=youth_id)
    lang = lang_of(request)
    return await render(request, "confirm.html", title=i18n.both("撤回同意 / Withdraw consent", lang),
                        question=i18n.both(f"撤回后，{youth['child_name']}将立即退出所有未来的活动报名和匹配。确定吗？ / "
                                           f"{youth['child_name']} leaves every future sign-up and proposal at once. "
                                           "Are you sure?", lang),
                        action=f"/youth/{youth_id}/withdraw", confirm_label=i18n.both("确定撤回 / Withdraw", lang),
                        back=f"/youth/{youth_id}")


@post("/youth/{youth_id:int}/withdraw", include_in_schema=False)
async def youth_withdraw(request: Request, youth_id: int) -> Redirect:
    actor = await _require(request, "guardian")
    await volunteers.withdraw_consent(actor=actor, youth_id=youth_id)
    return Redirect(path=f"/youth/{youth_id}")


# ---- micro-wishes: grid workers, helpers -----------------------------------------------------------

async def _wish_form(request: Request, actor, status_code: int = 200, **values: Any) -> Template:
    from tongxin.accounts.tables import Grid
    from tongxin.wishes.tables import WISH_CATEGORIES

    grids = await Grid.select(Grid.id, Grid.name).where(Grid.id.is_in(list(actor.grid_ids) or [-1]))
    return await render(request, "wish_form.html", status_code=status_code, grids=grids,
                        categories=WISH_CATEGORIES, **values)


@get("/wishes/new", include_in_schema=False)
async def wish_form(request: Request) -> Template:
    return await _wish_form(request, await _require(request, "grid_worker", "staff"))


@post("/wishes/new", include_in_schema=False)
async def wish_post(request: Request) -> Template | Redirect:
    """A grid worker posts a wish for a household of their grid (identity kept apart, text redacted)."""
    actor = await _require(request, "grid_worker", "staff")
    form = await request.form()
    names = ("grid_id", "household_name", "household_phone", "household_address", "category", "title",
             "public_text", "needed_by", "urgency")
    values = {k: form.get(k, "").strip() for k in names}
    lang = lang_of(request)
    errors = {k: i18n.translate("required", lang) for k in ("household_name", "title") if not values[k]}
    try:
        needed_by = date.fromisoformat(values["needed_by"]) if values["needed_by"] else None
    except ValueError:
        errors["needed_by"] = i18n.translate("required", lang)
    if not errors:
        try:
            wish = await wishes.post_wish(
                actor=actor, grid_id=int(values["grid_id"] or 0), household_name=values["household_name"],
                household_phone=values["household_phone"], household_address=values["household_address"],
                category=values["category"], title=values["title"], public_text=values["public_text"],
                needed_by=needed_by, urgency=int(values["urgency"] or 2), skills_needed=[])
        except DomainError as exc:
            errors = _error_for(exc, lang)
        else:
            return Redirect(path=f"/wishes/{wish['id']}")
    return await _wish_form(request, actor, status_code=400, errors=errors, values=values)


@get("/wishes/{wish_id:int}", include_in_schema=False)
async def wish_detail(request: Request, wish_id: int) -> Template:
    """The working view; the household's contact for staff, the grid's workers and the approved helper (audited)."""
    actor = await _require(request)
    wish = await wishes.get_wish(actor=actor, wish_id=wish_id)
    household = None
    try:
        household = (await wishes.view_household(actor=actor, wish_id=wish_id))["household"]
    except NotFound:
        pass
    is_helper = (wish["helper_volunteer"] is not None and wish["helper_volunteer"] == actor.volunteer_id) or (
        wish["helper_organization"] is not None and wish["helper_organization"] == actor.organization_id)
    return await render(request, "wish_detail.html", wish=wish, household=household, is_helper=is_helper,
                        may_confirm=actor.may_see_grid(wish["grid"]))


@post("/wishes/{wish_id:int}/{step:str}", include_in_schema=False)
async def wish_step(request: Request, wish_id: int, step: str) -> Redirect:
    actor = await _require(request)
    if step == "start":
        await wishes.start_wish(actor=actor, wish_id=wish_id)
    elif step == "fulfil":
        await wishes.fulfil_wish(actor=actor, wish_id=wish_id)
    elif step == "confirm":
        form = await request.form()
        await wishes.confirm_wish(actor=actor, wish_id=wish_id, rating=int(form.get("rating", 5)),
                                  comment=form.get("comment", "").strip())
    else:
        raise NotFound("page not found")
    return Redirect(path=f"/wishes/{wish_id}")


# ---- the volunteer's profile -----------------------------------------------------------------------

async def _profile_page(request: Request, actor, status_code: int = 200, values: dict | None = None,
                        **extra: Any) -> Template:
    look = await volunteers.lookups()
    profile, certificates = None, []
    if actor.volunteer_id is not None:
        profile = await volunteers.get_profile(actor=actor)
        certificates = profile["certificates"]
    if values is None:
        values = {}
        if profile:
            windows = profile["availability"]
            values = {"real_name": profile["real_name"], "phone": profile["phone"],
                      "birth_date": str(profile["birth_date"] or ""),
                      "grid_id": f"{profile['community']}:{profile['grid']}", "skills": profile["skills"],
                      "days": [str(w["weekday"]) for w in windows]}
            if windows:
                values["from_time"] = f"{windows[0]['start_minute'] // 60:02d}:{windows[0]['start_minute'] % 60:02d}"
                values["to_time"] = f"{windows[0]['end_minute'] // 60:02d}:{windows[0]['end_minute'] % 60:02d}"
    return await render(request, "profile.html", status_code=status_code, values=values,
                        communities=look["communities"], skills=look["skills"],
                        certificate_kinds=look["certificate_kinds"], certificates=certificates, **extra)


@get("/me/profile", include_in_schema=False)
async def profile_page(request: Request) -> Template:
    return await _profile_page(request, await _require(request, "volunteer"))


def _minutes(value: str) -> int:
    hours, _, minutes = value.partition(":")
    return int(hours) * 60 + int(minutes or 0)


@post("/me/profile", include_in_schema=False)
async def profile_save(request: Request) -> Template | Redirect:
    """Details, skills and weekly availability in one form; nothing is saved unless all of it is valid."""
    actor = await _require(request, "volunteer")
    form = await request.form()
    values: dict[str, Any] = {k: form.get(k, "").strip() for k in
                              ("real_name", "phone", "birth_date", "grid_id", "from_time", "to_time")}
    values["skills"] = _all(form, "skills")
    values["days"] = _all(form, "days")
    lang = lang_of(request)
    errors: dict[str, str] = {}
    if not values["real_name"]:
        errors["real_name"] = i18n.translate("required", lang)
    try:
        birth = date.fromisoformat(values["birth_date"])
    except ValueError:
        errors["birth_date"] = i18n.translate("required", lang)
    community_id, grid_id = _place(values["grid_id"])
    if grid_id is None:
        errors["grid_id"] = i18n.translate("required", lang)
    try:
        windows = [{"weekday": int(d), "start_minute": _minutes(values["from_time"]),
                    "end_minute": _minutes(values["to_time"])} for d in values["days"]]
        volunteers.check_windows(windows)
    except (ValueError, DomainError):
        errors["to_time"] = i18n.both("结束时间要晚于开始时间 / The end must be after the start", lang)
    if not errors:
        try:
            await volunteers.save_profile(actor=actor, real_name=values["real_name"], phone=values["phone"],
                                          birth_date=birth, community_id=community_id, grid_id=grid_id)
            actor = await accounts.load_actor(user_id=actor.id)
            await volunteers.set_skills(actor=actor, codes=list(values["skills"]))
            await volunteers.set_availability(actor=actor, windows=windows)
        except DomainError as exc:
            errors = _error_for(exc, lang)
        else:
            return Redirect(path="/me/profile")
    return await _profile_page(request, actor, status_code=400, values=values, errors=errors)


@post("/me/certificates", include_in_schema=False)
async def certificate_add(request: Request) -> Template | Redirect:
    actor = await _require(request, "volunteer")
    form = await request.form()
    lang = lang_of(request)
    try:
        issued = date.fromisoformat(form.get("issued_on", ""))
        expires = date.fromisoformat(form["expires_on"]) if form.get("expires_on") else None
    except ValueError:
        return await _profile_page(request, actor, status_code=400, errors={"issued_on": i18n.translate("required", lang)})
    try:
        await volunteers.add_certificate(actor=actor, kind_code=form.get("kind_code", ""),
                                         number=form.get("number", "").strip(), issued_on=issued, expires_on=expires)
    except DomainError as exc:
        return await _profile_page(request, actor, status_code=exc.status, errors=_error_for(exc, lang))
    return Redirect(path="/me/profile")


PAGES = [
    profile_page, profile_save, certificate_add,
    squads_page, youth_page, youth_apply, youth_detail, youth_assess, youth_activate, youth_withdraw_confirm, youth_withdraw,
    wish_form, wish_post, my_wishes_page, wish_detail, wish_step,
    org_page, org_register, offer_create, activity_cancel_confirm, activity_cancel, activity_form,
    activity_edit_form, activity_edit, activity_create, activity_submit, activity_roster, attendance_row,
    home, language, login_form, login_submit, register_form, register_submit, logout, occurrences_page,
    sign_up_page, schedule_page, cancel_page, wishes_page, queue_page, decide_page, matching_page,
    dashboard_page, jobs_page, notifications_list, notification_read,
]
