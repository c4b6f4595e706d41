"""Each person reads their messages in their own language only, the one they chose in the pages."""

import re

import pytest

from tests.factories import login, make_user
from tests.volunteers.factories import make_place

pytestmark = pytest.mark.anyio
CHINESE = re.compile(r"[\u4e00-\u9fff]")


async def messages_of(user_id: int) -> list[dict]:
    from tongxin.notifications.tables import Notification

    return await Notification.select(Notification.title, Notification.body).where(Notification.recipient == user_id)


async def one_reader_per_language_signed_up(occurrence: int) -> dict[str, int]:
    """A Chinese and an English reader confirmed for the occurrence: their user ids by language."""
    from tongxin.accounts.tables import User
    from tongxin.activities.tables import Occurrence, SignUp
    from tongxin.volunteers.tables import Volunteer

    readers = {}
    for lang, name in (("zh-CN", "李华"), ("en", "王芳")):
        user = await make_user("volunteer")
        await User.update({User.locale: lang}).where(User.id == user["id"])
        volunteer = await Volunteer.insert(Volunteer(user=user["id"], real_name=name)).returning(Volunteer.id)
        await SignUp.insert(SignUp(occurrence=occurrence, volunteer=volunteer[0]["id"], status="confirmed"))
        readers[lang] = user["id"]
    await Occurrence.update({Occurrence.taken: len(readers)}).where(Occurrence.id == occurrence)
    return readers


async def test_switching_the_pages_to_english_makes_later_messages_english_only(app, client):
    from tongxin.accounts.service import load_actor
    from tongxin.organizations import service as organizations
    from tongxin.organizations.tables import Organization, OrganizationMember

    chinese_reader, english_reader = await make_user("org_member"), await make_user("org_member")
    await login(client, english_reader["username"])
    await client.get("/language", params={"to": "en", "next": "/"})
    community, _ = await make_place()
    staff = await load_actor(user_id=(await make_user("staff"))["id"])
    for member, name in ((chinese_reader, "蓝天救援队"), (english_reader, "和谐社工服务社")):
        rows = await Organization.insert(Organization(name=name, kind="rescue_team", community=community)
                                         ).returning(Organization.id)
        await OrganizationMember.insert(OrganizationMember(organization=rows[0]["id"], user=member["id"]))
        await organizations.decide_organization(actor=staff, organization_id=rows[0]["id"], approve=True)

    [chinese] = await messages_of(chinese_reader["id"])
    [english] = await messages_of(english_reader["id"])
    assert chinese["title"] == "“蓝天救援队”已通过审核"
    assert english["title"] == "“和谐社工服务社” was approved"
    assert "approved" not in chinese["title"] and not CHINESE.search(english["title"].replace("和谐社工服务社", ""))


async def test_reminders_say_the_time_in_each_readers_language(app):
    from datetime import datetime, timedelta, timezone

    from tongxin.scheduling import jobs, service as scheduling

    from tests.volunteers.factories import make_occurrence

    occurrence = await make_occurrence(starts_in=timedelta(hours=20), title="吾爱邻便民志愿服务日")
    readers = await one_reader_per_language_signed_up(occurrence)
    now = datetime.now(timezone.utc)
    await scheduling.fire(jobs.JOBS["reminders"], now, now=now)

    [chinese] = await messages_of(readers["zh-CN"])
    [english] = await messages_of(readers["en"])
    assert chinese["title"].startswith("明天：吾爱邻便民志愿服务日")
    assert re.search(r"周[一二三四五六日] \d\d:\d\d", chinese["title"])
    assert english["title"].startswith("Tomorrow: ") and re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ", english["title"])
    assert not CHINESE.search(english["body"].replace("明日社区广场", ""))
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}", chinese["body"] + english["body"]), "no ISO timestamps"


async def test_a_cancelled_occurrence_is_announced_to_each_person_in_their_own_language(app):
    from datetime import timedelta

    from tongxin.activities import signups

    from tests.volunteers.factories import make_occurrence

    occurrence = await make_occurrence(starts_in=timedelta(days=3), title="吾爱邻便民志愿服务日")
    readers = await one_reader_per_language_signed_up(occurrence)
    await signups.cancel_occurrence(occurrence_id=occurrence, reason="大风预警")

    [chinese] = await messages_of(readers["zh-CN"])
    [english] = await messages_of(readers["en"])
    assert chinese["title"].startswith("活动取消：吾爱邻便民志愿服务日") and re.search(r"周[一二三四五六日]", chinese["title"])
    assert english["title"].startswith("Cancelled: ") and re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ", english["title"])
    assert not CHINESE.search(english["title"].replace("吾爱邻便民志愿服务日", ""))
