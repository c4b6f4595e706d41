"""The sign-up state machine when requests arrive at the same moment (in one process, on each engine;
`test_instances.py` does the same over HTTP across web instances on PostgreSQL)."""

import asyncio
from datetime import timedelta

import pytest

from tests.conftest import make_client
from tests.volunteers.factories import make_occurrence, make_place, volunteer_with_profile, years_ago

pytestmark = pytest.mark.anyio


async def people(count: int) -> list[int]:
    from tongxin.volunteers.tables import Volunteer

    rows = await Volunteer.insert(*[Volunteer(real_name=f"志愿者{n}", birth_date=years_ago(30))
                                    for n in range(count)]).returning(Volunteer.id)
    return [r["id"] for r in rows]


async def in_play(occurrence: int) -> dict[str, list[dict]]:
    from tongxin.activities.tables import SignUp

    rows = await SignUp.select(SignUp.id, SignUp.status, SignUp.queue_seq).where(SignUp.occurrence == occurrence)
    return {status: sorted((r for r in rows if r["status"] == status), key=lambda r: r["queue_seq"] or 0)
            for status in ("confirmed", "waitlisted", "cancelled")}


async def taken(occurrence: int) -> int:
    from tongxin.activities.tables import Occurrence

    return (await Occurrence.select(Occurrence.taken).where(Occurrence.id == occurrence).first())["taken"]


async def test_the_same_sign_up_sent_twenty_times_at_once_is_one_201_and_nineteen_409(app):
    community, grid = await make_place()
    occurrence = await make_occurrence(capacity=5)
    async with make_client(app) as client:
        await volunteer_with_profile(client, community, grid)
        answers = await asyncio.gather(*[client.post(f"/api/occurrences/{occurrence}/sign-ups", json={})
                                         for _ in range(20)])
        assert sorted(a.status_code for a in answers) == [201] + [409] * 19
        sign_up = next(a.json()["id"] for a in answers if a.status_code == 201)
        cancels = await asyncio.gather(*[client.delete(f"/api/sign-ups/{sign_up}") for _ in range(5)])
        assert sorted(a.status_code for a in cancels) == [200] + [409] * 4
    assert await taken(occurrence) == 0


async def test_cancels_at_once_give_the_places_to_the_waitlist_in_queue_order(app):
    from tongxin.activities import signups

    occurrence = await make_occurrence(capacity=3)
    for volunteer in await people(10):
        await signups.apply(volunteer_id=volunteer, occurrence_id=occurrence)
    before = await in_play(occurrence)
    leaving = before["confirmed"][:2] + [before["waitlisted"][0], before["waitlisted"][3]]
    answers = await asyncio.gather(*[signups.cancel(sign_up_id=r["id"]) for r in leaving])
    after = await in_play(occurrence)
    assert {r["id"] for r in after["cancelled"]} == {r["id"] for r in leaving}
    queue = [r["id"] for r in before["waitlisted"] if r["id"] not in {x["id"] for x in leaving}]
    assert {r["id"] for r in after["confirmed"]} == {before["confirmed"][2]["id"], *queue[:2]}
    assert await taken(occurrence) == len(after["confirmed"]) == 3
    named = [i for a in answers for i in a["promoted"]]
    assert set(queue[:2]) <= set(named) and len(named) == len(set(named))


async def test_people_who_sign_up_again_wait_at_the_end_with_positions_each_once(app):
    from tongxin.activities import signups

    occurrence = await make_occurrence(capacity=1)
    volunteers = await people(6)
    first = [await signups.apply(volunteer_id=v, occurrence_id=occurrence) for v in volunteers]
    for leaving in (first[1], first[2]):
        await signups.cancel(sign_up_id=leaving["id"])
    again = await asyncio.gather(*[signups.apply(volunteer_id=v, occurrence_id=occurrence) for v in volunteers[1:3]])
    assert sorted(a["waitlist_position"] for a in again) == [4, 5]
    positions = [await signups.waitlist_position(sign_up_id=r["id"]) for r in (await in_play(occurrence))["waitlisted"]]
    assert positions == [1, 2, 3, 4, 5]


