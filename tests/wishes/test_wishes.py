"""Micro-wishes: a grid worker posts for a household, the public sees redacted text, a helper fulfils."""

from datetime import date, timedelta

import pytest
from tongxin.accounts.service import load_actor
from tongxin.accounts.tables import AuditEntry
from tongxin.errors import Conflict, InvalidInput
from tongxin.notifications.tables import Notification
from tongxin.wishes import service
from tongxin.wishes.tables import Household, Wish

from tests.conftest import make_client
from tests.factories import login, make_user, signed_in_as
from tests.volunteers.factories import (
    make_grid_worker,
    make_organization,
    make_place,
    make_skill,
    volunteer_with_profile,
)

pytestmark = pytest.mark.anyio

HOUSEHOLD = {"household_name": "王秀英", "household_phone": "13812345678", "household_address": "阳澄社区3栋2单元501室"}


def wish_body(grid_id: int, **fields) -> dict:
    return {"grid_id": grid_id, **HOUSEHOLD, "category": "repair", "title": "厨房水管漏水维修",
            "description": "王秀英老人独居，住阳澄社区3栋2单元501室，电话13812345678，厨房水管漏水。",
            "needed_by": (date.today() + timedelta(days=7)).isoformat(), "urgency": 3, **fields}


async def posted_wish(app, *, verified: bool = True, **fields) -> tuple[dict, dict, int]:
    """A grid worker and a wish they posted for a household of their grid (and staff verified)."""
    _, grid_id = await make_place("阳澄社区")
    worker = await make_grid_worker(grid_id)
    async with make_client(app) as client:
        await login(client, worker["username"])
        response = await client.post("/api/wishes", json=wish_body(grid_id, **fields))
        assert response.status_code == 201, response.text
        wish = response.json()
    if verified:
        wish = await service.verify_wish(actor=await staff_actor(), wish_id=wish["id"])
    return worker, wish, grid_id


async def staff_actor():
    return await load_actor(user_id=(await make_user("staff"))["id"])


async def test_public_text_is_redacted_of_the_households_name_phone_and_address(app, client):
    _, wish, _ = await posted_wish(app)
    assert wish["status"] == "open"
    text = wish["public_text"]
    for secret in HOUSEHOLD.values():
        assert secret not in text
    assert text == "某老人独居，住〔住址已隐去〕，〔电话已隐去〕，厨房水管漏水。"
    household = await Household.select().first()
    assert (household["name"], household["phone"]) == ("王秀英", "13812345678")


async def test_submitted_wish_is_not_public_until_staff_verify_it(app, client):
    worker, wish, _ = await posted_wish(app, verified=False)
    assert wish["status"] == "submitted"
    assert (await client.get("/api/wishes/public")).json()["total"] == 0
    assert (await client.get(f"/api/wishes/public/{wish['id']}")).status_code == 404
    await login(client, worker["username"])
    assert (await client.post(f"/api/wishes/{wish['id']}/verify")).status_code == 403  # not their own approval
    staff = await signed_in_as(client, "staff")
    verified = (await client.post(f"/api/wishes/{wish['id']}/verify")).json()
    assert verified["status"] == "open" and verified["verified_by"] == staff["id"]
    assert (await client.post(f"/api/wishes/{wish['id']}/verify")).status_code == 409
    assert await AuditEntry.exists().where(AuditEntry.action == "wish_verify")


async def test_public_listing_shows_only_redacted_fields(app, client):
    await posted_wish(app)
    page = (await client.get("/api/wishes/public")).json()
    assert page["total"] == 1 and page["limit"] == 20
    item = page["items"][0]
    assert set(item) == {"id", "category", "title", "public_text", "community_name", "needed_by", "urgency",
                         "status"}
    assert item["community_name"] == "阳澄社区"
    assert "王秀英" not in str(page) and "13812345678" not in str(page)


