"""Staff decide from the queue card alone: each card says what the item is, with values in words,
filters by kind and community, and several items are approved at once with a summary of what failed."""

import json
import re
from datetime import datetime, timezone

import pytest

from tests.factories import login, make_user
from tests.volunteers.factories import make_occurrence, make_organization, make_place, make_skill, years_ago
from tests.web.test_occurrence_pages import assert_reads_as_chinese

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}


def card(text: str, key: str) -> str:
    start = text.index(f'id="{key}"')
    end = text.find('<div class="card queue-card"', start + 10)
    return text[start:end if end > 0 else len(text)]


async def submitted_activity(*, title: str = "吾爱邻便民志愿服务日", community_id: int | None = None, **fields) -> int:
    from tongxin.activities.tables import Activity

    organization = await make_organization()
    start = datetime(2027, 1, 16, 1, 0, tzinfo=timezone.utc)  # 09:00 in Asia/Shanghai, a Saturday
    rows = await Activity.insert(Activity(
        organization=organization, title=title, kind="service_day", status="submitted", starts_at=start,
        duration_minutes=180, community=community_id, address="明日社区广场", capacity=20,
        submitted_at=datetime.now(timezone.utc), **fields)).returning(Activity.id)
    return rows[0]["id"]


async def test_an_activity_card_shows_time_place_capacity_skills_repeat_rule_and_organization(client):
    await make_skill("haircut")
    from tongxin.volunteers.tables import Skill

    await Skill.update({Skill.name_zh: "理发"}).where(Skill.code == "haircut")
    community, _ = await make_place("明日社区")
    activity_id = await submitted_activity(community_id=community, rrule="FREQ=MONTHLY;BYDAY=+3SA",
                                           required_skills=json.dumps(["haircut"]), min_age=18, max_age=65)
    await login(client, (await make_user("staff"))["username"])
    page = (await client.get("/staff/queue", headers=HTML)).text
    text = card(page, f"activity-{activity_id}")
    for words in ("2027-01-16 周六 09:00–12:00", "每月第三个周六", "明日社区", "明日社区广场", "20 人", "理发",
                  "18–65 岁", "已通过审核"):
        assert words in text, words
    assert "FREQ=" not in page and "service_day" not in page
    assert_reads_as_chinese(page)


async def test_a_youth_application_card_names_the_child_with_age_squad_and_assessments(client):
    from tongxin.volunteers.tables import Volunteer, YouthAssessment, YouthMember

    community, grid = await make_place("阳澄社区")
    guardian = await make_user("guardian")
    born = years_ago(12, days=3)
    child = await Volunteer.insert(Volunteer(real_name="王小明", birth_date=born, community=community, grid=grid,
                                             is_youth=True)).returning(Volunteer.id)
    youth = await YouthMember.insert(YouthMember(volunteer=child[0]["id"], guardian=guardian["id"],
                                                 consent_at=datetime.now(timezone.utc), consent_text_version="1")
                                     ).returning(YouthMember.id)
    await YouthAssessment.insert(YouthAssessment(youth=youth[0]["id"], kind="fitness", passed=True))
    await login(client, (await make_user("staff"))["username"])
    page = (await client.get("/staff/queue", params={"kind": "youth"}, headers=HTML)).text
    text = card(page, f"youth-{youth[0]['id']}")
    for words in ("王小明", "12 岁", "阳澄社区", "尚未编入小队", "体能 通过", "自救技能 未评估", "(1/3)"):
        assert words in text, words
    assert "#" not in text and "assessments" not in text
    assert_reads_as_chinese(page)