async def test_two_overlapping_sign_ups_at_once_confirm_only_one(app):
    from tongxin.activities import signups
    from tongxin.errors import Conflict

    first = await make_occurrence(capacity=5)
    second = await make_occurrence(capacity=5, starts_in=timedelta(days=7, minutes=30))
    [volunteer] = await people(1)
    answers = await asyncio.gather(signups.apply(volunteer_id=volunteer, occurrence_id=first),
                                   signups.apply(volunteer_id=volunteer, occurrence_id=second),
                                   return_exceptions=True)
    refused = [a for a in answers if isinstance(a, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], Conflict) and "overlap" in refused[0].code
    confirmed = [a for a in answers if isinstance(a, dict)]
    assert [a["status"] for a in confirmed] == ["confirmed"]


async def test_taking_a_person_out_of_every_future_occurrence_while_a_cancel_promotes_them_does_not_deadlock(app):
    from tongxin.activities import signups
    from tongxin.db import write_transaction

    for _ in range(3):  # the interleaving that deadlocked depends on timing: give it several chances
        first = await make_occurrence(capacity=5)
        second = await make_occurrence(capacity=1, starts_in=timedelta(days=9))
        leaving, other = await people(2)
        await signups.apply(volunteer_id=leaving, occurrence_id=first)
        holder = await signups.apply(volunteer_id=other, occurrence_id=second)
        assert (await signups.apply(volunteer_id=leaving, occurrence_id=second))["status"] == "waitlisted"

        async def take_out() -> int:
            # As consent withdrawal does: inside the caller's own transaction.
            async with write_transaction():
                return await signups.cancel_future_sign_ups(volunteer_id=leaving)

        removed, cancelled = await asyncio.gather(take_out(), signups.cancel(sign_up_id=holder["id"]))
        assert removed == 2 and cancelled["status"] == "cancelled"
        assert (await in_play(second))["confirmed"] == [] and await taken(second) == 0


async def test_accepting_an_invitation_while_the_person_is_taken_out_of_future_work_does_not_deadlock(app):
    from datetime import datetime, timezone

    from tongxin.accounts.service import load_actor
    from tongxin.activities import invitations as accepting
    from tongxin.activities import signups
    from tongxin.activities.tables import ACTIVE_SIGN_UP, SignUp
    from tongxin.db import write_transaction
    from tongxin.errors import Conflict
    from tongxin.matches.tables import Invitation, Proposal
    from tongxin.volunteers.tables import Volunteer
    from tongxin.youth.service import remove_from_future_work

    from tests.factories import make_user

    for _ in range(3):  # the interleaving that deadlocked depends on timing: give it several chances
        user = await make_user("volunteer")
        volunteer = (await Volunteer.insert(Volunteer(user=user["id"], real_name="李华", birth_date=years_ago(30)))
                     .returning(Volunteer.id))[0]["id"]
        signed_up = await make_occurrence(capacity=5)
        invited_to = await make_occurrence(capacity=5, starts_in=timedelta(days=9))
        await signups.apply(volunteer_id=volunteer, occurrence_id=signed_up)
        proposal = (await Proposal.insert(Proposal(target_type="occurrence", target_id=invited_to,
                                                   candidate_type="volunteer", candidate_id=volunteer,
                                                   status="approved")).returning(Proposal.id))[0]["id"]
        invitation = (await Invitation.insert(Invitation(
            proposal=proposal, volunteer=volunteer, recipient=user["id"], target_type="occurrence",
            target_id=invited_to, expires_at=datetime.now(timezone.utc) + timedelta(days=2))).returning(
            Invitation.id))[0]["id"]
        actor = await load_actor(user_id=user["id"])

        async def take_out() -> dict:
            # As consent withdrawal does: inside the caller's own transaction.
            async with write_transaction():
                return await remove_from_future_work(volunteer_id=volunteer, reason="consent withdrawn")

        removed, accepted = await asyncio.gather(take_out(), accepting.accept(actor=actor, invitation_id=invitation),
                                                 return_exceptions=True)
        assert isinstance(removed, dict), f"taking the person out failed: {removed!r}"
        assert isinstance(accepted, (dict, Conflict)), f"the acceptance failed: {accepted!r}"
        assert not await SignUp.exists().where((SignUp.volunteer == volunteer)
                                               & SignUp.status.is_in(list(ACTIVE_SIGN_UP))), \
            "nobody keeps a place after being taken out of future work"
