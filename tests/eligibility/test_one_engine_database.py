"""One eligibility engine over the database: for random districts written as rows, `reasons_for` (the
scalar path sign-up, promotion, approval and invitations call) and a matching batch's read of the whole
district give every pair the same reasons, and both agree with the rules as the issue defines them."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from tests.eligibility.district import CERTIFICATES, SKILLS, District, districts, reference_reasons
from tests.factories import make_user
from tests.volunteers.factories import make_certificate_kind, make_community, make_organization, make_skill
from tongxin.activities.tables import Activity, Occurrence, SignUp
from tongxin.eligibility import one_person
from tongxin.eligibility import service as eligibility
from tongxin.matches import snapshot
from tongxin.volunteers.tables import (
    AvailabilityWindow,
    Certificate,
    CertificateKind,
    Skill,
    Volunteer,
    VolunteerSkill,
    YouthMember,
)

pytestmark = pytest.mark.anyio

# Every generated occurrence lies in 2027–2029: open and in the future for the batch's read.
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def some_districts(count: int) -> list[District]:
    """`count` districts from the same strategy as the pure property test (fixed seed)."""
    found: list[District] = []

    @settings(max_examples=count, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(districts(max_people=5, max_occurrences=4))
    def collect(district):
        found.append(district)

    collect()
    return found


async def write_district(district: District, *, places: dict, organization: int, guardian: int) -> tuple[dict, dict]:
    """Rows for one district; returns (person key → volunteer id, occurrence key → occurrence id)."""
    skill_ids = {r["code"]: r["id"] for r in await Skill.select(Skill.id, Skill.code)}
    cert_ids = {r["code"]: r["id"] for r in await CertificateKind.select(CertificateKind.id, CertificateKind.code)}
    occurrence_ids = {}
    for o in district.occurrences:
        activity = await Activity.insert(Activity(
            organization=organization, title=f"活动{o.key}", kind="service_day", status="approved",
            starts_at=o.start, capacity=10, min_age=o.min_age, max_age=o.max_age, youth_allowed=o.youth_allowed,
            required_skills=sorted(o.skills), required_certificates=sorted(o.certificates),
        )).returning(Activity.id)
        rows = await Occurrence.insert(Occurrence(
            activity=activity[0]["id"], starts_at=o.start, ends_at=o.end, signup_deadline=o.start, capacity=10,
            taken=0, status="open", community=places.get(o.community),
            lat=o.place[0] if o.place else None, lon=o.place[1] if o.place else None,
        )).returning(Occurrence.id)
        occurrence_ids[o.key] = rows[0]["id"]
    volunteer_ids = {}
    for p in district.people:
        rows = await Volunteer.insert(Volunteer(
            real_name=f"志愿者{p.key}", birth_date=p.birth, community=places.get(p.community),
            lat=p.place[0] if p.place else None, lon=p.place[1] if p.place else None,
            max_hours_month=p.max_hours_month, max_hours_week=p.max_hours_week, max_hours_day=p.max_hours_day,
            is_youth=p.is_youth, status="active",
        )).returning(Volunteer.id)
        vid = volunteer_ids[p.key] = rows[0]["id"]
        for code in p.skills:
            await VolunteerSkill.insert(VolunteerSkill(volunteer=vid, skill=skill_ids[code]))
        for kind, expires in p.certificates:
            await Certificate.insert(Certificate(volunteer=vid, kind=cert_ids[kind], expires_on=expires))
        for weekday, start, end in p.windows:
            await AvailabilityWindow.insert(AvailabilityWindow(volunteer=vid, weekday=weekday, start_minute=start,
                                                               end_minute=end))
        if p.youth is not None:
            await YouthMember.insert(YouthMember(
                volunteer=vid, guardian=guardian, status=p.youth.status,
                consent_at=None if p.youth.consent == "none" else NOW,
                consent_withdrawn_at=NOW if p.youth.consent == "withdrawn" else None))
    for s in district.sign_ups:
        await SignUp.insert(SignUp(occurrence=occurrence_ids[s.occurrence], volunteer=volunteer_ids[s.person],
                                   status=s.status, is_leader=s.is_leader))
    return volunteer_ids, occurrence_ids


async def forget_district() -> None:
    for table in (SignUp, YouthMember, Certificate, VolunteerSkill, AvailabilityWindow, Volunteer, Occurrence,
                  Activity):
        await table.delete(force=True)


async def test_reasons_for_and_the_batch_agree_with_the_rules_over_rows_in_the_database(app):
    for code in SKILLS:
        await make_skill(code)
    for code in CERTIFICATES:
        await make_certificate_kind(code)
    places = {1: await make_community("明日社区"), 2: await make_community("阳澄社区")}
    organization = await make_organization()
    guardian = (await make_user("guardian"))["id"]
    checked = 0
    for district in some_districts(10):
        volunteer_ids, occurrence_ids = await write_district(district, places=places, organization=organization,
                                                             guardian=guardian)
        vocab = await snapshot.load_vocabulary()
        everyone = await snapshot.load_volunteers(vocab, now=NOW)
        every_occurrence = await snapshot.load_occurrence_targets(vocab, now=NOW)
        n, m = len(everyone.ids), len(every_occurrence.ids)
        assert (n, m) == (len(district.people), len(district.occurrences))
        vi, tj = np.repeat(np.arange(n), m), np.tile(np.arange(m), n)
        batch = {(int(everyone.ids[i]), int(every_occurrence.ids[j])): reasons
                 for i, j, reasons in zip(vi, tj, eligibility.failures(everyone, every_occurrence, vi, tj))}
        for person in district.people:
            for occ in district.occurrences:
                pair = (volunteer_ids[person.key], occurrence_ids[occ.key])
                scalar = await one_person.reasons_for(volunteer_id=pair[0], occurrence_id=pair[1], now=NOW)
                context = f"\nperson {person}\noccurrence {occ}\nsign-ups {district.sign_ups}"
                assert scalar == batch[pair], "reasons_for and the batch differ" + context
                assert scalar == reference_reasons(district, person, occ), "the engine and the rules differ" + context
                checked += 1
        await forget_district()
    assert checked >= 40
