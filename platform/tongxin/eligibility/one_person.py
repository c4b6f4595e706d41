"""One person against a few occurrences, fast: the path of sign-ups, promotions, invitations and "fits me".

The same rules (`failures`, i.e. `matching.rules`) on the same facts as the district loaders of
`tongxin.eligibility.service`, read in two statements: the person's facts, each kind a JSON list, and the
occurrences with their adult leaders. The property tests compare this path with the district's on random
districts, on both engines.
"""

from __future__ import annotations

import functools
import json
from datetime import date, datetime, timezone
from typing import Any

import numpy as np

from tongxin.activities.tables import Occurrence
from tongxin.dates import ADULT_AGE, age_on
from tongxin.errors import NotFound
from tongxin.eligibility.service import (
    COMMITTED,
    HOURS_PER_WEEK,
    People,
    Vocabulary,
    commitments_since,
    epoch_days,
    failures,
    json_list,
    local_date,
    targets_from,
    weekly_mask,
    ymd,
)
from tongxin.volunteers.tables import Volunteer


async def reasons_for(*, volunteer_id: int, occurrence_id: int, now: datetime | None = None,
                      occurrence: dict[str, Any] | None = None) -> list[str]:
    """Every person rule one volunteer breaks for one occurrence (the scalar path). `occurrence`: its row
    as `occurrence_facts` read it, when the caller has just read it (only the person is read then)."""
    found = (await one_person_against(volunteer_id=volunteer_id, occurrence_ids=[occurrence_id], now=now,
                                      occurrences=None if occurrence is None else [occurrence]))[0]
    if occurrence_id not in found:
        raise NotFound("occurrence not found")
    return found[occurrence_id]


async def reasons_for_many(*, volunteer_id: int, occurrence_ids: list[int],
                           now: datetime | None = None) -> dict[int, list[str]]:
    """One volunteer against many occurrences in one pass ("fits me", activity lists)."""
    return (await one_person_against(volunteer_id=volunteer_id, occurrence_ids=occurrence_ids, now=now))[0]


async def one_person_against(*, volunteer_id: int, occurrence_ids: list[int], now: datetime | None = None,
                             occurrences: list[dict[str, Any]] | None = None
                             ) -> tuple[dict[int, list[str]], People, Vocabulary]:
    """`reasons_for_many`, with the person's facts as read for it (skills, certificates, birth date), so a
    caller saying what is missing need not read them again. Two statements: the person's facts, then the
    occurrences with their adult leaders (`occurrences`: as `occurrence_facts` read them, if just read)."""
    now = now or datetime.now(timezone.utc)
    person = await _person_facts(volunteer_id, now)
    if person is None:
        raise NotFound("volunteer not found")
    if occurrences is None:
        occurrences = await occurrence_facts(occurrence_ids=list(occurrence_ids))
    # Columns for the codes these rows name, not the whole vocabulary: a rule compares what an occurrence
    # requires with what the person holds, so codes neither names cannot change a verdict.
    vocab = Vocabulary(
        skills={c: i for i, c in enumerate(sorted({*person["skills"], *(c for o in occurrences for c in (
            *o["skills"], *o["preferred"]))}))},
        certificates={c: i for i, c in enumerate(sorted({*person["certificates"], *(
            c for o in occurrences for c in o["certs"])}))},
        organizations={})
    people = _one_person(person, vocab)
    targets = targets_from("occurrence", occurrences, vocab)
    m = len(targets.ids)
    verdicts = failures(people, targets, np.zeros(m, np.int64), np.arange(m))
    return {int(t): reasons for t, reasons in zip(targets.ids, verdicts)}, people, vocab


