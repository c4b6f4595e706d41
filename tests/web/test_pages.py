"""Pages as people on phones meet them: Chinese first, English on request, forms that say what to fix."""

import re

import pytest

from tests.factories import form_time, login, make_user, saturday_9am

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}


async def test_pages_speak_chinese_by_default_and_english_when_switched(client):
    home = await client.get("/", headers=HTML)
    assert home.status_code == 200 and 'lang="zh-CN"' in home.text and "活动" in home.text
    switched = await client.get("/language", params={"to": "en", "next": "/occurrences"}, headers=HTML)
    assert switched.status_code in (301, 302, 303) and switched.headers["location"] == "/occurrences"
    english = await client.get("/occurrences", headers=HTML)
    assert 'lang="en"' in english.text and "Activities" in english.text


async def test_language_switch_never_redirects_to_another_site(client):
    response = await client.get("/language", params={"to": "en", "next": "//evil.example"}, headers=HTML)
    assert response.headers["location"] == "/"


async def test_bad_registration_comes_back_with_the_fields_marked_and_nothing_saved(client):
    from tongxin.accounts.tables import User

    await client.get("/register", headers=HTML)
    response = await client.post("/register", data={"username": "ab", "password": "short", "role": "volunteer"},
                                 headers=HTML)
    assert response.status_code == 400
    assert 'data-field="username"' in response.text and 'data-field="password"' in response.text
    assert 'value="ab"' in response.text, "what the person typed is kept"
    assert await User.count() == 0


async def test_wrong_password_is_said_in_chinese(client):
    user = await make_user()
    response = await client.post("/login", data={"username": user["username"], "password": "wrong-wrong"},
                                 headers=HTML)
    assert response.status_code == 400 and "用户名或密码不正确" in response.text


async def test_staff_pages_are_not_found_for_volunteers_and_ask_strangers_to_sign_in(client):
    anonymous = await client.get("/staff/queue", headers=HTML)
    assert anonymous.status_code in (302, 303) and anonymous.headers["location"].startswith("/login")
    await login(client, (await make_user("volunteer"))["username"])
    response = await client.get("/staff/dashboard", headers=HTML)
    assert response.status_code == 404 and "没有找到" in response.text


async def test_staff_see_the_queue_dashboard_and_jobs(client):
    await login(client, (await make_user("staff"))["username"])
    for path, words in (("/staff/queue", "没有待审核的事项"), ("/staff/dashboard", "暂无数据"), ("/staff/jobs", "expand_occurrences"),
                        ("/staff/squads", "还没有小队")):
        response = await client.get(path, headers=HTML)
        assert response.status_code == 200 and words in response.text, path


async def test_empty_lists_say_what_to_do_next(client):
    occurrences = await client.get("/occurrences", headers=HTML)
    assert "暂时没有符合条件的活动" in occurrences.text
    wishes = await client.get("/wishes", headers=HTML)
    assert "目前没有公开的微心愿" in wishes.text


async def test_no_page_loads_anything_from_another_host(app, client):
    from tests.conftest import make_client
    from tests.volunteers.factories import make_organization, make_place

    await make_place()
    member = await make_user("org_member")
    await make_organization(member["id"])
    pages = {"staff": ("/", "/occurrences", "/wishes", "/staff/queue", "/staff/dashboard", "/staff/jobs",
                       "/me/notifications", "/wishes/mine", "/wishes/new", "/no-such-page"),
             "volunteer": ("/me/profile", "/me/sign-ups"), "guardian": ("/youth",),
             member["username"]: ("/org", "/org/activities/new"), None: ("/login", "/register")}
    for who, paths in pages.items():
        async with make_client(app) as person:
            if who is not None:
                await login(person, who if who == member["username"] else (await make_user(who))["username"])
            for path in paths:
                text = (await person.get(path, headers=HTML)).text
                external = re.findall(r'(?:src|href|action)="(?:https?:)?//(?!testserver/)[^"]*', text)
                assert not external, f"{path} loads from another host: {external}"
    assert (await client.get("/static/htmx.min.js")).status_code == 200
    css = (await client.get("/static/tongxin.css")).text
    assert "http" not in css and "@import" not in css, "no web fonts or stylesheets from elsewhere"


