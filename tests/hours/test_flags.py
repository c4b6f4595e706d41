"""Suspicious hours: each rule flags with the reason in words; flags never change hours; staff clear or correct."""

from datetime import timedelta

import pytest

from tongxin.accounts.tables import AuditEntry
from tongxin.errors import Conflict, NotFound
from tongxin.hours import checkin, codes, flags
from tongxin.hours.tables import CheckIn, HoursFlag
from tongxin.volunteers.tables import LedgerEntry

from tests.hours.factories import (
    PLACE,
    SECRET,
    at,
    make_occurrence,
    make_org,
    make_volunteer,
    sign_up,
    staff_actor,
)

pytestmark = pytest.mark.anyio


async def act(me, sign_up_id: int, occurrence: int, moment, **where):
    code = codes.occurrence_code(secret_key=SECRET, occurrence_id=occurrence, now=moment)["short_code"]
    return await checkin.check_in_or_out(actor=me, sign_up_id=sign_up_id, code=code, secret_key=SECRET, now=moment,
                                         **where)


async def reasons(volunteer: int) -> dict[str, str]:
    return {f["rule"]: f["reason"] for f in await HoursFlag.select(HoursFlag.rule, HoursFlag.reason).where(
        HoursFlag.volunteer == volunteer)}


async def test_overlapping_check_ins_of_one_person_are_flagged(app):
    org, _ = await make_org()
    first = await make_occurrence(org, starts=at(0))
    second = await make_occurrence(org, starts=at(0.5), title="防汛演练")
    volunteer, me = await make_volunteer()
    a, b = await sign_up(first, volunteer), await sign_up(second, volunteer)
    await act(me, a, first, at(0))
    done = await act(me, b, second, at(0.5))
    assert done["flags"] == ["overlap"]
    assert "吾爱邻便民志愿服务日" in (await reasons(volunteer))["overlap"] and "重叠" in (await reasons(volunteer))["overlap"]


async def test_back_to_back_check_ins_at_one_place_are_not_flagged(app):
    org, _ = await make_org()
    first = await make_occurrence(org, starts=at(0), hours=1)
    second = await make_occurrence(org, starts=at(1), hours=1, title="防汛演练")
    volunteer, me = await make_volunteer()
    a, b = await sign_up(first, volunteer), await sign_up(second, volunteer)
    await act(me, a, first, at(0), lat=PLACE[0], lon=PLACE[1])
    await act(me, a, first, at(1), lat=PLACE[0], lon=PLACE[1])
    done = await act(me, b, second, at(1) + timedelta(minutes=1), lat=PLACE[0], lon=PLACE[1])
    assert done["flags"] == [] and await HoursFlag.count() == 0


async def test_travel_faster_than_possible_between_two_check_ins_is_flagged(app):
    org, _ = await make_org()
    here = await make_occurrence(org, starts=at(0), hours=1)
    there_place = (PLACE[0] + 0.27, PLACE[1])  # about 30 km north
    there = await make_occurrence(org, starts=at(0), hours=2, place=there_place, title="防汛演练")
    volunteer, me = await make_volunteer()
    a, b = await sign_up(here, volunteer), await sign_up(there, volunteer)
    await act(me, a, here, at(0), lat=PLACE[0], lon=PLACE[1])
    await act(me, a, here, at(0) + timedelta(minutes=5), lat=PLACE[0], lon=PLACE[1])
    done = await act(me, b, there, at(0) + timedelta(minutes=15), lat=there_place[0], lon=there_place[1])
    assert done["flags"] == ["travel"]
    text = (await reasons(volunteer))["travel"]
    assert "30.0 公里" in text and "10 分钟" in text and "不可能赶到" in text


async def test_more_hours_than_the_occurrence_lasted_are_flagged_but_kept(app):
    org, member = await make_org()
    occurrence = await make_occurrence(org, hours=2)
    volunteer, me = await make_volunteer()
    mine = await sign_up(occurrence, volunteer)
    await act(me, mine, occurrence, at(0))
    record = await act(me, mine, occurrence, at(2))
    await checkin.confirm_hours(actor=member, check_in_id=record["id"], minutes=300, now=at(3))
    assert (await reasons(volunteer))["too_long"] == "记录 5 小时，超过活动时长 2 小时"
    assert (await LedgerEntry.select(LedgerEntry.minutes).first())["minutes"] == 300, "a flag never changes hours"


