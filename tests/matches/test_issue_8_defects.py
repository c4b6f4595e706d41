"""Issue 8 defects of matching no other test covered: a one-unit offer approved twice, a rejected pair
proposed again, and an automatic no-show of an accepted invitation learnt before it could be corrected."""

from datetime import date, datetime, timedelta, timezone

import pytest

from tests.matches.test_proposals import small_district, staff_client, volunteer_client
from tongxin.accounts.tables import Grid
from tongxin.activities import attendance
from tongxin.activities.tables import Occurrence, SignUp
from tongxin.matches import service
from tongxin.matches.tables import Proposal
from tongxin.organizations.tables import Organization, ResourceOffer
from tongxin.wishes.tables import Household, Wish

pytestmark = pytest.mark.anyio


async def test_a_one_unit_offer_is_approved_for_one_wish_and_refused_for_the_second(app):
    district = await small_district(volunteers=0)
    grid = (await Grid.select(Grid.id).first())["id"]
    org = (await Organization.select(Organization.id).first())["id"]
    offer = (await ResourceOffer.insert(ResourceOffer(organization=org, title="轮椅", category="health", quantity=1,
                                                      remaining=1)).returning(ResourceOffer.id))[0]["id"]
    proposals = []
    for name in ("王秀英", "李桂兰"):
        household = (await Household.insert(Household(grid=grid, name=name)).returning(Household.id))[0]["id"]
        wish = (await Wish.insert(Wish(household=household, grid=grid, community=district["community"],
                                       category="health", title="借用轮椅", status="open", lat=33.9, lon=118.3,
                                       needed_by=date.today() + timedelta(days=10))).returning(Wish.id))[0]["id"]
        proposals.append((await Proposal.insert(Proposal(
            target_type="wish", target_id=wish, candidate_type="resource", candidate_id=offer,
        )).returning(Proposal.id))[0]["id"])
    async with staff_client(app) as client:
        first = await client.post(f"/api/proposals/{proposals[0]}/approve")
        second = await client.post(f"/api/proposals/{proposals[1]}/approve")
    assert first.status_code == 200, first.text
    assert second.status_code == 409 and second.json()["error"] == "offer_used_up"
    assert (await ResourceOffer.select(ResourceOffer.remaining).where(ResourceOffer.id == offer).first())["remaining"] == 0
    assert await Wish.count().where(Wish.helper_resource == offer) == 1
    assert (await Proposal.select(Proposal.status).where(Proposal.id == proposals[1]).first())["status"] == "proposed"


async def test_a_rejected_pair_is_not_proposed_again_by_the_next_batch(app):
    await small_district(volunteers=1, capacity=1)
    async with staff_client(app) as client:
        assert (await client.post("/api/matching/runs", json={})).json()["proposals"] == 1
        proposal = (await client.get("/api/proposals")).json()["items"][0]
        rejected = await client.post(f"/api/proposals/{proposal['id']}/reject", json={"reason": "上次未到场"})
        assert rejected.status_code == 200
        again = await client.post("/api/matching/runs", json={})
    assert again.json()["proposals"] == 0


async def test_an_automatic_no_show_of_an_accepted_invitation_is_no_training_label_until_the_window_closes(app):
    district = await small_district(volunteers=1, capacity=1)
    async with staff_client(app) as client:
        await client.post("/api/matching/runs", json={})
        proposal = (await client.get("/api/proposals")).json()["items"][0]
        assert (await client.post(f"/api/proposals/{proposal['id']}/approve")).status_code == 200
    person = await volunteer_client(app, proposal["candidate_id"])
    invitation = (await person.get("/api/invitations")).json()["items"][0]
    assert (await person.post(f"/api/invitations/{invitation['id']}/accept")).status_code == 200
    await person.aclose()
    ended = datetime.now(timezone.utc) - timedelta(days=2)
    await Occurrence.update({Occurrence.starts_at: ended - timedelta(hours=3), Occurrence.ends_at: ended}).where(
        Occurrence.id == district["occurrence"])
    assert await attendance.mark_no_shows_after(grace=timedelta(hours=24)) == 1
    assert (await SignUp.select(SignUp.status).first())["status"] == "no_show"
    await service.record_outcomes()
    outcome = (await Proposal.select(Proposal.outcome).where(Proposal.id == proposal["id"]).first())["outcome"]
    assert outcome == "", "still correctable: not a label"
    _, labels, _ = await service.training_log()
    assert labels.size == 0
    await service.record_outcomes(now=datetime.now(timezone.utc) + timedelta(days=6))
    outcome = (await Proposal.select(Proposal.outcome).where(Proposal.id == proposal["id"]).first())["outcome"]
    assert outcome == "no_show", "once the 7-day window has closed the no-show is final"
    _, labels, _ = await service.training_log()
    assert labels.tolist() == [0]
