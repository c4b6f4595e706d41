"""The youth journey's missing links: an organization asks an adult to lead (an invitation the adult
answers), matching proposes a child near home once a leader is there, the guardian accepts for the
child, and the child's hours show on the guardian's page."""

from datetime import date, datetime, timedelta, timezone

import pytest
from tongxin.accounts.service import load_actor
from tongxin.activities import attendance, signups
from tongxin.activities.tables import Occurrence, SignUp
from tongxin.matches import decisions
from tongxin.matches import service as matches
from tongxin.matches.tables import Invitation, Proposal
from tongxin.organizations.tables import OrganizationMember
from tongxin.volunteers.tables import Volunteer

from tests.conftest import make_client
from tests.factories import login, make_user, signed_in_as
from tests.volunteers.factories import make_place, volunteer_with_profile, years_ago
from tests.web.test_occurrence_pages import active_child, assert_reads_as_chinese, youth_occurrence
from tests.youth.test_youth import apply, assess_all

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}


async def org_member_of(occurrence_id: int) -> dict:
    """A member of the organization running the occurrence."""
    row = await Occurrence.select(Occurrence.activity.organization.as_alias("org")).where(
        Occurrence.id == occurrence_id).first()
    user = await make_user("org_member")
    await OrganizationMember.insert(OrganizationMember(organization=row["org"], user=user["id"]))
    return user


async def waiting_child(community: int, grid: int, occurrence_id: int) -> int:
    guardian = await make_user("guardian")
    child = await active_child(guardian["id"], community, grid)
    assert (await signups.apply(volunteer_id=child, occurrence_id=occurrence_id))["status"] == "waiting_for_leader"
    return child


async def status_of(volunteer_id: int) -> str | None:
    row = await SignUp.select(SignUp.status).where(SignUp.volunteer == volunteer_id).first()
    return row and row["status"]


async def test_an_organization_asks_an_adult_to_lead_and_the_child_is_confirmed_only_once_they_accept(app, client):
    community, grid = await make_place()
    occurrence_id = await youth_occurrence(community)
    child = await waiting_child(community, grid, occurrence_id)
    org = await org_member_of(occurrence_id)
    activity = (await Occurrence.select(Occurrence.activity).where(Occurrence.id == occurrence_id).first())["activity"]
    async with make_client(app) as adult_client:
        adult = await volunteer_with_profile(adult_client, community, grid, real_name="陈带队")
        await login(client, org["username"])
        roster = (await client.get(f"/org/activities/{activity}", headers=HTML)).text
        assert "邀请担任带队人" in roster
        asked = await client.post(f"/org/occurrences/{occurrence_id}/leader", data={"username": adult["username"]},
                                  headers=HTML)
        assert asked.status_code in (302, 303), asked.text
        roster = (await client.get(asked.headers["location"], headers=HTML)).text
        assert "已发出带队邀请" in roster and "已邀请 陈带队 带队，等待答复" in roster
        assert_reads_as_chinese(roster)
        assert await status_of(child) == "waiting_for_leader", "nobody leads before saying yes"
        assert await status_of(adult["volunteer_id"]) is None

        invitations = (await adult_client.get("/me/invitations", headers=HTML)).text
        assert "请您担任成年带队人" in invitations
        invitation = await Invitation.select(Invitation.id).where(Invitation.volunteer == adult["volunteer_id"]).first()
        accepted = await adult_client.post(f"/me/invitations/{invitation['id']}/accept", headers=HTML)
        assert accepted.status_code in (302, 303), accepted.text
    leader = await SignUp.select(SignUp.status, SignUp.is_leader).where(
        SignUp.volunteer == adult["volunteer_id"]).first()
    assert leader == {"status": "confirmed", "is_leader": True}
    assert await status_of(child) == "confirmed"
    assert "陈带队 已接受带队邀请" in (await client.get(f"/org/activities/{activity}", headers=HTML)).text
    assert len((await matches.training_log())[2]) == 0, "an organization's ask is not a staff decision to learn from"
    asked = (await decisions.list_proposals(status="approved"))["items"]
    assert [(p["candidate_type"], p["candidate_name"]) for p in asked] == [("leader", "陈带队")], "on the record"


