"""Activity lists and the activity page as a volunteer on a phone meets them: filters that take empty
fields, a keyword, "已报名" or why not in words instead of a 报名 button that fails."""

import json
import re
from datetime import datetime, timedelta

import pytest

from tests.factories import login, make_user
from tests.volunteers.factories import (
    enrol,
    make_certificate_kind,
    make_occurrence,
    make_place,
    make_skill,
    volunteer_with_profile,
    years_ago,
)

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}


async def occurrence(**activity_fields) -> int:
    """A published occurrence a week ahead, its activity given `activity_fields`."""
    from tongxin.activities.tables import Activity, Occurrence

    occurrence_id = await make_occurrence(title=activity_fields.pop("title", "吾爱邻便民志愿服务日"),
                                          capacity=activity_fields.pop("capacity", 5),
                                          starts_in=activity_fields.pop("starts_in", timedelta(days=7)))
    row = await Occurrence.select(Occurrence.activity).where(Occurrence.id == occurrence_id).first()
    for name in ("required_skills", "required_certificates", "preferred_skills"):
        if name in activity_fields:
            activity_fields[name] = json.dumps(activity_fields[name])
    if activity_fields:
        await Activity.update({getattr(Activity, k): v for k, v in activity_fields.items()}).where(
            Activity.id == row["activity"])
    return occurrence_id


def a_week_ahead_at_nine() -> timedelta:
    """From now to 09:00 local time seven days ahead: a start and end on one local day at any hour of
    the run (an occurrence starting at 22:00 local would end on the next day, which the page dates)."""
    from tongxin.dates import LOCAL_TZ

    now = datetime.now(LOCAL_TZ)
    return (now + timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0) - now


def card(text: str, occurrence_id: int) -> str:
    """The HTML of one occurrence's card in a list page."""
    start = text.index(f'id="occurrence-{occurrence_id}"')
    end = text.find('<div class="card" id="occurrence-', start + 10)
    return text[start:end if end > 0 else len(text)]


def assert_reads_as_chinese(text: str) -> None:
    """No English words, raw codes, ISO timestamps or None (the language test's own check)."""
    from tests.web.test_language_pages import findings

    found = findings(text, "zh-CN", [])
    assert not found, f"not Chinese on a zh-CN page: {found[:10]}"


async def test_the_filter_form_submitted_with_empty_fields_lists_activities(client):
    occurrence_id = await occurrence(title="吾爱邻便民志愿服务日")
    response = await client.get("/occurrences", params={"q": "", "kind": "", "community_id": "", "date_from": "",
                                                       "date_to": "", "sort": "starts_at"}, headers=HTML)
    assert response.status_code == 200, response.text[:300]
    assert f'id="occurrence-{occurrence_id}"' in response.text
    malformed = await client.get("/occurrences", params={"date_from": "2026-13-45", "community_id": "x"},
                                 headers=HTML)
    assert malformed.status_code == 200 and f'id="occurrence-{occurrence_id}"' in malformed.text


async def test_keyword_search_finds_activities_by_title_and_place(client):
    haircut = await occurrence(title="义务理发")
    drill = await occurrence(title="消防演练")
    response = await client.get("/occurrences", params={"q": "理发"}, headers=HTML)
    assert f'id="occurrence-{haircut}"' in response.text and f'id="occurrence-{drill}"' not in response.text
    assert 'value="理发"' in response.text, "the keyword stays in its field"
    by_place = await client.get("/occurrences", params={"q": "明日社区广场"}, headers=HTML)
    assert f'id="occurrence-{haircut}"' in by_place.text and f'id="occurrence-{drill}"' in by_place.text


