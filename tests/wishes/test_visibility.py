"""Who sees what: a volunteer's contact details, a minor's record, a household's identity, another
organization's pending record and an organization's draft activity.

Each role either sees the record or gets 404, so nobody learns that a record they may not see exists.
"""

import contextlib
from datetime import datetime, timedelta, timezone

import pytest
from tongxin.accounts.service import load_actor
from tongxin.accounts.tables import AuditEntry
from tongxin.activities.service import create_activity
from tongxin.organizations.service import register_organization
from tongxin.volunteers import service as volunteers
from tongxin.wishes import service as wishes

from tests.conftest import make_client
from tests.factories import login, make_user
from tests.volunteers.factories import (
    make_grid,
    make_grid_worker,
    make_organization,
    make_place,
    volunteer_with_profile,
    years_ago,
)

pytestmark = pytest.mark.anyio

ROLES = ("anonymous", "volunteer", "another_volunteer", "org_member", "guardian", "another_guardian",
         "other_grid_worker", "grid_worker", "staff")

#                     volunteer's profile  minor's record  household (helper = "volunteer", matched)
#                     another organization's pending record  org_member's organization's draft activity
EXPECTED = {
    "anonymous":         (404, 404, 404, 404, 404),
    "volunteer":         (200, 404, 200, 404, 404),
    "another_volunteer": (404, 404, 404, 404, 404),
    "org_member":        (404, 404, 404, 404, 200),
    "guardian":          (404, 200, 404, 404, 404),
    "another_guardian":  (404, 404, 404, 404, 404),
    "other_grid_worker": (404, 404, 404, 404, 404),
    "grid_worker":       (404, 404, 200, 404, 404),
    "staff":             (200, 200, 200, 200, 200),
}


@pytest.fixture
async def world(app):
    """One of each role, a volunteer's profile, a minor, and a matched wish whose helper is the volunteer."""
    community_id, grid_id = await make_place()
    other_grid = await make_grid(community_id)
    async with contextlib.AsyncExitStack() as stack:
        clients = {role: await stack.enter_async_context(make_client(app)) for role in ROLES}
        volunteer = await volunteer_with_profile(clients["volunteer"], community_id, grid_id)
        await volunteer_with_profile(clients["another_volunteer"], community_id, grid_id)
        users = {
            "org_member": await make_user("org_member"), "guardian": await make_user("guardian"),
            "another_guardian": await make_user("guardian"), "staff": await make_user("staff"),
            "grid_worker": await make_grid_worker(grid_id), "other_grid_worker": await make_grid_worker(other_grid),
        }
        await make_organization(users["org_member"]["id"])
        org_actor = await load_actor(user_id=users["org_member"]["id"])
        draft = await create_activity(
            actor=org_actor, title="吾爱邻便民志愿服务日", kind="service_day",
            starts_at=datetime.now(timezone.utc) + timedelta(days=9), description="", duration_minutes=120, rrule="",
            community_id=community_id, grid_id=None, lat=None, lon=None, address="", capacity=5,
            signup_deadline_hours=24, min_age=18, max_age=65, youth_allowed=False, required_skills=[],
            required_certificates=[], hours_credit=None, points_credit=10)
        newcomer = await load_actor(user_id=(await make_user("org_member"))["id"])
        pending = await register_organization(actor=newcomer, name="新来的志愿队", kind="enterprise_group")
        for role, user in users.items():
            await login(clients[role], user["username"])
        minor = await volunteers.apply_for_child(
            actor=await load_actor(user_id=users["guardian"]["id"]), child_name="小安", birth_date=years_ago(12),
            community_id=community_id, grid_id=grid_id, relationship="parent", consent=True,
            consent_text_version=volunteers.CONSENT_TEXT_VERSION)
        wish = await wishes.post_wish(
            actor=await load_actor(user_id=users["grid_worker"]["id"]), grid_id=grid_id, household_name="赵桂兰",
            household_phone="13900002222", household_address="1栋101室", category="companionship",
            title="独居老人每周陪伴聊天")
        staff = await load_actor(user_id=users["staff"]["id"])
        await wishes.verify_wish(actor=staff, wish_id=wish["id"])
        await wishes.assign_helper(actor=staff, wish_id=wish["id"], volunteer_id=volunteer["volunteer_id"])
        yield {"clients": clients, "paths": (f"/api/volunteers/{volunteer['volunteer_id']}",
                                             f"/api/youth/{minor['id']}", f"/api/wishes/{wish['id']}/household",
                                             f"/api/organizations/{pending['id']}", f"/api/activities/{draft['id']}")}


async def test_each_role_sees_only_what_the_design_allows(world):
    answers = {}
    for role in ROLES:  # one world for every role: each login costs a password hash
        client = world["clients"][role]
        answers[role] = tuple([(await client.get(path)).status_code for path in world["paths"]])
    assert answers == EXPECTED


async def test_missing_records_look_the_same_as_forbidden_ones(world):
    client = world["clients"]["another_volunteer"]
    for path in ("/api/volunteers/999999", "/api/youth/999999", "/api/wishes/999999/household"):
        assert (await client.get(path)).status_code == 404


async def test_every_read_of_a_household_is_audited(world):
    for role in ("grid_worker", "staff", "volunteer", "another_volunteer"):
        await world["clients"][role].get(world["paths"][2])
    reads = await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "view_household").output(
        load_json=True)
    assert len(reads) == 3
    assert sorted(r["detail"]["as_helper"] for r in reads) == [False, False, True]


async def test_helper_cannot_read_the_household_before_the_match(app, client):
    community_id, grid_id = await make_place()
    volunteer = await volunteer_with_profile(client, community_id, grid_id)
    worker = await load_actor(user_id=(await make_grid_worker(grid_id))["id"])
    wish = await wishes.post_wish(actor=worker, grid_id=grid_id, household_name="钱多多", category="study",
                                  title="孩子需要学习辅导")
    assert (await client.get(f"/api/wishes/{wish['id']}/household")).status_code == 404
    assert (await client.get(f"/api/wishes/{wish['id']}")).status_code == 404


async def test_public_wish_never_names_the_household_or_the_grid_worker(world):
    page = (await world["clients"]["anonymous"].get("/api/wishes/public")).json()
    text = str(page)
    assert page["total"] == 1
    assert "赵桂兰" not in text and "13900002222" not in text and "1栋101室" not in text
    assert "posted_by" not in page["items"][0] and "grid" not in page["items"][0]
