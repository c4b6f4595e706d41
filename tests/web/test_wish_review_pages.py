"""Staff review a wish's proposed public text beside the private record; grid workers edit until then."""

import contextlib
import html

import pytest
from tongxin.accounts.tables import AuditEntry
from tongxin.wishes.tables import Wish

from tests.conftest import make_client
from tests.factories import login, make_user
from tests.volunteers.factories import make_grid_worker, make_place

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}
ORIGINAL = "王阿姨家（8幢302）屋顶漏水，电话139 5555 6666，下雨天没法住"


async def posted(app, client) -> tuple[dict, int]:
    """A grid worker signed in on `client` who posted one wish from the page; the wish's id."""
    _, grid_id = await make_place("明日社区")
    worker = await make_grid_worker(grid_id)
    await login(client, worker["username"])
    response = await client.post("/wishes/new", headers=HTML, data={
        "grid_id": str(grid_id), "household_name": "王秀英", "household_phone": "13955556666",
        "household_address": "明日社区8栋302室", "category": "repair", "title": "王阿姨家修屋顶",
        "description": ORIGINAL, "needed_by": "", "urgency": "3"})
    assert response.status_code in (302, 303), response.text
    return worker, int(response.headers["location"].rsplit("/", 1)[1])


@contextlib.asynccontextmanager
async def staff_client(app):
    async with make_client(app) as client:
        await login(client, (await make_user("staff"))["username"])
        yield client


async def test_staff_see_the_proposed_text_in_a_form_beside_the_private_record(app, client):
    _, wish_id = await posted(app, client)
    async with staff_client(app) as staff:
        page = await staff.get(f"/wishes/{wish_id}", headers=HTML)
    text = html.unescape(page.text)
    assert page.status_code == 200 and 'id="review"' in text
    assert '<textarea id="public_text" name="public_text"' in text
    assert "某阿姨家（〔住址已隐去〕）屋顶漏水，〔电话已隐去〕，下雨天没法住</textarea>" in text
    assert 'value="某阿姨家修屋顶"' in text
    assert "王秀英" in text and ORIGINAL in text  # the private record, beside it
    assert "审核通过并公开" in text and "None" not in text
    assert await AuditEntry.exists().where(AuditEntry.action == "view_household")


async def test_the_public_reads_exactly_what_staff_approved_on_the_page(app, client):
    _, wish_id = await posted(app, client)
    async with make_client(app) as anonymous:
        assert "某阿姨家修屋顶" not in (await anonymous.get("/wishes", headers=HTML)).text
        async with staff_client(app) as staff:
            done = await staff.post(f"/wishes/{wish_id}/verify", headers=HTML, data={
                "title": "独居老人家修屋顶", "public_text": "屋顶漏水，下雨天没法住，需要会修屋顶的志愿者"})
            assert done.status_code in (302, 303)
        listing = (await anonymous.get("/wishes", headers=HTML)).text
    assert "独居老人家修屋顶" in listing and "屋顶漏水，下雨天没法住，需要会修屋顶的志愿者" in listing
    assert "王" not in listing.split("<main", 1)[1] and "302" not in listing and "6666" not in listing


async def test_publishing_the_households_details_is_refused_in_chinese_and_nothing_opens(app, client):
    _, wish_id = await posted(app, client)
    async with staff_client(app) as staff:
        refused = await staff.post(f"/wishes/{wish_id}/verify", headers=HTML, data={
            "title": "修屋顶", "public_text": "王 秀 英家屋顶漏水"})
    assert refused.status_code == 400
    assert 'data-field="public_text"' in refused.text and "公开内容里仍有这户居民的姓名、电话或住址" in refused.text
    assert "王 秀 英家屋顶漏水</textarea>" in refused.text  # staff keep what they typed to fix it
    assert await Wish.select(Wish.status).first() == {"status": "submitted"}


async def test_grid_worker_edits_on_the_page_until_staff_verify(app, client):
    _, wish_id = await posted(app, client)
    form = html.unescape((await client.get(f"/wishes/{wish_id}/edit", headers=HTML)).text)
    assert f">{ORIGINAL}</textarea>" in form and 'value="13955556666"' in form
    saved = await client.post(f"/wishes/{wish_id}/edit", headers=HTML, data={
        "household_name": "王秀英", "household_phone": "13955556666", "household_address": "明日社区8栋302室",
        "category": "repair", "title": "修屋顶", "description": "秀英阿姨家屋顶漏水", "needed_by": "", "urgency": "2"})
    assert saved.status_code in (302, 303)
    assert await Wish.select(Wish.title, Wish.public_text).first() == {"title": "修屋顶", "public_text": "某阿姨家屋顶漏水"}
    async with staff_client(app) as staff:
        await staff.post(f"/wishes/{wish_id}/verify", headers=HTML, data={"title": "修屋顶", "public_text": "屋顶漏水"})
    assert (await client.get(f"/wishes/{wish_id}/edit", headers=HTML)).status_code in (302, 303)
    late = await client.post(f"/wishes/{wish_id}/edit", headers=HTML, data={
        "household_name": "王秀英", "household_phone": "", "household_address": "", "category": "repair",
        "title": "再改一次", "description": "", "needed_by": "", "urgency": "2"})
    assert late.status_code == 400 and "这个心愿已经审核(或已取消)，不能再修改" in late.text
    assert await Wish.select(Wish.title).first() == {"title": "修屋顶"}


async def test_the_queue_sends_staff_to_review_the_text_instead_of_approving_blind(app, client):
    _, wish_id = await posted(app, client)
    async with staff_client(app) as staff:
        queue = (await staff.get("/staff/queue", params={"kind": "wish"}, headers=HTML)).text
        assert f'href="/wishes/{wish_id}#review"' in queue and 'value="approve"' not in queue
        blind = await staff.post(f"/staff/decide/wish/{wish_id}", headers=HTML, data={"decision": "approve"})
    assert blind.status_code in (302, 303) and blind.headers["location"] == f"/wishes/{wish_id}#review"
    assert await Wish.select(Wish.status).first() == {"status": "submitted"}