async def test_cards_say_signed_up_or_the_waitlist_place_instead_of_a_sign_up_button(client):
    community, grid = await make_place()
    volunteer = await volunteer_with_profile(client, community, grid)
    confirmed = await occurrence(title="已报名的活动")
    full = await occurrence(title="满员的活动", capacity=1)
    open_one = await occurrence(title="还能报名的活动", starts_in=timedelta(days=9))
    other = await make_user("volunteer")
    from tongxin.volunteers.tables import Volunteer

    first = await Volunteer.insert(Volunteer(user=other["id"], real_name="张三", birth_date=years_ago(40))
                                   ).returning(Volunteer.id)
    await enrol(volunteer_id=first[0]["id"], occurrence_id=full)
    await enrol(volunteer_id=volunteer["volunteer_id"], occurrence_id=confirmed)
    await enrol(volunteer_id=volunteer["volunteer_id"], occurrence_id=full)
    page = (await client.get("/occurrences", headers=HTML)).text
    assert "已报名" in card(page, confirmed) and "/sign-up\"" not in card(page, confirmed)
    assert "候补第 1 位" in card(page, full) and "/sign-up\"" not in card(page, full)
    assert f'action="/occurrences/{open_one}/sign-up"' in card(page, open_one)
    assert_reads_as_chinese(page)


async def test_cards_say_what_is_missing_instead_of_a_button_that_would_fail(client):
    await make_skill("haircut")
    await make_certificate_kind("first_aid_cert")
    from tongxin.volunteers.tables import CertificateKind, Skill

    await Skill.update({Skill.name_zh: "理发"}).where(Skill.code == "haircut")
    await CertificateKind.update({CertificateKind.name_zh: "急救证"}).where(CertificateKind.code == "first_aid_cert")
    community, grid = await make_place()
    await volunteer_with_profile(client, community, grid, birth_date=years_ago(30).isoformat())
    needs_skill = await occurrence(title="义务理发", required_skills=["haircut"])
    needs_cert = await occurrence(title="急救培训", required_certificates=["first_aid_cert"])
    too_old = await occurrence(title="青年志愿者活动", min_age=14, max_age=25)
    page = (await client.get("/occurrences", headers=HTML)).text
    assert "需要技能：理发" in card(page, needs_skill) and "/sign-up\"" not in card(page, needs_skill)
    assert "需要急救证" in card(page, needs_cert) and "/sign-up\"" not in card(page, needs_cert)
    assert "年龄不符" in card(page, too_old) and "14–25" in card(page, too_old)
    assert_reads_as_chinese(page)
    client.cookies.set("tx_lang", "en")
    english = (await client.get("/occurrences", headers=HTML)).text
    assert "Needs the skill haircut" in card(english, needs_skill) and "Age outside 14–25" in card(english, too_old)


async def test_activity_page_tells_everything_needed_to_decide(client):
    await make_skill("first_aid")
    from tongxin.volunteers.tables import Skill

    await Skill.update({Skill.name_zh: "急救"}).where(Skill.code == "first_aid")
    occurrence_id = await occurrence(title="应急救护培训", description="学习心肺复苏。\n请穿运动鞋。",
                                     required_skills=["first_aid"], min_age=16, max_age=60, youth_allowed=True,
                                     contact_name="王老师", contact_phone="13912345678", lat=33.91, lon=118.31,
                                     starts_in=a_week_ahead_at_nine())
    from tongxin.activities.tables import Occurrence

    await Occurrence.update({Occurrence.lat: 33.91, Occurrence.lon: 118.31}).where(Occurrence.id == occurrence_id)
    response = await client.get(f"/occurrences/{occurrence_id}", headers=HTML)
    assert response.status_code == 200
    text = response.text
    for words in ("应急救护培训", "学习心肺复苏", "明日社区广场", "王老师", 'href="tel:13912345678"', "急救",
                  "16–60 岁", "只参加白天", "还没有成年带队人报名", "剩余名额", "5/5", "uri.amap.com/marker",
                  "登录后报名"):
        assert words in text, words
    assert re.search(r"周[一二三四五六日] \d{2}:\d{2}–\d{2}:\d{2}", text), "local start and end"
    assert_reads_as_chinese(text)


