"""Hours pages: check-in from the schedule (or the QR's link), the organizer's code screen, confirmation,
staff's flags, certificates and the public verification page."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timezone
from urllib.parse import quote

from litestar import Request, get, post
from litestar.response import Redirect, Template

from tongxin.dates import LOCAL_TZ, hours_text
from tongxin.errors import DomainError, NotFound
from tongxin.hours import certificates, checkin, codes, flags
from tongxin.hours.routes import code_payload, secret_of
from tongxin.web import i18n
from tongxin.web.pages.common import PAGE, lang_of, render, require
from tongxin.web.service import local_time

DEVICE_COOKIE = "tx_device"
FLAG_STATUSES = ("open", "cleared", "corrected", "all")


def _say(request: Request, exc: DomainError) -> str:
    return i18n.error_text(exc.code, exc.message, lang_of(request))


def _number(value: str, *, bound: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if abs(number) <= bound else None


def _keep_device(request: Request, page) -> None:
    """A phone's own random id in a cookie: the one-phone-for-a-roster rule needs to tell phones apart."""
    if not request.cookies.get(DEVICE_COOKIE):
        page.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(16), max_age=5 * 365 * 24 * 3600, httponly=True,
                        samesite="lax")


def _clock(moment: datetime | None) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%H:%M") if moment else ""


# ---- volunteers and guardians ------------------------------------------------------------------------------

async def _check_in_page(request: Request, actor, *, token: str = "", occurrence_id: int | None = None,
                         status_code: int = 200, flash: str = "", errors: dict | None = None) -> Template:
    items = await checkin.checkable(actor=actor, occurrence_id=occurrence_id)
    for item in items:
        item["local_start"] = local_time(item["starts_at"])
        record = item["check_in"]
        item["in_at"] = _clock(record["checked_in_at"]) if record else ""
        item["out_at"] = _clock(record["checked_out_at"]) if record else ""
        item["hours_text"] = hours_text(record["minutes"]) if record and record["checked_out_at"] else ""
    personal = ""
    if actor.volunteer_id is not None:
        personal = codes.personal_code(secret_key=secret_of(request), volunteer_id=actor.volunteer_id,
                                       now=datetime.now(timezone.utc))
    page = await render(request, "hours_check_in.html", status_code=status_code, items=items, token=token,
                        personal=personal, errors=errors or {}, **({"flash": flash} if flash else {}))
    _keep_device(request, page)
    return page


@get("/me/check-in", include_in_schema=False)
async def check_in_page(request: Request, done: str = "", name: str = "", h: str = "") -> Template:
    """Today's sign-ups the person may check in or out: type the code, or scan the QR with the camera."""
    actor = await require(request, "volunteer", "guardian")
    lang = lang_of(request)
    flash = ""
    if done == "in":
        flash = i18n.translate("checked_in_done", lang, name=name)
    elif done == "out":
        flash = i18n.translate("checked_out_done", lang, name=name, hours=h)
    return await _check_in_page(request, actor, flash=flash)


@get("/hours/scan", include_in_schema=False)
async def scan_page(request: Request, c: str = "") -> Template:
    """Where the QR's link lands on a phone: the person's sign-ups for that occurrence, ready to check in."""
    actor = await require(request, "volunteer", "guardian")
    parsed = codes.parse_token(c)
    if parsed is None:
        raise NotFound("not a check-in code")
    verdict = codes.check_occurrence_code(secret_key=secret_of(request), occurrence_id=parsed[0], code=c,
                                          now=datetime.now(timezone.utc))
    errors = {}
    if verdict != "ok":
        code = "code_expired" if verdict == "expired" else "code_invalid"
        errors["_form"] = i18n.error_text(code, "", lang_of(request))
    return await _check_in_page(request, actor, token=c if verdict == "ok" else "", occurrence_id=parsed[0],
                                errors=errors, status_code=200 if verdict == "ok" else 400)


