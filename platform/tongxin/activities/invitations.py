"""Accepting an invitation: the only way a staff-approved match becomes a sign-up (or a wish's helper).

Acceptance re-checks the rules as a person's own choice would (their weekly availability does not bind
them); if the occurrence filled up meanwhile, the person joins its waitlist and is told their place.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tongxin.accounts.service import Actor
from tongxin.activities import signups
from tongxin.db import in_write_transaction
from tongxin.matches import invitations
from tongxin.matches.tables import Invitation, Proposal
from tongxin.wishes import service as wishes


async def accept(*, actor: Actor, invitation_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Say yes: one transaction records the answer and makes the sign-up (or the helper); if the rules
    now refuse the person, nothing is written and the refusal says why."""
    now = now or datetime.now(timezone.utc)

    async def work() -> dict[str, Any]:
        row = await invitations.claim_answer(actor=actor, invitation_id=invitation_id, status="accepted", now=now)
        if row["target_type"] == "occurrence":
            asked = await Proposal.select(Proposal.candidate_type).where(Proposal.id == row["proposal"]).first()
            result = await signups.apply(volunteer_id=row["volunteer"], occurrence_id=row["target_id"],
                                         as_leader=asked["candidate_type"] == invitations.LEADER,
                                         source="invitation", now=now)
            await Invitation.update({Invitation.sign_up: result["id"]}).where(Invitation.id == invitation_id)
        else:
            result = await wishes.assign_helper(actor=actor, wish_id=row["target_id"], volunteer_id=row["volunteer"],
                                                accepted_invitation=True)
            await Proposal.update({Proposal.outcome: "accepted"}).where(Proposal.id == row["proposal"])
        return {"id": invitation_id, "status": "accepted", "result": result}

    return await in_write_transaction(work)


__all__ = ("accept",)
