"""Volunteers: profiles, skills, certificates, availability, hours, the calendar feed and the youth roster.

Every function is keyword-only and knows nothing of HTTP. Reads of records a caller may not see
raise `NotFound` (never "forbidden"), so the existence of a minor or a stranger is not revealed.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable

from tongxin.accounts.service import Actor, record_audit
from tongxin.accounts.tables import Community, Grid
from tongxin.activities.service import ACTIVE_SIGN_UP, LOCAL_TZ, cancel_sign_up
from tongxin.activities.tables import ACTIVITY_KINDS, SignUp
from tongxin.dates import age_on
from tongxin.db import write_transaction
from tongxin.errors import Conflict, InvalidInput, NotFound
from tongxin.matches.service import withdraw_open_proposals
from tongxin.notifications.service import notify
from tongxin.paging import MAX_PAGE, page
from tongxin.volunteers.tables import (
    ASSESSMENT_KINDS,
    AvailabilityWindow,
    Certificate,
    CertificateKind,
    LedgerEntry,
    Skill,
    Squad,
    Volunteer,
    VolunteerSkill,
    YouthAssessment,
    YouthMember,
)

MIN_VOLUNTEER_AGE = 14
YOUTH_MIN_AGE = 8
ADULT_AGE = 18
EXPIRING_WITHIN_DAYS = 30

# The consent text a guardian sees when applying; bump the version whenever the text changes.
CONSENT_TEXT_VERSION = "2026-01"
CONSENT_TEXT = {
    "zh": (
        "本人作为监护人，同意孩子报名参加“小小安全员”应急小队，了解孩子将参加体能、自救技能和性格评估，"
        "只在白天、有成年领队在场时参加适合未成年人的活动；同意社区办保存孩子的姓名、出生日期和所在网格，"
        "仅用于安排活动。本人可随时撤回同意，撤回后孩子将立即退出所有未来的活动报名。"
    ),
    "en": (
        "As the guardian, I agree that my child joins the little safety officers squad. I understand the child "
        "will be assessed for fitness, self-rescue skills and personality, and will only join youth-allowed "
        "activities in daytime with an adult leader present. I agree that the community office keeps the "
        "child's name, birth date and grid, only to arrange activities. I may withdraw this consent at any "
        "time; the child is then removed from every future sign-up at once."
    ),
}

VOLUNTEER_SORTS = {"starts_at": ("starts_at", True), "-starts_at": ("starts_at", False)}


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def local_today() -> date:
    return datetime.now(LOCAL_TZ).date()


# ---------------------------------------------------------------- lookups for forms


async def lookups() -> dict[str, Any]:
    """Skills, certificate kinds and communities with their grids: what the profile forms offer."""
    skills = await Skill.select(Skill.code, Skill.name_zh, Skill.name_en).order_by(Skill.code)
    kinds = await CertificateKind.select(
        CertificateKind.code, CertificateKind.name_zh, CertificateKind.name_en
    ).order_by(CertificateKind.code)
    communities = await Community.select(
        Community.id, Community.code, Community.name, Community.name_en
    ).order_by(Community.code)
    grids = await Grid.select(Grid.id, Grid.code, Grid.name, Grid.community).order_by(Grid.code)
    by_community: dict[int, list] = {c["id"]: [] for c in communities}
    for grid in grids:
        by_community.setdefault(grid["community"], []).append(
            {"id": grid["id"], "code": grid["code"], "name": grid["name"]})
    return {
        "skills": skills,
        "certificate_kinds": kinds,
        "communities": [{**c, "grids": by_community[c["id"]]} for c in communities],
        "activity_kinds": list(ACTIVITY_KINDS),
    }


# ---------------------------------------------------------------- profile


async def _own_volunteer_id(actor: Actor) -> int:
    row = await Volunteer.select(Volunteer.id).where(Volunteer.user == actor.id).first()
    if row is None:
        raise NotFound("you have no volunteer profile yet; save one first", code="no_profile")
    return row["id"]


async def _place(*, community_id: int, grid_id: int) -> dict[str, Any]:
    """The grid, checked to exist and to lie in the community."""
    if not await Community.exists().where(Community.id == community_id):
        raise InvalidInput("no such community", field="community_id")
    grid = await Grid.select(Grid.id, Grid.community, Grid.lat, Grid.lon).where(Grid.id == grid_id).first()
    if grid is None:
        raise InvalidInput("no such grid", field="grid_id")
    if grid["community"] != community_id:
        raise InvalidInput("this grid does not belong to the chosen community", field="grid_id")
    return grid


async def load_volunteer(*, volunteer_id: int, today: date | None = None) -> dict[str, Any]:
    """A volunteer's whole profile (contact details included): callers decide who may see it."""
    row = await Volunteer.select(
        Volunteer.id, Volunteer.user, Volunteer.real_name, Volunteer.phone, Volunteer.birth_date,
        Volunteer.community, Volunteer.community.name.as_alias("community_name"),
        Volunteer.grid, Volunteer.grid.name.as_alias("grid_name"), Volunteer.lat, Volunteer.lon,
        Volunteer.max_hours_month, Volunteer.preferred_kinds, Volunteer.is_youth, Volunteer.status,
        Volunteer.hours_total, Volunteer.points_total, Volunteer.attended_count, Volunteer.no_show_count,
    ).where(Volunteer.id == volunteer_id).output(load_json=True).first()
    if row is None:
        raise NotFound("volunteer not found")
    row["skills"] = [r["code"] for r in await VolunteerSkill.select(
        VolunteerSkill.skill.code.as_alias("code")
    ).where(VolunteerSkill.volunteer == volunteer_id).order_by(VolunteerSkill.skill.code)]
    row["certificates"] = await list_certificates(volunteer_id=volunteer_id, today=today)
    row["availability"] = await list_availability(volunteer_id=volunteer_id)
    return row


