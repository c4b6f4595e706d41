"""Organizations register and publish activities; volunteers sign up, wait, cancel; attendance credits."""

import asyncio
import contextlib
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import make_client
from tests.factories import login, make_user
from tests.volunteers.factories import (
    make_certificate_kind,
    make_place,
    make_skill,
    volunteer_with_profile,
    years_ago,
)

pytestmark = pytest.mark.anyio


@contextlib.asynccontextmanager
async def signed_in(app, role: str):
    async with make_client(app) as client:
        user = await make_user(role)
        await login(client, user["username"])
        client.user = user
        yield client


def activity_body(community_id: int, **fields) -> dict:
    start = (datetime.now(timezone.utc) + timedelta(days=10)).replace(hour=1, minute=0, second=0, microsecond=0)
    return {"title": "吾爱邻便民志愿服务日", "kind": "service_day", "starts_at": start.isoformat(),
            "duration_minutes": 180, "community_id": community_id, "capacity": 2, "min_age": 18, "max_age": 65,
            **fields}


async def published_activity(app, community_id: int, **fields) -> tuple[dict, int]:
    """An organization registered, approved, with an activity approved by staff; returns (activity, org user id)."""
    async with signed_in(app, "org_member") as org, signed_in(app, "staff") as staff:
        registered = await org.post("/api/organizations", json={"name": "同心社工服务中心", "kind": "social_organization"})
        assert registered.status_code == 201, registered.text
        assert registered.json()["status"] == "pending"
        early = await org.post("/api/activities", json=activity_body(community_id))
        assert early.status_code == 409, "a pending organization cannot register activities yet"
        decided = await staff.post(f"/api/organizations/{registered.json()['id']}/decision", json={"approve": True})
        assert decided.status_code == 200 and decided.json()["status"] == "approved"
        draft = await org.post("/api/activities", json=activity_body(community_id, **fields))
        assert draft.status_code == 201, draft.text
        activity_id = draft.json()["id"]
        assert (await org.post(f"/api/activities/{activity_id}/submit")).status_code == 200
        approved = await staff.post(f"/api/activities/{activity_id}/decision", json={"approve": True})
        assert approved.status_code == 200, approved.text
        return approved.json(), org.user["id"]


async def test_organization_publishes_a_monthly_service_day_with_its_occurrences(app):
    community, _ = await make_place()
    activity, _ = await published_activity(app, community, rrule="FREQ=MONTHLY;BYDAY=+3SA")
    assert activity["status"] == "approved"
    starts = [datetime.fromisoformat(o["starts_at"]) if isinstance(o["starts_at"], str) else o["starts_at"]
              for o in activity["occurrences"]]
    assert 1 <= len(starts) <= 3
    from tongxin.activities.service import LOCAL_TZ

    for start in starts:
        local = start.astimezone(LOCAL_TZ)
        assert local.weekday() == 5 and 15 <= local.day <= 21, "the third Saturday of the month"


async def test_a_bad_recurrence_rule_is_refused_with_the_field(app):
    community, _ = await make_place()
    async with signed_in(app, "org_member") as org, signed_in(app, "staff") as staff:
        org_id = (await org.post("/api/organizations", json={"name": "蓝天救援队", "kind": "rescue_team"})).json()["id"]
        await staff.post(f"/api/organizations/{org_id}/decision", json={"approve": True})
        response = await org.post("/api/activities", json=activity_body(community, rrule="FREQ=SOMETIMES"))
        unknown_skill = await org.post("/api/activities", json=activity_body(community, required_skills=["juggling"]))
    assert response.status_code == 400 and response.json()["field"] == "rrule"
    assert unknown_skill.status_code == 400 and unknown_skill.json()["field"] == "required_skills"


