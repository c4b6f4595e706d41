"""Organizations: registration, staff decisions, members' edits and resource offers."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tongxin.accounts.cache import forget_account
from tongxin.accounts.service import Actor, record_audit
from tongxin.accounts.tables import Community
from tongxin.db import write_transaction
from tongxin.errors import Conflict, InvalidInput, NotFound
from tongxin.language import texts
from tongxin.memory import data_changed
from tongxin.notifications.service import notify
from tongxin.organizations.tables import Organization, OrganizationMember, ResourceOffer
from tongxin.paging import page

PUBLIC_COLUMNS = (Organization.id, Organization.name, Organization.kind, Organization.status,
                  Organization.description, Organization.community, Organization.lat, Organization.lon)
ORGANIZATION_SORTS = {"name": Organization.name, "created": Organization.created_at, "id": Organization.id}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def may_manage(actor: Actor | None, organization_id: int) -> bool:
    """Staff, or a member of this organization."""
    return actor is not None and (actor.is_staff or actor.organization_id == organization_id)


async def _check_community(community_id: int | None) -> None:
    if community_id is not None and not await Community.exists().where(Community.id == community_id):
        raise InvalidInput("no such community", field="community_id")


async def register_organization(*, actor: Actor, name: str, kind: str, description: str = "",
                                contact_name: str = "", contact_phone: str = "", community_id: int | None = None,
                                lat: float | None = None, lon: float | None = None) -> dict[str, Any]:
    """An organization-member account registers its organization; it waits for staff approval."""
    if actor.role != "org_member":
        raise InvalidInput("only an organization account can register an organization", field="role")
    if actor.organization_id is not None:
        raise Conflict("this account already belongs to an organization", code="already_member")
    await _check_community(community_id)
    async with write_transaction():
        if await Organization.exists().where(Organization.name == name):
            raise Conflict("an organization with this name is already registered", field="name",
                           code="name_taken")
        org_id = (await Organization.insert(Organization(
            name=name, kind=kind, description=description, contact_name=contact_name,
            contact_phone=contact_phone, community=community_id, lat=lat, lon=lon, created_by=actor.id,
        )).returning(Organization.id))[0]["id"]
        await OrganizationMember.insert(OrganizationMember(organization=org_id, user=actor.id))
    forget_account(actor.id)
    data_changed("district")  # ranking's history columns: one per organization
    return await get_organization(actor=None, organization_id=org_id, internal=True)


async def get_organization(*, actor: Actor | None, organization_id: int, internal: bool = False) -> dict[str, Any]:
    """One organization: approved ones are public; others only for their members and staff (else 404)."""
    row = await Organization.select(
        *PUBLIC_COLUMNS, Organization.contact_name, Organization.contact_phone, Organization.created_at,
        Organization.decided_at, Organization.decision_reason,
    ).where(Organization.id == organization_id).first()
    if row is None:
        raise NotFound("organization not found")
    if internal or may_manage(actor, organization_id):
        return row
    if row["status"] != "approved":
        raise NotFound("organization not found")
    return {k: row[k] for k in ("id", "name", "kind", "status", "description", "community", "lat", "lon")}


async def list_organizations(*, actor: Actor | None, status: str | None = None, sort: str = "name",
                             limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """Approved organizations for everyone; staff may list any status (e.g. pending)."""
    key = sort.lstrip("-")
    if key not in ORGANIZATION_SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(ORGANIZATION_SORTS)}", field="sort")
    if not (actor and actor.is_staff):
        if status not in (None, "approved"):
            raise InvalidInput("only staff may list organizations that are not approved", field="status")
        status = "approved"
    query = Organization.select(*PUBLIC_COLUMNS, Organization.created_at).order_by(
        ORGANIZATION_SORTS[key], ascending=not sort.startswith("-"))
    count = Organization.count()
    if status:
        query, count = query.where(Organization.status == status), count.where(Organization.status == status)
    return page(await query.limit(limit).offset(offset), await count, limit, offset)


async def update_organization(*, actor: Actor, organization_id: int, **fields: Any) -> dict[str, Any]:
    """Members (or staff) edit their organization's public details. A member renaming an approved
    organization sends it back to staff review (pending) under the new name: the public never sees a name
    staff have not approved."""
    if not may_manage(actor, organization_id):
        raise NotFound("organization not found")
    await _check_community(fields.get("community_id"))
    values = {getattr(Organization, "community" if k == "community_id" else k): v for k, v in fields.items()}
    async with write_transaction():
        if "name" in fields and await Organization.exists().where(
                (Organization.name == fields["name"]) & (Organization.id != organization_id)):
            raise Conflict("an organization with this name is already registered", field="name", code="name_taken")
        before = await Organization.select(Organization.name, Organization.status).where(
            Organization.id == organization_id).first()
        if before is None:
            raise NotFound("organization not found")
        renamed = "name" in fields and fields["name"] != before["name"]
        review = renamed and before["status"] == "approved" and not actor.is_staff
        if review:
            values[Organization.status] = "pending"
            values[Organization.decided_at] = None
        await Organization.update(values).where(Organization.id == organization_id)
        if renamed:
            await record_audit(actor_id=actor.id, action="rename_organization", target_type="organization",
                               target_id=organization_id, detail={"from": before["name"], "to": fields["name"],
                                                                  "review": review})
    return await get_organization(actor=actor, organization_id=organization_id)


async def member_user_ids(*, organization_id: int) -> list[int]:
    return [r["user"] for r in await OrganizationMember.select(OrganizationMember.user).where(
        OrganizationMember.organization == organization_id)]


async def decide_organization(*, actor: Actor, organization_id: int, approve: bool, reason: str = "") -> dict[str, Any]:
    """Staff approve or reject a pending organization, once; the members are told."""
    if not actor.is_staff:
        raise NotFound("organization not found")
    if not approve and not reason.strip():
        raise InvalidInput("say why the organization is rejected", field="reason", code="reason_required")
    status = "approved" if approve else "rejected"
    async with write_transaction():
        rows = await Organization.update({
            Organization.status: status, Organization.decided_at: _now(), Organization.decision_reason: reason.strip(),
        }).where((Organization.id == organization_id) & (Organization.status == "pending")).returning(
            Organization.name)
        if not rows:
            if await Organization.exists().where(Organization.id == organization_id):
                raise Conflict("this organization has already been decided", code="already_decided")
            raise NotFound("organization not found")
        await record_audit(actor_id=actor.id, action="approve_organization" if approve else "reject_organization",
                           target_type="organization", target_id=organization_id, detail={"reason": reason.strip()})
        for user_id in await member_user_ids(organization_id=organization_id):
            await notify(recipient_id=user_id, kind=f"organization_{status}", target_key=f"organization:{organization_id}",
                         title=(texts("notify_organization_approved", name=rows[0]["name"]) if approve
                                else texts("notify_organization_rejected", name=rows[0]["name"])), body=reason.strip())
    return await get_organization(actor=actor, organization_id=organization_id)


# ---- resource offers -----------------------------------------------------------------------------

async def create_offer(*, actor: Actor, title: str, category: str, kind: str = "goods", quantity: int = 1,
                       description: str = "") -> dict[str, Any]:
    """An approved organization offers goods, money or a service that can fulfil wishes."""
    if actor.organization_id is None:
        raise InvalidInput("only members of an organization can offer resources", field="organization")
    if not await Organization.exists().where((Organization.id == actor.organization_id)
                                             & (Organization.status == "approved")):
        raise Conflict("your organization must be approved before it offers resources", code="not_approved")
    rows = await ResourceOffer.insert(ResourceOffer(
        organization=actor.organization_id, title=title, category=category, kind=kind, quantity=quantity,
        remaining=quantity, description=description,
    )).returning(ResourceOffer.id)
    return (await ResourceOffer.select().where(ResourceOffer.id == rows[0]["id"]).first())


async def update_offer(*, actor: Actor, offer_id: int, **fields: Any) -> dict[str, Any]:
    row = await ResourceOffer.select(ResourceOffer.organization).where(ResourceOffer.id == offer_id).first()
    if row is None or not may_manage(actor, row["organization"]):
        raise NotFound("resource offer not found")
    values = {getattr(ResourceOffer, k): v for k, v in fields.items() if v is not None}
    if values:
        await ResourceOffer.update(values).where(ResourceOffer.id == offer_id)
    return await ResourceOffer.select().where(ResourceOffer.id == offer_id).first()


async def list_offers(*, organization_id: int | None = None, category: str | None = None, limit: int = 20,
                      offset: int = 0) -> dict[str, Any]:
    """Open offers of approved organizations, newest first."""
    condition = (ResourceOffer.status == "open") & (ResourceOffer.organization.status == "approved")
    if organization_id is not None:
        condition &= ResourceOffer.organization == organization_id
    if category:
        condition &= ResourceOffer.category == category
    items = await ResourceOffer.select(
        ResourceOffer.id, ResourceOffer.title, ResourceOffer.category, ResourceOffer.kind, ResourceOffer.remaining,
        ResourceOffer.description, ResourceOffer.organization, ResourceOffer.organization.name.as_alias("organization_name"),
    ).where(condition).order_by(ResourceOffer.id, ascending=False).limit(limit).offset(offset)
    return page(items, await ResourceOffer.count().where(condition), limit, offset)