async def get_profile(*, actor: Actor, today: date | None = None) -> dict[str, Any]:
    """The signed-in volunteer's own profile; `NotFound` (code no_profile) before the first save."""
    return await load_volunteer(volunteer_id=await _own_volunteer_id(actor), today=today)


async def save_profile(
    *, actor: Actor, real_name: str, phone: str, birth_date: date, community_id: int, grid_id: int,
    lat: float | None = None, lon: float | None = None, max_hours_month: float = 20.0,
    preferred_kinds: Iterable[str] = (), today: date | None = None,
) -> dict[str, Any]:
    """Create or replace the volunteer's own profile (14+, grid inside community, lat/lon default to the grid's)."""
    if actor.role != "volunteer":
        raise InvalidInput("only volunteer accounts keep a volunteer profile", field="role")
    today = today or local_today()
    if birth_date > today:
        raise InvalidInput("birth date lies in the future", field="birth_date")
    if age_on(birth_date, today) < MIN_VOLUNTEER_AGE:
        raise InvalidInput(f"volunteers registering themselves must be at least {MIN_VOLUNTEER_AGE}; "
                           "younger children join as little safety officers through a guardian",
                           field="birth_date")
    kinds = list(dict.fromkeys(preferred_kinds))
    unknown = [k for k in kinds if k not in ACTIVITY_KINDS]
    if unknown:
        raise InvalidInput(f"unknown activity kind(s): {', '.join(unknown)}", field="preferred_kinds")
    if (lat is None) != (lon is None):
        raise InvalidInput("give both latitude and longitude, or neither", field="lat" if lat is None else "lon")
    grid = await _place(community_id=community_id, grid_id=grid_id)
    if lat is None:
        lat, lon = grid["lat"], grid["lon"]
    values = {
        Volunteer.real_name: real_name.strip(), Volunteer.phone: phone.strip(), Volunteer.birth_date: birth_date,
        Volunteer.community: community_id, Volunteer.grid: grid_id, Volunteer.lat: lat, Volunteer.lon: lon,
        Volunteer.max_hours_month: max_hours_month, Volunteer.preferred_kinds: kinds,
    }
    if not values[Volunteer.real_name]:
        raise InvalidInput("real name is required", field="real_name")
    async with write_transaction():
        existing = await Volunteer.select(Volunteer.id).where(Volunteer.user == actor.id).first()
        if existing:
            volunteer_id = existing["id"]
            await Volunteer.update(values).where(Volunteer.id == volunteer_id)
        else:
            rows = await Volunteer.insert(Volunteer(
                user=actor.id, **{column._meta.name: value for column, value in values.items()}
            )).returning(Volunteer.id)
            volunteer_id = rows[0]["id"]
    return await load_volunteer(volunteer_id=volunteer_id, today=today)


