"""Check-in and check-out with the rotating code; hours clipped, confirmed by the organization, credited once."""

from datetime import timedelta

import pytest

from tongxin.errors import Conflict, InvalidInput, NotFound
from tongxin.hours import checkin, codes
from tongxin.hours.tables import CheckIn
from tongxin.volunteers.tables import LedgerEntry, Volunteer

from tests.hours.factories import (
    PLACE,
    SECRET,
    at,
    make_child,
    make_occurrence,
    make_org,
    make_volunteer,
    sign_up,
    staff_actor,
)

pytestmark = pytest.mark.anyio


def code_at(occurrence_id: int, moment, kind: str = "short_code") -> str:
    return codes.occurrence_code(secret_key=SECRET, occurrence_id=occurrence_id, now=moment)[kind]


async def test_code_rotates_every_thirty_seconds_and_an_old_one_is_refused_as_expired(app):
    org, _ = await make_org()
    occurrence = await make_occurrence(org)
    volunteer, me = await make_volunteer()
    mine = await sign_up(occurrence, volunteer)
    shown = at(-0.1)
    assert code_at(occurrence, shown, "token") != code_at(occurrence, shown + timedelta(seconds=30), "token")
    for kind in ("short_code", "token"):
        with pytest.raises(Conflict) as refused:
            await checkin.check_in_or_out(actor=me, sign_up_id=mine, code=code_at(occurrence, shown, kind),
                                          secret_key=SECRET, now=shown + timedelta(minutes=3))
        assert refused.value.code == "code_expired"
    assert await CheckIn.count() == 0


async def test_a_forged_code_or_another_occurrences_code_is_refused(app):
    org, _ = await make_org()
    occurrence, other = await make_occurrence(org), await make_occurrence(org, title="安全教育")
    volunteer, me = await make_volunteer()
    mine = await sign_up(occurrence, volunteer)
    now = at(0)
    real = code_at(occurrence, now, "token")
    forged = [real[:-2] + ("AA" if not real.endswith("AA") else "BB"),  # signature tampered
              f"{occurrence}.{codes.window_of(now)}.{codes.occurrence_code(secret_key='another-key', occurrence_id=occurrence, now=now)['token'].split('.')[2]}",
              code_at(other, now, "token"), "hello", "12345"]
    for code in forged:
        with pytest.raises(InvalidInput) as refused:
            await checkin.check_in_or_out(actor=me, sign_up_id=mine, code=code, secret_key=SECRET, now=now)
        assert refused.value.code == "code_invalid", code
    assert await CheckIn.count() == 0


async def test_volunteer_checks_in_and_out_and_hours_are_clipped_to_the_occurrence(app):
    org, _ = await make_org()
    occurrence = await make_occurrence(org, hours=2)
    volunteer, me = await make_volunteer()
    mine = await sign_up(occurrence, volunteer)
    arrived = at(-0.5)  # half an hour early: counts from the start
    first = await checkin.check_in_or_out(actor=me, sign_up_id=mine, code=code_at(occurrence, arrived),
                                          secret_key=SECRET, lat=PLACE[0], lon=PLACE[1], now=arrived)
    assert first["action"] == "in" and first["status"] == "checked_in" and first["in_distance_m"] == 0
    left = at(2.75)  # 45 minutes after the end: counts until the end
    second = await checkin.check_in_or_out(actor=me, sign_up_id=mine, code=code_at(occurrence, left, "token"),
                                           secret_key=SECRET, now=left)
    assert second["action"] == "out" and second["minutes"] == 120
    with pytest.raises(Conflict) as again:
        await checkin.check_in_or_out(actor=me, sign_up_id=mine, code=code_at(occurrence, left), secret_key=SECRET,
                                      now=left)
    assert again.value.code == "already_checked_out"
    assert await LedgerEntry.count() == 0, "nothing reaches the ledger before the organization confirms"