async def test_a_proposal_explains_itself_with_values_best_reason_first_without_the_score(client):
    from tongxin.matches.tables import Proposal
    from tongxin.volunteers.tables import Volunteer

    occurrence_id = await make_occurrence(title="义务理发")
    person = await Volunteer.insert(Volunteer(real_name="李华")).returning(Volunteer.id)
    explanation = {"score": 0.98, "text_zh": "匹配分 0.98；加分：技能匹配度", "text_en": "score 0.98",
                   "raised": [["skill_coverage", 0.4], ["distance_km", 0.9], ["recent_load", 0.1]],
                   "lowered": [["category_history", -0.3]]}
    features = {"skill_coverage": 1.0, "distance_km": 0.8, "recent_load": 1, "category_history": 0}
    rows = await Proposal.insert(Proposal(target_type="occurrence", target_id=occurrence_id,
                                          candidate_type="volunteer", candidate_id=person[0]["id"], score=0.98,
                                          features=features, explanation=explanation)).returning(Proposal.id)
    from tongxin.activities.tables import Activity

    await Activity.update({Activity.required_skills: json.dumps(["a", "b"])}).where(Activity.id > 0)
    await login(client, (await make_user("staff"))["username"])
    page = (await client.get("/staff/queue", params={"kind": "proposal"}, headers=HTML)).text
    text = card(page, f"proposal-{rows[0]['id']}")
    assert "李华 → 义务理发" in text
    assert "距离 0.8 公里 · 技能 2/2 · 近30天服务 1 次" in text, "reasons with values, strongest first"
    assert "没做过同类服务" in text and "剩余名额 5/5" in text
    assert "0.98" not in text and "匹配分" not in text
    assert_reads_as_chinese(page)


async def test_a_resource_proposal_says_what_is_offered(client):
    from tongxin.matches.tables import Proposal
    from tongxin.organizations.tables import ResourceOffer
    from tongxin.wishes.tables import Household, Wish

    community, grid = await make_place()
    organization = await make_organization()
    offer = await ResourceOffer.insert(ResourceOffer(organization=organization, title="冬季棉被", category="daily_goods",
                                                     kind="goods", quantity=3, remaining=2)).returning(ResourceOffer.id)
    household = await Household.insert(Household(grid=grid, name="张阿姨")).returning(Household.id)
    wish = await Wish.insert(Wish(household=household[0]["id"], grid=grid, community=community, category="daily_goods",
                                  title="想要一床厚被子", status="open", urgency=3)).returning(Wish.id)
    rows = await Proposal.insert(Proposal(target_type="wish", target_id=wish[0]["id"], candidate_type="resource",
                                          candidate_id=offer[0]["id"], score=0.7, features={}, explanation={})
                                 ).returning(Proposal.id)
    await login(client, (await make_user("staff"))["username"])
    page = (await client.get("/staff/queue", params={"kind": "proposal"}, headers=HTML)).text
    text = card(page, f"proposal-{rows[0]['id']}")
    for words in ("冬季棉被 → 想要一床厚被子", "物资", "生活物资", "剩余 2/3", "紧急"):
        assert words in text, words
    assert "←" not in text and "resource" not in text


async def test_the_queue_filters_by_community_and_lists_organizations_before_proposals(client):
    from tongxin.matches.tables import Proposal
    from tongxin.organizations.tables import Organization

    mingri, _ = await make_place("明日社区")
    yangcheng, _ = await make_place("阳澄社区")
    here = await submitted_activity(title="明日社区的活动", community_id=mingri)
    there = await submitted_activity(title="阳澄社区的活动", community_id=yangcheng)
    await Proposal.insert(*[Proposal(target_type="wish", target_id=n, candidate_type="volunteer", candidate_id=n,
                                     score=0.5, explanation={}) for n in range(1, 30)])
    new = await Organization.insert(Organization(name="新来的组织", kind="charity", status="pending")).returning(
        Organization.id)
    await login(client, (await make_user("staff"))["username"])
    everything = (await client.get("/staff/queue", headers=HTML)).text
    assert f'id="organization-{new[0]["id"]}"' in everything, "a new organization is on the first page"
    filtered = (await client.get("/staff/queue", params={"community_id": str(mingri), "kind": ""}, headers=HTML)).text
    assert f'id="activity-{here}"' in filtered and f'id="activity-{there}"' not in filtered
    empty_filter = await client.get("/staff/queue", params={"community_id": "", "kind": ""}, headers=HTML)
    assert empty_filter.status_code == 200


