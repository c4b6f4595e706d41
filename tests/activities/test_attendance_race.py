"""The scheduler's no-show job and an organization marking attendance at the same moment."""

import asyncio
from datetime import timedelta

import pytest

from tests.factories import make_user
from tests.volunteers.factories import make_occurrence, years_ago

pytestmark = pytest.mark.anyio


async def test_the_no_show_job_and_an_attendance_mark_at_once_leave_one_consistent_outcome(app):
    from tongxin.accounts.service import load_actor
    from tongxin.activities import attendance
    from tongxin.activities.tables import SignUp
    from tongxin.volunteers.tables import LedgerEntry, Volunteer

    staff = await load_actor(user_id=(await make_user("staff"))["id"])
    for _ in range(5):
        occurrence = await make_occurrence(starts_in=-timedelta(hours=40))
        volunteer = (await Volunteer.insert(Volunteer(real_name="李华", birth_date=years_ago(30))).returning(
            Volunteer.id))[0]["id"]
        sign_up = (await SignUp.insert(SignUp(occurrence=occurrence, volunteer=volunteer, status="confirmed"))
                   .returning(SignUp.id))[0]["id"]
        await asyncio.gather(attendance.mark_attendance(actor=staff, sign_up_id=sign_up, attended=True),
                             attendance.mark_no_shows_after(grace=timedelta(hours=24)))
        status = (await SignUp.select(SignUp.status).where(SignUp.id == sign_up).first())["status"]
        person = await Volunteer.select(Volunteer.attended_count, Volunteer.no_show_count).where(
            Volunteer.id == volunteer).first()
        credits = await LedgerEntry.count().where(LedgerEntry.sign_up == sign_up)
        if status == "attended":
            assert (person, credits) == ({"attended_count": 1, "no_show_count": 0}, 1)
        else:
            assert status == "no_show"
            assert (person, credits) == ({"attended_count": 0, "no_show_count": 1}, 0), \
                "a no-show written over an attendance mark keeps its credit"