async def test_a_leader_must_be_a_known_adult_asked_once_by_the_organization_itself(app, client):
    community, grid = await make_place()
    occurrence_id = await youth_occurrence(community)
    org = await org_member_of(occurrence_id)
    async with make_client(app) as other:
        adult = await volunteer_with_profile(other, community, grid)
    # A 16-year-old with an account (registered before the age rule, or the data was wrong).
    teen = await make_user("volunteer")
    await Volunteer.insert(Volunteer(user=teen["id"], real_name="小李", birth_date=years_ago(16),
                                     community=community, grid=grid))
    await login(client, org["username"])
    ask = f"/org/occurrences/{occurrence_id}/leader"

    too_young = await client.post(ask, data={"username": teen["username"]}, headers=HTML)
    assert too_young.status_code == 400 and "带队人在活动当天须年满18周岁" in too_young.text
    unknown = await client.post(ask, data={"username": "nobody-here"}, headers=HTML)
    assert unknown.status_code == 400 and "没有找到这位志愿者" in unknown.text
    assert (await client.post(ask, data={"username": adult["username"]}, headers=HTML)).status_code in (302, 303)
    again = await client.post(ask, data={"username": adult["username"]}, headers=HTML)
    assert again.status_code == 409 and "已经邀请过这位志愿者" in again.text
    assert await Invitation.count() == 1

    async with make_client(app) as stranger:
        await signed_in_as(stranger, "org_member")
        assert (await stranger.post(ask, data={"username": adult["username"]}, headers=HTML)).status_code == 404


async def test_an_organization_picks_a_leader_among_the_adults_who_served_with_it(app, client):
    community, grid = await make_place()
    occurrence_id = await youth_occurrence(community)
    org = await org_member_of(occurrence_id)
    async with make_client(app) as other:
        regular = await volunteer_with_profile(other, community, grid, real_name="老志愿者")
        newcomer = await volunteer_with_profile(other, community, grid, real_name="新人")
    # The regular served at an earlier occurrence of the same activity.
    row = await Occurrence.select().where(Occurrence.id == occurrence_id).first()
    past = await Occurrence.insert(Occurrence(
        activity=row["activity"], starts_at=row["starts_at"] - timedelta(days=30),
        ends_at=row["ends_at"] - timedelta(days=30), signup_deadline=row["starts_at"] - timedelta(days=31),
        capacity=5, status="open")).returning(Occurrence.id)
    await SignUp.insert(SignUp(occurrence=past[0]["id"], volunteer=regular["volunteer_id"], status="attended"))
    await login(client, org["username"])
    roster = (await client.get(f"/org/activities/{row['activity']}", headers=HTML)).text
    assert f'<option value="{regular["volunteer_id"]}">老志愿者</option>' in roster and "新人" not in roster
    ask = f"/org/occurrences/{occurrence_id}/leader"
    assert (await client.post(ask, data={"volunteer_id": str(newcomer["volunteer_id"])},
                              headers=HTML)).status_code == 400, "only listed people are picked by id"
    assert (await client.post(ask, data={"volunteer_id": str(regular["volunteer_id"])},
                              headers=HTML)).status_code in (302, 303)
    client.cookies.set("tx_lang", "en")
    english = (await client.get(f"/org/activities/{row['activity']}", headers=HTML)).text
    assert "老志愿者 was asked to lead; no answer yet" in english and "Ask to lead" in english
    for words in ("带队", "邀请", "志愿者中选择", "登录账号"):
        assert words not in english, words