async def test_partial_presence_counts_exact_minutes(app):
    org, _ = await make_org()
    occurrence = await make_occurrence(org, hours=3)
    volunteer, me = await make_volunteer()
    mine = await sign_up(occurrence, volunteer)
    await checkin.check_in_or_out(actor=me, sign_up_id=mine, code=code_at(occurrence, at(0.25)), secret_key=SECRET,
                                  now=at(0.25))
    out = await checkin.check_in_or_out(actor=me, sign_up_id=mine, code=code_at(occurrence, at(1.5)),
                                        secret_key=SECRET, now=at(1.5) + timedelta(seconds=59))
    assert out["minutes"] == 75


async def test_check_in_opens_an_hour_before_and_closes_at_the_end(app):
    org, _ = await make_org()
    occurrence = await make_occurrence(org)
    volunteer, me = await make_volunteer()
    mine = await sign_up(occurrence, volunteer)
    for moment, code in ((at(-1.5), "check_in_not_open"), (at(2.1), "check_in_closed")):
        with pytest.raises(Conflict) as refused:
            await checkin.check_in_or_out(actor=me, sign_up_id=mine, code=code_at(occurrence, moment),
                                          secret_key=SECRET, now=moment)
        assert refused.value.code == code


async def test_nobody_checks_in_someone_elses_sign_up(app):
    org, _ = await make_org()
    occurrence = await make_occurrence(org)
    volunteer, _ = await make_volunteer()
    _, stranger = await make_volunteer("王五")
    theirs = await sign_up(occurrence, volunteer)
    with pytest.raises(NotFound):
        await checkin.check_in_or_out(actor=stranger, sign_up_id=theirs, code=code_at(occurrence, at(0)),
                                      secret_key=SECRET, now=at(0))


async def test_guardian_and_the_adult_leader_check_in_a_child(app):
    org, _ = await make_org()
    occurrence = await make_occurrence(org)
    child, guardian = await make_child()
    other_child, _ = await make_child("陈小明")
    leader, leader_actor = await make_volunteer("刘队长")
    await sign_up(occurrence, leader, leader=True)
    first, second = await sign_up(occurrence, child), await sign_up(occurrence, other_child)
    by_guardian = await checkin.check_in_or_out(actor=guardian, sign_up_id=first, code=code_at(occurrence, at(0)),
                                                secret_key=SECRET, now=at(0))
    by_leader = await checkin.check_in_or_out(actor=leader_actor, sign_up_id=second,
                                              code=code_at(occurrence, at(0)), secret_key=SECRET, now=at(0))
    assert by_guardian["name"] == "李小安" and by_leader["name"] == "陈小明"
    with pytest.raises(NotFound):  # a guardian acts only for their own child
        await checkin.check_in_or_out(actor=guardian, sign_up_id=second, code=code_at(occurrence, at(0.1)),
                                      secret_key=SECRET, now=at(0.1))
    listed = await checkin.checkable(actor=leader_actor, occurrence_id=occurrence, now=at(0))
    assert {s["name"] for s in listed} == {"刘队长", "李小安", "陈小明"}


async def test_scanning_the_qr_link_checks_in_then_out(app):
    org, _ = await make_org()
    occurrence = await make_occurrence(org)
    volunteer, me = await make_volunteer()
    await sign_up(occurrence, volunteer)
    came = await checkin.scan(actor=me, token=code_at(occurrence, at(0), "token"), secret_key=SECRET, now=at(0))
    went = await checkin.scan(actor=me, token=code_at(occurrence, at(2), "token"), secret_key=SECRET, now=at(2))
    assert (came["action"], went["action"], went["minutes"]) == ("in", "out", 120)


async def test_a_far_check_in_is_kept_but_flagged_with_the_distance(app):
    org, _ = await make_org()
    occurrence = await make_occurrence(org)
    volunteer, me = await make_volunteer()
    mine = await sign_up(occurrence, volunteer)
    far = await checkin.check_in_or_out(actor=me, sign_up_id=mine, code=code_at(occurrence, at(0)),
                                        secret_key=SECRET, lat=PLACE[0] + 0.02, lon=PLACE[1], now=at(0))
    assert far["status"] == "checked_in" and far["flags"] == ["far"]
    assert 2000 < far["in_distance_m"] < 2400


