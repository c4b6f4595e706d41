"""Each defect of issue 8 that no other test covered, as a user would meet it (both engines).

Minors by age, adult leaders, the waitlist re-checking the rules and telling the right person, positions
after a re-sign-up, duplicate requests, exact hours, the 7-day attendance window and bounded repeat rules.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from tests.factories import make_user
from tests.volunteers.factories import make_community, make_organization
from tongxin.accounts.service import Actor
from tongxin.activities import attendance, signups
from tongxin.activities.recurrence import check_rule
from tongxin.activities.tables import Activity, Occurrence, SignUp
from tongxin.dates import LOCAL_TZ, hours_text
from tongxin.errors import Conflict, InvalidInput
from tongxin.notifications.tables import Notification
from tongxin.volunteers.tables import Volunteer, YouthMember

pytestmark = pytest.mark.anyio


def local_day_at(hour: int, minute: int = 0, *, days: int = 10) -> datetime:
    """`hour`:`minute` Asia/Shanghai time `days` days from today, in UTC."""
    day = datetime.now(LOCAL_TZ).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ).astimezone(timezone.utc)


def born_years_ago(years: int, on: datetime) -> date:
    """A birth date making someone exactly `years` old (plus a month) on the local date of `on`."""
    day = on.astimezone(LOCAL_TZ).date()
    return date(day.year - years, day.month, 1) - timedelta(days=31)


async def place() -> dict:
    member = await make_user("org_member")
    return {"community": await make_community(), "organization": await make_organization(member["id"]),
            "member": member["id"]}


async def occurrence(where: dict, start: datetime, *, minutes: int = 120, capacity: int = 5,
                     youth_allowed: bool = True, ages: tuple[int, int] = (8, 70)) -> int:
    activity = await Activity.insert(Activity(
        organization=where["organization"], title="社区安全巡查", kind="safety_education", status="approved",
        starts_at=start, duration_minutes=minutes, capacity=capacity, min_age=ages[0], max_age=ages[1],
        youth_allowed=youth_allowed, community=where["community"])).returning(Activity.id)
    rows = await Occurrence.insert(Occurrence(
        activity=activity[0]["id"], starts_at=start, ends_at=start + timedelta(minutes=minutes),
        signup_deadline=start - timedelta(hours=1), capacity=capacity, taken=0, status="open",
        community=where["community"], lat=33.9, lon=118.3)).returning(Occurrence.id)
    return rows[0]["id"]


async def adult(where: dict, *, name: str = "王老师") -> dict:
    user = await make_user("volunteer")
    rows = await Volunteer.insert(Volunteer(user=user["id"], real_name=name, birth_date=date(1985, 6, 1),
                                            community=where["community"], lat=33.9, lon=118.3)).returning(Volunteer.id)
    return {"volunteer": rows[0]["id"], "user": user["id"]}


async def child(where: dict, *, birth: date, youth_member: bool = True) -> dict:
    """A little safety officer (active, consent in force) with a guardian, or a teenager with an own login."""
    guardian = await make_user("guardian")
    own = None if youth_member else (await make_user("volunteer"))["id"]
    rows = await Volunteer.insert(Volunteer(user=own, real_name="小明", birth_date=birth, community=where["community"],
                                            lat=33.9, lon=118.3, is_youth=youth_member)).returning(Volunteer.id)
    if youth_member:
        await YouthMember.insert(YouthMember(volunteer=rows[0]["id"], guardian=guardian["id"], status="active",
                                             consent_at=datetime.now(timezone.utc), consent_text_version="v1"))
    return {"volunteer": rows[0]["id"], "guardian": guardian["id"], "user": own}


async def told(user_id: int, kind: str) -> bool:
    return await Notification.exists().where((Notification.recipient == user_id) & (Notification.kind == kind))


async def status_of(sign_up_id: int) -> str:
    return (await SignUp.select(SignUp.status).where(SignUp.id == sign_up_id).first())["status"]


async def test_a_fifteen_year_old_is_no_adult_leader_and_a_child_then_waits_for_one(app):
    where = await place()
    start = local_day_at(9)
    drill = await occurrence(where, start)
    teenager = await child(where, birth=born_years_ago(15, start), youth_member=False)
    with pytest.raises(Conflict) as refused:  # under 18 on the day: the youth rules, and no leading
        await signups.apply(volunteer_id=teenager["volunteer"], occurrence_id=drill, as_leader=True)
    assert "youth_consent" in refused.value.reasons
    officer = await child(where, birth=born_years_ago(17, start))
    with pytest.raises(InvalidInput) as not_adult:
        await signups.apply(volunteer_id=officer["volunteer"], occurrence_id=drill, as_leader=True)
    assert not_adult.value.code == "leader_not_adult"
    young = await child(where, birth=born_years_ago(12, start))
    joined = await signups.apply(volunteer_id=young["volunteer"], occurrence_id=drill)
    assert joined["status"] == "waiting_for_leader", "no adult is present: the child is not confirmed"
    leader = await adult(where)
    await signups.apply(volunteer_id=leader["volunteer"], occurrence_id=drill, as_leader=True)
    assert await status_of(joined["id"]) == "confirmed"
    assert await told(young["guardian"], "leader_arrived")


async def test_an_adult_leads_a_session_for_children_aged_ten_to_seventeen_but_does_not_join_it_as_a_child(app):
    where = await place()
    start = local_day_at(9)
    lesson = await occurrence(where, start, ages=(10, 17))
    young = await child(where, birth=born_years_ago(12, start))
    joined = await signups.apply(volunteer_id=young["volunteer"], occurrence_id=lesson)
    assert joined["status"] == "waiting_for_leader"
    leader = await adult(where)
    with pytest.raises(Conflict) as refused:  # the children's age range binds a participant
        await signups.apply(volunteer_id=leader["volunteer"], occurrence_id=lesson)
    assert refused.value.reasons == ["age"]
    led = await signups.apply(volunteer_id=leader["volunteer"], occurrence_id=lesson, as_leader=True)
    assert led["status"] == "confirmed" and await status_of(joined["id"]) == "confirmed"


async def test_a_sixteen_year_old_cannot_sign_up_alone_for_a_seven_pm_activity(app):
    where = await place()
    evening = await occurrence(where, local_day_at(19))
    leader = await adult(where)
    await signups.apply(volunteer_id=leader["volunteer"], occurrence_id=evening, as_leader=True)
    sixteen = await child(where, birth=born_years_ago(16, local_day_at(19)))
    with pytest.raises(Conflict) as refused:
        await signups.apply(volunteer_id=sixteen["volunteer"], occurrence_id=evening)
    assert refused.value.reasons == ["youth_night"]
    assert await SignUp.count().where(SignUp.volunteer == sixteen["volunteer"]) == 0


async def test_when_the_last_adult_leader_cancels_the_children_wait_and_guardians_and_organization_are_told(app):
    where = await place()
    drill = await occurrence(where, local_day_at(9))
    leader = await adult(where)
    led = await signups.apply(volunteer_id=leader["volunteer"], occurrence_id=drill, as_leader=True)
    young = await child(where, birth=born_years_ago(12, local_day_at(9)))
    joined = await signups.apply(volunteer_id=young["volunteer"], occurrence_id=drill)
    assert joined["status"] == "confirmed"
    await signups.cancel(sign_up_id=led["id"])
    assert await status_of(joined["id"]) == "waiting_for_leader"
    assert await told(young["guardian"], "leader_left")
    assert await told(where["member"], "leader_needed")
    taken = (await Occurrence.select(Occurrence.taken).where(Occurrence.id == drill).first())["taken"]
    assert taken == 1, "the child keeps the place while waiting"


async def test_promotion_skips_a_person_who_would_have_two_overlapping_confirmed_sign_ups(app):
    where = await place()
    morning = await occurrence(where, local_day_at(10), capacity=1)
    overlapping = await occurrence(where, local_day_at(11), capacity=5)
    first, busy, next_in_line = await adult(where), await adult(where), await adult(where)
    holder = await signups.apply(volunteer_id=first["volunteer"], occurrence_id=morning)
    waiting = await signups.apply(volunteer_id=busy["volunteer"], occurrence_id=morning)
    behind = await signups.apply(volunteer_id=next_in_line["volunteer"], occurrence_id=morning)
    assert (waiting["status"], behind["status"]) == ("waitlisted", "waitlisted")
    # While waiting, `busy` confirms an occurrence at 11:00 (a waitlist place holds no time).
    assert (await signups.apply(volunteer_id=busy["volunteer"], occurrence_id=overlapping))["status"] == "confirmed"
    result = await signups.cancel(sign_up_id=holder["id"])
    assert result["promoted"] == [behind["id"]]
    assert await status_of(waiting["id"]) == "waitlisted"
    assert await told(busy["user"], "waitlist_skipped") and await told(next_in_line["user"], "waitlist_promoted")
    assert await SignUp.count().where((SignUp.volunteer == busy["volunteer"]) & (SignUp.status == "confirmed")) == 1


async def test_a_promoted_childs_guardian_is_told(app):
    where = await place()
    drill = await occurrence(where, local_day_at(9), capacity=2)
    leader, other = await adult(where), await adult(where)
    await signups.apply(volunteer_id=leader["volunteer"], occurrence_id=drill, as_leader=True)
    held = await signups.apply(volunteer_id=other["volunteer"], occurrence_id=drill)
    young = await child(where, birth=born_years_ago(12, local_day_at(9)))
    waiting = await signups.apply(volunteer_id=young["volunteer"], occurrence_id=drill)
    assert waiting["status"] == "waitlisted"
    await signups.cancel(sign_up_id=held["id"])
    assert await status_of(waiting["id"]) == "confirmed"
    assert await told(young["guardian"], "waitlist_promoted")


async def test_waitlist_positions_follow_the_promotion_order_after_a_re_sign_up(app):
    where = await place()
    full = await occurrence(where, local_day_at(9), capacity=1)
    a, b, c = await adult(where), await adult(where), await adult(where)
    holder = await signups.apply(volunteer_id=a["volunteer"], occurrence_id=full)
    first = await signups.apply(volunteer_id=b["volunteer"], occurrence_id=full)
    second = await signups.apply(volunteer_id=c["volunteer"], occurrence_id=full)
    assert (first["waitlist_position"], second["waitlist_position"]) == (1, 2)
    await signups.cancel(sign_up_id=first["id"])
    assert await signups.waitlist_position(sign_up_id=second["id"]) == 1
    again = await signups.apply(volunteer_id=b["volunteer"], occurrence_id=full)
    assert again["id"] == first["id"] and again["waitlist_position"] == 2, "back of the queue, not a repeated 1"
    promoted = (await signups.cancel(sign_up_id=holder["id"]))["promoted"]
    assert promoted == [second["id"]] and await signups.waitlist_position(sign_up_id=again["id"]) == 1


async def test_the_same_sign_up_sent_twenty_times_at_once_is_one_sign_up_and_nineteen_conflicts(app):
    where = await place()
    drill = await occurrence(where, local_day_at(9))
    person = await adult(where)
    results = await asyncio.gather(*[signups.apply(volunteer_id=person["volunteer"], occurrence_id=drill)
                                     for _ in range(20)], return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(results) - len(errors) == 1
    assert all(isinstance(e, Conflict) and e.code == "already_signed_up" for e in errors), errors
    assert await SignUp.count().where(SignUp.volunteer == person["volunteer"]) == 1


async def test_three_twenty_minute_sessions_credit_exactly_one_hour(app):
    where = await place()
    person = await adult(where)
    for n in range(3):
        short = await occurrence(where, local_day_at(9, 20 * n), minutes=20)
        await SignUp.insert(SignUp(occurrence=short, volunteer=person["volunteer"], status="attended"))
    assert await attendance.credit_attendance() == 3
    total = (await Volunteer.select(Volunteer.minutes_total).where(Volunteer.id == person["volunteer"]).first())
    assert total["minutes_total"] == 60 and hours_text(total["minutes_total"]) == "1"
    assert hours_text(8 * 60 + 5) == "8.08"  # 8 h 5 min, never 8.09000015258789


async def test_an_unmarked_sign_up_is_a_provisional_no_show_the_organization_can_still_credit_two_days_later(app):
    where = await place()
    ended = datetime.now(timezone.utc) - timedelta(days=2)
    past = await occurrence(where, ended - timedelta(hours=2))
    person = await adult(where)
    rows = await SignUp.insert(SignUp(occurrence=past, volunteer=person["volunteer"], status="confirmed")
                               ).returning(SignUp.id)
    assert await attendance.mark_no_shows_after(grace=timedelta(hours=24)) == 1
    assert await status_of(rows[0]["id"]) == "no_show"
    organization = Actor(id=where["member"], username="org", role="org_member", organization_id=where["organization"])
    await attendance.mark_attendance(actor=organization, sign_up_id=rows[0]["id"], attended=True)
    assert await status_of(rows[0]["id"]) == "attended"
    totals = await Volunteer.select(Volunteer.minutes_total, Volunteer.no_show_count).where(
        Volunteer.id == person["volunteer"]).first()
    assert totals == {"minutes_total": 120, "no_show_count": 0}
    late = datetime.now(timezone.utc) + timedelta(days=6)
    with pytest.raises(Conflict):  # the window closes 7 days after the end
        await attendance.mark_attendance(actor=organization, sign_up_id=rows[0]["id"], attended=False, now=late)


async def test_a_minutely_rule_is_refused_and_a_rule_that_never_occurs_is_refused_in_under_100_ms(app):
    start = local_day_at(9)
    for rule in ("FREQ=MINUTELY", "FREQ=HOURLY", "FREQ=DAILY;BYHOUR=9,10"):
        with pytest.raises(InvalidInput) as refused:
            await check_rule(rrule_text=rule, starts_at=start)
        assert refused.value.field == "rrule"
    began = time.perf_counter()
    with pytest.raises(InvalidInput):
        await check_rule(rrule_text="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", starts_at=start)
    assert time.perf_counter() - began < 0.1


async def test_cancels_at_the_same_moment_leave_nobody_confirmed_and_no_place_leaked(app):
    where = await place()
    drill = await occurrence(where, local_day_at(9), capacity=20)
    people = [await adult(where, name=f"志愿者{n}") for n in range(40)]
    rows = [await signups.apply(volunteer_id=p["volunteer"], occurrence_id=drill) for p in people]
    confirmed = [r["id"] for r in rows if r["status"] == "confirmed"]
    waiting = [r["id"] for r in rows if r["status"] == "waitlisted"]
    assert len(confirmed) == 20 and [r["waitlist_position"] for r in rows[20:]] == list(range(1, 21))
    leaving = confirmed[:10] + waiting[:5]
    results = await asyncio.gather(*[signups.cancel(sign_up_id=s) for s in leaving], return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert await SignUp.count().where(SignUp.id.is_in(leaving) & (SignUp.status != "cancelled")) == 0
    holding = await SignUp.count().where((SignUp.occurrence == drill) & SignUp.status.is_in(["confirmed"]))
    taken = (await Occurrence.select(Occurrence.taken).where(Occurrence.id == drill).first())["taken"]
    assert holding == taken == 20, "every freed place went to the waitlist and none leaked"
    now_confirmed = {r["id"] for r in await SignUp.select(SignUp.id).where(SignUp.status == "confirmed")}
    # The ten who stayed, and the next ten of the waitlist in queue order after the five who left it.
    assert now_confirmed == set(confirmed[10:]) | set(waiting[5:15])
    assert [await signups.waitlist_position(sign_up_id=s) for s in waiting[15:]] == [1, 2, 3, 4, 5]
    seqs = [r["queue_seq"] for r in await SignUp.select(SignUp.queue_seq).where(SignUp.queue_seq.is_not_null())]
    assert len(seqs) == len(set(seqs)), "waitlist positions never repeat"


async def test_editing_a_repeat_rule_cancels_dropped_occurrences_keeps_their_ids_and_withdraws_their_proposals(app):
    from tests.activities.test_journeys import published_activity, signed_in
    from tongxin.accounts.tables import User
    from tongxin.matches.tables import Proposal
    from tests.factories import login as sign_in
    from tests.conftest import make_client

    community = await make_community()
    activity, org_user = await published_activity(app, community, rrule="FREQ=WEEKLY;BYDAY=SA")
    saturdays = [o["id"] for o in activity["occurrences"]]
    before = await Occurrence.count()
    proposal = (await Proposal.insert(Proposal(target_type="occurrence", target_id=saturdays[0],
                                               candidate_type="volunteer", candidate_id=1)).returning(Proposal.id))[0]["id"]
    async with make_client(app) as org:
        await sign_in(org, (await User.select(User.username).where(User.id == org_user).first())["username"])
        assert (await org.put(f"/api/activities/{activity['id']}/rule", json={"rrule": "FREQ=WEEKLY;BYDAY=SU"})
                ).status_code == 200
    async with signed_in(app, "staff") as staff:
        assert (await staff.post(f"/api/activities/{activity['id']}/decision", json={"approve": True})).status_code == 200
    old = await Occurrence.select(Occurrence.id, Occurrence.status, Occurrence.starts_at).where(
        Occurrence.id.is_in(saturdays))
    assert len(old) == len(saturdays) and {o["status"] for o in old} == {"cancelled"}, "cancelled, never deleted"
    assert all(o["starts_at"].astimezone(LOCAL_TZ).weekday() == 5 for o in old), "an id keeps meaning its Saturday"
    new = await Occurrence.select(Occurrence.id).where((Occurrence.activity == activity["id"])
                                                       & (Occurrence.status == "open"))
    assert new and min(o["id"] for o in new) > max(saturdays) and await Occurrence.count() > before
    assert (await Proposal.select(Proposal.status).where(Proposal.id == proposal).first())["status"] == "withdrawn"