@post("/me/check-in/{sign_up_id:int}", include_in_schema=False)
async def check_in_submit(request: Request, sign_up_id: int) -> Template | Redirect:
    actor = await require(request, "volunteer", "guardian")
    form = await request.form()
    lat, lon = _number(form.get("lat", ""), bound=90), _number(form.get("lon", ""), bound=180)
    if lat is None or lon is None:
        lat = lon = None
    try:
        done = await checkin.check_in_or_out(actor=actor, sign_up_id=sign_up_id, code=form.get("code", ""),
                                             secret_key=secret_of(request), lat=lat, lon=lon,
                                             device=request.cookies.get(DEVICE_COOKIE, ""))
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _check_in_page(request, actor, status_code=exc.status,
                                    errors={f"code-{sign_up_id}": _say(request, exc)})
    return Redirect(path=f"/me/check-in?done={done['action']}&name={quote(done['name'])}"
                         f"&h={hours_text(done['minutes'])}")


async def _certificates_page(request: Request, actor, *, status_code: int = 200, flash: str = "",
                             errors: dict | None = None, values: dict | None = None) -> Template:
    people = await certificates.people_for(actor=actor)
    issued = []
    for person in people:
        for item in (await certificates.list_certificates(actor=actor, volunteer_id=person["id"], limit=50))["items"]:
            issued.append({**item, "holder": person["name"]})
    today = datetime.now(LOCAL_TZ).date()
    values = values or {"date_from": today.replace(month=1, day=1).isoformat(), "date_to": today.isoformat()}
    return await render(request, "hours_certificates.html", status_code=status_code, people=people, issued=issued,
                        action="/me/service-certificates", errors=errors or {}, values=values,
                        **({"flash": flash} if flash else {}))


@get("/me/service-certificates", include_in_schema=False)
async def certificates_page(request: Request, done: str = "") -> Template:
    """Download a 志愿服务证明 for a chosen period (own, or a child's)."""
    actor = await require(request, "volunteer", "guardian")
    flash = i18n.translate("证明已出具，可下载", lang_of(request)) if done else ""
    return await _certificates_page(request, actor, flash=flash)


def _period(form) -> tuple[dict[str, str], date | None, date | None, list[str]]:
    """The period fields of a certificate form, and which of them are missing or not dates."""
    values = {k: form.get(k, "").strip() for k in ("date_from", "date_to", "volunteer_id")}
    missing, days = [], {}
    for name in ("date_from", "date_to"):
        try:
            days[name] = date.fromisoformat(values[name])
        except ValueError:
            missing.append(name)
    return values, days.get("date_from"), days.get("date_to"), missing


@post("/me/service-certificates", include_in_schema=False)
async def certificate_issue(request: Request) -> Template | Redirect:
    actor = await require(request, "volunteer", "guardian")
    values, date_from, date_to, errors = _period(await request.form())
    lang = lang_of(request)
    errors = {k: i18n.translate("required", lang) for k in errors}
    status = 400
    if not errors:
        volunteer_id = int(values["volunteer_id"]) if values["volunteer_id"].isdigit() else actor.volunteer_id
        try:
            if volunteer_id is None:
                raise NotFound("no volunteer")
            await certificates.issue(actor=actor, volunteer_id=volunteer_id, date_from=date_from, date_to=date_to)
        except DomainError as exc:
            errors, status = {exc.field or "_form": _say(request, exc)}, exc.status
        else:
            return Redirect(path="/me/service-certificates?done=1")
    return await _certificates_page(request, actor, status_code=status, errors=errors, values=values)


@get("/verify", include_in_schema=False)
async def verify_form(request: Request, serial: str = "") -> Template | Redirect:
    """Anyone types the serial printed on a certificate."""
    if serial.strip():
        return Redirect(path=f"/verify/{quote(serial.strip().upper())}")
    return await render(request, "verify.html", found=None, serial="")


@get("/verify/{serial:str}", include_in_schema=False)
async def verify_page(request: Request, serial: str) -> Template:
    """Public: whether a certificate is genuine, with its totals; no contact details."""
    try:
        found = await certificates.verify(serial=serial)
    except NotFound:
        return await render(request, "verify.html", status_code=404, found=None, serial=serial, missing=True)
    found["period"] = f"{certificates.date_text(found['period_from'])}至{certificates.date_text(found['period_to'])}"
    found["issued"] = certificates.date_text(found["issued_on"])
    return await render(request, "verify.html", found=found, serial=serial)


# ---- organizations -----------------------------------------------------------------------------------------