async def test_public_listing_sorts_and_filters(app, client):
    _, grid_id = await make_place()
    worker = await make_grid_worker(grid_id)
    await login(client, worker["username"])
    staff = await staff_actor()
    for title, days, urgency in (("甲心愿", 9, 1), ("乙心愿", 3, 2), ("丙心愿", 6, 3)):
        wish = (await client.post("/api/wishes", json=wish_body(
            grid_id, title=title, description="", urgency=urgency, category="study",
            needed_by=(date.today() + timedelta(days=days)).isoformat()))).json()
        await service.verify_wish(actor=staff, wish_id=wish["id"])
    titles = lambda page: [w["title"] for w in page.json()["items"]]  # noqa: E731
    assert titles(await client.get("/api/wishes/public")) == ["乙心愿", "丙心愿", "甲心愿"]
    assert titles(await client.get("/api/wishes/public?sort=urgency")) == ["丙心愿", "乙心愿", "甲心愿"]
    assert titles(await client.get("/api/wishes/public?sort=-needed_by&limit=1&offset=1")) == ["丙心愿"]
    assert (await client.get("/api/wishes/public?category=repair")).json()["total"] == 0
    assert (await client.get("/api/wishes/public?sort=household")).status_code == 400


async def test_grid_worker_cannot_post_for_another_grid(app, client):
    _, own_grid = await make_place()
    _, other_grid = await make_place("圆融社区")
    worker = await make_grid_worker(own_grid)
    await login(client, worker["username"])
    response = await client.post("/api/wishes", json=wish_body(other_grid))
    assert response.status_code == 400 and response.json()["field"] == "grid_id"
    assert await Wish.count() == 0 and await Household.count() == 0


@pytest.mark.parametrize("fields, field", [
    ({"urgency": 4}, None), ({"category": "money"}, None),
    ({"needed_by": "2020-01-01"}, "needed_by"), ({"skills_needed": ["juggling"]}, "skills_needed"),
])
async def test_bad_wish_is_refused_and_nothing_is_written(app, client, fields, field):
    _, grid_id = await make_place()
    worker = await make_grid_worker(grid_id)
    await login(client, worker["username"])
    response = await client.post("/api/wishes", json=wish_body(grid_id, **fields))
    assert response.status_code == 400
    if field:
        assert response.json()["field"] == field
    else:
        assert response.json()["fields"]
    assert await Household.count() == 0


async def test_volunteer_cannot_post_a_wish(app, client):
    _, grid_id = await make_place()
    await signed_in_as(client, "volunteer")
    assert (await client.post("/api/wishes", json=wish_body(grid_id))).status_code == 403


async def test_helper_volunteer_fulfils_and_grid_worker_confirms_with_rating(app, client):
    await make_skill("repair")
    worker, wish, grid_id = await posted_wish(app, skills_needed=["repair"])
    community_id = (await Wish.select(Wish.community).first())["community"]
    helper = await volunteer_with_profile(client, community_id, grid_id)
    assert (await client.post(f"/api/wishes/{wish['id']}/start")).status_code == 404
    matched = await service.assign_helper(actor=await staff_actor(), wish_id=wish["id"],
                                          volunteer_id=helper["volunteer_id"])
    assert matched["status"] == "matched"
    assert await Notification.exists().where((Notification.recipient == helper["id"])
                                             & (Notification.kind == "wish_matched"))
    mine = (await client.get("/api/wishes")).json()
    assert [w["id"] for w in mine["items"]] == [wish["id"]]
    assert (await client.post(f"/api/wishes/{wish['id']}/start")).json()["status"] == "in_progress"
    assert (await client.post(f"/api/wishes/{wish['id']}/fulfil")).json()["status"] == "fulfilled"
    assert await Notification.exists().where((Notification.recipient == worker["id"])
                                             & (Notification.kind == "wish_fulfilled"))
    async with make_client(app) as grid:
        await login(grid, worker["username"])
        bad = await grid.post(f"/api/wishes/{wish['id']}/confirm", json={"rating": 6})
        assert bad.status_code == 400
        confirmed = await grid.post(f"/api/wishes/{wish['id']}/confirm", json={"rating": 5, "comment": "很及时"})
    assert confirmed.json()["status"] == "confirmed"
    assert (confirmed.json()["rating"], confirmed.json()["rating_comment"]) == (5, "很及时")
    assert (await client.get(f"/api/wishes/{wish['id']}/household")).status_code == 404  # done: no more access


