"""Database rows → plain arrays for the `matching` package (one read of the district per batch)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import numpy as np

from tongxin.activities.tables import Occurrence, SignUp
from tongxin.dates import age_on
from tongxin.organizations.tables import Organization, ResourceOffer
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
from tongxin.wishes.tables import Wish

HOURS_PER_WEEK = 168
EPOCH = date(1970, 1, 1)
CATEGORIES = (
    "service_day", "training_drill", "safety_education", "wish_work", "emergency",
    "daily_goods", "study", "repair", "companionship", "health", "other",
)


def _epoch_days(d: date | None) -> float:
    return float((d - EPOCH).days) if d else -np.inf


def _ts(d: datetime) -> float:
    return d.timestamp()


@dataclass
class Vocabulary:
    """Codes → column indexes, shared by volunteers and targets of one snapshot."""

    skills: dict[str, int]
    certificates: dict[str, int]
    organizations: dict[int, int]
    categories: dict[str, int] = field(default_factory=lambda: {c: i for i, c in enumerate(CATEGORIES)})

    def skill_row(self, codes: list[str]) -> np.ndarray:
        row = np.zeros(len(self.skills), dtype=bool)
        row[[self.skills[c] for c in codes if c in self.skills]] = True
        return row

    def cert_row(self, codes: list[str]) -> np.ndarray:
        row = np.zeros(len(self.certificates), dtype=bool)
        row[[self.certificates[c] for c in codes if c in self.certificates]] = True
        return row


@dataclass
class VolunteerRows:
    """Every active volunteer of the scope as arrays (index i ↔ ids[i])."""

    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    age: np.ndarray
    community: np.ndarray
    grid: np.ndarray
    skills: np.ndarray
    cert_expiry: np.ndarray
    availability: np.ndarray
    is_youth: np.ndarray
    youth_active: np.ndarray
    consent_in_force: np.ndarray
    attended: np.ndarray
    no_show: np.ndarray
    hours_this_month: np.ndarray
    max_hours_month: np.ndarray
    recent_load: np.ndarray
    org_history: np.ndarray
    category_history: np.ndarray
    commitment_volunteer: np.ndarray
    commitment_start: np.ndarray
    commitment_end: np.ndarray

    def index_of(self, volunteer_id: int) -> int | None:
        hits = np.flatnonzero(self.ids == volunteer_id)
        return int(hits[0]) if hits.size else None


async def load_vocabulary() -> Vocabulary:
    skills = sorted(r["code"] for r in await Skill.select(Skill.code))
    certs = sorted(r["code"] for r in await CertificateKind.select(CertificateKind.code))
    orgs = sorted(r["id"] for r in await Organization.select(Organization.id))
    return Vocabulary(skills={c: i for i, c in enumerate(skills)},
                      certificates={c: i for i, c in enumerate(certs)},
                      organizations={o: i for i, o in enumerate(orgs)})


async def load_volunteers(vocab: Vocabulary, *, now: datetime, community_id: int | None = None) -> VolunteerRows:
    """Read volunteers with skills, certificates, availability, youth status, load and history."""
    query = Volunteer.select(
        Volunteer.id, Volunteer.lat, Volunteer.lon, Volunteer.birth_date, Volunteer.community,
        Volunteer.grid, Volunteer.is_youth, Volunteer.max_hours_month, Volunteer.attended_count,
        Volunteer.no_show_count,
    ).where(Volunteer.status == "active").order_by(Volunteer.id)
    if community_id is not None:
        query = query.where(Volunteer.community == community_id)
    rows = await query
    n = len(rows)
    ids = np.array([r["id"] for r in rows], dtype=np.int64)
    position = {int(v): i for i, v in enumerate(ids)}
    today = now.astimezone(timezone.utc).date()

    def column(name: str, dtype=float, default=np.nan) -> np.ndarray:
        return np.array([default if r[name] is None else r[name] for r in rows], dtype=dtype)

    skills = np.zeros((n, len(vocab.skills)), dtype=bool)
    skill_codes = {r["id"]: r["code"] for r in await Skill.select(Skill.id, Skill.code)}
    for r in await VolunteerSkill.select(VolunteerSkill.volunteer, VolunteerSkill.skill):
        i = position.get(r["volunteer"])
        if i is not None and skill_codes.get(r["skill"]) in vocab.skills:
            skills[i, vocab.skills[skill_codes[r["skill"]]]] = True

    cert_expiry = np.full((n, len(vocab.certificates)), -np.inf)
    cert_codes = {r["id"]: r["code"] for r in await CertificateKind.select(CertificateKind.id, CertificateKind.code)}
    for r in await Certificate.select(Certificate.volunteer, Certificate.kind, Certificate.expires_on):
        i = position.get(r["volunteer"])
        code = cert_codes.get(r["kind"])
        if i is not None and code in vocab.certificates:
            j = vocab.certificates[code]
            expiry = np.inf if r["expires_on"] is None else _epoch_days(r["expires_on"])
            cert_expiry[i, j] = max(cert_expiry[i, j], expiry)

    availability = np.zeros((n, HOURS_PER_WEEK), dtype=bool)
    for r in await AvailabilityWindow.select():
        i = position.get(r["volunteer"])
        if i is None:
            continue
        first = r["weekday"] * 24 + r["start_minute"] // 60
        last = r["weekday"] * 24 + -(-r["end_minute"] // 60)
        availability[i, first:min(last, HOURS_PER_WEEK)] = True

    youth_active = np.zeros(n, dtype=bool)
    consent = np.zeros(n, dtype=bool)
    for r in await YouthMember.select(YouthMember.volunteer, YouthMember.status, YouthMember.consent_at,
                                      YouthMember.consent_withdrawn_at):
        i = position.get(r["volunteer"])
        if i is not None:
            youth_active[i] = r["status"] == "active"
            consent[i] = r["consent_at"] is not None and r["consent_withdrawn_at"] is None

    month_start = now.astimezone(timezone.utc).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    hours = np.zeros(n)
    for r in await LedgerEntry.select(LedgerEntry.volunteer, LedgerEntry.hours).where(
            LedgerEntry.created_at >= month_start):
        i = position.get(r["volunteer"])
        if i is not None:
            hours[i] += r["hours"]

    recent = np.zeros(n)
    org_history = np.zeros((n, max(len(vocab.organizations), 1)))
    category_history = np.zeros((n, len(vocab.categories)))
    commit_v, commit_s, commit_e = [], [], []
    since = now - timedelta(days=30)
    sign_ups = await SignUp.select(
        SignUp.volunteer, SignUp.status, SignUp.created_at, SignUp.occurrence.starts_at,
        SignUp.occurrence.ends_at, SignUp.occurrence.activity.organization, SignUp.occurrence.activity.kind,
    ).where(SignUp.status.is_in(["confirmed", "attended"]))
    for r in sign_ups:
        i = position.get(r["volunteer"])
        if i is None:
            continue
        starts, ends = r["occurrence.starts_at"], r["occurrence.ends_at"]
        if r["created_at"] >= since:
            recent[i] += 1
        if r["status"] == "attended":
            org = vocab.organizations.get(r["occurrence.activity.organization"])
            if org is not None:
                org_history[i, org] += 1
            kind = vocab.categories.get(r["occurrence.activity.kind"])
            if kind is not None:
                category_history[i, kind] += 1
        elif ends > now:
            commit_v.append(i)
            commit_s.append(_ts(starts))
            commit_e.append(_ts(ends))

    return VolunteerRows(
        ids=ids, lat=column("lat"), lon=column("lon"),
        age=np.array([np.nan if r["birth_date"] is None else age_on(r["birth_date"], today) for r in rows],
                     dtype=float),
        community=column("community", np.int64, -1), grid=column("grid", np.int64, -1),
        skills=skills, cert_expiry=cert_expiry, availability=availability,
        is_youth=column("is_youth", bool, False), youth_active=youth_active, consent_in_force=consent,
        attended=column("attended_count", np.int64, 0), no_show=column("no_show_count", np.int64, 0),
        hours_this_month=hours, max_hours_month=column("max_hours_month", float, 20.0),
        recent_load=recent, org_history=org_history, category_history=category_history,
        commitment_volunteer=np.array(commit_v, dtype=np.int64),
        commitment_start=np.array(commit_s, dtype=float), commitment_end=np.array(commit_e, dtype=float),
    )


@dataclass
class TargetRows:
    """Occurrences or wishes to fill, as arrays (index j ↔ ids[j])."""

    kind: str
    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    start: np.ndarray
    end: np.ndarray
    capacity_remaining: np.ndarray
    required_skills: np.ndarray
    required_certs: np.ndarray
    min_age: np.ndarray
    max_age: np.ndarray
    youth_allowed: np.ndarray
    has_adult_leader: np.ndarray
    organization: np.ndarray
    category: np.ndarray
    urgency: np.ndarray
    needed_by: np.ndarray
    community: np.ndarray
    grid: np.ndarray
    titles: list[str] = field(default_factory=list)


def _targets(kind: str, rows: list[dict[str, Any]], vocab: Vocabulary) -> TargetRows:
    def arr(key: str, dtype=float, default: Any = np.nan) -> np.ndarray:
        return np.array([default if r.get(key) is None else r[key] for r in rows], dtype=dtype)

    m = len(rows)
    return TargetRows(
        kind=kind, ids=arr("id", np.int64, 0), lat=arr("lat"), lon=arr("lon"),
        start=arr("start"), end=arr("end"), capacity_remaining=arr("remaining", np.int64, 0),
        required_skills=np.array([vocab.skill_row(r["skills"]) for r in rows], dtype=bool).reshape(m, len(vocab.skills)),
        required_certs=np.array([vocab.cert_row(r["certs"]) for r in rows], dtype=bool).reshape(m, len(vocab.certificates)),
        min_age=arr("min_age", float, 0), max_age=arr("max_age", float, 200), youth_allowed=arr("youth", bool, False),
        has_adult_leader=arr("leader", bool, False),
        organization=np.array([vocab.organizations.get(r.get("organization"), -1) for r in rows], dtype=np.int64),
        category=np.array([vocab.categories.get(r["category"], len(vocab.categories) - 1) for r in rows], dtype=np.int64),
        urgency=arr("urgency", float, 0.5), needed_by=arr("needed_by"),
        community=arr("community", np.int64, -1), grid=arr("grid", np.int64, -1),
        titles=[r.get("title", "") for r in rows],
    )


async def load_occurrence_targets(vocab: Vocabulary, *, now: datetime, community_id: int | None = None,
                                  occurrence_ids: list[int] | None = None) -> TargetRows:
    """Open future occurrences of published activities with places left."""
    query = Occurrence.select(
        Occurrence.id, Occurrence.lat, Occurrence.lon, Occurrence.starts_at, Occurrence.ends_at,
        Occurrence.capacity, Occurrence.taken, Occurrence.community, Occurrence.grid,
        Occurrence.activity.title, Occurrence.activity.kind, Occurrence.activity.organization,
        Occurrence.activity.required_skills, Occurrence.activity.required_certificates,
        Occurrence.activity.min_age, Occurrence.activity.max_age, Occurrence.activity.youth_allowed,
    ).where((Occurrence.status == "open") & (Occurrence.starts_at > now)
            & (Occurrence.activity.status == "approved")).order_by(Occurrence.starts_at)
    if community_id is not None:
        query = query.where(Occurrence.community == community_id)
    if occurrence_ids is not None:
        query = query.where(Occurrence.id.is_in(occurrence_ids or [-1]))
    rows = await query
    leaders = {r["occurrence"] for r in await SignUp.select(SignUp.occurrence).where(
        (SignUp.is_leader == True) & (SignUp.status == "confirmed"))}  # noqa: E712
    return _targets("occurrence", [{
        "id": r["id"], "lat": r["lat"], "lon": r["lon"], "start": _ts(r["starts_at"]), "end": _ts(r["ends_at"]),
        "remaining": max(r["capacity"] - r["taken"], 0), "skills": _json_list(r["activity.required_skills"]),
        "certs": _json_list(r["activity.required_certificates"]), "min_age": r["activity.min_age"],
        "max_age": r["activity.max_age"], "youth": r["activity.youth_allowed"], "leader": r["id"] in leaders,
        "organization": r["activity.organization"], "category": r["activity.kind"], "urgency": 0.5,
        "needed_by": _ts(r["starts_at"]), "community": r["community"], "grid": r["grid"],
        "title": r["activity.title"],
    } for r in rows], vocab)


async def load_wish_targets(vocab: Vocabulary, *, now: datetime, community_id: int | None = None,
                            wish_ids: list[int] | None = None) -> TargetRows:
    """Open wishes; a wish is done by one helper at a time (capacity 1), in daytime before it is needed."""
    query = Wish.select(
        Wish.id, Wish.lat, Wish.lon, Wish.needed_by, Wish.urgency, Wish.skills_needed, Wish.category,
        Wish.community, Wish.grid, Wish.title, Wish.grid.lat.as_alias("grid_lat"), Wish.grid.lon.as_alias("grid_lon"),
    ).where(Wish.status == "open").order_by(Wish.id)
    if community_id is not None:
        query = query.where(Wish.community == community_id)
    if wish_ids is not None:
        query = query.where(Wish.id.is_in(wish_ids or [-1]))
    rows = await query
    targets = []
    for r in rows:
        due = datetime.combine(r["needed_by"], datetime.min.time(), timezone.utc) if r["needed_by"] else now + timedelta(days=14)
        # A wish has no fixed time: ask for a two-hour daytime visit on the day before it is needed.
        visit = max(due - timedelta(days=1), now + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
        targets.append({
            "id": r["id"], "lat": r["lat"] if r["lat"] is not None else r["grid_lat"],
            "lon": r["lon"] if r["lon"] is not None else r["grid_lon"], "start": _ts(visit),
            "end": _ts(visit + timedelta(hours=2)), "remaining": 1, "skills": _json_list(r["skills_needed"]),
            "certs": [], "min_age": 18, "max_age": 200, "youth": False, "leader": True, "organization": None,
            "category": r["category"], "urgency": (r["urgency"] - 1) / 2.0, "needed_by": _ts(due),
            "community": r["community"], "grid": r["grid"], "title": r["title"],
        })
    return _targets("wish", targets, vocab)


def _json_list(value: Any) -> list[str]:
    import json

    if isinstance(value, str):
        try:
            value = json.loads(value or "[]")
        except ValueError:
            return []
    return [str(v) for v in value or []]


def snapshot_id(volunteers: VolunteerRows, targets: TargetRows) -> str:
    """A short digest of the inputs, recorded with each run so a batch can be reproduced."""
    digest = hashlib.sha256()
    for array in (volunteers.ids, volunteers.skills, volunteers.hours_this_month, targets.ids,
                  targets.capacity_remaining):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


async def load_offers() -> list[dict[str, Any]]:
    """Open resource offers with something left, with their organization's place."""
    return await ResourceOffer.select(
        ResourceOffer.id, ResourceOffer.organization, ResourceOffer.title, ResourceOffer.category,
        ResourceOffer.remaining, ResourceOffer.organization.lat.as_alias("lat"),
        ResourceOffer.organization.lon.as_alias("lon"), ResourceOffer.organization.name.as_alias("organization_name"),
    ).where((ResourceOffer.status == "open") & (ResourceOffer.remaining > 0)
            & (ResourceOffer.organization.status == "approved"))


__all__ = (
    "Vocabulary", "VolunteerRows", "TargetRows", "load_vocabulary", "load_volunteers",
    "load_occurrence_targets", "load_wish_targets", "load_offers", "snapshot_id",
)