@get("/org/occurrences/{occurrence_id:int}/code", include_in_schema=False)
async def code_page(request: Request, occurrence_id: int, done: str = "", name: str = "") -> Template:
    """The organizer's "show code" screen: a QR and six digits that turn every 30 seconds; stays awake."""
    actor = await require(request, "org_member", "staff")
    return await _code_page(request, actor, occurrence_id,
                            flash=(i18n.translate("checked_in_done", lang_of(request), name=name) if done == "in"
                                   else i18n.translate("checked_out_done", lang_of(request), name=name, hours="")
                                   ) if done else "")


async def _code_page(request: Request, actor, occurrence_id: int, *, status_code: int = 200, flash: str = "",
                     errors: dict | None = None) -> Template:
    screen = await code_payload(request, actor, occurrence_id)
    occurrence = (await checkin.code_screen(actor=actor, occurrence_id=occurrence_id,
                                            secret_key=secret_of(request)))["occurrence"]
    return await render(request, "hours_code.html", status_code=status_code, screen=screen, occurrence=occurrence,
                        local_start=local_time(occurrence["starts_at"]), errors=errors or {},
                        **({"flash": flash} if flash else {}))


@post("/org/occurrences/{occurrence_id:int}/code", include_in_schema=False)
async def personal_code_submit(request: Request, occurrence_id: int) -> Template | Redirect:
    """The organizer types the six digits on a volunteer's phone (when it cannot scan)."""
    actor = await require(request, "org_member", "staff")
    code = (await request.form()).get("personal_code", "").strip()
    try:
        done = await checkin.check_in_by_personal_code(actor=actor, occurrence_id=occurrence_id, code=code,
                                                       secret_key=secret_of(request))
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        message = i18n.translate("没有人现在显示这个个人码", lang_of(request))
        return await _code_page(request, actor, occurrence_id, status_code=exc.status,
                                errors={"personal_code": message if exc.code == "code_invalid" else _say(request, exc)})
    return Redirect(path=f"/org/occurrences/{occurrence_id}/code?done={done['action']}&name={quote(done['name'])}")


async def _confirm_page(request: Request, actor, occurrence_id: int, *, status_code: int = 200, flash: str = "",
                        errors: dict | None = None) -> Template:
    listed = await checkin.confirmation_list(actor=actor, occurrence_id=occurrence_id)
    for item in listed["items"]:
        record = item["check_in"]
        item["in_at"] = _clock(record["checked_in_at"]) if record else ""
        item["out_at"] = _clock(record["checked_out_at"]) if record else ""
        if record:
            shown = record["confirmed_minutes"] if record["confirmed_minutes"] is not None else record["minutes"]
            item["hours_text"] = hours_text(shown) if record["checked_out_at"] or record["confirmed_minutes"] else ""
    day = listed["occurrence"]["starts_at"].astimezone(LOCAL_TZ).date()
    return await render(request, "hours_confirm.html", status_code=status_code, listed=listed,
                        local_start=local_time(listed["occurrence"]["starts_at"]), errors=errors or {},
                        export_from=day.replace(day=1).isoformat(), export_to=day.isoformat(),
                        waiting=sum(1 for i in listed["items"]
                                    if i["check_in"] and i["check_in"]["status"] == "checked_out"),
                        **({"flash": flash} if flash else {}))


@get("/org/occurrences/{occurrence_id:int}/hours", include_in_schema=False)
async def confirm_page(request: Request, occurrence_id: int, done: str = "") -> Template:
    """The organization's confirmation list: who checked in and out, their hours, distance and flags."""
    actor = await require(request, "org_member", "staff")
    flash = i18n.translate("时长已确认，已计入服务记录", lang_of(request)) if done else ""
    return await _confirm_page(request, actor, occurrence_id, flash=flash)


@post("/org/check-ins/{check_in_id:int}/confirm", include_in_schema=False)
async def confirm_one(request: Request, check_in_id: int) -> Template | Redirect:
    actor = await require(request, "org_member", "staff")
    form = await request.form()
    raw = form.get("minutes", "").strip()
    occurrence_id = int(form.get("occurrence", "0") or 0)
    try:
        minutes = int(raw) if raw else None
    except ValueError:
        return await _confirm_page(request, actor, occurrence_id, status_code=400,
                                   errors={f"minutes-{check_in_id}": i18n.error_text("minutes_range", "",
                                                                                     lang_of(request))})
    try:
        await checkin.confirm_hours(actor=actor, check_in_id=check_in_id, minutes=minutes)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _confirm_page(request, actor, occurrence_id, status_code=exc.status,
                                   errors={f"minutes-{check_in_id}": _say(request, exc)})
    return Redirect(path=f"/org/occurrences/{occurrence_id}/hours?done=1")


