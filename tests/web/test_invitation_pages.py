"""Invitations in the pages: the invited person reads what they are asked, then accepts or declines."""

import pytest

from tests.conftest import make_client
from tests.factories import login, make_user
from tests.matches.test_proposals import small_district, staff_client, volunteer_client

pytestmark = pytest.mark.anyio

HTML = {"accept": "text/html"}


async def invited(app) -> tuple[dict, object]:
    """A staff-approved proposal and a signed-in client for the volunteer it invites."""
    await small_district(volunteers=1, capacity=1)
    async with staff_client(app) as client:
        await client.post("/api/matching/runs", json={})
        proposal = (await client.get("/api/proposals")).json()["items"][0]
        assert (await client.post(f"/api/proposals/{proposal['id']}/approve")).status_code == 200
    return proposal, await volunteer_client(app, proposal["candidate_id"])


async def test_invited_volunteer_accepts_on_the_invitations_page_and_is_signed_up(app):
    from tongxin.activities.tables import SignUp

    proposal, person = await invited(app)
    page = await person.get("/me/invitations", headers=HTML)
    assert page.status_code == 200 and "应急演练" in page.text and "待答复" in page.text
    assert "接受" in page.text and "婉拒" in page.text and "None" not in page.text
    invitation = (await person.get("/api/invitations")).json()["items"][0]
    answer = await person.post(f"/me/invitations/{invitation['id']}/accept", headers=HTML, follow_redirects=True)
    again = await person.post(f"/me/invitations/{invitation['id']}/accept", headers=HTML)
    await person.aclose()
    assert "已接受邀请" in answer.text
    assert again.status_code == 409 and "已经答复过了" in again.text, "a second answer is refused in words"
    sign_up = await SignUp.select(SignUp.status).where(SignUp.volunteer == proposal["candidate_id"]).first()
    assert sign_up["status"] == "confirmed"


async def test_declining_on_the_page_keeps_the_reason_and_signs_nobody_up(app):
    from tongxin.activities.tables import SignUp
    from tongxin.matches.tables import Invitation

    _, person = await invited(app)
    invitation = (await person.get("/api/invitations")).json()["items"][0]
    answer = await person.post(f"/me/invitations/{invitation['id']}/decline", data={"reason": "那天要值班"},
                               headers=HTML, follow_redirects=True)
    await person.aclose()
    assert "已婉拒" in answer.text and "那天要值班" in answer.text
    assert await SignUp.count() == 0
    row = await Invitation.select(Invitation.status, Invitation.reason).first()
    assert row == {"status": "declined", "reason": "那天要值班"}


async def test_nobody_answers_someone_elses_invitation(app):
    from tongxin.matches.tables import Invitation

    _, person = await invited(app)
    await person.aclose()
    async with make_client(app) as other:
        await login(other, (await make_user("volunteer"))["username"])
        invitation_id = (await Invitation.select(Invitation.id).first())["id"]
        answer = await other.post(f"/me/invitations/{invitation_id}/accept", headers=HTML)
        listing = await other.get("/me/invitations", headers=HTML)
    assert answer.status_code == 404
    assert "这里暂时没有邀请" in listing.text
    assert (await Invitation.select(Invitation.status).first())["status"] == "pending"