# One person's rule facts in one statement: the row, then each kind of fact as a JSON list. Timestamps come
# as PostgreSQL's exact epoch microseconds or SQLite's stored UTC text, read as the table columns are.
_PERSON_FACTS = """
SELECT v.id, v.lat, v.lon, v.birth_date, v.community, v.grid, v.is_youth, v.max_hours_month, v.max_hours_week,
       v.max_hours_day,
       (SELECT {agg}(k.code) FROM volunteer_skill x JOIN skill k ON k.id = x.skill
         WHERE x.volunteer = v.id) AS skills,
       (SELECT {agg}({arr}(k.code, c.expires_on)) FROM certificate c JOIN certificate_kind k ON k.id = c.kind
         WHERE c.volunteer = v.id) AS certificates,
       (SELECT {agg}({arr}(w.weekday, w.start_minute, w.end_minute)) FROM availability_window w
         WHERE w.volunteer = v.id) AS windows,
       (SELECT {arr}(y.status, y.consent_at IS NOT NULL AND y.consent_withdrawn_at IS NULL)
          FROM youth_member y WHERE y.volunteer = v.id) AS youth,
       (SELECT {agg}({arr}(s.occurrence, {moment}(o.starts_at), {moment}(o.ends_at)))
          FROM sign_up s JOIN occurrence o ON o.id = s.occurrence
         WHERE s.volunteer = v.id AND s.status IN ({committed}) AND o.ends_at > {{}}) AS commitments
  FROM volunteer v WHERE v.id = {{}} AND v.status = 'active'
"""
_OCCURRENCE_FACTS = """
SELECT o.id, o.lat, o.lon, o.starts_at, o.ends_at, o.capacity, o.taken, o.community, o.grid, o.status,
       o.signup_deadline, o.activity, a.title, a.kind, a.organization, a.required_skills, a.preferred_skills,
       a.required_certificates, a.min_age, a.max_age, a.youth_allowed, mine.id AS sign_up_id,
       mine.status AS sign_up_status,
       (SELECT {agg}(v.birth_date) FROM sign_up s JOIN volunteer v ON v.id = s.volunteer
         WHERE s.occurrence = o.id AND s.is_leader = {{}} AND s.status = 'confirmed') AS leaders
  FROM occurrence o JOIN activity a ON a.id = o.activity
  LEFT JOIN sign_up mine ON mine.occurrence = o.id AND mine.volunteer = {{}}
 WHERE o.id IN ({{ids}})
"""
_DIALECTS = {
    "postgres": dict(agg="json_agg", arr="json_build_array",
                     moment="(1000000 * EXTRACT(EPOCH FROM {}))::bigint".format),
    "sqlite": dict(agg="json_group_array", arr="json_array", moment="{}".format),
}


@functools.cache
def _statement(template: str, engine_type: str) -> str:
    words = _DIALECTS[engine_type]
    moment = words["moment"]
    text = template.replace("{moment}(o.starts_at)", moment("o.starts_at")).replace(
        "{moment}(o.ends_at)", moment("o.ends_at"))
    return text.format(agg=words["agg"], arr=words["arr"], committed=", ".join(f"'{c}'" for c in COMMITTED))


def _seconds(value: Any) -> float:
    """A timestamp read inside JSON as `datetime.timestamp()` gives it for the column: exact epoch
    microseconds (PostgreSQL) or the stored UTC text (SQLite)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=timezone.utc).timestamp()
    return int(value) / 1_000_000


def _engine_type() -> str:
    return "sqlite" if Volunteer._meta.db.engine_type == "sqlite" else "postgres"


async def _person_facts(volunteer_id: int, now: datetime) -> dict[str, Any] | None:
    """One active volunteer's rule facts (None when there is no such active volunteer), in one statement."""
    rows = await Volunteer.raw(_statement(_PERSON_FACTS, _engine_type()), commitments_since(now), volunteer_id)
    if not rows:
        return None
    row = rows[0]
    certificates: dict[str, float] = {}
    for code, expires in json.loads(row["certificates"] or "[]"):
        expiry = np.inf if expires is None else epoch_days(date.fromisoformat(expires))
        certificates[code] = max(certificates.get(code, -np.inf), expiry)
    youth = json.loads(row["youth"] or "null")  # one row at most (unique per volunteer)
    return {**row, "skills": set(json.loads(row["skills"] or "[]")), "certificates": certificates,
            "windows": [{"weekday": d, "start_minute": s, "end_minute": e}
                        for d, s, e in json.loads(row["windows"] or "[]")],
            "youth_active": bool(youth) and youth[0] == "active", "consent_in_force": bool(youth) and bool(youth[1]),
            "commitments": [(o, _seconds(s), _seconds(e)) for o, s, e in json.loads(row["commitments"] or "[]")]}


