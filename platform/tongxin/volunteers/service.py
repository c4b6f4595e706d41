"""Volunteers: profiles, skills, certificates, availability, hours, the calendar feed and the youth roster.

Every function is keyword-only and knows nothing of HTTP. Reads of records a caller may not see
raise `NotFound` (never "forbidden"), so the existence of a minor or a stranger is not revealed.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable

from tongxin import validation
from tongxin.accounts.cache import forget_account
from tongxin.accounts.service import Actor, record_audit
from tongxin.accounts.tables import Community, Grid
from tongxin.activities.tables import ACTIVITY_KINDS
from tongxin.dates import ADULT_AGE, age_on, hours_text, local_today
from tongxin.db import current_engine, in_write_transaction, write_transaction
from tongxin.memory import BriefMemory, data_changed
from tongxin.errors import InvalidInput, NotFound
from tongxin.paging import page
from tongxin.volunteers.tables import (
    AvailabilityWindow,
    Certificate,
    CertificateKind,
    LedgerEntry,
    Skill,
    Volunteer,
    VolunteerSkill,
    YouthMember,
)

# Volunteers register themselves as adults; a minor joins the youth roster through a guardian.
MIN_VOLUNTEER_AGE = ADULT_AGE
EXPIRING_WITHIN_DAYS = 30



def now_utc() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------- lookups for forms


_LOOKUPS = BriefMemory("reads", most=16)


async def lookups() -> dict[str, Any]:
    """Skills, certificate kinds and communities with their grids: what the profile forms offer (and every
    list page's names); repeated from memory until anything is written (`tongxin.memory`)."""
    return copy.deepcopy(await _LOOKUPS.recall(id(current_engine()), _read_lookups))


async def _read_lookups() -> dict[str, Any]:
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


async def own_volunteer_id(actor: Actor) -> int:
    """The signed-in person's volunteer row; `NotFound` (no_profile) before they saved a profile."""
    if actor.volunteer_id is not None:  # read with the actor this request
        return actor.volunteer_id
    row = await Volunteer.select(Volunteer.id).where(Volunteer.user == actor.id).first()
    if row is None:
        raise NotFound("you have no volunteer profile yet; save one first", code="no_profile")
    return row["id"]


async def place_in_community(*, community_id: int, grid_id: int) -> dict[str, Any]:
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
        Volunteer.max_hours_month, Volunteer.max_hours_week, Volunteer.max_hours_day, Volunteer.preferred_kinds,
        Volunteer.is_youth, Volunteer.status,
        Volunteer.max_distance_km, Volunteer.minutes_total, Volunteer.points_total, Volunteer.attended_count,
        Volunteer.no_show_count,
    ).where(Volunteer.id == volunteer_id).output(load_json=True).first()
    if row is None:
        raise NotFound("volunteer not found")
    row["hours_total"] = hours_text(row["minutes_total"])
    row["skills"] = [r["code"] for r in await VolunteerSkill.select(
        VolunteerSkill.skill.code.as_alias("code")
    ).where(VolunteerSkill.volunteer == volunteer_id).order_by(VolunteerSkill.skill.code)]
    row["certificates"] = await list_certificates(volunteer_id=volunteer_id, today=today)
    row["availability"] = await list_availability(volunteer_id=volunteer_id)
    return row


async def get_profile(*, actor: Actor, today: date | None = None) -> dict[str, Any]:
    """The signed-in volunteer's own profile; `NotFound` (code no_profile) before the first save."""
    return await load_volunteer(volunteer_id=await own_volunteer_id(actor), today=today)


async def save_profile(
    *, actor: Actor, real_name: str, phone: str, birth_date: date, community_id: int, grid_id: int,
    lat: float | None = None, lon: float | None = None, max_hours_month: float = 20.0,
    max_hours_week: float = 20.0, max_hours_day: float = 10.0,
    max_distance_km: float | None = None, preferred_kinds: Iterable[str] = (), today: date | None = None,
) -> dict[str, Any]:
    """Create or replace the volunteer's own profile (18+, grid inside community, lat/lon default to the grid's)."""
    volunteer_id = await in_write_transaction(lambda: _save_details(
        actor=actor, real_name=real_name, phone=phone, birth_date=birth_date, community_id=community_id,
        grid_id=grid_id, lat=lat, lon=lon, max_hours_month=max_hours_month, max_hours_week=max_hours_week,
        max_hours_day=max_hours_day, max_distance_km=max_distance_km,
        preferred_kinds=preferred_kinds, today=today))
    data_changed(f"volunteer:{volunteer_id}")
    return await load_volunteer(volunteer_id=volunteer_id, today=today)


