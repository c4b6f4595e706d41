"""Match proposals: the domain rules around the `matching` package's output."""

from __future__ import annotations

from datetime import datetime, timezone

from tongxin.matches.tables import Proposal


async def withdraw_open_proposals(*, candidate_type: str, candidate_id: int, reason: str) -> int:
    """Withdraw every undecided proposal of a candidate (e.g. a minor whose consent was withdrawn)."""
    rows = await Proposal.update({
        Proposal.status: "withdrawn", Proposal.reason: reason,
        Proposal.decided_at: datetime.now(timezone.utc),
    }).where(
        (Proposal.candidate_type == candidate_type) & (Proposal.candidate_id == candidate_id)
        & (Proposal.status == "proposed")
    ).returning(Proposal.id)
    return len(rows)