async def test_activity_page_signs_up_and_then_says_so(client):
    community, grid = await make_place()
    await volunteer_with_profile(client, community, grid)
    occurrence_id = await occurrence()
    page = await client.get(f"/occurrences/{occurrence_id}", headers=HTML)
    assert f'action="/occurrences/{occurrence_id}/sign-up"' in page.text
    signed = await client.post(f"/occurrences/{occurrence_id}/sign-up", headers=HTML)
    assert signed.status_code in (302, 303)
    again = await client.get(f"/occurrences/{occurrence_id}", headers=HTML)
    assert "已报名" in again.text and f'action="/occurrences/{occurrence_id}/sign-up"' not in again.text


async def test_a_refused_sign_up_comes_back_to_the_activity_page_saying_why(client):
    community, grid = await make_place()
    await volunteer_with_profile(client, community, grid, birth_date=years_ago(30).isoformat())
    occurrence_id = await occurrence(min_age=14, max_age=25)
    refused = await client.post(f"/occurrences/{occurrence_id}/sign-up", headers=HTML)
    assert refused.status_code == 409 or refused.status_code == 400
    assert "年龄" in refused.text and "<h1>吾爱邻便民志愿服务日</h1>" in refused.text


async def test_an_unpublished_activity_page_is_not_found(client):
    from tongxin.activities.tables import Activity

    occurrence_id = await occurrence()
    await Activity.update({Activity.status: "draft"}).where(Activity.id > 0)
    response = await client.get(f"/occurrences/{occurrence_id}", headers=HTML)
    assert response.status_code == 404
    await login(client, (await make_user("staff"))["username"])
    assert (await client.get(f"/occurrences/{occurrence_id}", headers=HTML)).status_code == 200


async def test_past_deadline_says_sign_ups_are_closed(client):
    community, grid = await make_place()
    await volunteer_with_profile(client, community, grid)
    occurrence_id = await make_occurrence(starts_in=timedelta(minutes=30))
    page = (await client.get("/occurrences", headers=HTML)).text
    assert "报名已截止" in card(page, occurrence_id) and "/sign-up\"" not in card(page, occurrence_id)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_rule_that_can_refuse_a_sign_up_has_words_in_both_languages(lang):
    import matching
    from tongxin.web import i18n

    codes = [*matching.PAIR_RULES, "inactive", "no_birth_date", "sign_ups_closed"]
    for code in codes:
        text = i18n.why_not_text(code, lang)
        assert text and text != code and "_" not in text and text not in ("不符合报名条件", "Not eligible"), code
        if lang == "zh-CN":
            assert re.search(r"[\u4e00-\u9fff]", text) and not re.search(r"[a-z]{3,}", text), text


async def test_a_missing_activity_page_keeps_the_signed_in_header(client):
    community, grid = await make_place()
    await volunteer_with_profile(client, community, grid)
    response = await client.get("/occurrences/99999", headers=HTML)
    assert response.status_code == 404 and "没有找到" in response.text
    assert 'action="/logout"' in response.text and 'href="/me/sign-ups"' in response.text, "not signed out"


async def test_the_activity_page_in_english_has_no_chinese_labels(client):
    occurrence_id = await occurrence(title="Haircuts", min_age=16, max_age=60)
    client.cookies.set("tx_lang", "en")
    text = (await client.get(f"/occurrences/{occurrence_id}", headers=HTML)).text
    for words in ("When", "Where", "Contact", "Skills needed", "16 to 60 years", "Places left", "Sign in to sign up"):
        assert words in text, words
    for words in ("时间", "地点", "联系人", "需要技能", "岁", "剩余名额", "登录后报名", "周"):
        assert words not in text.replace("明日社区广场", ""), words


async def youth_occurrence(community_id: int) -> int:
    """A youth-allowed occurrence in `community_id`, a week ahead, 10:00–12:00 local time (daytime)."""
    from datetime import datetime, timezone

    from tongxin.activities.tables import Occurrence

    occurrence_id = await occurrence(title="小小安全员安全教育课", youth_allowed=True, min_age=10, max_age=65)
    day = (datetime.now(timezone.utc) + timedelta(days=7)).replace(hour=2, minute=0, second=0, microsecond=0)
    await Occurrence.update({Occurrence.starts_at: day, Occurrence.ends_at: day + timedelta(hours=2),
                             Occurrence.signup_deadline: day - timedelta(hours=1),
                             Occurrence.community: community_id}).where(Occurrence.id == occurrence_id)
    return occurrence_id


