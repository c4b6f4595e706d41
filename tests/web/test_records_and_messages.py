"""Pages over records: what a role may not see is the 404 page, messages are read, the queue asks for reasons."""

from datetime import UTC, datetime, timedelta

import pytest
from tongxin.accounts.service import load_actor
from tongxin.activities.service import create_activity
from tongxin.notifications.service import notify
from tongxin.wishes.tables import Wish
from tongxin.youth import service as youth_roster

from tests.conftest import make_client
from tests.factories import PASSWORD, form_time, login, make_user, saturday_9am
from tests.volunteers.factories import (
    make_grid,
    make_grid_worker,
    make_organization,
    make_place,
    years_ago,
)
from tests.wishes.test_wishes import posted_wish

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}


async def test_records_the_role_may_not_see_are_the_404_page(app, client):
    community, grid = await make_place()
    guardian = await load_actor(user_id=(await make_user("guardian"))["id"])
    child = await youth_roster.apply_for_child(
        actor=guardian, child_name="小安", birth_date=years_ago(12), community_id=community, grid_id=grid,
        relationship="parent", consent=True, consent_text_version=youth_roster.CONSENT_TEXT_VERSION)
    member = await make_user("org_member")
    await make_organization(member["id"])
    draft = await create_activity(
        actor=await load_actor(user_id=member["id"]), title="应急演练", kind="training_drill",
        starts_at=datetime.now(UTC) + timedelta(days=9), description="", duration_minutes=120, rrule="",
        community_id=community, grid_id=None, lat=None, lon=None, address="", capacity=5, signup_deadline_hours=24,
        min_age=18, max_age=65, youth_allowed=False, required_skills=[], required_certificates=[],
        credit_minutes=None, points_credit=10)
    _, wish, _ = await posted_wish(app)
    records = [f"/youth/{child['id']}", f"/org/activities/{draft['id']}", f"/wishes/{wish['id']}"]
    other_member = await make_user("org_member")
    await make_organization(other_member["id"])
    visitors = {"another guardian": await make_user("guardian"), "another organization": other_member,
                "volunteer": await make_user("volunteer"),
                "another grid's worker": await make_grid_worker(await make_grid(community))}
    for role, user in visitors.items():
        async with make_client(app) as other:
            await login(other, user["username"])
            for path in records:
                response = await other.get(path, headers=HTML)
                assert response.status_code == 404 and "没有找到" in response.text, (role, path)
                assert "小安" not in response.text and "应急演练" not in response.text
    await login(client, guardian.username)
    assert (await client.get(f"/youth/{child['id']}", headers=HTML)).status_code == 200, "the guardian sees it"
    await login(client, member["username"])
    assert (await client.get(f"/org/activities/{draft['id']}", headers=HTML)).status_code == 200, "its organization"


async def test_unknown_page_is_the_html_404_in_english_when_switched_and_api_stays_json(client):
    await client.get("/language", params={"to": "en"}, headers=HTML)
    page = await client.get("/no-such-page", headers=HTML)
    assert page.status_code == 404 and "not found" in page.text and "<html" in page.text
    api = await client.get("/api/no-such-thing", headers=HTML)
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/json")


async def test_messages_list_newest_first_and_are_marked_read_in_place(app, client):
    user = await make_user("volunteer")
    await notify(recipient_id=user["id"], kind="sign_up", target_key="1", title="报名成功：服务日", body="周六 09:00")
    await notify(recipient_id=user["id"], kind="sign_up", target_key="2", title="候补转正：应急演练")
    await login(client, user["username"])
    page = await client.get("/me/notifications", headers=HTML)
    assert page.status_code == 200 and page.text.index("候补转正") < page.text.index("报名成功")
    assert 'id="unread">2<' in page.text
    first = page.text.split('id="notification-', 1)[1].split('"', 1)[0]

    row = await client.post(f"/me/notifications/{first}/read", headers={**HTML, "hx-request": "true"})
    assert row.status_code == 200 and "<html" not in row.text, "HTMX gets the item only"
    assert "已读" in row.text and "标为已读" not in row.text
    async with make_client(app) as stranger:
        await login(stranger, (await make_user("volunteer"))["username"])
        assert (await stranger.post(f"/me/notifications/{first}/read", headers=HTML)).status_code == 404
        empty = await stranger.get("/me/notifications", headers=HTML)
        assert "暂无消息" in empty.text


