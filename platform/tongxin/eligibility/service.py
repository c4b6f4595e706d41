"""The one eligibility engine: the hard rules of who may serve at which occurrence, defined once.

The rules themselves are the vectorised masks of `matching.rules` (age, required skills and
certificates, availability, overlaps, each person's daily, weekly and monthly hours, the youth rules). This module reads the
facts they need from the database for a whole district (matching batches); `one_person` reads the same
facts for one person against a few occurrences (sign-up, promotion, invitations, "fits me") and applies
the same rules, so every path gives the same verdict with the same reasons. The reference time is the occurrence's local
start in Asia/Shanghai: its local date for ages and certificates, its local day and month for hours.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable

import numpy as np

import matching
from tongxin.activities.tables import HOLDING_PLACE, Occurrence, SignUp
from tongxin.dates import ADULT_AGE, LOCAL_TZ, age_on, local_date
from tongxin.organizations.tables import Organization
from tongxin.volunteers.tables import (
    AvailabilityWindow,
    Certificate,
    CertificateKind,
    Skill,
    Volunteer,
    VolunteerSkill,
    YouthMember,
)

HOURS_PER_WEEK = 168
EPOCH = date(1970, 1, 1)
# Time a person has given or promised: counted for overlaps and daily, weekly and monthly hours.
COMMITTED = (*HOLDING_PLACE, "attended")
CATEGORIES = (
    "service_day", "training_drill", "safety_education", "wish_work", "emergency",
    "daily_goods", "study", "repair", "companionship", "health", "other",
)
# Rules about a person and an occurrence ("full" is about the occurrence alone: a full one has a waitlist).
PERSON_RULES = tuple(code for code in matching.PAIR_RULES if code != "full")
# A person who chooses an occurrence themselves (or accepts an invitation) is not held to their weekly
# availability pattern: that pattern tells matching whom to ask, not what a person may choose.
CHOSEN_BY_THEMSELVES = tuple(code for code in PERSON_RULES if code != "availability")
RULES = matching.RuleConfig()


def epoch_days(day: date | None) -> float:
    """Days since 1970-01-01 (the unit of certificate expiry in the rule arrays); None → never held."""
    return float((day - EPOCH).days) if day else -np.inf


def ymd(day: date | None) -> int:
    """A date as YYYYMMDD (0 = unknown), the unit of birth dates in the rule arrays."""
    return day.year * 10000 + day.month * 100 + day.day if day else 0


def json_list(value: Any) -> list[str]:
    """A JSON list column as a list of strings (text on SQLite, parsed on PostgreSQL)."""
    if isinstance(value, str):
        try:
            value = json.loads(value or "[]")
        except ValueError:
            return []
    return [str(v) for v in value or []]


@dataclass
class Vocabulary:
    """Codes → column indexes, shared by people and targets of one read."""

    skills: dict[str, int]
    certificates: dict[str, int]
    organizations: dict[int, int]
    categories: dict[str, int] = field(default_factory=lambda: {c: i for i, c in enumerate(CATEGORIES)})
    # Row id -> code, as read with the codes (empty when built by hand: the loaders then read them).
    skill_codes: dict[int, str] = field(default_factory=dict)
    certificate_codes: dict[int, str] = field(default_factory=dict)

    def skill_row(self, codes: Iterable[str]) -> np.ndarray:
        row = np.zeros(len(self.skills), dtype=bool)
        row[[self.skills[c] for c in codes if c in self.skills]] = True
        return row

    def cert_row(self, codes: Iterable[str]) -> np.ndarray:
        row = np.zeros(len(self.certificates), dtype=bool)
        row[[self.certificates[c] for c in codes if c in self.certificates]] = True
        return row


async def load_vocabulary(*, organizations: bool = True) -> Vocabulary:
    """Every skill, certificate kind and organization, each given a column. The rules never look at the
    organization: a verdict alone may skip reading them (`organizations=False`)."""
    skill_codes = {r["id"]: r["code"] for r in await Skill.select(Skill.id, Skill.code)}
    cert_codes = {r["id"]: r["code"] for r in await CertificateKind.select(CertificateKind.id, CertificateKind.code)}
    orgs = sorted(r["id"] for r in await Organization.select(Organization.id)) if organizations else []
    return Vocabulary(skills={c: i for i, c in enumerate(sorted(skill_codes.values()))},
                      certificates={c: i for i, c in enumerate(sorted(cert_codes.values()))},
                      organizations={o: i for i, o in enumerate(orgs)},
                      skill_codes=skill_codes, certificate_codes=cert_codes)


@dataclass
class People:
    """Active volunteers as the rule arrays need them (index i ↔ ids[i]), with their commitments.

    Matching adds its features to the same object (see `tongxin.matches.snapshot`).
    """

    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    birth_ymd: np.ndarray
    community: np.ndarray
    grid: np.ndarray
    skills: np.ndarray
    cert_expiry: np.ndarray
    availability: np.ndarray
    is_youth: np.ndarray
    youth_active: np.ndarray
    consent_in_force: np.ndarray
    max_hours_month: np.ndarray
    max_hours_week: np.ndarray
    max_hours_day: np.ndarray
    commitment_volunteer: np.ndarray
    commitment_start: np.ndarray
    commitment_end: np.ndarray
    commitment_target: np.ndarray
    rows: list[dict[str, Any]] = field(default_factory=list)

    def index_of(self, volunteer_id: int) -> int | None:
        hits = np.flatnonzero(self.ids == volunteer_id)
        return int(hits[0]) if hits.size else None

    def arrays(self) -> matching.VolunteerArrays:
        return matching.VolunteerArrays.from_obj(self)

    def commitments(self) -> matching.Commitments:
        return matching.Commitments.from_obj(self)


def weekly_mask(windows: Iterable[dict[str, int]]) -> np.ndarray:
    """Weekly availability windows (minutes from local midnight) as the 168 local hours they touch."""
    mask = np.zeros(HOURS_PER_WEEK, dtype=bool)
    for w in windows:
        first = w["weekday"] * 24 + w["start_minute"] // 60
        last = w["weekday"] * 24 + -(-w["end_minute"] // 60)
        mask[first:min(last, HOURS_PER_WEEK)] = True
    return mask


async def load_people(vocab: Vocabulary, *, now: datetime, volunteer_ids: list[int] | None = None,
                      community_id: int | None = None) -> People:
    """Read active volunteers with what the rules need: birth date, place, skills, certificates,
    availability, youth status and the time they have committed from the start of this local month."""
    query = Volunteer.select(
        Volunteer.id, Volunteer.lat, Volunteer.lon, Volunteer.birth_date, Volunteer.community, Volunteer.grid,
        Volunteer.is_youth, Volunteer.max_hours_month, Volunteer.max_hours_week, Volunteer.max_hours_day,
        Volunteer.attended_count, Volunteer.no_show_count,
        Volunteer.preferred_kinds, Volunteer.max_distance_km,
    ).where(Volunteer.status == "active").order_by(Volunteer.id)
    if community_id is not None:
        query = query.where(Volunteer.community == community_id)
    if volunteer_ids is not None:
        query = query.where(Volunteer.id.is_in(list(volunteer_ids) or [-1]))
    rows = await query
    n = len(rows)
    ids = np.array([r["id"] for r in rows], dtype=np.int64)
    position = {int(v): i for i, v in enumerate(ids)}
    only = Volunteer.id.is_in(list(volunteer_ids) or [-1]) if volunteer_ids is not None else None

    def column(name: str, dtype=float, default=np.nan) -> np.ndarray:
        return np.array([default if r[name] is None else r[name] for r in rows], dtype=dtype)

    def of(table, volunteer_column):
        query = table.select(*table.all_columns())
        return query.where(volunteer_column.is_in(list(volunteer_ids) or [-1])) if only is not None else query

    skills = np.zeros((n, len(vocab.skills)), dtype=bool)
    skill_codes = vocab.skill_codes or {r["id"]: r["code"] for r in await Skill.select(Skill.id, Skill.code)}
    for r in await of(VolunteerSkill, VolunteerSkill.volunteer):
        i = position.get(r["volunteer"])
        if i is not None and skill_codes.get(r["skill"]) in vocab.skills:
            skills[i, vocab.skills[skill_codes[r["skill"]]]] = True

    cert_expiry = np.full((n, len(vocab.certificates)), -np.inf)
    cert_codes = vocab.certificate_codes or {
        r["id"]: r["code"] for r in await CertificateKind.select(CertificateKind.id, CertificateKind.code)}
    for r in await of(Certificate, Certificate.volunteer):
        i = position.get(r["volunteer"])
        code = cert_codes.get(r["kind"])
        if i is not None and code in vocab.certificates:
            j = vocab.certificates[code]
            expiry = np.inf if r["expires_on"] is None else epoch_days(r["expires_on"])
            cert_expiry[i, j] = max(cert_expiry[i, j], expiry)

    windows: dict[int, list[dict[str, int]]] = {}
    for r in await of(AvailabilityWindow, AvailabilityWindow.volunteer):
        windows.setdefault(r["volunteer"], []).append(r)
    availability = np.zeros((n, HOURS_PER_WEEK), dtype=bool)
    for volunteer_id, own in windows.items():
        i = position.get(volunteer_id)
        if i is not None:
            availability[i] = weekly_mask(own)

    youth_active = np.zeros(n, dtype=bool)
    consent = np.zeros(n, dtype=bool)
    for r in await of(YouthMember, YouthMember.volunteer):
        i = position.get(r["volunteer"])
        if i is not None:
            youth_active[i] = r["status"] == "active"
            consent[i] = r["consent_at"] is not None and r["consent_withdrawn_at"] is None

    # Commitments from the start of the local month or week: what monthly, weekly and daily hours and
    # overlaps count.
    month_start = commitments_since(now)
    committed = SignUp.select(*_columns()["commitments"]).where(
        SignUp.status.is_in(list(COMMITTED)) & (_columns()["commitment_end"] > month_start))
    if only is not None:
        committed = committed.where(SignUp.volunteer.is_in(list(volunteer_ids) or [-1]))
    commit_v, commit_s, commit_e, commit_t = [], [], [], []
    for r in await committed:
        i = position.get(r["volunteer"])
        if i is None:
            continue
        commit_v.append(i)
        commit_s.append(r["occurrence.starts_at"].timestamp())
        commit_e.append(r["occurrence.ends_at"].timestamp())
        commit_t.append(r["occurrence"])

    return People(
        ids=ids, lat=column("lat"), lon=column("lon"),
        birth_ymd=np.array([ymd(r["birth_date"]) for r in rows], dtype=np.int64),
        community=column("community", np.int64, -1), grid=column("grid", np.int64, -1),
        skills=skills, cert_expiry=cert_expiry, availability=availability,
        is_youth=column("is_youth", bool, False), youth_active=youth_active, consent_in_force=consent,
        max_hours_month=column("max_hours_month", float, 20.0),
        max_hours_week=column("max_hours_week", float, np.inf), max_hours_day=column("max_hours_day", float, np.inf),
        commitment_volunteer=np.array(commit_v, dtype=np.int64),
        commitment_start=np.array(commit_s, dtype=float), commitment_end=np.array(commit_e, dtype=float),
        commitment_target=np.array(commit_t, dtype=np.int64), rows=rows,
    )


@dataclass
class Targets:
    """Occurrences or wishes to fill, as arrays (index j ↔ ids[j])."""

    kind: str
    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    start: np.ndarray
    end: np.ndarray
    capacity_remaining: np.ndarray
    required_skills: np.ndarray
    preferred_skills: np.ndarray
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

    def arrays(self) -> matching.TargetArrays:
        return matching.TargetArrays.from_obj(self)


def targets_from(kind: str, rows: list[dict[str, Any]], vocab: Vocabulary) -> Targets:
    """Plain dicts (one per target) → Targets arrays."""
    def arr(key: str, dtype=float, default: Any = np.nan) -> np.ndarray:
        return np.array([default if r.get(key) is None else r[key] for r in rows], dtype=dtype)

    m = len(rows)
    s, c = len(vocab.skills), len(vocab.certificates)
    return Targets(
        kind=kind, ids=arr("id", np.int64, 0), lat=arr("lat"), lon=arr("lon"),
        start=arr("start"), end=arr("end"), capacity_remaining=arr("remaining", np.int64, 0),
        required_skills=np.array([vocab.skill_row(r["skills"]) for r in rows], dtype=bool).reshape(m, s),
        preferred_skills=np.array([vocab.skill_row(r.get("preferred", ())) for r in rows], dtype=bool).reshape(m, s),
        required_certs=np.array([vocab.cert_row(r["certs"]) for r in rows], dtype=bool).reshape(m, c),
        min_age=arr("min_age", float, 0), max_age=arr("max_age", float, 200), youth_allowed=arr("youth", bool, False),
        has_adult_leader=arr("leader", bool, False),
        organization=np.array([vocab.organizations.get(r.get("organization"), -1) for r in rows], dtype=np.int64),
        category=np.array([vocab.categories.get(r["category"], len(vocab.categories) - 1) for r in rows],
                          dtype=np.int64),
        urgency=arr("urgency", float, 0.5), needed_by=arr("needed_by"),
        community=arr("community", np.int64, -1), grid=arr("grid", np.int64, -1),
        titles=[r.get("title", "") for r in rows],
    )


async def adult_leaders(occurrence_ids: list[int]) -> set[int]:
    """The occurrences with a confirmed leader who is 18 or over on the occurrence's local date."""
    rows = await SignUp.select(*_columns()["leaders"]).where((SignUp.is_leader == True) & (SignUp.status == "confirmed")  # noqa: E712
            & SignUp.occurrence.is_in(list(occurrence_ids) or [-1]))
    return {r["occurrence"] for r in rows if r["birth_date"] is not None
            and age_on(r["birth_date"], local_date(r["occurrence.starts_at"])) >= ADULT_AGE}