async def active_child(guardian_id: int, community_id: int, grid_id: int, name: str = "王小明") -> int:
    """An assessed, active little safety officer with consent in force; returns the child's volunteer id."""
    from datetime import datetime, timezone

    from tongxin.volunteers.tables import Volunteer, YouthMember

    child = await Volunteer.insert(Volunteer(real_name=name, birth_date=years_ago(12), community=community_id,
                                             grid=grid_id, is_youth=True)).returning(Volunteer.id)
    await YouthMember.insert(YouthMember(volunteer=child[0]["id"], guardian=guardian_id, status="active",
                                         consent_at=datetime.now(timezone.utc), consent_text_version="1"))
    return child[0]["id"]


async def test_a_guardian_signs_a_child_up_on_the_activity_page_and_an_adult_leader_confirms_them(app, client):
    from tests.conftest import make_client
    from tongxin.activities.tables import SignUp

    community, grid = await make_place()
    guardian = await make_user("guardian")
    child = await active_child(guardian["id"], community, grid)
    occurrence_id = await youth_occurrence(community)
    await login(client, guardian["username"])
    listing = (await client.get("/occurrences", headers=HTML)).text
    assert f'href="/occurrences/{occurrence_id}#children"' in card(listing, occurrence_id)
    page = (await client.get(f"/occurrences/{occurrence_id}", headers=HTML)).text
    assert "为王小明报名" in page and f'name="volunteer_id" value="{child}"' in page
    signed = await client.post(f"/occurrences/{occurrence_id}/sign-up", data={"volunteer_id": str(child)},
                               headers=HTML)
    assert signed.status_code in (302, 303) and signed.headers["location"].startswith(f"/occurrences/{occurrence_id}")
    waiting = (await client.get(signed.headers["location"], headers=HTML)).text
    assert "报名成功" in waiting and "成年带队人报名后即确认" in waiting

    async with make_client(app) as adult:
        await volunteer_with_profile(adult, community, grid, birth_date=years_ago(35).isoformat())
        offer = (await adult.get(f"/occurrences/{occurrence_id}", headers=HTML)).text
        assert "作为成年带队人报名" in offer
        led = await adult.post(f"/occurrences/{occurrence_id}/sign-up", data={"as_leader": "true"}, headers=HTML)
        assert led.status_code in (302, 303)
    assert (await SignUp.select(SignUp.status).where(SignUp.volunteer == child).first())["status"] == "confirmed"
    confirmed = (await client.get(f"/occurrences/{occurrence_id}", headers=HTML)).text
    assert "已报名" in confirmed and "已有成年带队人报名" in confirmed
    assert_reads_as_chinese(confirmed)


async def test_a_guardian_reads_why_a_child_may_not_join(client):
    community, grid = await make_place()
    guardian = await make_user("guardian")
    await active_child(guardian["id"], community, grid, name="李小红")
    occurrence_id = await occurrence(title="成人急救培训", min_age=18, max_age=65)
    await login(client, guardian["username"])
    page = (await client.get(f"/occurrences/{occurrence_id}", headers=HTML)).text
    child = page[page.index('id="children"'):]
    assert "李小红" in child and "年龄不符" in child and "为李小红报名" not in child


async def test_my_sign_ups_lead_back_to_each_activity_page(client):
    community, grid = await make_place()
    volunteer = await volunteer_with_profile(client, community, grid)
    occurrence_id = await occurrence()
    await enrol(volunteer_id=volunteer["volunteer_id"], occurrence_id=occurrence_id)
    mine = (await client.get("/me/sign-ups", headers=HTML)).text
    assert f'href="/occurrences/{occurrence_id}"' in mine and "明日社区广场" in mine