async def test_long_lists_page_in_the_users_language(client):
    from tongxin.matches.tables import Proposal

    await Proposal.insert(*[Proposal(target_type="wish", target_id=n, candidate_type="volunteer", candidate_id=n,
                                     score=0.5, explanation={"text_zh": "匹配分 0.50", "text_en": "score 0.50"})
                            for n in range(25)])
    await login(client, (await make_user("staff"))["username"])
    first = await client.get("/staff/queue", params={"kind": "proposal"}, headers=HTML)
    assert first.status_code == 200 and "下一页" in first.text and "1–20 / 25" in first.text
    second = await client.get("/staff/queue", params={"kind": "proposal", "offset": 20}, headers=HTML)
    assert "上一页" in second.text and "21–25 / 25" in second.text


async def test_browsing_filters_by_community_and_distance_from_home(app, client):
    from tests.activities.test_journeys import published_activity
    from tests.volunteers.factories import make_place, volunteer_with_profile, years_ago

    community, grid = await make_place("明日社区")
    other, _ = await make_place("星湖社区")
    await published_activity(app, community, title="明日社区服务日")
    await volunteer_with_profile(client, community, grid, birth_date=years_ago(30).isoformat())
    mine = await client.get("/occurrences", params={"community_id": community}, headers=HTML)
    elsewhere = await client.get("/occurrences", params={"community_id": other}, headers=HTML)
    near = await client.get("/occurrences", params={"near": True, "radius_km": 5}, headers=HTML)
    assert "明日社区服务日" in mine.text and "明日社区服务日" not in elsewhere.text
    assert near.status_code == 200 and "公里" in near.text and "明日社区服务日" in near.text


async def test_activity_form_keeps_skills_certificates_and_grid_and_refuses_a_bad_age_range(app, client):
    from tongxin.activities.tables import Activity

    from tests.volunteers.factories import (
        make_certificate_kind,
        make_organization,
        make_place,
        make_skill,
    )

    community, grid = await make_place()
    await make_skill("first_aid")
    await make_certificate_kind("rescue_cert")
    member = await make_user("org_member")
    await make_organization(member["id"])
    await login(client, member["username"])
    form = {"title": "应急演练", "kind": "training_drill", "starts_at": form_time(saturday_9am()), "duration_minutes": "180",
            "repeat": "once", "place": f"{community}:{grid}", "address": "明日社区广场", "capacity": "20",
            "min_age": "30", "max_age": "20", "required_skills": "first_aid", "required_certificates": "rescue_cert"}
    bad = await client.post("/org/activities/new", data=form, headers=HTML)
    assert bad.status_code == 400 and 'data-field="min_age"' in bad.text
    assert re.search(r'value="first_aid"\s+checked', bad.text), "the ticked skill stays ticked"
    assert await Activity.count() == 0
    good = await client.post("/org/activities/new", data={**form, "min_age": "18"}, headers=HTML)
    assert good.status_code in (302, 303), good.text[:300]
    saved = await Activity.select(Activity.grid, Activity.required_skills, Activity.required_certificates).output(
        load_json=True).first()
    assert saved == {"grid": grid, "required_skills": ["first_aid"], "required_certificates": ["rescue_cert"]}


async def test_profile_with_no_skills_or_days_ticked_is_saved(app, client):
    from tongxin.volunteers.tables import Volunteer

    from tests.volunteers.factories import make_place

    community, grid = await make_place()
    await login(client, (await make_user("volunteer"))["username"])
    response = await client.post("/me/profile", data={"real_name": "王小明", "phone": "13800001111",
                                                      "birth_date": "1990-01-01", "grid_id": f"{community}:{grid}",
                                                      "from_time": "09:00", "to_time": "17:00"}, headers=HTML)
    assert response.status_code in (302, 303)
    assert await Volunteer.count() == 1
