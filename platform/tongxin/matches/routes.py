"""Matching endpoints for staff: ranked candidates, batch runs, proposals and decisions."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import Parameter

from tongxin.accounts.guards import provide_actor, role_in
from tongxin.accounts.service import Actor
from tongxin.matches import decisions, service
from tongxin.matches.schemas import (
    MatchingRunRequest,
    ProposalStatus,
    RejectRequest,
    TargetType,
)
from tongxin.paging import Limit, Offset


class MatchingController(Controller):
    path = "/api/matching"
    tags = ["matching"]
    guards = [role_in("staff")]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/candidates")
    async def candidates(self, request: Request, target_type: TargetType, target_id: int,
                         top_k: Annotated[int, Parameter(ge=1, le=100)] = 20,
                         why_not: bool = False,
                         radius_km: Annotated[float, Parameter(gt=0, le=100)] = 10.0,
                         offset: Offset = 0) -> dict[str, Any]:
        """Ranked volunteers for an occurrence or a wish, with explanations (and why-not on request).
        Every eligible volunteer in reach is ranked; `offset` and `top_k` page through them."""
        return await service.rank_for_target(
            target_type=target_type, target_id=target_id, top_k=top_k, why_not=why_not, radius_km=radius_km,
            cache_seconds=request.app.state.settings.matching_cache_seconds, offset=offset)

    @post("/runs", status_code=201)
    async def run(self, actor: Actor, data: MatchingRunRequest) -> dict[str, Any]:
        """Run a matching batch for a community or the district; writes proposals for staff."""
        return await service.run_matching_batch(actor_id=actor.id, community_id=data.community_id,
                                                fairness=data.fairness, k_per_day=data.k_per_day)

    @get("/models")
    async def models(self) -> list[dict[str, Any]]:
        """Model versions with held-out metrics; one is active."""
        return await service.list_models()


class ProposalController(Controller):
    path = "/api/proposals"
    tags = ["matching"]
    guards = [role_in("staff")]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/")
    async def list_proposals(self, status: ProposalStatus | None = "proposed", target_type: TargetType | None = None,
                             sort: str = "-score", limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Proposals with score explanations; sort by score, created or id (prefix - for descending)."""
        return await decisions.list_proposals(status=status, target_type=target_type, sort=sort, limit=limit,
                                            offset=offset)

    @post("/{proposal_id:int}/approve", status_code=200)
    async def approve(self, actor: Actor, proposal_id: int) -> dict[str, Any]:
        """Approve once (two staff clicking at once: one wins, the other gets 409)."""
        return await decisions.approve_proposal(actor=actor, proposal_id=proposal_id)

    @post("/{proposal_id:int}/reject", status_code=200)
    async def reject(self, actor: Actor, proposal_id: int, data: RejectRequest) -> dict[str, Any]:
        return await decisions.reject_proposal(actor=actor, proposal_id=proposal_id, reason=data.reason)


ROUTES = [MatchingController, ProposalController]