async def test_drafts_are_hidden_from_everyone_but_the_organization_and_staff(app):
    community, _ = await make_place()
    async with signed_in(app, "org_member") as org, signed_in(app, "staff") as staff, \
            signed_in(app, "org_member") as other, signed_in(app, "volunteer") as volunteer:
        org_id = (await org.post("/api/organizations", json={"name": "爱心公益协会", "kind": "charity"})).json()["id"]
        assert (await other.get(f"/api/organizations/{org_id}")).status_code == 404
        assert (await staff.get(f"/api/organizations/{org_id}")).status_code == 200
        await staff.post(f"/api/organizations/{org_id}/decision", json={"approve": True})
        draft = (await org.post("/api/activities", json=activity_body(community))).json()
        for viewer, expected in ((org, 200), (staff, 200), (other, 404), (volunteer, 404)):
            assert (await viewer.get(f"/api/activities/{draft['id']}")).status_code == expected
        anonymous = make_client(app)
        assert (await anonymous.get(f"/api/activities/{draft['id']}")).status_code == 404
        await anonymous.aclose()


async def test_staff_decide_an_organization_once(app):
    async with signed_in(app, "org_member") as org, signed_in(app, "staff") as one, signed_in(app, "staff") as two:
        org_id = (await org.post("/api/organizations", json={"name": "天成电子志愿服务队", "kind": "enterprise_group"})).json()["id"]
        answers = await asyncio.gather(one.post(f"/api/organizations/{org_id}/decision", json={"approve": True}),
                                       two.post(f"/api/organizations/{org_id}/decision", json={"approve": False, "reason": "资料不全"}))
    assert sorted(a.status_code for a in answers) == [200, 409]


async def test_full_occurrence_puts_volunteer_on_waitlist_and_a_cancellation_promotes_them(app):
    from tongxin.notifications.tables import Notification

    community, grid = await make_place()
    activity, _ = await published_activity(app, community)
    occurrence = activity["occurrences"][0]["id"]
    clients = [make_client(app) for _ in range(3)]
    people = [await volunteer_with_profile(c, community, grid, birth_date=years_ago(30).isoformat()) for c in clients]
    first = await clients[0].post(f"/api/occurrences/{occurrence}/sign-ups", json={})
    second = await clients[1].post(f"/api/occurrences/{occurrence}/sign-ups", json={})
    third = await clients[2].post(f"/api/occurrences/{occurrence}/sign-ups", json={})
    assert [r.json()["status"] for r in (first, second, third)] == ["confirmed", "confirmed", "waitlisted"]
    assert third.json()["waitlist_position"] == 1 and "waitlist" in third.json()["message"]
    again = await clients[0].post(f"/api/occurrences/{occurrence}/sign-ups", json={})
    assert again.status_code == 409
    cancelled = await clients[0].delete(f"/api/sign-ups/{first.json()['id']}")
    assert cancelled.json()["promoted_sign_up"] == third.json()["id"]
    assert await Notification.exists().where((Notification.recipient == people[2]["id"])
                                             & (Notification.kind == "waitlist_promoted"))
    for c in clients:
        await c.aclose()


async def test_thirty_concurrent_sign_ups_never_overfill_five_places(app):
    from tongxin.activities import service
    from tongxin.activities.tables import Occurrence, SignUp
    from tongxin.volunteers.tables import Volunteer

    community, _ = await make_place()
    activity, _ = await published_activity(app, community, capacity=5)
    occurrence = activity["occurrences"][0]["id"]
    ids = [(await Volunteer.insert(Volunteer(real_name=f"v{n}", birth_date=years_ago(30))).returning(Volunteer.id))[0]["id"]
           for n in range(30)]
    results = await asyncio.gather(*[service.sign_up(volunteer_id=v, occurrence_id=occurrence) for v in ids])
    assert sorted(r["status"] for r in results).count("confirmed") == 5
    assert await SignUp.count().where(SignUp.status == "confirmed") == 5
    assert await SignUp.count().where(SignUp.status == "waitlisted") == 25
    assert (await Occurrence.select(Occurrence.taken).where(Occurrence.id == occurrence).first())["taken"] == 5


async def test_hard_rules_refuse_with_a_reason_the_volunteer_understands(app):
    community, grid = await make_place()
    await make_certificate_kind("first_aid_cert")
    activity, _ = await published_activity(app, community, required_certificates=["first_aid_cert"], min_age=18)
    occurrence = activity["occurrences"][0]["id"]
    async with make_client(app) as client:
        await volunteer_with_profile(client, community, grid, birth_date=years_ago(30).isoformat())
        response = await client.post(f"/api/occurrences/{occurrence}/sign-ups", json={})
    assert response.status_code == 409
    assert "certificate" in response.json()["message"]


