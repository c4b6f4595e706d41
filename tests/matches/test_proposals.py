"""Matching in the platform: ranked candidates, batch proposals, staff decisions, retraining."""

import asyncio
import contextlib
from datetime import date, datetime, timedelta, timezone

import pytest

from tests.conftest import make_client
from tests.factories import login, make_user, saturday_9am

pytestmark = pytest.mark.anyio

SATURDAY_9AM = saturday_9am()  # weeks ahead, at 09:00 in Asia/Shanghai


async def small_district(*, volunteers: int = 6, capacity: int = 2, youth: int = 0):
    """One community, one grid, one organization, one occurrence on a Saturday morning, some volunteers."""
    from tongxin.accounts.tables import Community, Grid
    from tongxin.activities.tables import Activity, Occurrence
    from tongxin.organizations.tables import Organization
    from tongxin.volunteers.tables import (
        AvailabilityWindow,
        Skill,
        Volunteer,
        VolunteerSkill,
    )

    community = (await Community.insert(Community(code="mingri", name="明日社区", lat=33.9, lon=118.3)).returning(Community.id))[0]["id"]
    grid = (await Grid.insert(Grid(code="mingri-01", name="一网格", community=community, lat=33.9, lon=118.3)).returning(Grid.id))[0]["id"]
    skill = (await Skill.insert(Skill(code="first_aid", name_zh="急救")).returning(Skill.id))[0]["id"]
    org = (await Organization.insert(Organization(name="蓝天救援队", kind="rescue_team", status="approved")).returning(Organization.id))[0]["id"]
    activity = (await Activity.insert(Activity(
        organization=org, title="应急演练", kind="training_drill", status="approved", starts_at=SATURDAY_9AM,
        duration_minutes=180, capacity=capacity, lat=33.9, lon=118.3, community=community, grid=grid,
        required_skills=["first_aid"], min_age=18, max_age=65,
    )).returning(Activity.id))[0]["id"]
    occurrence = (await Occurrence.insert(Occurrence(
        activity=activity, starts_at=SATURDAY_9AM, ends_at=SATURDAY_9AM + timedelta(hours=3),
        signup_deadline=SATURDAY_9AM - timedelta(days=1), capacity=capacity, taken=0, status="open",
        community=community, grid=grid, lat=33.9, lon=118.3,
    )).returning(Occurrence.id))[0]["id"]
    ids = []
    for n in range(volunteers + youth):
        user = await make_user("volunteer")
        is_youth = n >= volunteers
        vid = (await Volunteer.insert(Volunteer(
            user=user["id"], real_name=f"志愿者{n}", birth_date=date(2012 if is_youth else 1990, 1, 1),
            community=community, grid=grid, lat=33.9 + 0.002 * n, lon=118.3, is_youth=is_youth,
        )).returning(Volunteer.id))[0]["id"]
        await VolunteerSkill.insert(VolunteerSkill(volunteer=vid, skill=skill))
        await AvailabilityWindow.insert(AvailabilityWindow(volunteer=vid, weekday=5, start_minute=8 * 60, end_minute=18 * 60))
        ids.append(vid)
    return {"occurrence": occurrence, "volunteers": ids, "community": community}


@contextlib.asynccontextmanager
async def staff_client(app):
    async with make_client(app) as client:
        await login(client, (await make_user("staff"))["username"])
        yield client


async def test_staff_sees_ranked_candidates_with_explanations_and_why_not(app):
    district = await small_district(volunteers=4, youth=1)
    async with staff_client(app) as client:
        response = await client.get("/api/matching/candidates", params={
            "target_type": "occurrence", "target_id": district["occurrence"], "why_not": True})
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["candidates"]) == 4
    scores = [c["score"] for c in body["candidates"]]
    assert scores == sorted(scores, reverse=True)
    assert all(c["explanation"]["text_zh"].startswith("匹配分") for c in body["candidates"])
    youth = [e for e in body["excluded"] if e["volunteer_id"] == district["volunteers"][-1]]
    assert youth and "youth_not_allowed" in youth[0]["rules"]


async def test_volunteers_may_not_see_rankings_or_proposals(app, client):
    district = await small_district(volunteers=1)
    await login(client, (await make_user("volunteer"))["username"])
    ranking = await client.get("/api/matching/candidates",
                               params={"target_type": "occurrence", "target_id": district["occurrence"]})
    assert ranking.status_code == 403
    assert (await client.get("/api/proposals")).status_code == 403


