"""One eligibility engine: the scalar path (one person and one occurrence, as sign-up, promotion, approval
and invitations ask) and the vectorised path (matching's whole person × occurrence matrix) give the same
verdict with the same reasons for every pair of a random district, and both agree with the rules as the
issue defines them (`district.reference_reasons`, written without the engine's code)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from tests.eligibility.district import CERTIFICATES, HOLDS_TIME, SHANGHAI, SKILLS, District, districts, reference_reasons
from hypothesis import HealthCheck, given, settings

from tongxin.dates import ADULT_AGE, age_on
from tongxin.eligibility import service as eligibility

VOCAB = eligibility.Vocabulary(skills={c: i for i, c in enumerate(SKILLS)},
                               certificates={c: i for i, c in enumerate(CERTIFICATES)}, organizations={})


def people_of(district: District, keys: list[int]) -> eligibility.People:
    """The people `keys` as the engine reads them from the database (`load_people`), with their commitments."""
    chosen = [p for p in district.people if p.key in keys]
    position = {p.key: i for i, p in enumerate(chosen)}
    n = len(chosen)
    cert_expiry = np.full((n, len(CERTIFICATES)), -np.inf)
    for i, p in enumerate(chosen):
        for kind, expires in p.certificates:
            j = VOCAB.certificates[kind]
            cert_expiry[i, j] = max(cert_expiry[i, j], np.inf if expires is None else eligibility.epoch_days(expires))
    by_key = {o.key: o for o in district.occurrences}
    held = [s for s in district.sign_ups if s.status in HOLDS_TIME and s.person in position]
    return eligibility.People(
        ids=np.array([p.key for p in chosen], np.int64),
        lat=np.array([p.place[0] if p.place else np.nan for p in chosen]),
        lon=np.array([p.place[1] if p.place else np.nan for p in chosen]),
        birth_ymd=np.array([eligibility.ymd(p.birth) for p in chosen], np.int64),
        community=np.array([-1 if p.community is None else p.community for p in chosen], np.int64),
        grid=np.full(n, -1, np.int64),
        skills=np.array([VOCAB.skill_row(p.skills) for p in chosen], bool).reshape(n, len(SKILLS)),
        cert_expiry=cert_expiry,
        availability=np.array([eligibility.weekly_mask(
            [{"weekday": w, "start_minute": s, "end_minute": e} for w, s, e in p.windows]) for p in chosen],
            bool).reshape(n, 168),
        is_youth=np.array([p.is_youth for p in chosen], bool),
        youth_active=np.array([bool(p.youth and p.youth.status == "active") for p in chosen], bool),
        consent_in_force=np.array([bool(p.youth and p.youth.consent == "given") for p in chosen], bool),
        max_hours_month=np.array([p.max_hours_month for p in chosen]),
        max_hours_week=np.array([p.max_hours_week for p in chosen]),
        max_hours_day=np.array([p.max_hours_day for p in chosen]),
        commitment_volunteer=np.array([position[s.person] for s in held], np.int64),
        commitment_start=np.array([by_key[s.occurrence].start.timestamp() for s in held]),
        commitment_end=np.array([by_key[s.occurrence].end.timestamp() for s in held]),
        commitment_target=np.array([s.occurrence for s in held], np.int64),
    )


def targets_of(district: District, keys: list[int]) -> eligibility.Targets:
    """The occurrences `keys` as the engine reads them (`load_occurrences`), with their adult leaders."""
    births = {p.key: p.birth for p in district.people}

    def has_adult_leader(occ) -> bool:
        day = occ.start.astimezone(SHANGHAI).date()
        return any(s.occurrence == occ.key and s.is_leader and s.status == "confirmed"
                   and births[s.person] is not None and age_on(births[s.person], day) >= ADULT_AGE
                   for s in district.sign_ups)

    return eligibility.targets_from("occurrence", [{
        "id": o.key, "lat": o.place[0] if o.place else None, "lon": o.place[1] if o.place else None,
        "start": o.start.timestamp(), "end": o.end.timestamp(), "remaining": 5, "skills": sorted(o.skills),
        "certs": sorted(o.certificates), "min_age": o.min_age, "max_age": o.max_age, "youth": o.youth_allowed,
        "leader": has_adult_leader(o), "category": "service_day", "community": o.community,
    } for o in district.occurrences if o.key in keys], VOCAB)


def scalar_reasons(district: District, person_key: int, occurrence_key: int) -> list[str]:
    """One pair read alone, as `one_person.reasons_for` reads it."""
    one = np.zeros(1, np.int64)
    return eligibility.failures(people_of(district, [person_key]), targets_of(district, [occurrence_key]), one, one)[0]


def batch_reasons(district: District) -> dict[tuple[int, int], list[str]]:
    """Every pair of the district in one vectorised pass, as a matching batch reads it."""
    everyone = people_of(district, [p.key for p in district.people])
    every_occurrence = targets_of(district, [o.key for o in district.occurrences])
    n, m = len(everyone.ids), len(every_occurrence.ids)
    vi, tj = np.repeat(np.arange(n), m), np.tile(np.arange(m), n)
    verdicts = eligibility.failures(everyone, every_occurrence, vi, tj)
    return {(int(everyone.ids[i]), int(every_occurrence.ids[j])): reasons for i, j, reasons in zip(vi, tj, verdicts)}


def explain(district: District, person_key: int, occurrence_key: int) -> str:
    person = district.people[person_key]
    occ = district.occurrences[occurrence_key]
    mine = [s for s in district.sign_ups if s.person == person_key]
    return (f"\nperson {person}\noccurrence {occ} (local {occ.start.astimezone(SHANGHAI)} – "
            f"{occ.end.astimezone(SHANGHAI)})\nsign-ups of the person {mine}")


def assert_one_verdict(district: District) -> None:
    batch = batch_reasons(district)
    for person in district.people:
        for occ in district.occurrences:
            expected = reference_reasons(district, person, occ)
            scalar = scalar_reasons(district, person.key, occ.key)
            context = explain(district, person.key, occ.key)
            assert scalar == batch[(person.key, occ.key)], "scalar and vectorised paths differ" + context
            assert scalar == expected, "the engine and the rules as defined differ" + context


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(districts())
def test_scalar_and_vectorised_paths_agree_with_the_rules_on_random_districts(district):
    assert_one_verdict(district)


def test_the_reference_rules_can_tell_the_edge_cases_apart():
    """The reference is not vacuous: the same district flips verdicts a day or a minute either side."""
    from datetime import date, datetime, time

    from tests.eligibility.district import Occ, Person, Signed, Youth

    start = datetime.combine(date(2027, 3, 1), time(6, 30), SHANGHAI)  # 28 February 22:30 UTC
    occ = Occ(0, start, start + timedelta(hours=2), 1, (33.9, 118.3), frozenset(), frozenset({"first_aid"}),
              16, 70, True)
    leader = Person(1, date(1990, 5, 5), 1, (33.9, 118.3), frozenset(), [("first_aid", None)],
                    [(w, 0, 1440) for w in range(7)], 20.0, False, None)
    child = Person(0, date(2011, 3, 1), 1, (33.9, 118.3), frozenset(), [("first_aid", date(2027, 3, 1))],
                   [(w, 0, 1440) for w in range(7)], 20.0, True, Youth("active", "given"))
    district = District([child, leader], [occ], [Signed(1, 0, "confirmed", True)])
    # 16 that local day, certificate valid through that local day (the UTC date is still 28 February).
    assert reference_reasons(district, child, occ) == ["youth_night"]
    child.certificates = [("first_aid", date(2027, 2, 28))]
    child.birth = date(2011, 3, 2)
    assert reference_reasons(district, child, occ) == ["certificate", "age", "youth_night"]
    assert_one_verdict(district)