def next_saturday_10am() -> datetime:
    """10:00 Asia/Shanghai on a Saturday at least three days ahead (a child's default weekend window)."""
    day = date.today() + timedelta(days=3)
    day += timedelta(days=(5 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 2, tzinfo=timezone.utc)


async def test_matching_proposes_a_child_near_home_once_a_leader_is_there_and_the_guardian_accepts(app, client):
    community, grid = await make_place()
    guardian = await signed_in_as(client, "guardian")
    youth = await apply(client, community, grid)
    async with make_client(app) as staff:
        await signed_in_as(staff, "staff")
        await assess_all(staff, youth["id"])
        assert (await staff.post(f"/api/youth/{youth['id']}/activate")).status_code == 200
    occurrence_id = await youth_occurrence(community)
    start = next_saturday_10am()
    await Occurrence.update({Occurrence.starts_at: start, Occurrence.ends_at: start + timedelta(hours=2),
                             Occurrence.signup_deadline: start - timedelta(hours=1), Occurrence.lat: 33.91,
                             Occurrence.lon: 118.31}).where(Occurrence.id == occurrence_id)
    child = youth["volunteer"]

    def proposed_for_child():
        return Proposal.exists().where((Proposal.candidate_id == child) & (Proposal.target_id == occurrence_id)
                                       & (Proposal.target_type == "occurrence"))

    await matches.run_matching_batch()
    assert not await proposed_for_child(), "no adult leader yet: the child is not proposed"
    async with make_client(app) as adult_client:
        adult = await volunteer_with_profile(adult_client, community, grid)
    await signups.apply(volunteer_id=adult["volunteer_id"], occurrence_id=occurrence_id, as_leader=True)
    await matches.run_matching_batch()
    assert await proposed_for_child(), "with a leader, the child near home is proposed"

    proposal = await Proposal.select(Proposal.id).where(Proposal.candidate_id == child).first()
    staff_actor = await make_user("staff")
    await decisions.approve_proposal(actor=await load_actor(user_id=staff_actor["id"]), proposal_id=proposal["id"])
    invitation = await Invitation.select(Invitation.id, Invitation.recipient).where(
        Invitation.volunteer == child).first()
    assert invitation["recipient"] == guardian["id"], "the guardian answers for the child"
    page = (await client.get("/me/invitations", headers=HTML)).text
    assert "为 王小明 发出的邀请" in page
    accepted = await client.post(f"/me/invitations/{invitation['id']}/accept", headers=HTML)
    assert accepted.status_code in (302, 303)
    assert await status_of(child) == "confirmed"


async def test_the_guardian_sees_the_hours_the_child_served(app, client):
    community, grid = await make_place()
    await signed_in_as(client, "guardian")
    youth = await apply(client, community, grid)
    async with make_client(app) as staff:
        await signed_in_as(staff, "staff")
        await assess_all(staff, youth["id"])
        await staff.post(f"/api/youth/{youth['id']}/activate")
    occurrence_id = await youth_occurrence(community)
    async with make_client(app) as adult_client:
        adult = await volunteer_with_profile(adult_client, community, grid)
    await signups.apply(volunteer_id=adult["volunteer_id"], occurrence_id=occurrence_id, as_leader=True)
    await signups.apply(volunteer_id=youth["volunteer"], occurrence_id=occurrence_id)
    # The occurrence took place: it began two hours ago.
    begun = datetime.now(timezone.utc) - timedelta(hours=2)
    await Occurrence.update({Occurrence.starts_at: begun, Occurrence.ends_at: begun + timedelta(hours=2)}).where(
        Occurrence.id == occurrence_id)
    org = await org_member_of(occurrence_id)
    sign_up = await SignUp.select(SignUp.id).where(SignUp.volunteer == youth["volunteer"]).first()
    await attendance.mark_attendance(actor=await load_actor(user_id=org["id"]), sign_up_id=sign_up["id"],
                                     attended=True)
    page = (await client.get(f"/youth/{youth['id']}", headers=HTML)).text
    assert "服务时长 2 小时" in page and "已记 2 小时" in page and "已到场" in page
    assert_reads_as_chinese(page)