async def get_volunteer(*, actor: Actor, volunteer_id: int, today: date | None = None) -> dict[str, Any]:
    """A volunteer's profile for the volunteer themself, staff (audited), or a minor's guardian; else 404."""
    row = await Volunteer.select(Volunteer.id, Volunteer.user, Volunteer.is_youth).where(
        Volunteer.id == volunteer_id).first()
    if row is None:
        raise NotFound("volunteer not found")
    own = row["user"] is not None and row["user"] == actor.id
    guardian = row["is_youth"] and await YouthMember.exists().where(
        (YouthMember.volunteer == volunteer_id) & (YouthMember.guardian == actor.id))
    if not (own or guardian or actor.is_staff):
        raise NotFound("volunteer not found")
    if actor.is_staff and not own:
        await record_audit(actor_id=actor.id, action="view_volunteer", target_type="volunteer",
                           target_id=volunteer_id)
    return await load_volunteer(volunteer_id=volunteer_id, today=today)


# ---------------------------------------------------------------- skills, certificates, availability


async def set_skills(*, actor: Actor, codes: Iterable[str]) -> list[str]:
    """Replace the volunteer's skills with these codes (each must exist in the skill list)."""
    volunteer_id = await _own_volunteer_id(actor)
    wanted = list(dict.fromkeys(codes))
    known = {r["code"]: r["id"] for r in await Skill.select(Skill.id, Skill.code).where(
        Skill.code.is_in(wanted))} if wanted else {}
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise InvalidInput(f"unknown skill(s): {', '.join(unknown)}", field="codes")
    async with write_transaction():
        await VolunteerSkill.delete().where(VolunteerSkill.volunteer == volunteer_id)
        if wanted:
            await VolunteerSkill.insert(*[VolunteerSkill(volunteer=volunteer_id, skill=known[c]) for c in wanted])
    return sorted(wanted)


def certificate_validity(expires_on: date | None, today: date) -> str:
    """"expired", "expiring" (within 30 days) or "valid" (also for certificates that never expire)."""
    if expires_on is None:
        return "valid"
    if expires_on < today:
        return "expired"
    if expires_on <= today + timedelta(days=EXPIRING_WITHIN_DAYS):
        return "expiring"
    return "valid"


async def list_certificates(*, volunteer_id: int, today: date | None = None) -> list[dict[str, Any]]:
    """A volunteer's certificates, soonest expiry first, each flagged expired / expiring / valid."""
    today = today or local_today()
    rows = await Certificate.select(
        Certificate.id, Certificate.kind.code.as_alias("kind"), Certificate.kind.name_zh.as_alias("kind_name"),
        Certificate.number, Certificate.issued_on, Certificate.expires_on,
    ).where(Certificate.volunteer == volunteer_id).order_by(Certificate.expires_on).order_by(Certificate.id)
    for row in rows:
        row["validity"] = certificate_validity(row["expires_on"], today)
    return rows


