"""Organization endpoints: register, view, edit, staff decisions, resource offers."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, patch, post
from litestar.di import Provide

from tongxin.accounts.guards import (
    provide_actor,
    provide_optional_actor,
    role_in,
    signed_in,
)
from tongxin.accounts.service import Actor
from tongxin.organizations import service
from tongxin.organizations.schemas import (
    DecisionIn,
    OfferIn,
    OfferUpdate,
    OrganizationIn,
)
from tongxin.paging import Limit, Offset


class OrganizationController(Controller):
    path = "/api/organizations"
    tags = ["organizations"]
    dependencies = {"actor": Provide(provide_actor), "viewer": Provide(provide_optional_actor)}

    @post("/", guards=[role_in("org_member")], status_code=201)
    async def register(self, actor: Actor, data: OrganizationIn) -> dict[str, Any]:
        """Register the signed-in member's organization (pending until staff approve)."""
        return await service.register_organization(actor=actor, **_fields(data))

    @get("/")
    async def list_organizations(self, viewer: Actor | None, status: str | None = None, sort: str = "name",
                                 limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        return await service.list_organizations(actor=viewer, status=status, sort=sort, limit=limit, offset=offset)

    @get("/{organization_id:int}")
    async def get_organization(self, viewer: Actor | None, organization_id: int) -> dict[str, Any]:
        return await service.get_organization(actor=viewer, organization_id=organization_id)

    @patch("/{organization_id:int}", guards=[signed_in])
    async def update(self, actor: Actor, organization_id: int, data: OrganizationIn) -> dict[str, Any]:
        return await service.update_organization(actor=actor, organization_id=organization_id, **_fields(data))

    @post("/{organization_id:int}/decision", guards=[role_in("staff")], status_code=200)
    async def decide(self, actor: Actor, organization_id: int, data: DecisionIn) -> dict[str, Any]:
        """Staff approve or reject (with a reason) a pending organization."""
        return await service.decide_organization(actor=actor, organization_id=organization_id,
                                                 approve=data.approve, reason=data.reason)


class OfferController(Controller):
    path = "/api/offers"
    tags = ["organizations"]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/")
    async def list_offers(self, organization_id: int | None = None, category: str | None = None,
                          limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        return await service.list_offers(organization_id=organization_id, category=category, limit=limit,
                                         offset=offset)

    @post("/", guards=[role_in("org_member")], status_code=201)
    async def create(self, actor: Actor, data: OfferIn) -> dict[str, Any]:
        return await service.create_offer(actor=actor, title=data.title, category=data.category, kind=data.kind,
                                          quantity=data.quantity, description=data.description)

    @patch("/{offer_id:int}", guards=[signed_in])
    async def update(self, actor: Actor, offer_id: int, data: OfferUpdate) -> dict[str, Any]:
        return await service.update_offer(actor=actor, offer_id=offer_id, remaining=data.remaining,
                                          status=data.status, description=data.description)


def _fields(data: OrganizationIn) -> dict[str, Any]:
    return {"name": data.name, "kind": data.kind, "description": data.description,
            "contact_name": data.contact_name, "contact_phone": data.contact_phone,
            "community_id": data.community_id, "lat": data.lat, "lon": data.lon}


ROUTES = [OrganizationController, OfferController]
