"""A volunteer keeps their profile: details, skills, certificates, availability, hours and sign-ups."""

from datetime import date, timedelta

import pytest
from tongxin.activities.service import sign_up
from tongxin.volunteers.tables import LedgerEntry, Volunteer

from tests.factories import signed_in_as
from tests.volunteers.factories import (
    make_certificate_kind,
    make_occurrence,
    make_place,
    make_skill,
    volunteer_with_profile,
    years_ago,
)

pytestmark = pytest.mark.anyio


async def test_lookups_list_skills_certificate_kinds_and_grids_without_signing_in(app, client):
    community_id, grid_id = await make_place("阳澄社区")
    await make_skill("first_aid")
    await make_certificate_kind("driver_license")
    response = await client.get("/api/volunteers/lookups")
    assert response.status_code == 200
    body = response.json()
    assert [s["code"] for s in body["skills"]] == ["first_aid"]
    assert [k["code"] for k in body["certificate_kinds"]] == ["driver_license"]
    assert body["communities"][0]["name"] == "阳澄社区"
    assert body["communities"][0]["grids"][0]["id"] == grid_id


async def test_volunteer_saves_profile_and_location_defaults_to_the_grid(app, client):
    community_id, grid_id = await make_place()
    user = await volunteer_with_profile(client, community_id, grid_id, preferred_kinds=["service_day"])
    profile = (await client.get("/api/volunteers/me")).json()
    assert profile["real_name"] == "李华"
    assert (profile["lat"], profile["lon"]) == (33.91, 118.31)
    assert profile["preferred_kinds"] == ["service_day"]
    again = await client.put("/api/volunteers/me", json={
        "real_name": "李华华", "birth_date": years_ago(30).isoformat(), "community_id": community_id,
        "grid_id": grid_id, "lat": 33.95, "lon": 118.35})
    assert again.status_code == 200
    assert again.json()["id"] == user["volunteer_id"]
    assert (again.json()["lat"], again.json()["real_name"]) == (33.95, "李华华")
    assert await Volunteer.count() == 1


async def test_profile_before_first_save_says_so(app, client):
    await signed_in_as(client, "volunteer")
    response = await client.get("/api/volunteers/me")
    assert response.status_code == 404
    assert response.json()["error"] == "no_profile"


async def test_thirteen_year_old_cannot_register_as_volunteer(app, client):
    community_id, grid_id = await make_place()
    await signed_in_as(client, "volunteer")
    response = await client.put("/api/volunteers/me", json={
        "real_name": "小明", "birth_date": years_ago(14, days=-1).isoformat(),
        "community_id": community_id, "grid_id": grid_id})
    assert response.status_code == 400
    assert response.json()["field"] == "birth_date"
    assert await Volunteer.count() == 0


async def test_grid_of_another_community_is_refused(app, client):
    community_id, _ = await make_place()
    _, other_grid = await make_place("圆融社区")
    await signed_in_as(client, "volunteer")
    response = await client.put("/api/volunteers/me", json={
        "real_name": "李华", "birth_date": years_ago(20).isoformat(), "community_id": community_id,
        "grid_id": other_grid})
    assert response.status_code == 400
    assert response.json()["field"] == "grid_id"


async def test_guardian_account_cannot_keep_a_volunteer_profile(app, client):
    community_id, grid_id = await make_place()
    await signed_in_as(client, "guardian")
    response = await client.put("/api/volunteers/me", json={
        "real_name": "李华", "birth_date": years_ago(40).isoformat(), "community_id": community_id,
        "grid_id": grid_id})
    assert response.status_code == 403


async def test_malformed_profile_names_the_field(app, client):
    await signed_in_as(client, "volunteer")
    response = await client.put("/api/volunteers/me", json={
        "real_name": "", "birth_date": "not-a-date", "community_id": 1, "grid_id": 1})
    assert response.status_code == 400
    assert response.json()["fields"]


async def test_skills_are_replaced_by_known_codes_only(app, client):
    community_id, grid_id = await make_place()
    await make_skill("first_aid")
    await make_skill("repair")
    await volunteer_with_profile(client, community_id, grid_id)
    assert (await client.put("/api/volunteers/me/skills", json={"codes": ["repair", "first_aid"]})).json() \
        == ["first_aid", "repair"]
    bad = await client.put("/api/volunteers/me/skills", json={"codes": ["repair", "juggling"]})
    assert bad.status_code == 400 and "juggling" in bad.json()["message"]
    assert (await client.get("/api/volunteers/me")).json()["skills"] == ["first_aid", "repair"]
    await client.put("/api/volunteers/me/skills", json={"codes": ["repair"]})
    assert (await client.get("/api/volunteers/me")).json()["skills"] == ["repair"]


async def test_certificates_are_flagged_expired_and_expiring(app, client):
    community_id, grid_id = await make_place()
    await make_certificate_kind("first_aid_cert")
    await volunteer_with_profile(client, community_id, grid_id)
    today = date.today()
    for number, expires in (("A1", today - timedelta(days=1)), ("A2", today + timedelta(days=10)),
                            ("A3", today + timedelta(days=400))):
        response = await client.post("/api/volunteers/me/certificates", json={
            "kind": "first_aid_cert", "number": number, "issued_on": (today - timedelta(days=700)).isoformat(),
            "expires_on": expires.isoformat()})
        assert response.status_code == 201, response.text
    listed = (await client.get("/api/volunteers/me/certificates")).json()
    assert [(c["number"], c["validity"]) for c in listed] == [
        ("A1", "expired"), ("A2", "expiring"), ("A3", "valid")]