async def save_whole_profile(*, actor: Actor, details: dict[str, Any], skills: Iterable[str],
                             windows: list[dict[str, int]], today: date | None = None) -> dict[str, Any]:
    """The profile page's one form: details, skills and weekly availability in one transaction, so a
    refusal of any part saves nothing."""
    ordered = check_windows(windows)

    async def work() -> int:
        volunteer_id = await _save_details(actor=actor, today=today, **details)
        await _replace_skills(volunteer_id, skills)
        await _replace_windows(volunteer_id, ordered)
        return volunteer_id

    volunteer_id = await in_write_transaction(work)
    data_changed(f"volunteer:{volunteer_id}")
    return await load_volunteer(volunteer_id=volunteer_id, today=today)


async def _save_details(*, actor: Actor, real_name: str, phone: str, birth_date: date, community_id: int,
                        grid_id: int, lat: float | None = None, lon: float | None = None,
                        max_hours_month: float = 20.0, max_hours_week: float = 20.0, max_hours_day: float = 10.0,
                        max_distance_km: float | None = None, preferred_kinds: Iterable[str] = (),
                        today: date | None = None) -> int:
    if actor.role != "volunteer":
        raise InvalidInput("only volunteer accounts keep a volunteer profile", field="role", code="wrong_role")
    today = today or local_today()
    real_name = validation.text(real_name, "real_name", min_len=1, max_len=64)
    phone = validation.phone(phone, "phone")
    validation.day(birth_date, "birth_date", years=validation.BIRTH_YEARS)
    if birth_date > today:
        raise InvalidInput("birth date lies in the future", field="birth_date", code="in_the_future")
    if age_on(birth_date, today) < MIN_VOLUNTEER_AGE:
        raise InvalidInput(f"volunteers registering themselves must be at least {MIN_VOLUNTEER_AGE}; "
                           "a child joins the little safety officers through a guardian's account",
                           field="birth_date", code="too_young_to_register")
    validation.number(max_hours_month, "max_hours_month", lo=1, hi=200)
    validation.number(max_hours_week, "max_hours_week", lo=1, hi=100)
    validation.number(max_hours_day, "max_hours_day", lo=1, hi=24)
    if max_distance_km is not None:
        validation.number(max_distance_km, "max_distance_km", lo=0.5, hi=100)
    kinds = list(dict.fromkeys(preferred_kinds))
    unknown = [k for k in kinds if k not in ACTIVITY_KINDS]
    if unknown:
        raise InvalidInput(f"unknown activity kind(s): {', '.join(unknown)}", field="preferred_kinds",
                           code="unknown_code")
    lat, lon = validation.point(lat, lon)
    grid = await place_in_community(community_id=community_id, grid_id=grid_id)
    if lat is None:
        lat, lon = grid["lat"], grid["lon"]
    values = {
        Volunteer.real_name: real_name, Volunteer.phone: phone, Volunteer.birth_date: birth_date,
        Volunteer.community: community_id, Volunteer.grid: grid_id, Volunteer.lat: lat, Volunteer.lon: lon,
        Volunteer.max_hours_month: max_hours_month, Volunteer.max_hours_week: max_hours_week,
        Volunteer.max_hours_day: max_hours_day, Volunteer.max_distance_km: max_distance_km,
        Volunteer.preferred_kinds: kinds,
    }
    existing = await Volunteer.select(Volunteer.id).where(Volunteer.user == actor.id).first()
    if existing:
        await Volunteer.update(values).where(Volunteer.id == existing["id"])
        return existing["id"]
    rows = await Volunteer.insert(Volunteer(
        user=actor.id, **{column._meta.name: value for column, value in values.items()})).returning(Volunteer.id)
    forget_account(actor.id)
    return rows[0]["id"]


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
    volunteer_id = await own_volunteer_id(actor)
    wanted = list(dict.fromkeys(codes))
    await in_write_transaction(lambda: _replace_skills(volunteer_id, wanted))
    data_changed(f"volunteer:{volunteer_id}")
    return sorted(wanted)


async def _replace_skills(volunteer_id: int, codes: Iterable[str]) -> None:
    wanted = list(dict.fromkeys(codes))
    known = {r["code"]: r["id"] for r in await Skill.select(Skill.id, Skill.code).where(
        Skill.code.is_in(wanted))} if wanted else {}
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise InvalidInput(f"unknown skill(s): {', '.join(unknown)}", field="codes", code="unknown_code")
    await VolunteerSkill.delete().where(VolunteerSkill.volunteer == volunteer_id)
    if wanted:
        await VolunteerSkill.insert(*[VolunteerSkill(volunteer=volunteer_id, skill=known[c]) for c in wanted])


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
    volunteer_id = await own_volunteer_id(actor)
    kind = await CertificateKind.select(CertificateKind.id).where(CertificateKind.code == kind_code).first()
    if kind is None:
        raise InvalidInput(f"unknown certificate kind {kind_code!r}", field="kind")
    today = today or local_today()
    if issued_on > today:
        raise InvalidInput("a certificate cannot be issued in the future", field="issued_on", code="issued_in_future")
    if expires_on is not None and expires_on <= issued_on:
        raise InvalidInput("the expiry date must come after the issue date", field="expires_on",
                           code="expires_before_issue")
    async with write_transaction():
        rows = await Certificate.insert(Certificate(
            volunteer=volunteer_id, kind=kind["id"], number=number.strip(), issued_on=issued_on,
            expires_on=expires_on,
        )).returning(Certificate.id)
    data_changed(f"volunteer:{volunteer_id}")
    certificate_id = rows[0]["id"]
    return next(c for c in await list_certificates(volunteer_id=volunteer_id, today=today)
                if c["id"] == certificate_id)