@post("/org/occurrences/{occurrence_id:int}/confirm-all", include_in_schema=False)
async def confirm_everyone(request: Request, occurrence_id: int) -> Template | Redirect:
    actor = await require(request, "org_member", "staff")
    try:
        await checkin.confirm_all(actor=actor, occurrence_id=occurrence_id)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _confirm_page(request, actor, occurrence_id, status_code=exc.status,
                                   errors={"_form": _say(request, exc)})
    return Redirect(path=f"/org/occurrences/{occurrence_id}/hours?done=1")


@post("/org/occurrences/{occurrence_id:int}/radius", include_in_schema=False)
async def radius_submit(request: Request, occurrence_id: int) -> Template | Redirect:
    """The organization sets how far from the place a check-in may be before it is flagged (per activity)."""
    actor = await require(request, "org_member", "staff")
    listed = await checkin.confirmation_list(actor=actor, occurrence_id=occurrence_id)
    raw = (await request.form()).get("metres", "").strip()
    try:
        await checkin.set_radius(actor=actor, activity_id=listed["occurrence"]["activity"],
                                 metres=int(raw) if raw.isdigit() else 0)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _confirm_page(request, actor, occurrence_id, status_code=exc.status,
                                   errors={"metres": _say(request, exc)})
    return Redirect(path=f"/org/occurrences/{occurrence_id}/hours")


async def _org_certificates_page(request: Request, actor, *, status_code: int = 200, flash: str = "",
                                 errors: dict | None = None, values: dict | None = None, issued=None) -> Template:
    if actor.organization_id is None:
        raise NotFound("no organization")
    people = await certificates.served_with(organization_id=actor.organization_id)
    today = datetime.now(LOCAL_TZ).date()
    values = values or {"date_from": today.replace(month=1, day=1).isoformat(), "date_to": today.isoformat()}
    return await render(request, "hours_certificates.html", status_code=status_code, people=people,
                        issued=issued or [], action="/org/service-certificates", errors=errors or {}, values=values,
                        for_organization=True, **({"flash": flash} if flash else {}))


@get("/org/service-certificates", include_in_schema=False)
async def org_certificates_page(request: Request) -> Template:
    """An organization issues certificates of its own services to the volunteers who served with it."""
    return await _org_certificates_page(request, await require(request, "org_member"))


@post("/org/service-certificates", include_in_schema=False)
async def org_certificate_issue(request: Request) -> Template:
    actor = await require(request, "org_member")
    values, date_from, date_to, errors = _period(await request.form())
    lang = lang_of(request)
    errors = {k: i18n.translate("required", lang) for k in errors}
    if not values["volunteer_id"].isdigit():
        errors["volunteer_id"] = i18n.translate("required", lang)
    status = 400
    if not errors:
        try:
            found = await certificates.issue(actor=actor, volunteer_id=int(values["volunteer_id"]),
                                             date_from=date_from, date_to=date_to)
        except DomainError as exc:
            errors, status = {exc.field or "_form": _say(request, exc)}, exc.status
        else:
            return await _org_certificates_page(
                request, actor, values=values, issued=[{**found, "holder": found["holder_name"]}],
                flash=i18n.translate("证明已出具，可下载", lang))
    return await _org_certificates_page(request, actor, status_code=status, errors=errors, values=values)


# ---- staff -------------------------------------------------------------------------------------------------

async def _staff_certificates_page(request: Request, actor, *, name: str = "", status_code: int = 200,
                                   flash: str = "", errors: dict | None = None, values: dict | None = None,
                                   issued=None) -> Template:
    people = await certificates.find_volunteers(actor=actor, name=name)
    today = datetime.now(LOCAL_TZ).date()
    values = values or {"date_from": today.replace(month=1, day=1).isoformat(), "date_to": today.isoformat()}
    return await render(request, "hours_certificates.html", status_code=status_code, people=people,
                        issued=issued or [], action="/staff/service-certificates", errors=errors or {},
                        values=values, for_staff=True, search=name, **({"flash": flash} if flash else {}))


@get("/staff/service-certificates", include_in_schema=False)
async def staff_certificates_page(request: Request, name: str = "") -> Template:
    """Staff certify any volunteer's confirmed hours with every organization of the district."""
    return await _staff_certificates_page(request, await require(request, "staff"), name=name[:64])