async def test_certificate_must_expire_after_issue_and_be_of_a_known_kind(app, client):
    community_id, grid_id = await make_place()
    await make_certificate_kind("first_aid_cert")
    await volunteer_with_profile(client, community_id, grid_id)
    backwards = await client.post("/api/volunteers/me/certificates", json={
        "kind": "first_aid_cert", "issued_on": "2025-05-01", "expires_on": "2025-05-01"})
    assert backwards.status_code == 400 and backwards.json()["field"] == "expires_on"
    unknown = await client.post("/api/volunteers/me/certificates", json={
        "kind": "pilot", "issued_on": "2025-05-01"})
    assert unknown.status_code == 400 and unknown.json()["field"] == "kind"
    assert (await client.get("/api/volunteers/me/certificates")).json() == []


async def test_volunteer_deletes_own_certificate_but_not_someone_elses(app, client):
    from tests.conftest import make_client

    community_id, grid_id = await make_place()
    await make_certificate_kind("first_aid_cert")
    await volunteer_with_profile(client, community_id, grid_id)
    created = (await client.post("/api/volunteers/me/certificates", json={
        "kind": "first_aid_cert", "issued_on": "2025-05-01"})).json()
    async with make_client(app) as other:
        await volunteer_with_profile(other, community_id, grid_id)
        assert (await other.delete(f"/api/volunteers/me/certificates/{created['id']}")).status_code == 404
    assert (await client.delete(f"/api/volunteers/me/certificates/{created['id']}")).status_code == 204
    assert (await client.get("/api/volunteers/me/certificates")).json() == []


async def test_availability_is_replaced_as_a_whole(app, client):
    community_id, grid_id = await make_place()
    await volunteer_with_profile(client, community_id, grid_id)
    first = [{"weekday": 5, "start_minute": 540, "end_minute": 720},
             {"weekday": 0, "start_minute": 1080, "end_minute": 1260}]
    response = await client.put("/api/volunteers/me/availability", json={"windows": first})
    assert response.status_code == 200
    assert [w["weekday"] for w in response.json()] == [0, 5]
    await client.put("/api/volunteers/me/availability",
                     json={"windows": [{"weekday": 6, "start_minute": 0, "end_minute": 60}]})
    assert (await client.get("/api/volunteers/me/availability")).json() == [
        {"weekday": 6, "start_minute": 0, "end_minute": 60}]


@pytest.mark.parametrize("windows, field", [
    ([{"weekday": 1, "start_minute": 600, "end_minute": 600}], "windows[0].end_minute"),
    ([{"weekday": 1, "start_minute": 540, "end_minute": 720},
      {"weekday": 1, "start_minute": 700, "end_minute": 800}], "windows[1].start_minute"),
])
async def test_bad_availability_is_refused_and_old_windows_stay(app, client, windows, field):
    community_id, grid_id = await make_place()
    await volunteer_with_profile(client, community_id, grid_id)
    keep = [{"weekday": 2, "start_minute": 60, "end_minute": 120}]
    await client.put("/api/volunteers/me/availability", json={"windows": keep})
    response = await client.put("/api/volunteers/me/availability", json={"windows": windows})
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert (await client.get("/api/volunteers/me/availability")).json() == keep


async def test_weekday_out_of_range_is_a_validation_error(app, client):
    community_id, grid_id = await make_place()
    await volunteer_with_profile(client, community_id, grid_id)
    response = await client.put("/api/volunteers/me/availability",
                                json={"windows": [{"weekday": 7, "start_minute": 0, "end_minute": 60}]})
    assert response.status_code == 400


async def test_ledger_shows_totals_and_entries(app, client):
    community_id, grid_id = await make_place()
    user = await volunteer_with_profile(client, community_id, grid_id)
    await Volunteer.update({Volunteer.hours_total: 5.5, Volunteer.points_total: 30}).where(
        Volunteer.id == user["volunteer_id"])
    await LedgerEntry.insert(LedgerEntry(volunteer=user["volunteer_id"], hours=3.0, points=20),
                             LedgerEntry(volunteer=user["volunteer_id"], hours=2.5, points=10))
    body = (await client.get("/api/volunteers/me/ledger?limit=1")).json()
    assert (body["hours_total"], body["points_total"]) == (5.5, 30)
    assert body["entries"]["total"] == 2 and len(body["entries"]["items"]) == 1
    assert body["entries"]["items"][0]["hours"] == 2.5


async def test_own_sign_ups_are_listed_sorted_and_filtered(app, client):
    community_id, grid_id = await make_place()
    user = await volunteer_with_profile(client, community_id, grid_id)
    later = await make_occurrence(starts_in=timedelta(days=9), title="晚")
    sooner = await make_occurrence(starts_in=timedelta(days=2), title="早", capacity=0)
    await sign_up(volunteer_id=user["volunteer_id"], occurrence_id=later)
    await sign_up(volunteer_id=user["volunteer_id"], occurrence_id=sooner)
    page = (await client.get("/api/volunteers/me/sign-ups")).json()
    assert [(s["activity_title"], s["status"]) for s in page["items"]] == [("早", "waitlisted"), ("晚", "confirmed")]
    assert page["total"] == 2 and page["limit"] == 20 and page["offset"] == 0
    reverse = (await client.get("/api/volunteers/me/sign-ups?sort=-starts_at")).json()
    assert reverse["items"][0]["activity_title"] == "晚"
    confirmed = (await client.get("/api/volunteers/me/sign-ups?status=confirmed")).json()
    assert [s["activity_title"] for s in confirmed["items"]] == ["晚"]
    assert (await client.get("/api/volunteers/me/sign-ups?sort=title")).status_code == 400
    assert (await client.get("/api/volunteers/me/sign-ups?limit=1000")).status_code == 400