async def test_unknown_target_is_a_clear_404(app):
    async with staff_client(app) as client:
        response = await client.get("/api/matching/candidates", params={"target_type": "wish", "target_id": 999})
    assert response.status_code == 404
    assert "wish 999" in response.json()["message"]


async def test_batch_writes_proposals_within_capacity_and_approves_nothing(app):
    from tongxin.activities.tables import SignUp

    district = await small_district(volunteers=5, capacity=2)
    async with staff_client(app) as client:
        run = await client.post("/api/matching/runs", json={})
        assert run.status_code == 201, run.text
        assert run.json()["proposals"] == 2
        again = await client.post("/api/matching/runs", json={})
        assert again.json()["proposals"] == 0, "places already offered are not offered twice"
        proposals = (await client.get("/api/proposals")).json()
    assert proposals["total"] == 2
    assert {p["target_id"] for p in proposals["items"]} == {district["occurrence"]}
    assert await SignUp.count() == 0


async def test_empty_district_runs_cleanly(app):
    async with staff_client(app) as client:
        run = await client.post("/api/matching/runs", json={})
    assert run.status_code == 201
    assert run.json()["proposals"] == 0


async def volunteer_client(app, volunteer_id: int):
    """A signed-in client of the volunteer behind a proposal."""
    from tongxin.accounts.tables import User
    from tongxin.volunteers.tables import Volunteer

    user = (await Volunteer.select(Volunteer.user).where(Volunteer.id == volunteer_id).first())["user"]
    client = make_client(app)
    await login(client, (await User.select(User.username).where(User.id == user).first())["username"])
    return client


async def test_approval_invites_and_only_the_volunteers_acceptance_signs_them_up(app):
    from tongxin.activities.tables import Occurrence, SignUp
    from tongxin.notifications.tables import Notification

    district = await small_district(volunteers=3, capacity=2)
    async with staff_client(app) as client:
        await client.post("/api/matching/runs", json={})
        proposal = (await client.get("/api/proposals")).json()["items"][0]
        first = await client.post(f"/api/proposals/{proposal['id']}/approve")
        second = await client.post(f"/api/proposals/{proposal['id']}/approve")
    assert first.status_code == 200, first.text
    assert second.status_code == 409
    assert await SignUp.count() == 0, "nobody is committed by staff"
    person = await volunteer_client(app, proposal["candidate_id"])
    invitations = (await person.get("/api/invitations", params={"status": "pending"})).json()["items"]
    assert len(invitations) == 1 and invitations[0]["target_id"] == district["occurrence"]
    assert await Notification.exists().where(Notification.kind == "invitation")
    accepted = await person.post(f"/api/invitations/{invitations[0]['id']}/accept")
    again = await person.post(f"/api/invitations/{invitations[0]['id']}/accept")
    await person.aclose()
    assert accepted.status_code == 200, accepted.text
    assert again.status_code == 409
    sign_up = await SignUp.select().where(SignUp.volunteer == proposal["candidate_id"]).first()
    assert sign_up["status"] == "confirmed" and sign_up["source"] == "invitation"
    taken = await Occurrence.select(Occurrence.taken).where(Occurrence.id == district["occurrence"]).first()
    assert taken["taken"] == 1


async def test_a_declined_invitation_is_training_data_and_the_pair_is_not_proposed_again(app):
    from tongxin.activities.tables import SignUp
    from tongxin.matches.tables import Proposal

    await small_district(volunteers=1, capacity=1)
    async with staff_client(app) as client:
        await client.post("/api/matching/runs", json={})
        proposal = (await client.get("/api/proposals")).json()["items"][0]
        await client.post(f"/api/proposals/{proposal['id']}/approve")
        person = await volunteer_client(app, proposal["candidate_id"])
        invitation = (await person.get("/api/invitations")).json()["items"][0]
        declined = await person.post(f"/api/invitations/{invitation['id']}/decline", json={"reason": "那天要上班"})
        await person.aclose()
        assert declined.status_code == 200
        again = await client.post("/api/matching/runs", json={})
    assert again.json()["proposals"] == 0
    assert await SignUp.count() == 0
    assert (await Proposal.select(Proposal.outcome).where(Proposal.id == proposal["id"]).first())["outcome"] == "declined"


