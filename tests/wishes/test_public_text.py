"""Nothing about a household is public until staff approve the public text, which they may edit."""

import pytest
from tongxin.accounts.tables import AuditEntry
from tongxin.wishes import service
from tongxin.wishes.tables import Household, Wish

from tests.conftest import make_client
from tests.factories import login, signed_in_as
from tests.volunteers.factories import (
    make_grid,
    make_grid_worker,
    make_place,
    volunteer_with_profile,
)
from tests.wishes.test_wishes import staff_actor

pytestmark = pytest.mark.anyio

SECRETS = ("李建国", "13812345678", "恒大绿洲", "5幢101")
ORIGINAL = "李大爷住恒大绿洲5幢101，电话138 1234 5678，老伴去年走了，视力不好，需要有人陪同去医院"


def body(grid_id: int, **fields) -> dict:
    return {"grid_id": grid_id, "household_name": "李建国", "household_phone": "13812345678",
            "household_address": "圆融社区恒大绿洲5幢101室", "category": "health", "title": "李大爷需要陪同就医",
            "description": ORIGINAL, **fields}


async def worker_and_wish(app, client) -> tuple[dict, dict, int]:
    """A grid worker signed in on `client`, and the wish they just posted."""
    _, grid_id = await make_place("圆融社区")
    worker = await make_grid_worker(grid_id)
    await login(client, worker["username"])
    response = await client.post("/api/wishes", json=body(grid_id))
    assert response.status_code == 201, response.text
    return worker, response.json(), grid_id


async def test_posting_proposes_a_public_text_and_keeps_the_original_private(app, client):
    _, wish, _ = await worker_and_wish(app, client)
    assert wish["status"] == "submitted"
    assert wish["title"] == "某大爷需要陪同就医"
    assert wish["public_text"] == "某大爷住〔住址已隐去〕，〔电话已隐去〕，老伴去年走了，视力不好，需要有人陪同去医院"
    assert "original_text" not in wish
    private = (await client.get(f"/api/wishes/{wish['id']}/household")).json()
    assert private["original"] == {"title": "李大爷需要陪同就医", "text": ORIGINAL}
    assert private["household"]["name"] == "李建国"


async def test_nothing_is_public_before_staff_verify(app, client):
    _, wish, _ = await worker_and_wish(app, client)
    async with make_client(app) as anonymous:
        assert (await anonymous.get("/api/wishes/public")).json()["total"] == 0
        assert (await anonymous.get(f"/api/wishes/public/{wish['id']}")).status_code == 404
        assert (await anonymous.get(f"/api/wishes/{wish['id']}")).status_code == 404


async def test_the_staff_edited_text_is_what_the_public_sees(app, client):
    _, wish, _ = await worker_and_wish(app, client)
    async with make_client(app) as staff:
        await signed_in_as(staff, "staff")
        approved = await staff.post(f"/api/wishes/{wish['id']}/verify", json={
            "title": "独居老人需要陪同就医", "public_text": "老人视力不好，需要有人陪同去医院复查"})
        assert approved.status_code == 200, approved.text
    public = (await client.get(f"/api/wishes/public/{wish['id']}")).json()
    assert (public["title"], public["public_text"]) == ("独居老人需要陪同就医", "老人视力不好，需要有人陪同去医院复查")
    audit = await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "wish_verify").output(
        load_json=True).first()
    assert audit["detail"] == {"edited": True}
    assert (await Wish.select(Wish.original_text).first())["original_text"] == ORIGINAL


async def test_verifying_without_changes_publishes_the_proposal_as_it_stands(app, client):
    _, wish, _ = await worker_and_wish(app, client)
    async with make_client(app) as staff:
        await signed_in_as(staff, "staff")
        assert (await staff.post(f"/api/wishes/{wish['id']}/verify")).status_code == 200
    public = (await client.get(f"/api/wishes/public/{wish['id']}")).json()
    assert (public["title"], public["public_text"]) == (wish["title"], wish["public_text"])


@pytest.mark.parametrize("field, text", [
    ("public_text", "李 建 國老人视力不好"), ("public_text", "有事请打一三八一二三四五六七八"), ("title", "恒大绿洲五幢一零一的老人"),
])
async def test_staff_cannot_publish_the_households_own_details(app, client, field, text):
    _, wish, _ = await worker_and_wish(app, client)
    async with make_client(app) as staff:
        await signed_in_as(staff, "staff")
        refused = await staff.post(f"/api/wishes/{wish['id']}/verify", json={field: text})
    assert refused.status_code == 400
    assert (refused.json()["field"], refused.json()["error"]) == (field, "household_in_public_text")
    assert (await Wish.select(Wish.status).first())["status"] == "submitted"
    assert (await client.get("/api/wishes/public")).json()["total"] == 0


async def test_a_title_that_is_only_the_household_is_refused(app, client):
    _, grid_id = await make_place()
    await login(client, (await make_grid_worker(grid_id))["username"])
    response = await client.post("/api/wishes", json=body(grid_id, title="李建国 13812345678"))
    assert response.status_code == 400 and response.json()["field"] == "title"
    assert await Household.count() == 0


