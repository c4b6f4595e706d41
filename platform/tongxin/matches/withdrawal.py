"""Withdrawing open proposals and pending invitations when a target or a person drops out.

Only tables below: the domains whose records end (activities, wishes, the youth roster) call this when an
occurrence or wish is cancelled or a child's consent is withdrawn, inside their own transaction, while
the rest of `matches` (ranking, decisions, invitations) sits above them.
"""

from __future__ import annotations

from datetime import datetime, timezone

from tongxin.errors import InvalidInput
from tongxin.matches.tables import Invitation, Proposal


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def withdraw_invitations(*, reason: str, volunteer_id: int | None = None, target_type: str | None = None,
                   target_id: int | None = None) -> int:
    """Withdraw pending invitations of a person or for a target (consent withdrawn, occurrence cancelled)."""
    if volunteer_id is None and target_id is None:
        raise InvalidInput("say whose or which target's invitations to withdraw", field="volunteer_id")
    condition = Invitation.status == "pending"
    if volunteer_id is not None:
        condition &= Invitation.volunteer == volunteer_id
    if target_id is not None:
        condition &= (Invitation.target_type == target_type) & (Invitation.target_id == target_id)
    rows = await Invitation.update({Invitation.status: "withdrawn", Invitation.reason: reason,
                                    Invitation.responded_at: _now()}).where(condition).returning(Invitation.id)
    return len(rows)


async def withdraw_open_proposals(*, candidate_type: str, candidate_id: int, reason: str) -> int:
    """Withdraw every undecided proposal and pending invitation of a candidate (e.g. a minor whose consent
    was withdrawn)."""
    if candidate_type == "volunteer":
        await withdraw_invitations(volunteer_id=candidate_id, reason=reason)
    rows = await Proposal.update({
        Proposal.status: "withdrawn", Proposal.reason: reason, Proposal.decided_at: _now(),
    }).where(
        (Proposal.candidate_type == candidate_type) & (Proposal.candidate_id == candidate_id)
        & (Proposal.status == "proposed")
    ).returning(Proposal.id)
    return len(rows)



async def withdraw_target_proposals(*, target_type: str, target_id: int, reason: str) -> int:
    """Withdraw every undecided proposal and pending invitation for a target (a cancelled wish or occurrence)."""
    await withdraw_invitations(target_type=target_type, target_id=target_id, reason=reason)
    rows = await Proposal.update({
        Proposal.status: "withdrawn", Proposal.reason: reason, Proposal.decided_at: _now(),
    }).where(
        (Proposal.target_type == target_type) & (Proposal.target_id == target_id) & (Proposal.status == "proposed")
    ).returning(Proposal.id)
    return len(rows)


__all__ = ("withdraw_invitations", "withdraw_open_proposals", "withdraw_target_proposals")