async def test_the_activity_radius_decides_what_is_far(app):
    org, member = await make_org()
    occurrence = await make_occurrence(org)
    roster = await checkin.confirmation_list(actor=member, occurrence_id=occurrence, now=at(0))
    await checkin.set_radius(actor=member, activity_id=roster["occurrence"]["activity"], metres=3000)
    volunteer, me = await make_volunteer()
    mine = await sign_up(occurrence, volunteer)
    near_enough = await checkin.check_in_or_out(actor=me, sign_up_id=mine, code=code_at(occurrence, at(0)),
                                                secret_key=SECRET, lat=PLACE[0] + 0.02, lon=PLACE[1], now=at(0))
    assert near_enough["flags"] == []


async def test_organizer_types_a_volunteers_personal_code(app):
    org, member = await make_org()
    occurrence = await make_occurrence(org)
    volunteer, _ = await make_volunteer()
    await sign_up(occurrence, volunteer)
    shown = codes.personal_code(secret_key=SECRET, volunteer_id=volunteer, now=at(0))
    done = await checkin.check_in_by_personal_code(actor=member, occurrence_id=occurrence, code=shown,
                                                   secret_key=SECRET, now=at(0))
    assert done["action"] == "in" and done["volunteer"] == volunteer
    with pytest.raises(InvalidInput):
        await checkin.check_in_by_personal_code(actor=member, occurrence_id=occurrence, code=shown,
                                                secret_key=SECRET, now=at(0.5))


async def _checked_out(occurrence: int, volunteer_actor, sign_up_id: int, *, came=0.0, went=2.0) -> dict:
    await checkin.check_in_or_out(actor=volunteer_actor, sign_up_id=sign_up_id, code=code_at(occurrence, at(came)),
                                  secret_key=SECRET, now=at(came))
    return await checkin.check_in_or_out(actor=volunteer_actor, sign_up_id=sign_up_id,
                                         code=code_at(occurrence, at(went)), secret_key=SECRET, now=at(went))


async def test_only_confirmed_hours_credit_the_ledger_in_exact_minutes(app):
    org, member = await make_org()
    occurrence = await make_occurrence(org, hours=3)
    volunteer, me = await make_volunteer()
    mine = await sign_up(occurrence, volunteer)
    record = await _checked_out(occurrence, me, mine, came=0.5, went=2.25)
    assert await LedgerEntry.count() == 0
    await checkin.confirm_hours(actor=member, check_in_id=record["id"], now=at(3))
    ledger = await LedgerEntry.select(LedgerEntry.minutes).where(LedgerEntry.sign_up == mine)
    person = await Volunteer.select(Volunteer.minutes_total, Volunteer.attended_count).where(
        Volunteer.id == volunteer).first()
    assert ledger == [{"minutes": 105}] and person == {"minutes_total": 105, "attended_count": 1}
    # a correction within the window replaces the credit, never adds a second one
    await checkin.confirm_hours(actor=member, check_in_id=record["id"], minutes=90, now=at(24 * 6))
    person = await Volunteer.select(Volunteer.minutes_total, Volunteer.attended_count).where(
        Volunteer.id == volunteer).first()
    assert await LedgerEntry.count() == 1 and person == {"minutes_total": 90, "attended_count": 1}


async def test_bulk_confirmation_skips_people_still_checked_in(app):
    org, member = await make_org()
    occurrence = await make_occurrence(org)
    people = [await make_volunteer(f"志愿者{n}") for n in range(3)]
    sign_ups = [await sign_up(occurrence, v) for v, _ in people]
    await _checked_out(occurrence, people[0][1], sign_ups[0])
    await _checked_out(occurrence, people[1][1], sign_ups[1], came=1)
    await checkin.check_in_or_out(actor=people[2][1], sign_up_id=sign_ups[2], code=code_at(occurrence, at(0)),
                                  secret_key=SECRET, now=at(0))
    done = await checkin.confirm_all(actor=member, occurrence_id=occurrence, now=at(2.5))
    assert done == {"occurrence": occurrence, "confirmed": 2, "minutes": 180}
    listed = await checkin.confirmation_list(actor=member, occurrence_id=occurrence, now=at(2.5))
    assert [i["check_in"]["status"] for i in listed["items"]] == ["confirmed", "confirmed", "checked_in"]