async def load_occurrences(vocab: Vocabulary, *, occurrence_ids: list[int] | None = None,
                           community_id: int | None = None, now: datetime | None = None) -> Targets:
    """Occurrences as rule targets. With `now`: only open future ones of published activities."""
    query = Occurrence.select(*_columns()["targets"]).order_by(Occurrence.starts_at).order_by(Occurrence.id)
    if now is not None:
        query = query.where((Occurrence.status == "open") & (Occurrence.starts_at > now)
                            & _columns()["approved"])
    if community_id is not None:
        query = query.where(Occurrence.community == community_id)
    if occurrence_ids is not None:
        query = query.where(Occurrence.id.is_in(list(occurrence_ids) or [-1]))
    rows = await query
    leaders = await adult_leaders([r["id"] for r in rows])
    return targets_from("occurrence", [{
        "id": r["id"], "lat": r["lat"], "lon": r["lon"], "start": r["starts_at"].timestamp(),
        "end": r["ends_at"].timestamp(), "remaining": max(r["capacity"] - r["taken"], 0),
        "skills": json_list(r["activity.required_skills"]), "preferred": json_list(r["activity.preferred_skills"]),
        "certs": json_list(r["activity.required_certificates"]), "min_age": r["activity.min_age"],
        "max_age": r["activity.max_age"], "youth": r["activity.youth_allowed"], "leader": r["id"] in leaders,
        "organization": r["activity.organization"], "category": r["activity.kind"], "urgency": 0.5,
        "needed_by": r["starts_at"].timestamp(), "community": r["community"], "grid": r["grid"],
        "title": r["activity.title"],
    } for r in rows], vocab)