async def test_fits_me_shows_only_what_the_volunteer_may_join(app):
    community, grid = await make_place()
    await make_skill("first_aid")
    await make_certificate_kind("rescue_cert")
    await published_activity(app, community)
    async with make_client(app) as client:
        await volunteer_with_profile(client, community, grid, birth_date=years_ago(30).isoformat())
        everything = (await client.get("/api/occurrences")).json()
        fitting = (await client.get("/api/occurrences", params={"fits_me": True, "sort": "distance"})).json()
        no_point = await client.get("/api/occurrences", params={"sort": "distance"})
    assert everything["total"] == 1 and fitting["total"] == 1
    assert fitting["items"][0]["distance_km"] is not None
    async with make_client(app) as anonymous:
        refused = await anonymous.get("/api/occurrences", params={"fits_me": True})
    assert refused.status_code == 400 and refused.json()["field"] == "fits_me"
    assert no_point.status_code == 200


async def test_attendance_credits_hours_and_points_once(app):
    from tongxin.activities.tables import Occurrence
    from tongxin.volunteers.tables import LedgerEntry, Volunteer

    community, grid = await make_place()
    activity, org_user = await published_activity(app, community)
    occurrence = activity["occurrences"][0]["id"]
    async with make_client(app) as client:
        person = await volunteer_with_profile(client, community, grid, birth_date=years_ago(30).isoformat())
        sign_up = (await client.post(f"/api/occurrences/{occurrence}/sign-ups", json={})).json()
    async with make_client(app) as org:
        from tongxin.accounts.tables import User

        username = (await User.select(User.username).where(User.id == org_user).first())["username"]
        await login(org, username)
        too_early = await org.post(f"/api/sign-ups/{sign_up['id']}/attendance", json={"attended": True})
        assert too_early.status_code == 409
        past = datetime.now(timezone.utc) - timedelta(hours=4)
        await Occurrence.update({Occurrence.starts_at: past, Occurrence.ends_at: past + timedelta(hours=3)}).where(
            Occurrence.id == occurrence)
        roster = (await org.get(f"/api/occurrences/{occurrence}/sign-ups")).json()
        assert roster["items"][0]["name"]
        marked = await org.post(f"/api/sign-ups/{sign_up['id']}/attendance", json={"attended": True})
        twice = await org.post(f"/api/sign-ups/{sign_up['id']}/attendance", json={"attended": True})
    assert marked.status_code == 200 and marked.json()["credited"] is True
    assert twice.status_code == 409
    volunteer = await Volunteer.select(Volunteer.hours_total, Volunteer.points_total).where(
        Volunteer.id == person["volunteer_id"]).first()
    assert volunteer == {"hours_total": 3.0, "points_total": 10}
    assert await LedgerEntry.count() == 1


async def test_other_organizations_cannot_see_sign_ups_or_mark_attendance(app):
    community, grid = await make_place()
    activity, _ = await published_activity(app, community)
    occurrence = activity["occurrences"][0]["id"]
    async with make_client(app) as client:
        await volunteer_with_profile(client, community, grid, birth_date=years_ago(30).isoformat())
        sign_up = (await client.post(f"/api/occurrences/{occurrence}/sign-ups", json={})).json()
        assert (await client.get(f"/api/occurrences/{occurrence}/sign-ups")).status_code == 404
    async with signed_in(app, "org_member") as stranger:
        assert (await stranger.get(f"/api/occurrences/{occurrence}/sign-ups")).status_code == 404
        marked = await stranger.post(f"/api/sign-ups/{sign_up['id']}/attendance", json={"attended": False})
        assert marked.status_code == 404


async def test_no_shows_are_marked_after_the_grace_period(app):
    from tongxin.activities import service
    from tongxin.activities.tables import Occurrence, SignUp

    community, grid = await make_place()
    activity, _ = await published_activity(app, community)
    occurrence = activity["occurrences"][0]["id"]
    async with make_client(app) as client:
        await volunteer_with_profile(client, community, grid, birth_date=years_ago(30).isoformat())
        await client.post(f"/api/occurrences/{occurrence}/sign-ups", json={})
    ended = datetime.now(timezone.utc) - timedelta(hours=30)
    await Occurrence.update({Occurrence.starts_at: ended - timedelta(hours=3), Occurrence.ends_at: ended}).where(
        Occurrence.id == occurrence)
    assert await service.mark_no_shows_after(grace=timedelta(hours=48)) == 0
    assert await service.mark_no_shows_after(grace=timedelta(hours=24)) == 1
    assert (await SignUp.select(SignUp.status).first())["status"] == "no_show"


