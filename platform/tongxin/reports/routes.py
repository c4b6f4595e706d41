"""Staff endpoints: the district dashboard and the approval queue."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import Provide
from litestar.params import Parameter

from tongxin.accounts.guards import provide_actor, role_in
from tongxin.accounts.service import Actor, list_audit
from tongxin.reports import service


class ReportController(Controller):
    path = "/api/staff"
    tags = ["reports"]
    guards = [role_in("staff")]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/dashboard")
    async def dashboard(self) -> dict[str, Any]:
        """Activities held, people served, wishes fulfilled, hours: totals, by community, by month."""
        return await service.dashboard()

    @get("/queue")
    async def queue(self, actor: Actor, kind: list[str] | None = None, community_id: int | None = None,
                    limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
                    offset: Annotated[int, Parameter(ge=0)] = 0) -> dict[str, Any]:
        """Everything waiting for a staff decision, records before proposals, each oldest first (filter with
        kind=organization&kind=wish… and community_id)."""
        return await service.approval_queue(actor=actor, kinds=kind, community_id=community_id, limit=limit,
                                            offset=offset)

    @get("/audit")
    async def audit(self, action: str | None = None, limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
                    offset: Annotated[int, Parameter(ge=0)] = 0) -> list[dict[str, Any]]:
        """The audit log, newest first: approvals and every read of sensitive fields."""
        return await list_audit(limit=limit, offset=offset, action=action)


ROUTES = [ReportController]