@functools.cache
def _columns() -> dict[str, Any]:
    """Columns across joins, built once (a Piccolo join chain copies columns each time it is written)."""
    activity = Occurrence.activity
    return {
        "commitments": (SignUp.volunteer, SignUp.occurrence, SignUp.occurrence.starts_at, SignUp.occurrence.ends_at),
        "commitment_end": SignUp.occurrence.ends_at,
        "leaders": (SignUp.occurrence, SignUp.occurrence.starts_at, SignUp.volunteer.birth_date.as_alias("birth_date")),
        "targets": (
            Occurrence.id, Occurrence.lat, Occurrence.lon, Occurrence.starts_at, Occurrence.ends_at,
            Occurrence.capacity, Occurrence.taken, Occurrence.community, Occurrence.grid,
            activity.title, activity.kind, activity.organization, activity.required_skills, activity.preferred_skills,
            activity.required_certificates, activity.min_age, activity.max_age, activity.youth_allowed,
        ),
        "approved": activity.status == "approved",
    }


def failures(people: People, targets: Targets, vi: np.ndarray, tj: np.ndarray) -> list[list[str]]:
    """For each pair, the person rules it breaks, in the rules' order ([] = may serve)."""
    fails = matching.rule_failures(people.arrays(), targets.arrays(), vi, tj, people.commitments(), RULES)
    keep = [matching.PAIR_RULES.index(code) for code in PERSON_RULES]
    return [[PERSON_RULES[k] for k in np.flatnonzero(row)] for row in fails[:, keep]]


def commitments_since(now: datetime) -> datetime:
    """From where commitments count (hours and overlaps): the start of the local month or week, whichever is earlier (a day
    more, as a margin for the time zone)."""
    local_now = now.astimezone(LOCAL_TZ)
    month_start = local_now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    week_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=local_now.weekday() + 1)
    return min(month_start, week_start)


def blocking(reasons: Iterable[str], *, chosen_by_themselves: bool, as_leader: bool = False) -> list[str]:
    """The reasons that refuse: a person's own choice is not held to their weekly availability, and an
    adult leading children is not held to the children's age range (their adulthood is checked apart)."""
    allowed = CHOSEN_BY_THEMSELVES if chosen_by_themselves else PERSON_RULES
    return [r for r in reasons if r in allowed and not (as_leader and r == "age")]


__all__ = (
    "PERSON_RULES", "CHOSEN_BY_THEMSELVES", "COMMITTED", "CATEGORIES", "Vocabulary", "People", "Targets",
    "load_vocabulary", "load_people", "load_occurrences", "targets_from", "adult_leaders", "failures",
    "blocking", "json_list", "epoch_days", "ymd", "local_date", "weekly_mask", "commitments_since",
)
