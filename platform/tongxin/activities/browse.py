"""Browsing published occurrences: filters, keyword, distance, "fits me", and each person's own status.

"Fits me" and the "why not" of each listed occurrence come from one vectorised pass of the eligibility
engine over the listed occurrences, not a check per occurrence.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta, timezone
from typing import Any

import numpy as np

from tongxin.accounts.service import haversine_km
from tongxin.activities.tables import ACTIVE_SIGN_UP, Occurrence, SignUp
from tongxin.dates import ADULT_AGE, age_on
from tongxin.eligibility import one_person
from tongxin.eligibility import service as eligibility
from tongxin.db import current_engine
from tongxin.errors import InvalidInput, NotFound
from tongxin.memory import BriefMemory, data_version
from tongxin.paging import page
from tongxin.volunteers.tables import Volunteer, YouthMember

OCCURRENCE_SORTS = ("starts_at", "-starts_at", "distance", "places_left")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), eligibility.LOCAL_TZ)


@functools.cache
def _columns() -> dict[str, Any]:
    """The list's columns and fixed conditions, built once: every Piccolo join chain
    (Occurrence.activity.title) copies columns, which cost more than the statement itself."""
    activity = Occurrence.activity
    return {
        "card": (
            Occurrence.id, Occurrence.starts_at, Occurrence.ends_at, Occurrence.signup_deadline, Occurrence.capacity,
            Occurrence.taken, Occurrence.status, Occurrence.community, Occurrence.lat, Occurrence.lon,
            Occurrence.address, Occurrence.activity, activity.title.as_alias("title"), activity.kind.as_alias("kind"),
            activity.youth_allowed.as_alias("youth_allowed"), activity.min_age.as_alias("min_age"),
            activity.max_age.as_alias("max_age"), activity.organization.name.as_alias("organization_name"),
            Occurrence.community.name.as_alias("community_name"),
        ),
        "needs": (
            Occurrence.id, Occurrence.starts_at, activity.required_skills.as_alias("skills"),
            activity.required_certificates.as_alias("certificates"), activity.youth_allowed.as_alias("youth_allowed"),
        ),
        "published": Occurrence.status.is_in(["open", "closed"]) & (activity.status == "approved"),
        "kind": activity.kind,
        "words": (activity.title, activity.organization.name),
    }


def _held(people, vocab) -> tuple[set[str], dict[str, float]]:
    """The person's skill codes and, per certificate kind, its latest expiry in epoch days (inf: never
    expires), from the facts the rules engine read for them."""
    skills = {code for code, j in vocab.skills.items() if people.skills[0, j]}
    certificates = {code: float(people.cert_expiry[0, j]) for code, j in vocab.certificates.items()
                    if people.cert_expiry[0, j] > -np.inf}
    return skills, certificates


async def _own_sign_ups(volunteer_id: int, occurrence_ids: list[int]) -> list[dict[str, Any]]:
    """One person's sign-ups for these occurrences, each waiting one with its place in the queue (as
    `signups.waitlist_position` counts it), in one statement whatever the number of occurrences."""
    marks = ", ".join("{}" for _ in occurrence_ids)
    return await SignUp.raw(
        "SELECT s.id, s.occurrence, s.status, s.is_leader, CASE WHEN s.status = 'waitlisted' THEN ("
        " SELECT COUNT(*) FROM sign_up w WHERE w.occurrence = s.occurrence AND w.status = 'waitlisted'"
        " AND w.queue_seq <= s.queue_seq) END AS waitlist_position"
        f" FROM sign_up s WHERE s.volunteer = {{}} AND s.occurrence IN ({marks})", volunteer_id, *occurrence_ids)


_NEEDS = BriefMemory("reads", most=1_000)


async def _needs(occurrence_ids: list[int]) -> dict[int, dict[str, Any]]:
    """What these occurrences require (skills, certificates, youth): the same for everyone, so one read per
    change serves every person looking at the same cards."""
    async def read() -> dict[int, dict[str, Any]]:
        return {r["id"]: r for r in await Occurrence.select(*_columns()["needs"]).where(
            Occurrence.id.is_in(occurrence_ids))}

    return await _NEEDS.recall((id(current_engine()), tuple(occurrence_ids)), read)


async def my_status(*, volunteer_id: int, occurrence_ids: list[int], now: datetime | None = None) -> dict[int, dict]:
    """For one person and these occurrences: their sign-up (status, id, waitlist position) and, if they may
    not sign up, the rules that refuse them (as the sign-up itself would) with the skills and certificates
    they lack, so a page can say what is missing in words."""
    if not occurrence_ids:
        return {}
    signed = {r["occurrence"]: r for r in await _own_sign_ups(volunteer_id, occurrence_ids)}
    inactive, skills, certificates, born = False, set(), {}, None
    try:
        reasons, people, vocab = await one_person.one_person_against(
            volunteer_id=volunteer_id, occurrence_ids=occurrence_ids, now=now)
        skills, certificates = _held(people, vocab)
        born = {"birth_date": people.rows[0]["birth_date"]}
    except NotFound:  # a profile that is not active serves nowhere: every occurrence says so
        reasons, inactive = {}, True
    needs = await _needs(occurrence_ids)
    out = {}
    for occurrence_id in occurrence_ids:
        row = signed.get(occurrence_id)
        status = row["status"] if row and row["status"] in (*ACTIVE_SIGN_UP, "attended", "no_show") else None
        why_not = ["inactive"] if inactive else [
            r for r in eligibility.blocking(reasons.get(occurrence_id, []), chosen_by_themselves=True)
            if r != "youth_no_leader"]
        if "age" in why_not and born is not None and born["birth_date"] is None:
            why_not[why_not.index("age")] = "no_birth_date"  # what to do about it: give the birth date
        need = needs.get(occurrence_id)
        day = eligibility.local_date(need["starts_at"]) if need else None
        out[occurrence_id] = {
            "sign_up_status": status, "sign_up_id": row["id"] if status else None,
            "is_leader": bool(row and status and row["is_leader"]),
            "waitlist_position": row["waitlist_position"] if status == "waitlisted" else None,
            "why_not": why_not,
            # An adult may lead the children of a youth activity whose age range is theirs, not the adult's.
            "may_lead": bool(need and need["youth_allowed"] and not inactive and not status and born
                             and born["birth_date"] and age_on(born["birth_date"], day) >= ADULT_AGE
                             and not eligibility.blocking(reasons.get(occurrence_id, []), chosen_by_themselves=True,
                                                          as_leader=True)),
            "missing_skills": [c for c in eligibility.json_list(need["skills"]) if c not in skills]
            if need and "skill" in why_not else [],
            "missing_certificates": [c for c in eligibility.json_list(need["certificates"])
                                     if certificates.get(c, -np.inf) < eligibility.epoch_days(day)]
            if need and "certificate" in why_not else [],
        }
    return out


# Answers kept while nothing changes (see tongxin.memory): the whole answer per person and query, and the
# part that is the same for everyone (the matching occurrences of a query) shared between people.
_RECENT_LISTS = BriefMemory("reads", most=2_000)
_SHARED_CARDS = BriefMemory("reads", most=1_000)
_NEXT_BY_TIME = BriefMemory("reads", most=8)


async def next_change_by_time(now: datetime) -> datetime | None:
    """The next moment a list or schedule changes with no write at all: the next occurrence starts (it
    leaves the future lists, its sign-ups become past) or the next sign-up deadline passes. Remembered
    answers are kept no longer than that."""
    key = (id(current_engine()), data_version())
    found = _NEXT_BY_TIME.get(key)
    if found is None:
        start = await Occurrence.select(Occurrence.starts_at).where(Occurrence.starts_at > now).order_by(
            Occurrence.starts_at).first()
        deadline = await Occurrence.select(Occurrence.signup_deadline).where(
            Occurrence.signup_deadline > now).order_by(Occurrence.signup_deadline).first()
        moments = [r[name] for r, name in ((start, "starts_at"), (deadline, "signup_deadline")) if r]
        found = (min(moments) if moments else None,)
        _NEXT_BY_TIME.put(key, found, until=found[0])
    return found[0]


async def list_occurrences(*, actor=None, now: datetime | None = None, **filters: Any) -> dict[str, Any]:
    """Published future occurrences, filtered and sorted; `fits_me` keeps those the rules allow the
    signed-in volunteer. Each item carries `mine` (status and why not) for a volunteer. See `_list` for the
    filters. The answer is remembered (TONGXIN_READ_CACHE_SECONDS) until anything is written, here or in
    another process (the change feed), or an occurrence starts or a deadline passes: it is shared, so a
    caller that changes it copies it first."""
    if now is not None or _RECENT_LISTS.seconds <= 0:
        return await _list(actor=actor, now=now, **filters)
    now = now_utc()
    key = (id(current_engine()), actor.volunteer_id if actor is not None else None, tuple(sorted(filters.items())))
    return await _RECENT_LISTS.recall(key, lambda: _list(actor=actor, now=now, shared=True, **filters),
                                      until=lambda: next_change_by_time(now))


async def _cards(*, now: datetime, condition, lat: float | None, lon: float | None, radius_km: float | None,
                 paged: tuple[bool, int, int] | None) -> tuple[list[dict[str, Any]], int | None]:
    """The occurrences matching `condition`, oldest first (`paged`: (ascending, limit, offset) — one page
    read in SQL, with the total), each with its places left and distance; the same for every person."""
    query = Occurrence.select(*_columns()["card"]).where(condition)
    total = None
    if paged is not None:
        ascending, limit, offset = paged
        rows = await query.order_by(Occurrence.starts_at, Occurrence.id, ascending=ascending).limit(limit).offset(offset)
        total = await Occurrence.count().where(condition)
    else:
        rows = await query.order_by(Occurrence.starts_at).order_by(Occurrence.id)
    items = []
    for r in rows:
        r["places_left"] = max(r["capacity"] - r["taken"], 0)
        r["distance_km"] = None
        if lat is not None and r["lat"] is not None:
            r["distance_km"] = round(haversine_km(lat, lon, r["lat"], r["lon"]), 2)
        if radius_km is not None and (r["distance_km"] is None or r["distance_km"] > radius_km):
            continue
        items.append(r)
    return items, total


async def _list(*, actor=None, date_from: date | None = None, date_to: date | None = None,
                kind: str | None = None, community_id: int | None = None, q: str | None = None,
                lat: float | None = None, lon: float | None = None, radius_km: float | None = None,
                fits_me: bool = False, sort: str = "starts_at", limit: int = 20, offset: int = 0,
                now: datetime | None = None, shared: bool = False) -> dict[str, Any]:
    if sort not in OCCURRENCE_SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(OCCURRENCE_SORTS)}", field="sort", code="bad_sort")
    now = now or now_utc()
    volunteer_id = actor.volunteer_id if actor is not None else None
    if fits_me and volunteer_id is None:
        raise InvalidInput("fill in your volunteer profile first (\"fits me\" needs it)", field="fits_me",
                           code="no_profile")
    if (lat is None) != (lon is None):
        raise InvalidInput("give both lat and lon, or neither", field="lat" if lat is None else "lon",
                           code="no_location")
    if lat is None and volunteer_id is not None and (sort == "distance" or radius_km is not None):
        home = await Volunteer.select(Volunteer.lat, Volunteer.lon).where(Volunteer.id == volunteer_id).first()
        if home:
            lat, lon = home["lat"], home["lon"]
    if (sort == "distance" or radius_km is not None) and (lat is None or lon is None):
        raise InvalidInput("give lat and lon (or a home location in your profile) to sort or filter by distance",
                           field="lat", code="no_location")
    columns = _columns()
    condition = (Occurrence.starts_at > now) & columns["published"]
    if date_from:
        condition &= Occurrence.starts_at >= _local_midnight(date_from)
    if date_to:
        condition &= Occurrence.starts_at < _local_midnight(date_to + timedelta(days=1))
    if kind:
        condition &= columns["kind"] == kind
    if community_id:
        condition &= Occurrence.community == community_id
    if q:
        words = q.strip()[:50]
        title, organization_name = columns["words"]
        condition &= (title.ilike(f"%{words}%") | Occurrence.address.ilike(f"%{words}%")
                      | organization_name.ilike(f"%{words}%"))
    # Sorted by time with nothing to filter after reading: the database pages, so a request reads one page
    # whatever the number of occurrences. Otherwise every match is read, filtered and sorted here.
    in_sql = not fits_me and radius_km is None and sort in ("starts_at", "-starts_at")
    paged = (sort == "starts_at", limit, offset) if in_sql else None
    read = functools.partial(_cards, now=now, condition=condition, lat=lat, lon=lon, radius_km=radius_km, paged=paged)
    if shared:  # the same for everyone asking the same: read once per change
        key = (id(current_engine()), date_from, date_to, kind, community_id, q, lat, lon, radius_km, paged)
        matched, total = await _SHARED_CARDS.recall(key, read, until=lambda: next_change_by_time(now))
    else:
        matched, total = await read()
    items = list(matched)
    status: dict[int, dict] | None = None
    if fits_me:  # one pass over every match; the page's cards reuse it
        status = await my_status(volunteer_id=volunteer_id, occurrence_ids=[r["id"] for r in items], now=now)
        items = [r for r in items if not status[r["id"]]["why_not"]]
    if sort == "distance":
        items.sort(key=lambda r: (r["distance_km"] is None, r["distance_km"] or 0))
    elif sort == "places_left":
        items.sort(key=lambda r: -r["places_left"])
    elif sort == "-starts_at" and not in_sql:
        items.reverse()
    if in_sql:
        shown = items
    else:
        shown, total = items[offset:offset + limit], len(items)
    if volunteer_id is not None:
        if status is None:
            status = await my_status(volunteer_id=volunteer_id, occurrence_ids=[r["id"] for r in shown], now=now)
        shown = [{**r, "mine": status[r["id"]]} for r in shown]  # the shared cards stay as read
    return page(shown, total, limit, offset)


async def occurrence_detail(*, actor=None, occurrence_id: int, now: datetime | None = None) -> dict[str, Any]:
    """One occurrence as a person deciding to come needs it: the activity's description, start and end,
    place, the organization's contact, required skills and certificates, age range, youth rules, places
    left, and the signed-in volunteer's own status. Only published ones, unless the actor manages it."""
    now = now or now_utc()
    row = await Occurrence.select(
        Occurrence.id, Occurrence.starts_at, Occurrence.ends_at, Occurrence.signup_deadline, Occurrence.capacity,
        Occurrence.taken, Occurrence.status, Occurrence.lat, Occurrence.lon, Occurrence.address,
        Occurrence.cancel_reason, Occurrence.activity,
        Occurrence.community.name.as_alias("community_name"), Occurrence.grid.name.as_alias("grid_name"),
        Occurrence.activity.title.as_alias("title"), Occurrence.activity.kind.as_alias("kind"),
        Occurrence.activity.description.as_alias("description"), Occurrence.activity.status.as_alias("activity_status"),
        Occurrence.activity.rrule.as_alias("rrule"), Occurrence.activity.min_age.as_alias("min_age"),
        Occurrence.activity.max_age.as_alias("max_age"), Occurrence.activity.youth_allowed.as_alias("youth_allowed"),
        Occurrence.activity.required_skills.as_alias("required_skills"),
        Occurrence.activity.preferred_skills.as_alias("preferred_skills"),
        Occurrence.activity.required_certificates.as_alias("required_certificates"),
        Occurrence.activity.contact_name.as_alias("contact_name"),
        Occurrence.activity.contact_phone.as_alias("contact_phone"),
        Occurrence.activity.points_credit.as_alias("points_credit"),
        Occurrence.activity.organization.as_alias("organization"),
        Occurrence.activity.organization.name.as_alias("organization_name"),
        Occurrence.activity.organization.contact_name.as_alias("organization_contact_name"),
        Occurrence.activity.organization.contact_phone.as_alias("organization_contact_phone"),
    ).where(Occurrence.id == occurrence_id).first()
    manages = actor is not None and (actor.is_staff or actor.organization_id == (row or {}).get("organization"))
    if row is None or (row["activity_status"] not in ("approved", "closed") and not manages):
        raise NotFound("occurrence not found")
    for name in ("required_skills", "preferred_skills", "required_certificates"):
        row[name] = eligibility.json_list(row[name])
    row["places_left"] = max(row["capacity"] - row["taken"], 0)
    row["started"] = row["starts_at"] <= now
    row["open_for_sign_up"] = row["status"] == "open" and row["activity_status"] == "approved" \
        and now < row["signup_deadline"]
    row["has_leader"] = row["id"] in await eligibility.adult_leaders([row["id"]])
    row["manages"] = manages
    volunteer_id = actor.volunteer_id if actor is not None else None
    if volunteer_id is not None:
        row["mine"] = (await my_status(volunteer_id=volunteer_id, occurrence_ids=[row["id"]], now=now))[row["id"]]
    if actor is not None and actor.role == "guardian":
        row["children"] = []
        for child in await YouthMember.select(
                YouthMember.volunteer, YouthMember.status, YouthMember.volunteer.real_name.as_alias("name")).where(
                (YouthMember.guardian == actor.id) & YouthMember.status.not_in(["withdrawn", "retired"])).order_by(
                YouthMember.id):
            status = await my_status(volunteer_id=child["volunteer"], occurrence_ids=[row["id"]], now=now)
            row["children"].append({"volunteer_id": child["volunteer"], "name": child["name"],
                                    "youth_status": child["status"], "mine": status[row["id"]]})
    return row


__all__ = ("OCCURRENCE_SORTS", "list_occurrences", "my_status", "next_change_by_time", "occurrence_detail")