async def add_certificate(
    *, actor: Actor, kind_code: str, number: str, issued_on: date, expires_on: date | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Add a certificate of a known kind; it must expire after it was issued."""
    volunteer_id = await _own_volunteer_id(actor)
    kind = await CertificateKind.select(CertificateKind.id).where(CertificateKind.code == kind_code).first()
    if kind is None:
        raise InvalidInput(f"unknown certificate kind {kind_code!r}", field="kind")
    today = today or local_today()
    if issued_on > today:
        raise InvalidInput("a certificate cannot be issued in the future", field="issued_on")
    if expires_on is not None and expires_on <= issued_on:
        raise InvalidInput("the expiry date must come after the issue date", field="expires_on")
    async with write_transaction():
        rows = await Certificate.insert(Certificate(
            volunteer=volunteer_id, kind=kind["id"], number=number.strip(), issued_on=issued_on,
            expires_on=expires_on,
        )).returning(Certificate.id)
    certificate_id = rows[0]["id"]
    return next(c for c in await list_certificates(volunteer_id=volunteer_id, today=today)
                if c["id"] == certificate_id)


async def delete_certificate(*, actor: Actor, certificate_id: int) -> None:
    """Remove one of the volunteer's own certificates; someone else's is `NotFound`."""
    volunteer_id = await _own_volunteer_id(actor)
    async with write_transaction():
        rows = await Certificate.delete().where(
            (Certificate.id == certificate_id) & (Certificate.volunteer == volunteer_id)
        ).returning(Certificate.id)
    if not rows:
        raise NotFound("certificate not found")


async def list_availability(*, volunteer_id: int) -> list[dict[str, Any]]:
    """Weekly windows ordered by weekday and start (weekday 0 = Monday, minutes from local midnight)."""
    return await AvailabilityWindow.select(
        AvailabilityWindow.weekday, AvailabilityWindow.start_minute, AvailabilityWindow.end_minute
    ).where(AvailabilityWindow.volunteer == volunteer_id).order_by(
        AvailabilityWindow.weekday).order_by(AvailabilityWindow.start_minute)


def check_windows(windows: list[dict[str, int]]) -> list[dict[str, int]]:
    """Validate weekly windows (end after start, no overlap within a day); returns them sorted."""
    ordered = sorted(windows, key=lambda w: (w["weekday"], w["start_minute"]))
    for index, window in enumerate(ordered):
        if not 0 <= window["weekday"] <= 6:
            raise InvalidInput("weekday runs from 0 (Monday) to 6 (Sunday)", field=f"windows[{index}].weekday")
        if not 0 <= window["start_minute"] < window["end_minute"] <= 24 * 60:
            raise InvalidInput("a window must end after it starts, within the day (0-1440 minutes)",
                               field=f"windows[{index}].end_minute")
        if index and ordered[index - 1]["weekday"] == window["weekday"] \
                and ordered[index - 1]["end_minute"] > window["start_minute"]:
            raise InvalidInput(f"two windows overlap on weekday {window['weekday']}",
                               field=f"windows[{index}].start_minute")
    return ordered


async def set_availability(*, actor: Actor, windows: list[dict[str, int]]) -> list[dict[str, Any]]:
    """Replace all of the volunteer's weekly windows at once (an empty list clears them)."""
    volunteer_id = await _own_volunteer_id(actor)
    ordered = check_windows(windows)
    async with write_transaction():
        await AvailabilityWindow.delete().where(AvailabilityWindow.volunteer == volunteer_id)
        if ordered:
            await AvailabilityWindow.insert(*[AvailabilityWindow(
                volunteer=volunteer_id, weekday=w["weekday"], start_minute=w["start_minute"],
                end_minute=w["end_minute"]) for w in ordered])
    return await list_availability(volunteer_id=volunteer_id)


# ---------------------------------------------------------------- hours, points and sign-ups


async def ledger(*, actor: Actor, limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """The volunteer's totals and their ledger entries, newest first."""
    volunteer_id = await _own_volunteer_id(actor)
    totals = await Volunteer.select(
        Volunteer.hours_total, Volunteer.points_total, Volunteer.attended_count, Volunteer.no_show_count
    ).where(Volunteer.id == volunteer_id).first()
    entries = await LedgerEntry.select(
        LedgerEntry.id, LedgerEntry.sign_up, LedgerEntry.hours, LedgerEntry.points, LedgerEntry.reason,
        LedgerEntry.created_at,
    ).where(LedgerEntry.volunteer == volunteer_id).order_by(LedgerEntry.id, ascending=False).limit(
        limit).offset(offset)
    total = await LedgerEntry.count().where(LedgerEntry.volunteer == volunteer_id)
    return {**totals, "entries": page(entries, total, limit, offset)}


def _sign_up_columns():
    occurrence = SignUp.occurrence
    return (
        SignUp.id, SignUp.status, SignUp.is_leader, SignUp.created_at, SignUp.cancelled_at,
        occurrence.id.as_alias("occurrence_id"), occurrence.starts_at.as_alias("starts_at"),
        occurrence.ends_at.as_alias("ends_at"), occurrence.address.as_alias("address"),
        occurrence.community.name.as_alias("community_name"),
        occurrence.activity.id.as_alias("activity_id"), occurrence.activity.title.as_alias("activity_title"),
        occurrence.activity.kind.as_alias("activity_kind"),
    )


async def sign_ups_of(
    *, volunteer_id: int, status: str | None = None, upcoming: bool | None = None, sort: str = "starts_at",
    limit: int = 20, offset: int = 0,
) -> dict[str, Any]:
    """A volunteer's sign-ups with their occurrence and activity, filtered and paginated."""
    condition = SignUp.volunteer == volunteer_id
    if status:
        condition &= SignUp.status == status
    if upcoming is not None:
        now = now_utc()
        condition &= (SignUp.occurrence.starts_at > now) if upcoming else (SignUp.occurrence.starts_at <= now)
    _, ascending = VOLUNTEER_SORTS.get(sort, VOLUNTEER_SORTS["starts_at"])
    items = await SignUp.select(*_sign_up_columns()).where(condition).order_by(
        SignUp.occurrence.starts_at, ascending=ascending).order_by(SignUp.id).limit(limit).offset(offset)
    total = await SignUp.count().where(condition)
    return page(items, total, limit, offset)


async def own_sign_ups(*, actor: Actor, **filters: Any) -> dict[str, Any]:
    """The signed-in volunteer's own sign-ups (see `sign_ups_of` for filters)."""
    return await sign_ups_of(volunteer_id=await _own_volunteer_id(actor), **filters)


# ---------------------------------------------------------------- calendar feed


def calendar_token(*, volunteer_id: int, secret_key: str) -> str:
    """The secret feed token: the volunteer id and an HMAC of it, so nothing is stored."""
    digest = hmac.new(secret_key.encode(), f"calendar:{volunteer_id}".encode(), hashlib.sha256).hexdigest()
    return f"{volunteer_id}-{digest[:40]}"


def volunteer_of_calendar_token(*, token: str, secret_key: str) -> int:
    """The volunteer id a feed token stands for; `NotFound` for a forged or malformed token."""
    head, _, _ = token.partition("-")
    if not head.isdigit() or not hmac.compare_digest(
            calendar_token(volunteer_id=int(head), secret_key=secret_key), token):
        raise NotFound("calendar not found")
    return int(head)


async def own_calendar_token(*, actor: Actor, secret_key: str) -> str:
    """The signed-in volunteer's feed token."""
    return calendar_token(volunteer_id=await _own_volunteer_id(actor), secret_key=secret_key)


async def calendar_ics(*, volunteer_id: int, since_days: int = 90) -> bytes:
    """RFC 5545 calendar of confirmed (CONFIRMED) and waitlisted (TENTATIVE) sign-ups, recent and future."""
    from icalendar import Calendar, Event

    if not await Volunteer.exists().where(Volunteer.id == volunteer_id):
        raise NotFound("calendar not found")
    since = now_utc() - timedelta(days=since_days)
    rows = await SignUp.select(*_sign_up_columns()).where(
        (SignUp.volunteer == volunteer_id) & SignUp.status.is_in(["confirmed", "waitlisted"])
        & (SignUp.occurrence.starts_at >= since)
    ).order_by(SignUp.occurrence.starts_at)
    calendar = Calendar()
    calendar.add("prodid", "-//Tongxin//Volunteer sign-ups//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "同心志愿服务 Tongxin")
    stamp = now_utc().replace(microsecond=0)
    for row in rows:
        event = Event()
        event.add("uid", f"sign-up-{row['id']}@tongxin")
        event.add("dtstamp", stamp)
        event.add("dtstart", row["starts_at"].astimezone(timezone.utc))
        event.add("dtend", row["ends_at"].astimezone(timezone.utc))
        waitlisted = row["status"] == "waitlisted"
        event.add("summary", row["activity_title"] + ("（候补）" if waitlisted else ""))
        event.add("location", row["address"] or row["community_name"] or "")
        event.add("status", "TENTATIVE" if waitlisted else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()


# ---------------------------------------------------------------- youth roster (little safety officers)


def consent_text() -> dict[str, str]:
    """The consent text guardians see now, with its version."""
    return {"version": CONSENT_TEXT_VERSION, **CONSENT_TEXT}


async def apply_for_child(
    *, actor: Actor, child_name: str, birth_date: date, community_id: int, grid_id: int, relationship: str,
    consent: bool, consent_text_version: str, today: date | None = None,
) -> dict[str, Any]:
    """A guardian applies for a child aged 8-17 with recorded consent: a youth volunteer row, status applicant."""
    if actor.role != "guardian":
        raise InvalidInput("only guardian accounts apply for a child", field="role")
    if not consent:
        raise InvalidInput("the guardian's consent is required", field="consent")
    if consent_text_version != CONSENT_TEXT_VERSION:
        raise InvalidInput(f"the consent text has changed; read version {CONSENT_TEXT_VERSION} and agree again",
                           field="consent_text_version")
    today = today or local_today()
    age = age_on(birth_date, today)
    if birth_date > today or age < YOUTH_MIN_AGE:
        raise InvalidInput(f"little safety officers are at least {YOUTH_MIN_AGE} years old", field="birth_date")
    if age >= ADULT_AGE:
        raise InvalidInput("little safety officers are under 18; adults register as volunteers",
                           field="birth_date")
    name = child_name.strip()
    if not name:
        raise InvalidInput("the child's name is required", field="child_name")
    grid = await _place(community_id=community_id, grid_id=grid_id)
    async with write_transaction():
        volunteer = await Volunteer.insert(Volunteer(
            user=None, real_name=name, birth_date=birth_date, community=community_id, grid=grid_id,
            lat=grid["lat"], lon=grid["lon"], is_youth=True, max_hours_month=8.0,
        )).returning(Volunteer.id)
        youth = await YouthMember.insert(YouthMember(
            volunteer=volunteer[0]["id"], guardian=actor.id, relationship=relationship, status="applicant",
            consent_at=now_utc(), consent_text_version=consent_text_version,
        )).returning(YouthMember.id)
        youth_id = youth[0]["id"]
        await record_audit(actor_id=actor.id, action="youth_apply", target_type="youth_member",
                           target_id=youth_id, detail={"consent_text_version": consent_text_version})
    return await _load_youth(youth_id=youth_id)


def _youth_columns():
    return (
        YouthMember.id, YouthMember.volunteer, YouthMember.guardian, YouthMember.relationship,
        YouthMember.status, YouthMember.consent_at, YouthMember.consent_text_version,
        YouthMember.consent_withdrawn_at, YouthMember.squad, YouthMember.squad.name.as_alias("squad_name"),
        YouthMember.activated_at, YouthMember.created_at,
        YouthMember.volunteer.real_name.as_alias("child_name"),
        YouthMember.volunteer.birth_date.as_alias("birth_date"),
        YouthMember.volunteer.community.as_alias("community"),
        YouthMember.volunteer.community.name.as_alias("community_name"),
        YouthMember.volunteer.grid.as_alias("grid"),
        YouthMember.volunteer.grid.name.as_alias("grid_name"),
    )


async def _load_youth(*, youth_id: int, with_sign_ups: bool = False) -> dict[str, Any]:
    row = await YouthMember.select(*_youth_columns()).where(YouthMember.id == youth_id).first()
    if row is None:
        raise NotFound("youth member not found")
    row["assessments"] = await YouthAssessment.select(
        YouthAssessment.kind, YouthAssessment.passed, YouthAssessment.score, YouthAssessment.notes,
        YouthAssessment.assessed_at,
    ).where(YouthAssessment.youth == youth_id).order_by(YouthAssessment.kind)
    if with_sign_ups:
        row["sign_ups"] = (await sign_ups_of(volunteer_id=row["volunteer"], limit=MAX_PAGE))["items"]
    return row


async def _visible_youth(*, actor: Actor, youth_id: int) -> dict[str, Any]:
    """The youth member's row if the actor is staff or the guardian; otherwise `NotFound`."""
    row = await YouthMember.select(YouthMember.id, YouthMember.guardian, YouthMember.status,
                                   YouthMember.volunteer).where(YouthMember.id == youth_id).first()
    if row is None or not (actor.is_staff or row["guardian"] == actor.id):
        raise NotFound("youth member not found")
    return row


async def get_youth(*, actor: Actor, youth_id: int) -> dict[str, Any]:
    """A minor's record (status, assessments, squad, sign-ups): the guardian and staff only, else 404."""
    await _visible_youth(actor=actor, youth_id=youth_id)
    return await _load_youth(youth_id=youth_id, with_sign_ups=True)


YOUTH_SORTS = {
    "created": (YouthMember.created_at, True), "-created": (YouthMember.created_at, False),
    "name": (YouthMember.volunteer.real_name, True), "status": (YouthMember.status, True),
}


async def list_youth(
    *, actor: Actor, status: str | None = None, community_id: int | None = None, sort: str = "-created",
    limit: int = 20, offset: int = 0,
) -> dict[str, Any]:
    """Youth records: a guardian sees their own children, staff everyone; others see an empty list."""
    if actor.is_staff:
        condition = YouthMember.id > 0
    elif actor.role == "guardian":
        condition = YouthMember.guardian == actor.id
    else:
        return page([], 0, limit, offset)
    if status:
        condition &= YouthMember.status == status
    if community_id:
        condition &= YouthMember.volunteer.community == community_id
    column, ascending = YOUTH_SORTS.get(sort, YOUTH_SORTS["-created"])
    items = await YouthMember.select(*_youth_columns()).where(condition).order_by(
        column, ascending=ascending).order_by(YouthMember.id).limit(limit).offset(offset)
    total = await YouthMember.count().where(condition)
    return page(items, total, limit, offset)


def _require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise NotFound("youth member not found")


async def record_assessment(
    *, actor: Actor, youth_id: int, kind: str, passed: bool, score: float | None = None, notes: str = "",
) -> dict[str, Any]:
    """Staff record (or re-record) one assessment; all three passed moves an applicant to assessed."""
    _require_staff(actor)
    if kind not in ASSESSMENT_KINDS:
        raise InvalidInput(f"assessment kind is one of {', '.join(ASSESSMENT_KINDS)}", field="kind")
    async with write_transaction():
        youth = await _visible_youth(actor=actor, youth_id=youth_id)
        if youth["status"] not in ("applicant", "assessed"):
            raise Conflict(f"a {youth['status']} member is not assessed any more", code="wrong_status")
        values = {YouthAssessment.passed: passed, YouthAssessment.score: score, YouthAssessment.notes: notes,
                  YouthAssessment.assessed_by: actor.id, YouthAssessment.assessed_at: now_utc()}
        updated = await YouthAssessment.update(values).where(
            (YouthAssessment.youth == youth_id) & (YouthAssessment.kind == kind)).returning(YouthAssessment.id)
        if not updated:
            await YouthAssessment.insert(YouthAssessment(
                youth=youth_id, kind=kind, **{c._meta.name: v for c, v in values.items()}))
        results = {r["kind"]: r["passed"] for r in await YouthAssessment.select(
            YouthAssessment.kind, YouthAssessment.passed).where(YouthAssessment.youth == youth_id)}
        status = "assessed" if all(results.get(k) for k in ASSESSMENT_KINDS) else "applicant"
        if status != youth["status"]:
            await YouthMember.update({YouthMember.status: status}).where(YouthMember.id == youth_id)
        await record_audit(actor_id=actor.id, action="youth_assess", target_type="youth_member",
                           target_id=youth_id, detail={"kind": kind, "passed": passed, "score": score,
                                                       "status": status})
    return await _load_youth(youth_id=youth_id)


async def squad_for_community(*, community_id: int) -> int:
    """The community's squad id, created on first use as "<community name>小小安全员应急小队"."""
    community = await Community.select(Community.name).where(Community.id == community_id).first()
    if community is None:
        raise InvalidInput("the child has no community to join a squad in", field="community")
    await Squad.insert(Squad(community=community_id, name=f"{community['name']}小小安全员应急小队")).on_conflict(
        action="DO NOTHING")
    return (await Squad.select(Squad.id).where(Squad.community == community_id).first())["id"]


async def activate_youth(*, actor: Actor, youth_id: int) -> dict[str, Any]:
    """Staff activate an assessed child into their community's squad; the guardian is told."""
    _require_staff(actor)
    async with write_transaction():
        youth = await _visible_youth(actor=actor, youth_id=youth_id)
        if youth["status"] != "assessed":
            raise Conflict("only an assessed child (all three assessments passed) can be activated",
                           code="wrong_status")
        volunteer = await Volunteer.select(Volunteer.community).where(Volunteer.id == youth["volunteer"]).first()
        squad_id = await squad_for_community(community_id=volunteer["community"])
        await YouthMember.update({YouthMember.status: "active", YouthMember.squad: squad_id,
                                  YouthMember.activated_at: now_utc()}).where(YouthMember.id == youth_id)
        await record_audit(actor_id=actor.id, action="youth_activate", target_type="youth_member",
                           target_id=youth_id, detail={"squad": squad_id})
        await notify(recipient_id=youth["guardian"], kind="youth_activated", target_key=f"youth:{youth_id}",
                     title="孩子已加入小小安全员应急小队 / Your child joined the squad",
                     payload={"youth_id": youth_id, "squad_id": squad_id})
    return await _load_youth(youth_id=youth_id)


async def _remove_from_future_work(*, volunteer_id: int, reason: str) -> dict[str, int]:
    """Cancel every future sign-up (waitlists promote) and withdraw every open proposal; inside a transaction."""
    future = await SignUp.select(SignUp.id).where(
        (SignUp.volunteer == volunteer_id) & SignUp.status.is_in(list(ACTIVE_SIGN_UP))
        & (SignUp.occurrence.starts_at > now_utc()))
    for row in future:
        await cancel_sign_up(sign_up_id=row["id"], volunteer_id=volunteer_id)
    withdrawn = await withdraw_open_proposals(candidate_type="volunteer", candidate_id=volunteer_id, reason=reason)
    return {"sign_ups_cancelled": len(future), "proposals_withdrawn": withdrawn}


async def withdraw_consent(*, actor: Actor, youth_id: int) -> dict[str, Any]:
    """The guardian withdraws consent: at once withdrawn, out of every future sign-up and open proposal."""
    async with write_transaction():
        youth = await _visible_youth(actor=actor, youth_id=youth_id)
        if youth["guardian"] != actor.id:
            raise NotFound("youth member not found")  # staff cannot withdraw on the guardian's behalf
        if youth["status"] in ("withdrawn", "retired"):
            raise Conflict(f"this child is already {youth['status']}", code="wrong_status")
        await YouthMember.update({YouthMember.status: "withdrawn", YouthMember.consent_withdrawn_at: now_utc()}
                                 ).where(YouthMember.id == youth_id)
        removed = await _remove_from_future_work(volunteer_id=youth["volunteer"], reason="consent withdrawn")
        await record_audit(actor_id=actor.id, action="youth_withdraw_consent", target_type="youth_member",
                           target_id=youth_id, detail=removed)
        await notify(recipient_id=actor.id, kind="youth_consent_withdrawn", target_key=f"youth:{youth_id}",
                     title="已撤回同意，孩子已退出所有后续活动 / Consent withdrawn",
                     body="孩子已从所有未来的活动报名和推荐中移除。The child was removed from every future "
                          "sign-up and proposal.", payload={"youth_id": youth_id, **removed})
    return {**await _load_youth(youth_id=youth_id), **removed}


async def retire_adults(*, today: date | None = None) -> int:
    """Retire every youth member who has turned 18 (for the scheduler); returns how many retired."""
    today = today or local_today()
    candidates = await YouthMember.select(
        YouthMember.id, YouthMember.volunteer, YouthMember.guardian,
        YouthMember.volunteer.birth_date.as_alias("birth_date"),
    ).where(YouthMember.status.is_in(["applicant", "assessed", "active"]))
    retired = 0
    for youth in candidates:
        if youth["birth_date"] is None or age_on(youth["birth_date"], today) < ADULT_AGE:
            continue
        async with write_transaction():
            rows = await YouthMember.update({YouthMember.status: "retired"}).where(
                (YouthMember.id == youth["id"]) & YouthMember.status.is_in(["applicant", "assessed", "active"])
            ).returning(YouthMember.id)
            if not rows:
                continue  # another scheduler instance got there first
            # The youth row has no login of its own: at 18 the person registers as an adult volunteer.
            removed = await _remove_from_future_work(volunteer_id=youth["volunteer"], reason="retired at 18")
            await record_audit(actor_id=None, action="youth_retire", target_type="youth_member",
                               target_id=youth["id"], detail=removed)
            await notify(recipient_id=youth["guardian"], kind="youth_retired", target_key=f"youth:{youth['id']}",
                         title="孩子已满18岁，从小小安全员光荣退役 / Retired at 18",
                         payload={"youth_id": youth["id"]})
        retired += 1
    return retired


async def list_squads(*, actor: Actor, limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """Staff: every squad with its community and active members."""
    _require_staff(actor)
    squads = await Squad.select(Squad.id, Squad.name, Squad.community,
                                Squad.community.name.as_alias("community_name")).order_by(
        Squad.community.code).limit(limit).offset(offset)
    total = await Squad.count()
    members = await YouthMember.select(
        YouthMember.id, YouthMember.squad, YouthMember.activated_at,
        YouthMember.volunteer.real_name.as_alias("child_name"),
        YouthMember.volunteer.birth_date.as_alias("birth_date"),
    ).where(YouthMember.squad.is_in([s["id"] for s in squads] or [0]) & (YouthMember.status == "active")
            ).order_by(YouthMember.volunteer.real_name)
    for squad in squads:
        squad["members"] = [m for m in members if m["squad"] == squad["id"]]
    return page(squads, total, limit, offset)
