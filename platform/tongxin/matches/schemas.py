"""Request and response shapes for matching and proposals."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec


class MatchingRunRequest(msgspec.Struct, forbid_unknown_fields=True):
    community_id: int | None = None
    fairness: Annotated[float, msgspec.Meta(ge=0.0, le=1.0, description="0 = best total; more spreads work")] = 0.05
    k_per_day: Annotated[int, msgspec.Meta(ge=1, le=3)] = 1


class RejectRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500, description="why, in a few words")]


TargetType = Literal["occurrence", "wish"]
ProposalStatus = Literal["proposed", "approved", "rejected", "withdrawn"]