async def test_sending_a_wish_back_without_a_reason_marks_the_reason_and_changes_nothing(app, client):
    _, wish, _ = await posted_wish(app, verified=False)
    await login(client, (await make_user("staff"))["username"])
    refused = await client.post(f"/staff/decide/wish/{wish['id']}", data={"decision": "reject", "reason": ""},
                                headers=HTML)
    assert refused.status_code == 400 and 'data-field="reason"' in refused.text and "请填写理由" in refused.text
    assert await Wish.select(Wish.status).where(Wish.id == wish["id"]).first() == {"status": "submitted"}
    done = await client.post(f"/staff/decide/wish/{wish['id']}", data={"decision": "reject", "reason": "重复登记"},
                             headers=HTML)
    assert done.status_code in (302, 303)
    assert await Wish.select(Wish.status).where(Wish.id == wish["id"]).first() == {"status": "cancelled"}


async def test_statuses_and_job_pages_read_in_english_when_switched(app, client):
    await login(client, (await make_user("staff"))["username"])
    await client.get("/language", params={"to": "en"}, headers=HTML)
    jobs = await client.get("/staff/jobs", headers=HTML)
    assert jobs.status_code == 200 and "Next run" in jobs.text and "Recent runs" in jobs.text
    _, wish, _ = await posted_wish(app, verified=False)
    detail = await client.get(f"/wishes/{wish['id']}", headers=HTML)
    assert 'data-status="submitted">submitted<' in detail.text
    await client.get("/language", params={"to": "zh-CN"}, headers=HTML)
    detail = await client.get(f"/wishes/{wish['id']}", headers=HTML)
    assert 'data-status="submitted">已提交<' in detail.text


async def test_grid_workers_find_their_grids_wishes_filtered_by_status_and_others_see_none(app, client):
    worker, wish, _ = await posted_wish(app, verified=False)
    await login(client, worker["username"])
    mine = await client.get("/wishes/mine", headers=HTML)
    assert mine.status_code == 200 and wish["title"] in mine.text
    open_only = await client.get("/wishes/mine", params={"status": "open", "sort": "urgency"}, headers=HTML)
    assert wish["title"] not in open_only.text and "这里还没有心愿" in open_only.text
    async with make_client(app) as volunteer:
        await login(volunteer, (await make_user("volunteer"))["username"])
        assert wish["title"] not in (await volunteer.get("/wishes/mine", headers=HTML)).text


async def test_a_page_form_without_its_csrf_token_gets_an_expired_page_not_json(client):
    import httpx

    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as bare:
        response = await bare.post("/login", data={"username": "x", "password": "y"}, headers=HTML)
    assert response.status_code == 403 and "页面已过期" in response.text and "<html" in response.text


async def test_a_bad_page_address_says_so_in_the_users_language(client):
    response = await client.get("/wishes", params={"offset": "abc"}, headers=HTML)
    assert response.status_code == 400 and "请检查填写的内容" in response.text
    assert (await client.get("/api/wishes/public", params={"offset": "abc"})).headers["content-type"].startswith(
        "application/json")


async def test_a_full_occurrence_says_so_and_gives_a_waitlist_place_that_moves_up_on_a_cancel(app, client):
    from tests.volunteers.factories import make_occurrence, volunteer_with_profile

    community, grid = await make_place()
    occurrence = await make_occurrence(capacity=1, title="周六服务日")
    await volunteer_with_profile(client, community, grid)
    taken = await client.post(f"/occurrences/{occurrence}/sign-up", headers=HTML)
    assert taken.headers["location"].endswith("done=signed_up")
    async with make_client(app) as second:
        await volunteer_with_profile(second, community, grid)
        listing = (await second.get("/occurrences", headers=HTML)).text
        assert "名额已满，报名将进入候补" in listing, "the card says it is full before anyone clicks"
        full = await second.post(f"/occurrences/{occurrence}/sign-up", headers=HTML)
        assert full.headers["location"].endswith("done=waitlisted&n=1")
        page = await second.get(full.headers["location"], headers=HTML)
        assert "名额已满，您已进入候补第 1 位" in page.text and 'data-status="waitlisted"' in page.text

        schedule = await client.get("/me/sign-ups", headers=HTML)
        sign_up = schedule.text.split('action="/sign-ups/', 1)[1].split("/", 1)[0]
        assert (await client.post(f"/sign-ups/{sign_up}/cancel", headers=HTML)).status_code in (302, 303)
        assert 'data-status="confirmed"' in (await second.get("/me/sign-ups", headers=HTML)).text


async def test_home_tells_each_role_its_next_step(app, client):
    assert "注册成为志愿者" in (await client.get("/", headers=HTML)).text
    for role, words in (("volunteer", "第一步：填写志愿者资料"), ("guardian", "为孩子申请小小安全员"),
                        ("org_member", "登记组织")):
        async with make_client(app) as person:
            await login(person, (await make_user(role))["username"])
            assert words in (await person.get("/", headers=HTML)).text, role