@post("/staff/service-certificates", include_in_schema=False)
async def staff_certificate_issue(request: Request) -> Template:
    actor = await require(request, "staff")
    form = await request.form()
    values, date_from, date_to, missing = _period(form)
    lang = lang_of(request)
    errors = {k: i18n.translate("required", lang) for k in missing}
    name = form.get("name", "").strip()[:64]
    status = 400
    if not values["volunteer_id"].isdigit():
        errors["volunteer_id"] = i18n.translate("required", lang)
    if not errors:
        try:
            found = await certificates.issue(actor=actor, volunteer_id=int(values["volunteer_id"]),
                                             date_from=date_from, date_to=date_to)
        except DomainError as exc:
            errors, status = {exc.field or "_form": _say(request, exc)}, exc.status
        else:
            return await _staff_certificates_page(
                request, actor, name=found["holder_name"], values=values,
                issued=[{**found, "holder": found["holder_name"]}],
                flash=i18n.translate("证明已出具，可下载", lang))
    return await _staff_certificates_page(request, actor, name=name, status_code=status, errors=errors,
                                          values=values)


async def _flags_page(request: Request, actor, *, status: str, offset: int, status_code: int = 200,
                      flash: str = "", errors: dict | None = None) -> Template:
    page = await flags.list_flags(actor=actor, status=status, limit=PAGE, offset=max(offset, 0))
    for item in page["items"]:
        item["local_start"] = local_time(item["starts_at"])
        shown = item["confirmed_minutes"] if item["confirmed_minutes"] is not None else item["minutes"]
        item["hours_text"] = hours_text(shown)
    today = datetime.now(LOCAL_TZ).date()
    return await render(request, "hours_flags.html", status_code=status_code, page=page, status=status,
                        statuses=FLAG_STATUSES, errors=errors or {}, export_from=today.replace(day=1).isoformat(),
                        export_to=today.isoformat(), **({"flash": flash} if flash else {}))


@get("/staff/hours", include_in_schema=False)
async def flags_page(request: Request, status: str = "open", offset: int = 0, done: str = "") -> Template:
    """Suspicious hours for staff, each with its reason; clear them or correct the hours."""
    actor = await require(request, "staff")
    status = status if status in FLAG_STATUSES else "open"
    flash = i18n.translate("已处理", lang_of(request)) if done else ""
    return await _flags_page(request, actor, status=status, offset=offset, flash=flash)


@post("/staff/hours/flags/{flag_id:int}/clear", include_in_schema=False)
async def flag_clear(request: Request, flag_id: int) -> Template | Redirect:
    actor = await require(request, "staff")
    note = (await request.form()).get("note", "")
    try:
        await flags.clear(actor=actor, flag_id=flag_id, note=note, now=datetime.now(timezone.utc))
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _flags_page(request, actor, status="open", offset=0, status_code=exc.status,
                                 errors={f"flag-{flag_id}": _say(request, exc)})
    return Redirect(path="/staff/hours?done=1")


@post("/staff/hours/check-ins/{check_in_id:int}/correct", include_in_schema=False)
async def hours_correct(request: Request, check_in_id: int) -> Template | Redirect:
    actor = await require(request, "staff")
    form = await request.form()
    flag_id = form.get("flag", "")
    try:
        minutes = int(form.get("minutes", "").strip())
    except ValueError:
        return await _flags_page(request, actor, status="open", offset=0, status_code=400,
                                 errors={f"flag-{flag_id}": i18n.error_text("minutes_range", "", lang_of(request))})
    try:
        await checkin.correct_hours(actor=actor, check_in_id=check_in_id, minutes=minutes, note=form.get("note", ""))
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _flags_page(request, actor, status="open", offset=0, status_code=exc.status,
                                 errors={f"flag-{flag_id}": _say(request, exc)})
    return Redirect(path="/staff/hours?done=1")


HOURS_PAGES = [check_in_page, scan_page, check_in_submit, certificates_page, certificate_issue, verify_form,
               verify_page, code_page, personal_code_submit, confirm_page, confirm_one, confirm_everyone, radius_submit,
               org_certificates_page, org_certificate_issue, staff_certificates_page, staff_certificate_issue,
               flags_page, flag_clear, hours_correct]
