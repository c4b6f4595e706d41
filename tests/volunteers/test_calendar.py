"""The volunteer's secret iCalendar feed of their confirmed and waitlisted sign-ups."""

from datetime import timedelta

import pytest
from icalendar import Calendar
from tongxin.activities.signups import apply as sign_up
from tongxin.activities.signups import cancel as cancel_sign_up

from tests.volunteers.factories import (
    make_occurrence,
    make_place,
    volunteer_with_profile,
)

pytestmark = pytest.mark.anyio


async def _feed(client) -> tuple[str, Calendar]:
    link = (await client.get("/api/volunteers/me/calendar")).json()
    assert link["url"].endswith(f"/api/volunteers/calendar/{link['token']}.ics")
    response = await client.get(f"/api/volunteers/calendar/{link['token']}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    return link["token"], Calendar.from_ical(response.content)


async def test_feed_lists_confirmed_and_tentative_waitlisted_sign_ups(app, client):
    community_id, grid_id = await make_place()
    user = await volunteer_with_profile(client, community_id, grid_id)
    confirmed_at = await make_occurrence(starts_in=timedelta(days=3), title="便民服务日", address="明日社区广场")
    waitlisted_at = await make_occurrence(starts_in=timedelta(days=5), title="应急演练", capacity=0)
    cancelled_at = await make_occurrence(starts_in=timedelta(days=6), title="已取消")
    confirmed = await sign_up(volunteer_id=user["volunteer_id"], occurrence_id=confirmed_at)
    await sign_up(volunteer_id=user["volunteer_id"], occurrence_id=waitlisted_at)
    gone = await sign_up(volunteer_id=user["volunteer_id"], occurrence_id=cancelled_at)
    await cancel_sign_up(sign_up_id=gone["id"])

    _, calendar = await _feed(client)
    events = calendar.walk("VEVENT")
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED", "TENTATIVE"]
    first = events[0]
    assert str(first["UID"]) == f"sign-up-{confirmed['id']}@tongxin"
    assert str(first["SUMMARY"]) == "便民服务日"
    assert str(first["LOCATION"]) == "明日社区广场"
    assert first["DTSTART"].dt.tzinfo is not None and first["DTSTART"].dt.utcoffset() == timedelta(0)
    assert first["DTEND"].dt - first["DTSTART"].dt == timedelta(hours=2)
    assert "DTSTAMP" in first


async def test_event_uid_is_stable_between_fetches(app, client):
    community_id, grid_id = await make_place()
    user = await volunteer_with_profile(client, community_id, grid_id)
    await sign_up(volunteer_id=user["volunteer_id"], occurrence_id=await make_occurrence())
    _, first = await _feed(client)
    _, second = await _feed(client)
    assert [str(e["UID"]) for e in first.walk("VEVENT")] == [str(e["UID"]) for e in second.walk("VEVENT")]


async def test_empty_feed_is_still_a_valid_calendar(app, client):
    community_id, grid_id = await make_place()
    await volunteer_with_profile(client, community_id, grid_id)
    _, calendar = await _feed(client)
    assert calendar.walk("VEVENT") == []
    assert str(calendar["VERSION"]) == "2.0"


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),  # forged signature
    lambda t: str(int(t.split("-")[0]) + 1) + "-" + t.split("-", 1)[1],  # someone else's id
    lambda t: "garbage",
])
async def test_wrong_token_is_not_found(app, client, mangle):
    community_id, grid_id = await make_place()
    await volunteer_with_profile(client, community_id, grid_id)
    token = (await client.get("/api/volunteers/me/calendar")).json()["token"]
    assert (await client.get(f"/api/volunteers/calendar/{mangle(token)}.ics")).status_code == 404


async def test_feed_needs_the_ics_suffix(app, client):
    community_id, grid_id = await make_place()
    await volunteer_with_profile(client, community_id, grid_id)
    token = (await client.get("/api/volunteers/me/calendar")).json()["token"]
    assert (await client.get(f"/api/volunteers/calendar/{token}")).status_code == 404


@pytest.mark.parametrize("token", ["²-abc", "١٢-abc", "9" * 30 + "-abc"])
async def test_odd_digits_in_a_token_are_not_found(app, client, token):
    assert (await client.get(f"/api/volunteers/calendar/{token}.ics")).status_code == 404


async def test_renewing_the_link_revokes_the_old_one(app, client):
    community_id, grid_id = await make_place()
    await volunteer_with_profile(client, community_id, grid_id)
    old = (await client.get("/api/volunteers/me/calendar")).json()["token"]
    renewed = await client.post("/api/volunteers/me/calendar")
    assert renewed.status_code == 201
    new = renewed.json()["token"]
    assert new != old
    assert (await client.get(f"/api/volunteers/calendar/{old}.ics")).status_code == 404
    assert (await client.get(f"/api/volunteers/calendar/{new}.ics")).status_code == 200
    assert (await client.get("/api/volunteers/me/calendar")).json()["token"] == new


async def test_switched_off_link_answers_not_found_until_a_new_one(app, client):
    community_id, grid_id = await make_place()
    await volunteer_with_profile(client, community_id, grid_id)
    token = (await client.get("/api/volunteers/me/calendar")).json()["token"]
    assert (await client.delete("/api/volunteers/me/calendar")).status_code == 204
    assert (await client.get(f"/api/volunteers/calendar/{token}.ics")).status_code == 404
    off = await client.get("/api/volunteers/me/calendar")
    assert off.status_code == 404 and off.json()["error"] == "calendar_off"
    page = await client.get("/me/sign-ups", headers={"accept": "text/html"})
    assert "开启日历订阅" in page.text
    await client.post("/me/calendar", data={"action": "renew", "_csrf_token": client.cookies["tx_csrf"]})
    token = (await client.get("/api/volunteers/me/calendar")).json()["token"]
    assert (await client.get(f"/api/volunteers/calendar/{token}.ics")).status_code == 200


async def test_link_is_built_from_the_public_url_not_the_host_header(database_url):
    from tongxin.app import create_app
    from tongxin.settings import Settings

    from tests.conftest import make_client

    app = create_app(Settings(database_url=database_url, secret_key="s" * 32, run_scheduler=False,
                              development=True, public_url="https://tongxin.example.cn"))
    async with app.lifespan():
        community_id, grid_id = await make_place()
        async with make_client(app, base_url="http://evil.example") as c:
            await volunteer_with_profile(c, community_id, grid_id)
            link = (await c.get("/api/volunteers/me/calendar", headers={"host": "evil.example"})).json()
            page = await c.get("/me/sign-ups", headers={"accept": "text/html", "host": "evil.example"})
    assert link["url"].startswith("https://tongxin.example.cn/api/volunteers/calendar/")
    assert "evil.example" not in page.text
