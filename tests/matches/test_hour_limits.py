"""Each person's own daily, weekly and monthly hour limits: kept on the profile, and hard rules for
sign-ups, rankings and batches alike (issue 11)."""

from datetime import timedelta

import pytest


from tests.matches.test_proposals import SATURDAY_9AM, small_district, staff_client

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}


async def limit(volunteer_id: int, **hours: float) -> None:
    from tongxin.volunteers.tables import Volunteer

    await Volunteer.update({getattr(Volunteer, k): v for k, v in hours.items()}).where(Volunteer.id == volunteer_id)


async def second_occurrence_that_week(district) -> int:
    """Another three hours on the Wednesday before, same activity: a commitment in the same local week."""
    from tongxin.activities.tables import Occurrence

    first = await Occurrence.select(Occurrence.activity).where(Occurrence.id == district["occurrence"]).first()
    wednesday = SATURDAY_9AM - timedelta(days=3)
    rows = await Occurrence.insert(Occurrence(
        activity=first["activity"], starts_at=wednesday, ends_at=wednesday + timedelta(hours=3),
        signup_deadline=wednesday - timedelta(days=1), capacity=5, taken=0, status="open",
        community=district["community"], lat=33.9, lon=118.3,
    )).returning(Occurrence.id)
    return rows[0]["id"]


async def test_rankings_and_batches_leave_out_whoever_would_pass_their_own_limits(app):
    from tests.volunteers.factories import enrol

    district = await small_district(volunteers=4, capacity=4)
    short_day, full_week, free, tired = district["volunteers"]
    await limit(short_day, max_hours_day=2.0)            # the task lasts three hours
    await enrol(volunteer_id=full_week, occurrence_id=await second_occurrence_that_week(district))
    await limit(full_week, max_hours_week=5.0)           # 3 h on Wednesday + 3 h on Saturday > 5 h
    await limit(tired, max_hours_week=8.0, max_hours_month=2.0)
    async with staff_client(app) as client:
        ranked = (await client.get("/api/matching/candidates", params={
            "target_type": "occurrence", "target_id": district["occurrence"], "why_not": True})).json()
        run = (await client.post("/api/matching/runs", json={})).json()
        proposals = (await client.get("/api/proposals")).json()["items"]
    assert [c["volunteer_id"] for c in ranked["candidates"]] == [free]
    excluded = {e["volunteer_id"]: e["rules"] for e in ranked["excluded"]}
    assert excluded[short_day] == ["daily_hours"]
    assert excluded[full_week] == ["weekly_hours"]
    assert excluded[tired] == ["monthly_hours"]
    assert run["proposals"] == 1 and [p["candidate_id"] for p in proposals] == [free]


async def test_a_sign_up_past_the_weekly_limit_is_refused_with_that_reason(app):
    from tongxin.activities.signups import NotEligible, apply

    from tests.volunteers.factories import enrol

    district = await small_district(volunteers=1)
    person = district["volunteers"][0]
    await enrol(volunteer_id=person, occurrence_id=await second_occurrence_that_week(district))
    await limit(person, max_hours_week=5.0)
    before = SATURDAY_9AM - timedelta(days=5)
    with pytest.raises(NotEligible) as refused:
        await apply(volunteer_id=person, occurrence_id=district["occurrence"], now=before)
    assert refused.value.code == "not_eligible:weekly_hours"
    await limit(person, max_hours_week=6.0)   # exactly 3 + 3 hours fits
    assert (await apply(volunteer_id=person, occurrence_id=district["occurrence"], now=before))["status"] == \
        "confirmed"


async def test_the_profile_keeps_the_limits_and_defaults_refuse_no_one_new(app, client):
    from tests.volunteers.factories import make_place, volunteer_with_profile

    community, grid = await make_place()
    await volunteer_with_profile(client, community, grid)
    fresh = (await client.get("/api/volunteers/me")).json()
    assert (fresh["max_hours_day"], fresh["max_hours_week"], fresh["max_hours_month"]) == (10.0, 20.0, 20.0)
    body = {"real_name": "李华", "birth_date": "1990-01-01", "community_id": community, "grid_id": grid,
            "max_hours_day": 4, "max_hours_week": 6, "max_hours_month": 16}
    saved = (await client.put("/api/volunteers/me", json=body)).json()
    assert (saved["max_hours_day"], saved["max_hours_week"], saved["max_hours_month"]) == (4.0, 6.0, 16.0)
    refused = await client.put("/api/volunteers/me", json={**body, "max_hours_week": 0})
    assert refused.status_code in (400, 422)


async def test_the_profile_page_shows_and_saves_the_limits_and_keeps_the_declared_kinds(app, client):
    from tests.volunteers.factories import make_place, volunteer_with_profile

    community, grid = await make_place()
    await volunteer_with_profile(client, community, grid, preferred_kinds=["safety_education"], max_hours_week=9)
    page = (await client.get("/me/profile", headers=HTML)).text
    assert 'name="max_hours_week"' in page and 'value="9"' in page
    assert "每周" in page and "每天" in page and "每月" in page
    form = {"real_name": "李华", "phone": "13800001111", "birth_date": "1990-01-01",
            "grid_id": f"{community}:{grid}", "from_time": "09:00", "to_time": "17:00",
            "max_hours_day": "3", "max_hours_week": "7.5", "max_hours_month": "30"}
    bad = await client.post("/me/profile", data={**form, "max_hours_week": "很多"}, headers=HTML)
    assert bad.status_code == 400 and 'data-field="max_hours_week"' in bad.text and "请填写有效的数字" in bad.text
    good = await client.post("/me/profile", data=form, headers=HTML)
    assert good.status_code in (302, 303)
    profile = (await client.get("/api/volunteers/me")).json()
    assert (profile["max_hours_day"], profile["max_hours_week"], profile["max_hours_month"]) == (3.0, 7.5, 30.0)
    assert profile["preferred_kinds"] == ["safety_education"], "saving the page does not wipe what the person declared"