async def test_two_staff_approving_at_once_decide_the_proposal_once(app):
    from tongxin.activities.tables import SignUp
    from tongxin.matches.tables import Invitation

    await small_district(volunteers=2, capacity=2)
    async with staff_client(app) as one, staff_client(app) as two:
        await one.post("/api/matching/runs", json={})
        proposal = (await one.get("/api/proposals")).json()["items"][0]
        answers = await asyncio.gather(one.post(f"/api/proposals/{proposal['id']}/approve"),
                                       two.post(f"/api/proposals/{proposal['id']}/approve"))
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert await Invitation.count() == 1 and await SignUp.count() == 0


async def test_approving_into_a_full_occurrence_is_refused_and_nothing_changes(app):
    from tongxin.activities.tables import Occurrence
    from tongxin.matches.tables import Proposal

    district = await small_district(volunteers=2, capacity=2)
    async with staff_client(app) as client:
        await client.post("/api/matching/runs", json={})
        proposal = (await client.get("/api/proposals")).json()["items"][0]
        await Occurrence.update({Occurrence.taken: 2}).where(Occurrence.id == district["occurrence"])
        response = await client.post(f"/api/proposals/{proposal['id']}/approve")
    assert response.status_code == 409
    still = await Proposal.select(Proposal.status).where(Proposal.id == proposal["id"]).first()
    assert still["status"] == "proposed"


async def test_rejection_needs_a_reason_and_is_recorded(app):
    from tongxin.accounts.tables import AuditEntry

    await small_district(volunteers=1, capacity=1)
    async with staff_client(app) as client:
        await client.post("/api/matching/runs", json={})
        proposal = (await client.get("/api/proposals")).json()["items"][0]
        empty = await client.post(f"/api/proposals/{proposal['id']}/reject", json={"reason": ""})
        assert empty.status_code == 400
        ok = await client.post(f"/api/proposals/{proposal['id']}/reject", json={"reason": "住得太远"})
        assert ok.status_code == 200
        rejected = (await client.get("/api/proposals", params={"status": "rejected"})).json()["items"]
    assert rejected[0]["reason"] == "住得太远"
    assert await AuditEntry.count().where(AuditEntry.action == "reject_proposal") == 1


async def test_retraining_activates_a_model_only_when_it_beats_the_current_one(app):
    """Staff approve near, skilled volunteers and reject far ones: a trained model should learn that."""
    import numpy as np
    from tongxin.matches import service
    from tongxin.matches.tables import ModelVersion, Proposal

    import matching

    rng = np.random.default_rng(3)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    rows = []
    for n in range(160):
        features = dict(zip(matching.FEATURE_NAMES, rng.random(len(matching.FEATURE_NAMES))))
        features["distance_km"] = float(rng.uniform(0, 10))
        liked = features["distance_km"] < 4 and rng.random() < 0.9 or rng.random() < 0.05
        rows.append(Proposal(target_type="wish", target_id=n, candidate_type="volunteer", candidate_id=n,
                             features=features, status="approved" if liked else "rejected",
                             outcome="accepted" if liked else "",
                             decided_at=start + timedelta(hours=n)))
    await Proposal.insert(*rows)
    first = await service.train_and_maybe_activate()
    assert first["activated"] is True
    assert first["metrics"]["new"]["roc_auc"] > 0.8
    model, version = await service.active_model()
    assert version == first["version"] and isinstance(model, matching.LogisticScorer)
    second = await service.train_and_maybe_activate(now=datetime.now(timezone.utc) + timedelta(seconds=5))
    assert second["activated"] is False, "the same data cannot beat the model trained on it"
    assert await ModelVersion.count().where(ModelVersion.is_active == True) == 1  # noqa: E712


async def test_retraining_with_too_few_decisions_keeps_the_prior(app):
    from tongxin.matches import service

    result = await service.train_and_maybe_activate()
    assert result["activated"] is False
    assert (await service.active_model())[1] == service.PRIOR_VERSION