async def test_cancelling_an_activity_cancels_future_sign_ups_and_tells_people(app):
    from tongxin.activities.tables import SignUp
    from tongxin.notifications.tables import Notification

    community, grid = await make_place()
    activity, org_user = await published_activity(app, community)
    occurrence = activity["occurrences"][0]["id"]
    async with make_client(app) as client:
        person = await volunteer_with_profile(client, community, grid, birth_date=years_ago(30).isoformat())
        await client.post(f"/api/occurrences/{occurrence}/sign-ups", json={})
    async with signed_in(app, "staff") as staff:
        response = await staff.post(f"/api/activities/{activity['id']}/cancel", json={"reason": "暴雨预警"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert (await SignUp.select(SignUp.status).first())["status"] == "cancelled"
    assert await Notification.exists().where((Notification.recipient == person["id"])
                                             & (Notification.kind == "occurrence_cancelled"))


async def test_changing_the_rule_moves_only_future_occurrences_and_keeps_history(app):
    from tongxin.activities.service import LOCAL_TZ
    from tongxin.activities.tables import Occurrence

    community, grid = await make_place()
    activity, org_user = await published_activity(app, community, rrule="FREQ=WEEKLY;BYDAY=SA")
    first, second = activity["occurrences"][0]["id"], activity["occurrences"][1]["id"]
    past = datetime.now(timezone.utc) - timedelta(days=3)
    await Occurrence.update({Occurrence.starts_at: past, Occurrence.ends_at: past + timedelta(hours=3)}).where(
        Occurrence.id == first)
    async with make_client(app) as client:
        await volunteer_with_profile(client, community, grid, birth_date=years_ago(30).isoformat())
        await client.post(f"/api/occurrences/{second}/sign-ups", json={})
    from tongxin.accounts.tables import User

    async with make_client(app) as org:
        await login(org, (await User.select(User.username).where(User.id == org_user).first())["username"])
        response = await org.put(f"/api/activities/{activity['id']}/rule", json={"rrule": "FREQ=WEEKLY;BYDAY=SU"})
        bad = await org.put(f"/api/activities/{activity['id']}/rule", json={"rrule": "FREQ=NEVER"})
    assert response.status_code == 200, response.text
    assert bad.status_code == 400 and bad.json()["field"] == "rrule"
    assert response.json()["changes"]["cancelled"] == 1
    kept = await Occurrence.select(Occurrence.starts_at, Occurrence.status).where(Occurrence.id == first).first()
    assert kept["starts_at"] == past and kept["status"] == "open", "history stays as it was"
    moved = await Occurrence.select(Occurrence.starts_at).where(
        (Occurrence.activity == activity["id"]) & (Occurrence.status == "open")
        & (Occurrence.starts_at > datetime.now(timezone.utc)))
    assert moved and all(o["starts_at"].astimezone(LOCAL_TZ).weekday() == 6 for o in moved)


async def test_scheduler_credit_catch_up_credits_each_attended_sign_up_once(app):
    from tongxin.activities import service
    from tongxin.activities.tables import SignUp
    from tongxin.volunteers.tables import Volunteer

    community, grid = await make_place()
    activity, _ = await published_activity(app, community)
    async with make_client(app) as client:
        person = await volunteer_with_profile(client, community, grid, birth_date=years_ago(30).isoformat())
        await client.post(f"/api/occurrences/{activity['occurrences'][0]['id']}/sign-ups", json={})
    await SignUp.update({SignUp.status: "attended"}).where(SignUp.volunteer == person["volunteer_id"])
    assert await service.credit_attendance() == 1
    assert await service.credit_attendance() == 0
    totals = await Volunteer.select(Volunteer.hours_total, Volunteer.attended_count).where(
        Volunteer.id == person["volunteer_id"]).first()
    assert totals == {"hours_total": 3.0, "attended_count": 1}