def _one_person(person: dict[str, Any], vocab: Vocabulary) -> People:
    """One person's facts as the rule arrays (as `load_people` gives them for a district)."""
    def value(name: str, default: Any) -> Any:
        return default if person[name] is None else person[name]

    skills = vocab.skill_row(person["skills"]).reshape(1, len(vocab.skills))
    cert_expiry = np.full((1, len(vocab.certificates)), -np.inf)
    for code, expiry in person["certificates"].items():
        if code in vocab.certificates:
            cert_expiry[0, vocab.certificates[code]] = expiry
    commitments = person["commitments"]
    row = {k: v for k, v in person.items() if k not in ("skills", "certificates", "windows", "commitments")}
    return People(
        ids=np.array([person["id"]], dtype=np.int64), lat=np.array([value("lat", np.nan)], dtype=float),
        lon=np.array([value("lon", np.nan)], dtype=float), birth_ymd=np.array([ymd(person["birth_date"])], np.int64),
        community=np.array([value("community", -1)], np.int64), grid=np.array([value("grid", -1)], np.int64),
        skills=skills, cert_expiry=cert_expiry, availability=weekly_mask(person["windows"]).reshape(1, HOURS_PER_WEEK),
        is_youth=np.array([value("is_youth", False)], bool), youth_active=np.array([person["youth_active"]], bool),
        consent_in_force=np.array([person["consent_in_force"]], bool),
        max_hours_month=np.array([value("max_hours_month", 20.0)], float),
        max_hours_week=np.array([value("max_hours_week", np.inf)], float),
        max_hours_day=np.array([value("max_hours_day", np.inf)], float),
        commitment_volunteer=np.zeros(len(commitments), dtype=np.int64),
        commitment_start=np.array([c[1] for c in commitments], dtype=float),
        commitment_end=np.array([c[2] for c in commitments], dtype=float),
        commitment_target=np.array([c[0] for c in commitments], dtype=np.int64), rows=[row],
    )


async def occurrence_facts(*, occurrence_ids: list[int], sign_ups_of: int | None = None) -> list[dict[str, Any]]:
    """Occurrences as the rules read them (rows for `targets_from`, each with whether an adult leader is
    confirmed on it), with their own columns (status, sign-up deadline, capacity, places taken, title,
    organization) and, with `sign_ups_of`, that volunteer's sign-up there (`sign_up_id`, `sign_up_status`;
    None when none): one statement, as `load_occurrences` and `adult_leaders` read them."""
    if not occurrence_ids:
        return []
    template = _statement(_OCCURRENCE_FACTS, _engine_type())
    marks = ", ".join("{}" for _ in occurrence_ids)
    rows = await Occurrence.raw(template.replace("{ids}", marks), True, -1 if sign_ups_of is None else sign_ups_of,
                                *occurrence_ids)
    out = []
    for r in rows:
        day = local_date(r["starts_at"])
        leader = any(b is not None and age_on(date.fromisoformat(b), day) >= ADULT_AGE
                     for b in json.loads(r["leaders"] or "[]"))
        out.append({
            "id": r["id"], "lat": r["lat"], "lon": r["lon"], "start": r["starts_at"].timestamp(),
            "end": r["ends_at"].timestamp(), "remaining": max(r["capacity"] - r["taken"], 0),
            "skills": json_list(r["required_skills"]), "preferred": json_list(r["preferred_skills"]),
            "certs": json_list(r["required_certificates"]), "min_age": r["min_age"], "max_age": r["max_age"],
            "youth": r["youth_allowed"], "leader": leader, "organization": r["organization"], "category": r["kind"],
            "urgency": 0.5, "needed_by": r["starts_at"].timestamp(), "community": r["community"], "grid": r["grid"],
            "title": r["title"], **{k: r[k] for k in _OWN_COLUMNS},
        })
    return out


_OWN_COLUMNS = ("starts_at", "ends_at", "capacity", "taken", "status", "signup_deadline", "activity", "sign_up_id",
                "sign_up_status")


__all__ = ("reasons_for", "reasons_for_many", "one_person_against", "occurrence_facts")
