"""Issue 8: page forms go through the same validation as the API, and the profile form is one transaction."""

import pytest

from tests.factories import form_time, login, make_user, saturday_9am
from tests.volunteers.factories import make_organization, make_place, make_skill
from tongxin.activities.tables import Activity
from tongxin.volunteers.tables import AvailabilityWindow, Volunteer, VolunteerSkill

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}


async def test_the_activity_form_refuses_what_the_api_refuses_and_saves_nothing(app, client):
    community, grid = await make_place()
    member = await make_user("org_member")
    await make_organization(member["id"])
    await login(client, member["username"])
    form = {"title": "应急演练", "kind": "training_drill", "starts_at": form_time(saturday_9am()), "duration_minutes": "180",
            "repeat": "once", "place": f"{community}:{grid}", "address": "明日社区广场", "capacity": "20",
            "min_age": "18", "max_age": "60"}
    for bad, field in ({"capacity": "-3"}, "capacity"), \
                      ({"duration_minutes": "0"}, "duration_minutes"), \
                      ({"starts_at": "2020-01-04T09:00"}, "starts_at"), \
                      ({"lat": "nan", "lon": "118.3"}, "lat"):
        response = await client.post("/org/activities/new", data={**form, **bad}, headers=HTML)
        assert response.status_code == 400, (bad, response.status_code)
        assert f'data-field="{field}"' in response.text, bad
    assert await Activity.count() == 0
    good = await client.post("/org/activities/new", data=form, headers=HTML)
    assert good.status_code in (302, 303)
    assert await Activity.count() == 1


async def test_the_profile_form_saves_nothing_when_one_part_is_refused(app, client):
    community, grid = await make_place()
    await make_skill("first_aid")
    await login(client, (await make_user("volunteer"))["username"])
    form = {"real_name": "王小明", "phone": "13800001111", "birth_date": "1990-01-01", "grid_id": f"{community}:{grid}",
            "from_time": "09:00", "to_time": "17:00", "skills": "first_aid", "days": "5"}
    saved = await client.post("/me/profile", data=form, headers=HTML)
    assert saved.status_code in (302, 303)
    # A skill that no longer exists (removed while the form was open): the whole form is refused.
    refused = await client.post("/me/profile", data={**form, "real_name": "王大明", "skills": ["first_aid", "juggling"],
                                                     "days": ["5", "6"]}, headers=HTML)
    assert refused.status_code == 400
    assert (await Volunteer.select(Volunteer.real_name).first())["real_name"] == "王小明"
    assert await VolunteerSkill.count() == 1 and await AvailabilityWindow.count() == 1