async def delete_certificate(*, actor: Actor, certificate_id: int) -> None:
    """Remove one of the volunteer's own certificates; someone else's is `NotFound`."""
    volunteer_id = await own_volunteer_id(actor)
    async with write_transaction():
        rows = await Certificate.delete().where(
            (Certificate.id == certificate_id) & (Certificate.volunteer == volunteer_id)
        ).returning(Certificate.id)
    if not rows:
        raise NotFound("certificate not found")
    data_changed(f"volunteer:{volunteer_id}")


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
                               field=f"windows[{index}].end_minute", code="window_order")
        if index and ordered[index - 1]["weekday"] == window["weekday"] \
                and ordered[index - 1]["end_minute"] > window["start_minute"]:
            raise InvalidInput(f"two windows overlap on weekday {window['weekday']}",
                               field=f"windows[{index}].start_minute", code="window_overlap")
    return ordered


async def set_availability(*, actor: Actor, windows: list[dict[str, int]]) -> list[dict[str, Any]]:
    """Replace all of the volunteer's weekly windows at once (an empty list clears them)."""
    volunteer_id = await own_volunteer_id(actor)
    ordered = check_windows(windows)
    await in_write_transaction(lambda: _replace_windows(volunteer_id, ordered))
    data_changed(f"volunteer:{volunteer_id}")
    return await list_availability(volunteer_id=volunteer_id)


async def _replace_windows(volunteer_id: int, ordered: list[dict[str, int]]) -> None:
    await AvailabilityWindow.delete().where(AvailabilityWindow.volunteer == volunteer_id)
    if ordered:
        await AvailabilityWindow.insert(*[AvailabilityWindow(
            volunteer=volunteer_id, weekday=w["weekday"], start_minute=w["start_minute"],
            end_minute=w["end_minute"]) for w in ordered])


# ---------------------------------------------------------------- hours and points


async def ledger(*, actor: Actor, limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """The volunteer's totals and their ledger entries, newest first."""
    volunteer_id = await own_volunteer_id(actor)
    totals = await Volunteer.select(
        Volunteer.minutes_total, Volunteer.points_total, Volunteer.attended_count, Volunteer.no_show_count
    ).where(Volunteer.id == volunteer_id).first()
    entries = await LedgerEntry.select(
        LedgerEntry.id, LedgerEntry.sign_up, LedgerEntry.minutes, LedgerEntry.points, LedgerEntry.reason,
        LedgerEntry.created_at,
    ).where(LedgerEntry.volunteer == volunteer_id).order_by(LedgerEntry.id, ascending=False).limit(
        limit).offset(offset)
    for entry in entries:
        entry["hours"] = hours_text(entry["minutes"])
    total = await LedgerEntry.count().where(LedgerEntry.volunteer == volunteer_id)
    return {**totals, "hours_total": hours_text(totals["minutes_total"]), "entries": page(entries, total, limit, offset)}


# ---------------------------------------------------------------- who is told about whom


async def people_to_tell_in_language(*, volunteer_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """The accounts told about each volunteer — their own, then a child's guardian (the one resolver) —
    each with the account's language setting, in one statement."""
    ids = sorted({int(v) for v in volunteer_ids})
    told: dict[int, list[tuple[int, str]]] = {v: [] for v in ids}
    if not ids:
        return told
    marks = ", ".join("{}" for _ in ids)
    rows = await Volunteer.raw(
        f'SELECT 0 AS turn, v.id AS volunteer, u.id AS "user", u.locale FROM volunteer v JOIN tx_user u ON u.id = v."user" '
        f"WHERE v.id IN ({marks}) UNION ALL "
        f'SELECT 1 AS turn, y.volunteer, u.id, u.locale FROM youth_member y JOIN tx_user u ON u.id = y.guardian '
        f"WHERE y.volunteer IN ({marks}) ORDER BY turn", *ids, *ids)
    for row in rows:
        if all(user != row["user"] for user, _ in told[row["volunteer"]]):
            told[row["volunteer"]].append((row["user"], row["locale"] or ""))
    return told


async def people_to_tell(*, volunteer_ids: Iterable[int]) -> dict[int, list[int]]:
    """The accounts told about each volunteer: their own, and a child's guardian (the one resolver)."""
    return {volunteer: [user for user, _ in told]
            for volunteer, told in (await people_to_tell_in_language(volunteer_ids=volunteer_ids)).items()}