async def test_forms_switch_wholly_to_english_and_back(app, client):
    from tests.volunteers.factories import make_place

    await make_place()
    await login(client, (await make_user("volunteer"))["username"])
    chinese = (await client.get("/me/profile", headers=HTML)).text
    assert "每周可服务时间" in chinese and "Weekly availability" not in chinese
    await client.get("/language", params={"to": "en"}, headers=HTML)
    english = (await client.get("/me/profile", headers=HTML)).text
    assert "Weekly availability" in english and "每周可服务时间" not in english


async def test_schedule_page_gives_a_calendar_feed_of_the_sign_ups_that_parses(app, client):
    import icalendar

    from tests.volunteers.factories import make_occurrence, volunteer_with_profile

    community, grid = await make_place()
    occurrence = await make_occurrence(title="周六服务日")
    await volunteer_with_profile(client, community, grid)
    await client.post(f"/occurrences/{occurrence}/sign-up", headers=HTML)
    page = (await client.get("/me/sign-ups", headers=HTML)).text
    url = page.split('readonly value="', 1)[1].split('"', 1)[0]
    assert url.startswith("http://testserver/api/volunteers/calendar/")
    feed = await client.get(url.removeprefix("http://testserver"))
    events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["周六服务日"]
    past = (await client.get("/me/sign-ups", params={"when": "past"}, headers=HTML)).text
    assert "周六服务日" not in past and "还没有已经过去的报名" in past


async def test_a_refused_sign_up_says_why_in_chinese(app, client):
    from tests.volunteers.factories import make_occurrence, volunteer_with_profile

    community, grid = await make_place()
    occurrence = await make_occurrence(title="周六服务日")
    await volunteer_with_profile(client, community, grid, birth_date=years_ago(80).isoformat())
    refused = await client.post(f"/occurrences/{occurrence}/sign-up", headers=HTML)
    assert refused.status_code == 409 and "不符合报名条件：您的年龄不在这项活动的年龄范围内" in refused.text
    assert "您还没有报名" in (await client.get("/me/sign-ups", headers=HTML)).text


async def test_an_organization_offers_a_resource_and_a_bad_quantity_saves_nothing(app, client):
    from tongxin.organizations.tables import ResourceOffer

    member = await make_user("org_member")
    await make_organization(member["id"])
    await login(client, member["username"])
    form = {"offer_title": "冬季棉被", "offer_category": "daily_goods", "offer_kind": "goods", "offer_quantity": "0"}
    bad = await client.post("/org/offers", data=form, headers=HTML)
    assert bad.status_code == 400 and 'data-field="offer_quantity"' in bad.text and 'value="冬季棉被"' in bad.text
    assert await ResourceOffer.count() == 0
    good = await client.post("/org/offers", data={**form, "offer_quantity": "20"}, headers=HTML)
    assert good.status_code in (302, 303)
    page = (await client.get("/org", headers=HTML)).text
    assert "冬季棉被" in page and "剩余 20" in page and "生活物资" in page


async def test_cancelling_an_activity_asks_first_and_needs_a_reason(app, client):
    from tongxin.activities.tables import Activity

    community, _ = await make_place()
    member = await make_user("org_member")
    await make_organization(member["id"])
    activity = await create_activity(
        actor=await load_actor(user_id=member["id"]), title="应急演练", kind="training_drill",
        starts_at=datetime.now(UTC) + timedelta(days=9), description="", duration_minutes=120, rrule="",
        community_id=community, grid_id=None, lat=None, lon=None, address="", capacity=5, signup_deadline_hours=24,
        min_age=18, max_age=65, youth_allowed=False, required_skills=[], required_certificates=[],
        credit_minutes=None, points_credit=10)
    await login(client, member["username"])
    ask = await client.get(f"/org/activities/{activity['id']}/cancel", headers=HTML)
    assert ask.status_code == 200 and "取消“应急演练”后" in ask.text and 'id="confirm"' in ask.text
    refused = await client.post(f"/org/activities/{activity['id']}/cancel", data={"reason": " "}, headers=HTML)
    assert refused.status_code == 400 and 'data-field="reason"' in refused.text
    assert await Activity.select(Activity.status).where(Activity.id == activity["id"]).first() == {"status": "draft"}
    done = await client.post(f"/org/activities/{activity['id']}/cancel", data={"reason": "天气原因"}, headers=HTML)
    assert done.status_code in (302, 303)
    assert (await Activity.select(Activity.status).where(Activity.id == activity["id"]).first())["status"] == "cancelled"