async def test_resource_offers_are_proposed_for_wishes_and_approval_makes_the_organization_the_helper(app):
    from tongxin.organizations.tables import Organization, ResourceOffer
    from tongxin.wishes.tables import Household, Wish

    district = await small_district(volunteers=0)
    from tongxin.accounts.tables import Grid

    grid = (await Grid.select(Grid.id).first())["id"]
    org = (await Organization.select(Organization.id).first())["id"]
    await Organization.update({Organization.lat: 33.91, Organization.lon: 118.3}).where(Organization.id == org)
    offer = (await ResourceOffer.insert(ResourceOffer(organization=org, title="棉被", category="daily_goods",
                                                      quantity=3, remaining=3)).returning(ResourceOffer.id))[0]["id"]
    household = (await Household.insert(Household(grid=grid, name="王秀英")).returning(Household.id))[0]["id"]
    wish = (await Wish.insert(Wish(household=household, grid=grid, community=district["community"],
                                   category="daily_goods", title="冬季棉被", status="open", lat=33.9, lon=118.3,
                                   needed_by=date.today() + timedelta(days=10))).returning(Wish.id))[0]["id"]
    async with staff_client(app) as client:
        run = await client.post("/api/matching/runs", json={})
        assert run.json()["proposals"] == 1
        proposal = (await client.get("/api/proposals", params={"target_type": "wish"})).json()["items"][0]
        assert (proposal["candidate_type"], proposal["candidate_id"]) == ("resource", offer)
        approved = await client.post(f"/api/proposals/{proposal['id']}/approve")
    assert approved.status_code == 200, approved.text
    matched = await Wish.select(Wish.status, Wish.helper_organization, Wish.helper_resource).where(Wish.id == wish).first()
    assert matched == {"status": "matched", "helper_organization": org, "helper_resource": offer}


async def test_wish_candidates_include_resource_offers_with_explanations(app):
    from tongxin.accounts.tables import Grid
    from tongxin.organizations.tables import Organization, ResourceOffer
    from tongxin.wishes.tables import Household, Wish

    district = await small_district(volunteers=1)
    grid = (await Grid.select(Grid.id).first())["id"]
    org = (await Organization.select(Organization.id).first())["id"]
    await Organization.update({Organization.lat: 33.91, Organization.lon: 118.3}).where(Organization.id == org)
    await ResourceOffer.insert(ResourceOffer(organization=org, title="棉被", category="daily_goods", quantity=2,
                                             remaining=2))
    household = (await Household.insert(Household(grid=grid, name="王秀英")).returning(Household.id))[0]["id"]
    wish = (await Wish.insert(Wish(household=household, grid=grid, community=district["community"],
                                   category="daily_goods", title="冬季棉被", status="open", lat=33.9,
                                   lon=118.3)).returning(Wish.id))[0]["id"]
    async with staff_client(app) as client:
        body = (await client.get("/api/matching/candidates", params={"target_type": "wish", "target_id": wish})).json()
    assert [o["title"] for o in body["offers"]] == ["棉被"]
    assert body["offers"][0]["organization"] == "蓝天救援队"
    assert body["offers"][0]["explanation"]["text_zh"].startswith("匹配分")


async def test_ranked_candidates_page_through_everyone_eligible(app):
    district = await small_district(volunteers=5)
    async with staff_client(app) as client:
        params = {"target_type": "occurrence", "target_id": district["occurrence"], "top_k": 2}
        first = (await client.get("/api/matching/candidates", params=params)).json()
        rest = (await client.get("/api/matching/candidates", params={**params, "offset": 2, "top_k": 10})).json()
    assert first["eligible"] == 5 and len(first["candidates"]) == 2 and len(rest["candidates"]) == 3
    seen = [c["volunteer_id"] for c in first["candidates"] + rest["candidates"]]
    assert sorted(seen) == sorted(district["volunteers"])


async def test_a_decline_reaches_the_persons_own_history(app):
    from tongxin.matches import snapshot

    district = await small_district(volunteers=1, capacity=1)
    async with staff_client(app) as client:
        await client.post("/api/matching/runs", json={})
        proposal = (await client.get("/api/proposals")).json()["items"][0]
        await client.post(f"/api/proposals/{proposal['id']}/approve")
    person = await volunteer_client(app, proposal["candidate_id"])
    invitation = (await person.get("/api/invitations")).json()["items"][0]
    await person.post(f"/api/invitations/{invitation['id']}/decline", json={"reason": "太远了"})
    await person.aclose()
    vocab = await snapshot.load_vocabulary()
    rows = await snapshot.load_volunteers(vocab, now=SATURDAY_9AM - timedelta(days=3))
    log = rows.history
    assert len(log) == 1 and not log.accepted[0] and log.volunteer[0] == 0
    assert log.category[0] == vocab.categories["training_drill"] and log.distance_km[0] >= 0
    assert district["volunteers"][0] == int(rows.ids[0])