async def test_bulk_approval_approves_each_ticked_item_and_says_which_were_refused_and_why(client):
    from tongxin.activities.tables import Activity

    first = await submitted_activity(title="第一项活动")
    second = await submitted_activity(title="第二项活动")
    third = await submitted_activity(title="已被别人处理的活动")
    await Activity.update({Activity.status: "rejected"}).where(Activity.id == third)
    await login(client, (await make_user("staff"))["username"])
    await client.get("/staff/queue", headers=HTML)
    response = await client.post("/staff/queue/approve", data={
        "items": [f"activity:{first}", f"activity:{second}", f"activity:{third}"], "kind": ""}, headers=HTML)
    assert response.status_code == 200
    summary = response.text[response.text.index('id="bulk-summary"'):]
    summary = summary[:summary.index("</div>")]
    assert "已通过 2 项" in summary and "以下 1 项未能通过" in summary
    assert re.search(r"已被别人处理的活动 — \S+", summary) and "wrong_status" not in summary
    statuses = {r["id"]: r["status"] for r in await Activity.select(Activity.id, Activity.status)}
    assert statuses == {first: "approved", second: "approved", third: "rejected"}
    nothing = await client.post("/staff/queue/approve", data={"kind": ""}, headers=HTML)
    assert "请先勾选要通过的事项" in nothing.text


async def test_a_rejection_without_reason_is_tied_to_the_reason_field(client):
    activity_id = await submitted_activity()
    await login(client, (await make_user("staff"))["username"])
    response = await client.post(f"/staff/decide/activity/{activity_id}", data={"decision": "reject", "reason": ""},
                                 headers=HTML)
    assert response.status_code == 400
    key = f"activity-{activity_id}"
    assert f'aria-describedby="reason-error-{key}"' in response.text and f'id="reason-error-{key}"' in response.text


async def test_the_candidates_for_one_target_can_be_compared_on_their_own(client):
    from tongxin.matches.tables import Proposal
    from tongxin.volunteers.tables import Volunteer

    wanted = await make_occurrence(title="义务理发")
    other = await make_occurrence(title="消防演练")
    people = [(await Volunteer.insert(Volunteer(real_name=name)).returning(Volunteer.id))[0]["id"]
              for name in ("李华", "王芳", "赵强")]
    await Proposal.insert(Proposal(target_type="occurrence", target_id=wanted, candidate_type="volunteer",
                                   candidate_id=people[0], score=0.9, explanation={}),
                          Proposal(target_type="occurrence", target_id=wanted, candidate_type="volunteer",
                                   candidate_id=people[1], score=0.8, explanation={}),
                          Proposal(target_type="occurrence", target_id=other, candidate_type="volunteer",
                                   candidate_id=people[2], score=0.7, explanation={}))
    await login(client, (await make_user("staff"))["username"])
    everything = (await client.get("/staff/queue", params={"kind": "proposal"}, headers=HTML)).text
    assert f'href="/staff/queue?target=occurrence:{wanted}"' in everything
    one = (await client.get("/staff/queue", params={"target": f"occurrence:{wanted}"}, headers=HTML)).text
    assert "李华 → 义务理发" in one and "王芳 → 义务理发" in one and "赵强" not in one
    assert "只显示同一对象的匹配建议" in one


def test_every_matching_feature_reads_as_words_with_its_value_in_both_languages():
    import matching
    from tongxin.web.cards import feature_text

    for name in matching.FEATURE_NAMES:
        for lang in ("zh-CN", "en"):
            text = feature_text(name, 1.0, lang, skills_required=2)
            assert text and "_" not in text, (name, lang)
            labels = matching.FEATURE_LABELS_ZH if lang == "zh-CN" else matching.FEATURE_LABELS_EN
            assert text != labels.get(name) or name in ("same_grid", "same_community"), f"{name}: a label, no value"