async def test_a_draft_comes_back_in_the_form_with_its_rule_split_and_is_saved_edited(app, client):
    import re

    from tongxin.activities.tables import Activity

    community, grid = await make_place()
    member = await make_user("org_member")
    await make_organization(member["id"])
    third_saturday = saturday_9am(third_of_its_month=True)
    draft = await create_activity(
        actor=await load_actor(user_id=member["id"]), title="吾爱邻服务日", kind="service_day",
        starts_at=third_saturday, description="", duration_minutes=120,
        rrule="FREQ=MONTHLY;BYDAY=+3SA", community_id=community, grid_id=grid, lat=None, lon=None, address="广场",
        capacity=5, signup_deadline_hours=24, min_age=18, max_age=65, youth_allowed=False, required_skills=[],
        required_certificates=[], credit_minutes=None, points_credit=10)
    await login(client, member["username"])
    form = (await client.get(f"/org/activities/{draft['id']}/edit", headers=HTML)).text
    assert 'value="吾爱邻服务日"' in form and f'value="{form_time(third_saturday)}"' in form
    for name, value in (("repeat", "monthly"), ("nth", "3"), ("weekday", "SA"), ("place", f"{community}:{grid}")):
        assert re.search(rf'<option value="{value}" selected', form.split(f'name="{name}"', 1)[1]), name
    edited = {"title": "吾爱邻周三服务", "kind": "service_day", "starts_at": form_time(third_saturday + timedelta(days=4)),
              "duration_minutes": "90", "repeat": "weekly", "nth": "1", "weekday": "WE", "place": f"{community}:{grid}",
              "address": "广场", "capacity": "8", "min_age": "18", "max_age": "65"}
    assert (await client.post(f"/org/activities/{draft['id']}/edit", data=edited, headers=HTML)).status_code in (302, 303)
    saved = await Activity.select(Activity.title, Activity.rrule, Activity.capacity).where(
        Activity.id == draft["id"]).first()
    assert saved == {"title": "吾爱邻周三服务", "rrule": "FREQ=WEEKLY;BYDAY=WE", "capacity": 8}

    async with make_client(app) as other:
        stranger = await make_user("org_member")
        await make_organization(stranger["id"])
        await login(other, stranger["username"])
        assert (await other.get(f"/org/activities/{draft['id']}/edit", headers=HTML)).status_code == 404


async def test_staff_record_assessments_with_scores_and_a_bad_score_saves_none(app, client):
    from tongxin.volunteers.tables import YouthAssessment

    community, grid = await make_place()
    guardian = await load_actor(user_id=(await make_user("guardian"))["id"])
    child = await youth_roster.apply_for_child(
        actor=guardian, child_name="小安", birth_date=years_ago(12), community_id=community, grid_id=grid,
        relationship="parent", consent=True, consent_text_version=youth_roster.CONSENT_TEXT_VERSION)
    await login(client, (await make_user("staff"))["username"])
    form = {"fitness": "true", "fitness_score": "88", "fitness_notes": "跑步优秀", "self_rescue": "true",
            "self_rescue_score": "120", "personality": "true"}
    bad = await client.post(f"/youth/{child['id']}/assessments", data=form, headers=HTML)
    assert bad.status_code == 400 and 'data-field="self_rescue_score"' in bad.text and 'value="跑步优秀"' in bad.text
    assert await YouthAssessment.count() == 0
    good = await client.post(f"/youth/{child['id']}/assessments", data={**form, "self_rescue_score": "90"},
                             headers=HTML)
    assert good.status_code in (302, 303)
    record = (await client.get(f"/youth/{child['id']}", headers=HTML)).text
    assert "88" in record and "跑步优秀" in record and 'data-status="assessed"' in record


async def test_language_switch_and_sign_in_come_back_to_the_same_filtered_page(app, client):
    listing = (await client.get("/wishes", params={"sort": "urgency", "offset": 0}, headers=HTML)).text
    assert "next=/wishes%3Fsort%3Durgency%26offset%3D0" in listing
    away = await client.get("/me/sign-ups", params={"when": "past"}, headers=HTML)
    assert away.headers["location"] == "/login?next=/me/sign-ups%3Fwhen%3Dpast"
    user = await make_user("volunteer")
    form = (await client.get(away.headers["location"], headers=HTML)).text
    assert 'name="next" value="/me/sign-ups?when=past"' in form
    signed_in = await client.post("/login", data={"username": user["username"], "password": PASSWORD,
                                                  "next": "/me/sign-ups?when=past"}, headers=HTML)
    assert signed_in.headers["location"] == "/me/sign-ups?when=past"
