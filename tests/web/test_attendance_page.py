"""An organization marks attendance on a phone: buttons from the start, everyone at once, undo within
the 7-day correction window, and a way back."""

from datetime import timedelta

import pytest

from tests.factories import login, make_user
from tests.volunteers.factories import enrol, make_occurrence, years_ago

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}


async def roster_with(client, *, starts_in: timedelta, people: int = 2) -> dict:
    """An occurrence of the signed-in member's organization with `people` confirmed sign-ups."""
    from tongxin.activities.tables import Occurrence
    from tongxin.organizations.tables import OrganizationMember
    from tongxin.volunteers.tables import Volunteer

    occurrence_id = await make_occurrence(starts_in=starts_in, capacity=5)
    row = await Occurrence.select(Occurrence.activity, Occurrence.activity.organization.as_alias("org")).where(
        Occurrence.id == occurrence_id).first()
    member = await make_user("org_member")
    await OrganizationMember.insert(OrganizationMember(organization=row["org"], user=member["id"]))
    sign_ups = []
    for n in range(people):
        person = await Volunteer.insert(Volunteer(real_name=f"志愿者{n}", birth_date=years_ago(30))).returning(Volunteer.id)
        sign_ups.append((await enrol(volunteer_id=person[0]["id"], occurrence_id=occurrence_id))["id"])
    await login(client, member["username"])
    return {"occurrence": occurrence_id, "activity": row["activity"], "sign_ups": sign_ups}


async def test_before_the_start_there_are_no_attendance_buttons_and_a_way_back(client):
    found = await roster_with(client, starts_in=timedelta(days=2))
    page = (await client.get(f"/org/activities/{found['activity']}", headers=HTML)).text
    assert "活动开始后可在这里登记到场" in page and 'href="/org"' in page
    assert "hx-post" not in page and "全部到场" not in page
    activity_page = (await client.get(f"/occurrences/{found['occurrence']}", headers=HTML)).text
    assert f'href="/org/activities/{found["activity"]}"' in activity_page, "the organization finds its roster"


async def test_all_attended_marks_everyone_confirmed_at_once_and_credits_them(client):
    from tongxin.activities.tables import SignUp
    from tongxin.volunteers.tables import LedgerEntry

    found = await roster_with(client, starts_in=timedelta(hours=-1), people=3)
    page = (await client.get(f"/org/activities/{found['activity']}", headers=HTML)).text
    assert "全部到场(3 人)" in page and page.count("/attendance?attended=true") == 3
    done = await client.post(f"/org/occurrences/{found['occurrence']}/attendance/all", headers=HTML)
    assert done.status_code in (302, 303)
    after = await client.get(done.headers["location"], headers=HTML)
    assert "已将 3 人记为到场" in after.text
    statuses = {r["status"] for r in await SignUp.select(SignUp.status)}
    assert statuses == {"attended"} and await LedgerEntry.count() == 3


async def test_all_attended_before_the_start_is_refused_in_words(client):
    found = await roster_with(client, starts_in=timedelta(days=1))
    refused = await client.post(f"/org/occurrences/{found['occurrence']}/attendance/all", headers=HTML)
    assert refused.status_code == 409 and "活动开始后才能登记到场情况" in refused.text


async def test_a_mark_can_be_undone_within_the_correction_window(client):
    from tongxin.volunteers.tables import LedgerEntry, Volunteer

    found = await roster_with(client, starts_in=timedelta(hours=-3), people=1)
    sign_up = found["sign_ups"][0]
    marked = await client.post(f"/org/sign-ups/{sign_up}/attendance", params={"attended": "true"}, headers=HTML)
    assert 'data-status="attended"' in marked.text and f"/org/sign-ups/{sign_up}/attendance/undo" in marked.text
    undone = await client.post(f"/org/sign-ups/{sign_up}/attendance/undo", headers=HTML)
    assert undone.status_code == 200 and 'data-status="confirmed"' in undone.text
    assert "/attendance?attended=true" in undone.text, "the mark buttons are back"
    assert await LedgerEntry.count() == 0
    assert (await Volunteer.select(Volunteer.minutes_total).first())["minutes_total"] == 0


async def test_after_the_correction_window_marks_are_final(client):
    from tongxin.activities import attendance

    found = await roster_with(client, starts_in=timedelta(days=-9), people=1)
    await attendance.mark_no_shows_after(grace=timedelta(hours=24))
    page = (await client.get(f"/org/activities/{found['activity']}", headers=HTML)).text
    assert "到场记录已确定" in page and "hx-post" not in page and "全部到场" not in page
    late = await client.post(f"/org/sign-ups/{found['sign_ups'][0]}/attendance/undo", headers=HTML)
    assert "不能登记或更正到场情况" in late.text