async def test_organization_helper_via_resource_offer(app, client):
    from tongxin.organizations.tables import ResourceOffer

    _, wish, _ = await posted_wish(app)
    member = await signed_in_as(client, "org_member")
    org = await make_organization(member["id"])
    offer = await ResourceOffer.insert(ResourceOffer(organization=org, title="棉被", category="daily_goods")
                                      ).returning(ResourceOffer.id)
    matched = await service.assign_helper(actor=await staff_actor(), wish_id=wish["id"],
                                          resource_id=offer[0]["id"])
    assert (matched["helper_organization"], matched["helper_resource"]) == (org, offer[0]["id"])
    assert (await client.post(f"/api/wishes/{wish['id']}/fulfil")).json()["status"] == "fulfilled"


async def test_assign_helper_needs_an_open_wish_and_exactly_one_helper(app, client):
    _, wish, grid_id = await posted_wish(app, verified=False)
    staff = await staff_actor()
    org = await make_organization()
    with pytest.raises(Conflict):
        await service.assign_helper(actor=staff, wish_id=wish["id"], organization_id=org)
    with pytest.raises(InvalidInput):
        await service.assign_helper(actor=staff, wish_id=wish["id"])
    assert (await Wish.select(Wish.status).first())["status"] == "submitted"


async def test_cancel_needs_a_reason_and_tells_the_helper(app, client):
    worker, wish, grid_id = await posted_wish(app)
    community_id = (await Wish.select(Wish.community).first())["community"]
    helper = await volunteer_with_profile(client, community_id, grid_id)
    await service.assign_helper(actor=await staff_actor(), wish_id=wish["id"], volunteer_id=helper["volunteer_id"])
    async with make_client(app) as grid:
        await login(grid, worker["username"])
        assert (await grid.post(f"/api/wishes/{wish['id']}/cancel", json={"reason": ""})).status_code == 400
        cancelled = await grid.post(f"/api/wishes/{wish['id']}/cancel", json={"reason": "居民已搬走"})
        assert cancelled.json()["status"] == "cancelled"
        assert (await grid.post(f"/api/wishes/{wish['id']}/cancel", json={"reason": "again"})).status_code == 409
    assert await Notification.exists().where((Notification.recipient == helper["id"])
                                             & (Notification.kind == "wish_cancelled"))
    assert (await client.get("/api/wishes/public")).json()["total"] == 0


async def test_grid_worker_lists_only_own_grids_with_status_filter(app, client):
    worker, wish, _ = await posted_wish(app)
    other_worker, other_wish, _ = await posted_wish(app, verified=False)
    await login(client, worker["username"])
    own = (await client.get("/api/wishes")).json()
    assert [w["id"] for w in own["items"]] == [wish["id"]]
    assert (await client.get("/api/wishes?status=submitted")).json()["total"] == 0
    async with make_client(app) as staff:
        await signed_in_as(staff, "staff")
        everything = (await staff.get("/api/wishes?sort=created")).json()
        submitted = (await staff.get("/api/wishes?status=submitted")).json()
    assert [w["id"] for w in everything["items"]] == [wish["id"], other_wish["id"]]
    assert [w["id"] for w in submitted["items"]] == [other_wish["id"]]


async def test_cancelling_a_wish_withdraws_its_open_proposals(app, client):
    from tongxin.matches.tables import Proposal

    worker, wish, _ = await posted_wish(app)
    await Proposal.insert(Proposal(target_type="wish", target_id=wish["id"], candidate_type="volunteer",
                                   candidate_id=1, score=0.7))
    await login(client, worker["username"])
    response = await client.post(f"/api/wishes/{wish['id']}/cancel", json={"reason": "居民已自行解决"})
    assert response.status_code == 200, response.text
    proposal = await Proposal.select(Proposal.status, Proposal.reason).first()
    assert proposal == {"status": "withdrawn", "reason": "wish cancelled"}