async def test_household_and_original_never_reach_anonymous_or_volunteer_answers(app, client):
    _, wish, grid_id = await worker_and_wish(app, client)
    await service.verify_wish(actor=await staff_actor(), wish_id=wish["id"])
    community_id = (await Wish.select(Wish.community).first())["community"]
    async with make_client(app) as anonymous, make_client(app) as volunteer:
        answers = [await anonymous.get("/api/wishes/public"), await anonymous.get(f"/api/wishes/public/{wish['id']}")]
        await volunteer_with_profile(volunteer, community_id, grid_id)
        answers += [await volunteer.get(path) for path in (
            "/api/wishes/public", f"/api/wishes/{wish['id']}", f"/api/wishes/{wish['id']}/household", "/api/wishes")]
    assert [r.status_code for r in answers] == [200, 200, 200, 404, 404, 200]
    text = " ".join(r.text for r in answers)
    assert [s for s in SECRETS if s in text] == []
    assert "老伴去年走了，视力不好" in text  # the approved public text, and only that


async def test_the_approved_helper_reads_the_original_with_the_household_audited(app, client):
    _, wish, grid_id = await worker_and_wish(app, client)
    staff = await staff_actor()
    await service.verify_wish(actor=staff, wish_id=wish["id"])
    community_id = (await Wish.select(Wish.community).first())["community"]
    async with make_client(app) as helper:
        volunteer = await volunteer_with_profile(helper, community_id, grid_id)
        await service.assign_helper(actor=staff, wish_id=wish["id"], volunteer_id=volunteer["volunteer_id"])
        private = (await helper.get(f"/api/wishes/{wish['id']}/household")).json()
    assert private["original"]["text"] == ORIGINAL
    reads = await AuditEntry.select(AuditEntry.actor).where(AuditEntry.action == "view_household")
    assert {"actor": volunteer["id"]} in reads


async def test_grid_worker_edits_until_staff_verify_and_each_edit_proposes_anew(app, client):
    worker, wish, grid_id = await worker_and_wish(app, client)
    moved = await client.put(f"/api/wishes/{wish['id']}", json=body(grid_id))
    assert moved.status_code == 400  # grid_id is not editable: the wish stays in its grid
    edited = await client.put(f"/api/wishes/{wish['id']}", json={
        "household_name": "李建国", "household_phone": "13955556666", "household_address": "明日社区8栋302室",
        "category": "repair", "title": "修理屋顶", "description": "李大爷家（8幢302）屋顶漏水，电话139 5555 6666"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["public_text"] == "某大爷家（〔住址已隐去〕）屋顶漏水，〔电话已隐去〕"
    assert (await Household.select(Household.phone).first())["phone"] == "13955556666"
    assert await AuditEntry.exists().where(AuditEntry.action == "wish_edit")

    await service.verify_wish(actor=await staff_actor(), wish_id=wish["id"])
    late = await client.put(f"/api/wishes/{wish['id']}", json={
        "household_name": "李建国", "category": "repair", "title": "另一个标题"})
    assert late.status_code == 409 and late.json()["error"] == "not_editable"
    row = await Wish.select(Wish.title, Wish.original_title).first()
    assert row == {"title": "修理屋顶", "original_title": "修理屋顶"}


async def test_only_the_grids_workers_and_staff_may_edit_a_wish(app, client):
    _, wish, grid_id = await worker_and_wish(app, client)
    community_id = (await Wish.select(Wish.community).first())["community"]
    change = {"household_name": "李建国", "category": "repair", "title": "另一个标题"}
    async with make_client(app) as other, make_client(app) as volunteer:
        await login(other, (await make_grid_worker(await make_grid(community_id)))["username"])
        assert (await other.put(f"/api/wishes/{wish['id']}", json=change)).status_code == 404
        await signed_in_as(volunteer, "volunteer")
        assert (await volunteer.put(f"/api/wishes/{wish['id']}", json=change)).status_code == 403
    assert (await Wish.select(Wish.original_title).first())["original_title"] == "李大爷需要陪同就医"


async def test_wishes_published_before_the_review_lose_their_households_details_once(app, client):
    _, wish, _ = await worker_and_wish(app, client)
    await service.verify_wish(actor=await staff_actor(), wish_id=wish["id"])
    leaked = "李大爷住恒大绿洲5幢101，有事请打社区服务中心0517-86661234"  # as the old redaction let it through
    await Wish.update({Wish.public_text: leaked}).where(Wish.id == wish["id"])
    _, waiting, _ = await worker_and_wish(app, client)

    assert await service.hide_households_in_published(dry_run=True) == {"checked": 1, "changed": 1}
    assert (await client.get(f"/api/wishes/public/{wish['id']}")).json()["public_text"] == leaked
    assert await service.hide_households_in_published() == {"checked": 1, "changed": 1}
    public = (await client.get(f"/api/wishes/public/{wish['id']}")).json()["public_text"]
    assert public == "某大爷住〔住址已隐去〕，有事请打社区服务中心0517-86661234"  # staff's own choices stay
    assert await AuditEntry.exists().where(AuditEntry.action == "wish_hide_household")
    assert await service.hide_households_in_published() == {"checked": 1, "changed": 0}
    assert (await Wish.select(Wish.public_text).where(Wish.id == waiting["id"]).first())["public_text"] == \
        waiting["public_text"]