async def test_confirmation_closes_seven_days_after_the_end_and_other_organizations_see_nothing(app):
    org, member = await make_org()
    _, other_member = await make_org()
    occurrence = await make_occurrence(org)
    volunteer, me = await make_volunteer()
    record = await _checked_out(occurrence, me, await sign_up(occurrence, volunteer))
    with pytest.raises(Conflict) as late:
        await checkin.confirm_hours(actor=member, check_in_id=record["id"], now=at(2 + 24 * 7 + 1))
    assert late.value.code == "correction_closed"
    with pytest.raises(NotFound):
        await checkin.confirm_hours(actor=other_member, check_in_id=record["id"], now=at(3))
    with pytest.raises(NotFound):
        await checkin.confirmation_list(actor=other_member, occurrence_id=occurrence, now=at(3))


async def test_staff_correct_hours_with_a_reason_audited(app):
    from tongxin.accounts.tables import AuditEntry

    org, member = await make_org()
    occurrence = await make_occurrence(org)
    volunteer, me = await make_volunteer()
    record = await _checked_out(occurrence, me, await sign_up(occurrence, volunteer))
    await checkin.confirm_hours(actor=member, check_in_id=record["id"], now=at(3))
    staff = await staff_actor()
    with pytest.raises(InvalidInput):
        await checkin.correct_hours(actor=staff, check_in_id=record["id"], minutes=60, note=" ", now=at(24 * 30))
    await checkin.correct_hours(actor=staff, check_in_id=record["id"], minutes=60, note="只服务了一小时",
                                now=at(24 * 30))
    assert (await Volunteer.select(Volunteer.minutes_total).where(Volunteer.id == volunteer).first()
            )["minutes_total"] == 60
    audit = await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "correct_hours").output(
        load_json=True).first()
    assert audit["detail"]["from"] == 120 and audit["detail"]["to"] == 60


async def test_ten_wrong_codes_make_the_person_wait(app):
    from tongxin.errors import RateLimited

    org, _ = await make_org()
    occurrence = await make_occurrence(org)
    volunteer, me = await make_volunteer()
    mine = await sign_up(occurrence, volunteer)
    right = code_at(occurrence, at(0))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(checkin.MAX_WRONG_CODES):
        with pytest.raises(InvalidInput):
            await checkin.check_in_or_out(actor=me, sign_up_id=mine, code=wrong, secret_key=SECRET, now=at(0))
    with pytest.raises(RateLimited) as waiting:
        await checkin.check_in_or_out(actor=me, sign_up_id=mine, code=right, secret_key=SECRET, now=at(0))
    assert waiting.value.code == "too_many_wrong_codes" and await CheckIn.count() == 0


async def test_the_no_show_job_leaves_people_who_checked_in_to_the_organization(app):
    from tongxin.activities import attendance
    from tongxin.activities.tables import SignUp

    org, _ = await make_org()
    occurrence = await make_occurrence(org)
    came, came_me = await make_volunteer()
    stayed_home, _ = await make_volunteer("王五")
    present, absent = await sign_up(occurrence, came), await sign_up(occurrence, stayed_home)
    await checkin.check_in_or_out(actor=came_me, sign_up_id=present, code=code_at(occurrence, at(0)),
                                  secret_key=SECRET, now=at(0))
    await attendance.mark_no_shows_after(grace=timedelta(hours=24), now=at(30))
    statuses = {r["id"]: r["status"] for r in await SignUp.select(SignUp.id, SignUp.status)}
    assert statuses == {present: "confirmed", absent: "no_show"}