async def test_a_whole_roster_checked_in_from_one_phone_within_seconds_is_flagged(app):
    org, _ = await make_org()
    occurrence = await make_occurrence(org)
    people = [await make_volunteer(f"志愿者{n}") for n in range(4)]
    sign_ups = [await sign_up(occurrence, v) for v, _ in people]
    for n, (_, me) in enumerate(people):
        await act(me, sign_ups[n], occurrence, at(0) + timedelta(seconds=5 * n), device="one-phone")
    flagged = await HoursFlag.select(HoursFlag.check_in, HoursFlag.reason).where(HoursFlag.rule == "one_device")
    assert len({f["check_in"] for f in flagged}) == 4
    assert {f["reason"] for f in flagged} == {"同一部手机在 15 秒内为本场 4 人签到（名单共 4 人）"}


async def test_two_friends_sharing_a_phone_are_not_a_roster(app):
    org, _ = await make_org()
    occurrence = await make_occurrence(org)
    people = [await make_volunteer(f"志愿者{n}") for n in range(5)]
    sign_ups = [await sign_up(occurrence, v) for v, _ in people]
    for n in range(2):
        await act(people[n][1], sign_ups[n], occurrence, at(0) + timedelta(seconds=n), device="shared-phone")
    for n in range(2, 5):
        await act(people[n][1], sign_ups[n], occurrence, at(0) + timedelta(seconds=n), device=f"phone-{n}")
    assert await HoursFlag.count() == 0


async def _history(org: int, volunteer: int, minutes: list[int]) -> None:
    """Past services credited in the months before (one a month)."""
    for n, amount in enumerate(minutes, start=1):
        past = await make_occurrence(org, starts=at(-24 * 31 * n), title=f"往期服务{n}")
        await LedgerEntry.insert(LedgerEntry(volunteer=volunteer, sign_up=await sign_up(past, volunteer),
                                             minutes=amount, points=10))


async def test_someone_far_above_their_own_usual_hours_is_flagged(app):
    org, _ = await make_org()
    occurrence = await make_occurrence(org, hours=10)
    usual_person, usual_me = await make_volunteer("李勤")
    quiet_person, quiet_me = await make_volunteer("张静")
    await _history(org, usual_person, [600, 540, 600])
    await _history(org, quiet_person, [60, 60, 60])
    for person, me in ((usual_person, usual_me), (quiet_person, quiet_me)):
        mine = await sign_up(occurrence, person)
        await act(me, mine, occurrence, at(0))
        await act(me, mine, occurrence, at(10))
    assert "above_usual" not in await reasons(usual_person)
    assert (await reasons(quiet_person))["above_usual"] == "本月累计 10 小时，远高于本人近 6 个月平均每月 0.5 小时"


async def test_staff_clear_a_flag_with_a_note_and_the_hours_stand(app):
    org, member = await make_org()
    occurrence = await make_occurrence(org)
    volunteer, me = await make_volunteer()
    mine = await sign_up(occurrence, volunteer)
    await act(me, mine, occurrence, at(0), lat=PLACE[0] + 0.05, lon=PLACE[1])
    record = await act(me, mine, occurrence, at(2))
    await checkin.confirm_hours(actor=member, check_in_id=record["id"], now=at(3))
    staff = await staff_actor()
    listed = await flags.list_flags(actor=staff)
    assert listed["total"] == 1 and listed["items"][0]["rule"] == "far" and listed["items"][0]["name"] == "张志远"
    with pytest.raises(NotFound):
        await flags.list_flags(actor=member)
    flag_id = listed["items"][0]["id"]
    await flags.clear(actor=staff, flag_id=flag_id, note="活动临时改到社区服务中心", now=at(5))
    with pytest.raises(Conflict):
        await flags.clear(actor=staff, flag_id=flag_id, note="再次", now=at(5))
    assert (await flags.list_flags(actor=staff))["total"] == 0
    assert (await CheckIn.select(CheckIn.confirmed_minutes).first())["confirmed_minutes"] == 120
    assert await AuditEntry.exists().where(AuditEntry.action == "clear_hours_flag")


async def test_staff_correcting_hours_closes_the_flags_as_corrected(app):
    org, member = await make_org()
    occurrence = await make_occurrence(org)
    volunteer, me = await make_volunteer()
    mine = await sign_up(occurrence, volunteer)
    await act(me, mine, occurrence, at(0), lat=PLACE[0] + 0.05, lon=PLACE[1])
    record = await act(me, mine, occurrence, at(2))
    await checkin.correct_hours(actor=await staff_actor(), check_in_id=record["id"], minutes=30,
                                note="只在现场半小时", now=at(4))
    assert (await HoursFlag.select(HoursFlag.status).first())["status"] == "corrected"
    assert (await LedgerEntry.select(LedgerEntry.minutes).first())["minutes"] == 30
