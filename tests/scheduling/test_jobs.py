"""What the jobs do for people: occurrences, reminders, closing sign-ups, certificates, drills, outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tongxin.activities.service import LOCAL_TZ
from tongxin.activities.tables import Activity, Occurrence, SignUp
from tongxin.notifications import service as notifications
from tongxin.notifications.tables import Notification
from tongxin.scheduling import jobs, service

from tests.factories import make_user
from tests.scheduling.scheduling_factories import (
    MONDAY,
    confirm,
    make_activity,
    make_certificate,
    make_organization,
    make_volunteer,
    make_youth,
    occurrences_of,
)

pytestmark = pytest.mark.anyio


async def run(job: str, now, scheduled_for=None):
    return await service.fire(jobs.JOBS[job], scheduled_for or now, now=now)


async def messages(recipient: int) -> list[dict]:
    return await Notification.select().where(Notification.recipient == recipient).order_by(Notification.id)


async def expanded_activity(*, capacity: int = 10):
    org, members = await make_organization()
    activity = await make_activity(org, capacity=capacity)
    await run("expand_occurrences", MONDAY)
    return activity, members, await occurrences_of(activity)


class TestReschedule:
    async def test_editing_the_rule_changes_only_future_occurrences(self, app):
        activity, _, before = await expanded_activity()
        past = before[0]  # Saturday 7 March, before "now" below
        vid, user = await make_volunteer()
        signed = before[2]
        await confirm(vid, signed["id"])
        now = MONDAY + timedelta(days=7)
        await Activity.update({Activity.rrule: "FREQ=WEEKLY;BYDAY=SU"}).where(Activity.id == activity)
        result = await service.reschedule_activity(activity_id=activity, now=now)

        after = {o["id"]: o for o in await occurrences_of(activity)}
        assert after[past["id"]] == past
        assert after[signed["id"]]["status"] == "cancelled"
        assert result["cancelled"] == 1 and result["deleted"] == len(before) - 2 and result["created"] >= 7
        future = [o for o in after.values() if o["starts_at"] > now and o["status"] != "cancelled"]
        assert {o["starts_at"].astimezone(LOCAL_TZ).weekday() for o in future} == {6}
        sign_up = await SignUp.select(SignUp.status).where(SignUp.volunteer == vid).first()
        assert sign_up["status"] == "cancelled"
        told = await messages(user)
        assert [m["kind"] for m in told] == ["occurrence_cancelled"]
        row = await Activity.select(Activity.rule_changed_at).where(Activity.id == activity).first()
        assert row["rule_changed_at"] == now

    async def test_rescheduling_twice_changes_nothing_the_second_time(self, app):
        activity, _, _ = await expanded_activity()
        await Activity.update({Activity.rrule: "FREQ=WEEKLY;BYDAY=SU"}).where(Activity.id == activity)
        await service.reschedule_activity(activity_id=activity, now=MONDAY)
        again = await service.reschedule_activity(activity_id=activity, now=MONDAY)
        assert again == {"deleted": 0, "cancelled": 0, "created": 0}


class TestReminders:
    async def test_a_volunteer_is_reminded_a_week_and_a_day_before_once_each(self, app):
        _, _, occurrences = await expanded_activity()
        occurrence = occurrences[1]  # Saturday 14 March, 09:00
        vid, user = await make_volunteer()
        await confirm(vid, occurrence["id"])
        start = occurrence["starts_at"]
        for now in (start - timedelta(days=8), start - timedelta(days=6), start - timedelta(days=5),
                    start - timedelta(hours=20), start - timedelta(hours=2)):
            await run("reminders", now)
        keys = [m["target_key"] for m in await messages(user)]
        assert keys == [f"occurrence:{occurrence['id']}:7d", f"occurrence:{occurrence['id']}:1d"]

    async def test_the_guardian_is_reminded_for_a_youth_sign_up(self, app):
        _, _, occurrences = await expanded_activity()
        youth, guardian = await make_youth()
        await confirm(youth, occurrences[1]["id"])
        await run("reminders", occurrences[1]["starts_at"] - timedelta(hours=12))
        told = await messages(guardian)
        assert [(m["kind"], m["target_key"]) for m in told] == [
            ("reminder_guardian", f"occurrence:{occurrences[1]['id']}:1d:v{youth}")]

    async def test_waitlisted_and_cancelled_volunteers_get_no_reminder(self, app):
        _, _, occurrences = await expanded_activity()
        waiting, waiting_user = await make_volunteer()
        gone, gone_user = await make_volunteer()
        await confirm(waiting, occurrences[1]["id"], status="waitlisted")
        await confirm(gone, occurrences[1]["id"], status="cancelled")
        await run("reminders", occurrences[1]["starts_at"] - timedelta(hours=12))
        assert await messages(waiting_user) == [] and await messages(gone_user) == []

    async def test_organization_members_hear_of_an_under_filled_occurrence_three_days_before(self, app):
        _, members, occurrences = await expanded_activity(capacity=4)
        full, short = occurrences[1], occurrences[2]
        for _ in range(2):
            await confirm((await make_volunteer(with_user=False))[0], full["id"])
        await confirm((await make_volunteer(with_user=False))[0], short["id"])
        await run("reminders", short["starts_at"] - timedelta(days=4))
        assert await messages(members[0]) == []
        await run("reminders", short["starts_at"] - timedelta(days=2, hours=23))
        await run("reminders", short["starts_at"] - timedelta(days=2))
        told = await messages(members[0])
        assert [m["target_key"] for m in told] == [f"occurrence:{short['id']}:3d"]
        assert "1/4" in told[0]["title"]


async def test_sign_ups_close_at_the_deadline(app):
    _, _, occurrences = await expanded_activity()
    first = occurrences[0]
    await run("close_sign_ups", first["starts_at"] - timedelta(hours=25))
    assert (await occurrences_of_status(first["id"])) == "open"
    await run("close_sign_ups", first["starts_at"] - timedelta(hours=23))
    assert (await occurrences_of_status(first["id"])) == "closed"
    assert (await occurrences_of_status(occurrences[1]["id"])) == "open"


async def occurrences_of_status(occurrence_id: int) -> str:
    return (await Occurrence.select(Occurrence.status).where(Occurrence.id == occurrence_id).first())["status"]


class TestCertificates:
    async def test_the_volunteer_and_the_organization_of_their_next_occurrence_hear_of_an_expiring_certificate(self, app):
        _, members, occurrences = await expanded_activity()
        vid, user = await make_volunteer(name="李强")
        today = MONDAY.astimezone(LOCAL_TZ).date()
        await make_certificate(vid, expires_on=today + timedelta(days=20))
        await make_certificate(vid, code="driver_license", expires_on=today + timedelta(days=200))
        await confirm(vid, occurrences[3]["id"])
        for day in range(3):
            await run("certificates", MONDAY + timedelta(days=day))
        assert [m["kind"] for m in await messages(user)] == ["certificate_expiring"]
        told = await messages(members[0])
        assert [m["kind"] for m in told] == ["certificate_expiring_org"] and "李强" in told[0]["title"]

    async def test_a_drill_is_proposed_to_the_rescue_team_and_staff(self, app):
        _, rescuers = await make_organization(kind="rescue_team", members=1)
        staff = await make_user("staff")
        vid, _ = await make_volunteer(name="赵刚")
        await make_certificate(vid, code="rescue_cert", expires_on=MONDAY.date() + timedelta(days=10))
        await make_youth(activated_at=MONDAY - timedelta(days=200))
        await make_youth(activated_at=MONDAY - timedelta(days=10))  # too new to be overdue
        await run("drill_proposals", MONDAY)
        await run("drill_proposals", MONDAY + timedelta(hours=1), scheduled_for=MONDAY)
        to_rescuer = await messages(rescuers[0])
        to_staff = await messages(staff["id"])
        assert len(to_rescuer) == len(to_staff) == 1
        assert "赵刚" in to_rescuer[0]["body"] and "小明" not in to_rescuer[0]["body"]
        assert "小明" in to_staff[0]["body"] and "1 名小小安全员" in to_staff[0]["title"]


class TestOutbox:
    async def test_queued_messages_are_sent_once(self, app):
        user = await make_user()
        await notifications.notify(recipient_id=user["id"], kind="test", target_key="t:1", title="hello")
        assert await notifications.send_outbox(now=MONDAY) == {"sent": 1, "failed": 0}
        assert await notifications.send_outbox(now=MONDAY) == {"sent": 0, "failed": 0}
        row = (await messages(user["id"]))[0]
        assert row["sent_at"] == MONDAY and row["attempts"] == 1

    async def test_a_failing_channel_counts_attempts_and_is_retried_later(self, app):
        user = await make_user()
        await notifications.notify(recipient_id=user["id"], kind="test", target_key="t:1", title="hello")

        class FlakySms:
            channel = "in_app"
            calls = 0

            async def send(self, notification):
                self.calls += 1
                if self.calls == 1:
                    raise ConnectionError("gateway down")

        sender = FlakySms()
        assert await notifications.send_outbox(now=MONDAY, senders={"in_app": sender}) == {"sent": 0, "failed": 1}
        row = (await messages(user["id"]))[0]
        assert row["sent_at"] is None and row["attempts"] == 1
        assert await notifications.send_outbox(now=MONDAY, senders={"in_app": sender}) == {"sent": 1, "failed": 0}
        assert (await messages(user["id"]))[0]["attempts"] == 2

    async def test_a_message_nobody_can_send_gives_up_after_the_last_attempt(self, app):
        user = await make_user()
        await notifications.notify(recipient_id=user["id"], kind="test", target_key="t:1", title="hello")
        for _ in range(service.MAX_SEND_ATTEMPTS + 2):
            await notifications.send_outbox(now=MONDAY, senders={})
        assert (await messages(user["id"]))[0]["attempts"] == service.MAX_SEND_ATTEMPTS
