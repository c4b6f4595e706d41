"""Staff decisions on match proposals: approve (→ an invitation, or a resource's unit used), reject with a
reason, and withdrawal when a target or a candidate drops out. Each decision is made once."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tongxin.accounts.service import Actor, record_audit
from tongxin.activities.tables import Occurrence
from tongxin.dates import LOCAL_TZ
from tongxin.db import in_write_transaction, json_value
from tongxin.errors import Conflict, InvalidInput, NotFound
from tongxin.matches import invitations
from tongxin.matches.tables import Proposal
from tongxin.organizations.tables import ResourceOffer
from tongxin.volunteers.tables import Volunteer
from tongxin.wishes import service as wishes
from tongxin.wishes.tables import Wish

PROPOSAL_SORTS = {"score": Proposal.score, "created": Proposal.created_at, "id": Proposal.id}


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def volunteer_names(ids: list[int]) -> dict[int, str]:
    """Names for staff lists; a minor's name is shortened so lists shown on screens stay discreet."""
    rows = await Volunteer.select(Volunteer.id, Volunteer.real_name, Volunteer.is_youth).where(
        Volunteer.id.is_in(ids or [-1]))
    return {r["id"]: (r["real_name"][:1] + "同学" if r["is_youth"] else r["real_name"]) for r in rows}


async def list_proposals(*, status: str | None = "proposed", target_type: str | None = None,
                         target_id: int | None = None, targets_in: dict[str, list[int]] | None = None,
                         sort: str = "-score", limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """Proposals for staff with candidate names, target titles and explanations, paged in the database;
    `targets_in` ({"occurrence": ids, "wish": ids}) keeps those whose target is listed."""
    key = sort.lstrip("-")
    if key not in PROPOSAL_SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(PROPOSAL_SORTS)} (prefix - for descending)", field="sort")
    where = []
    if status:
        where.append(Proposal.status == status)
    if target_type:
        where.append(Proposal.target_type == target_type)
    if target_id is not None:
        where.append(Proposal.target_id == target_id)
    if targets_in is not None:
        where.append(((Proposal.target_type == "occurrence") & Proposal.target_id.is_in(targets_in.get("occurrence") or [-1]))
                     | ((Proposal.target_type == "wish") & Proposal.target_id.is_in(targets_in.get("wish") or [-1])))
    query = Proposal.select().order_by(PROPOSAL_SORTS[key], ascending=not sort.startswith("-")).order_by(Proposal.id)
    count = Proposal.count()
    for condition in where:
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.limit(limit).offset(offset)
    people = ("volunteer", invitations.LEADER)  # a leader named by an organization is a volunteer too
    names = await volunteer_names([r["candidate_id"] for r in rows if r["candidate_type"] in people])
    titles = await _target_titles(rows)
    items = [{
        "id": r["id"], "status": r["status"], "target_type": r["target_type"], "target_id": r["target_id"],
        "target_title": titles.get((r["target_type"], r["target_id"]), ""),
        "candidate_type": r["candidate_type"], "candidate_id": r["candidate_id"],
        "candidate_name": names.get(r["candidate_id"], "") if r["candidate_type"] in people else "",
        "score": round(r["score"], 4), "explanation": json_value(r["explanation"], {}),
        "model_version": r["model_version"], "reason": r["reason"], "created_at": r["created_at"],
        "decided_at": r["decided_at"],
    } for r in rows]
    return {"items": items, "total": await count, "limit": limit, "offset": offset}


async def _target_titles(rows: list[dict]) -> dict[tuple[str, int], str]:
    occurrences = [r["target_id"] for r in rows if r["target_type"] == "occurrence"]
    wishes = [r["target_id"] for r in rows if r["target_type"] == "wish"]
    titles: dict[tuple[str, int], str] = {}
    for r in await Occurrence.select(Occurrence.id, Occurrence.activity.title, Occurrence.starts_at).where(
            Occurrence.id.is_in(occurrences or [-1])):
        local = r["starts_at"].astimezone(LOCAL_TZ)
        titles[("occurrence", r["id"])] = f"{r['activity.title']} {local:%Y-%m-%d %H:%M}"
    for r in await Wish.select(Wish.id, Wish.title).where(Wish.id.is_in(wishes or [-1])):
        titles[("wish", r["id"])] = r["title"]
    return titles


async def _claim_decision(proposal_id: int, status: str, actor: Actor, reason: str) -> dict[str, Any]:
    """Decide a proposal once: the UPDATE only matches while it is still 'proposed'."""
    rows = await Proposal.update({
        Proposal.status: status, Proposal.decided_by: actor.id, Proposal.decided_at: _now(),
        Proposal.reason: reason,
    }).where((Proposal.id == proposal_id) & (Proposal.status == "proposed")).returning(
        Proposal.id, Proposal.target_type, Proposal.target_id, Proposal.candidate_type, Proposal.candidate_id)
    if not rows:
        if await Proposal.exists().where(Proposal.id == proposal_id):
            raise Conflict("this proposal has already been decided", code="already_decided")
        raise NotFound("proposal not found")
    return rows[0]


async def approve_proposal(*, actor: Actor, proposal_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Approve once. A volunteer is never committed by staff: they (or a child's guardian) get an invitation
    to accept or decline before a deadline. An organization's resource offer is its own consent: one unit
    of it is used at once and the wish gets its helper."""
    now = now or _now()

    async def work() -> dict[str, Any]:
        proposal = await _claim_decision(proposal_id, "approved", actor, "")
        if proposal["candidate_type"] == "volunteer":
            result = await invitations.invite(proposal=proposal, now=now)
        else:
            if proposal["candidate_type"] == "resource":
                await use_one_unit(resource_id=proposal["candidate_id"])
            result = await wishes.assign_helper(actor=actor, wish_id=proposal["target_id"],
                                                **{f"{proposal['candidate_type']}_id": proposal["candidate_id"]})
            await Proposal.update({Proposal.outcome: "accepted"}).where(Proposal.id == proposal_id)
        await record_audit(actor_id=actor.id, action="approve_proposal", target_type="proposal",
                           target_id=proposal_id, detail={"target": f"{proposal['target_type']}:{proposal['target_id']}"})
        return result

    return {"id": proposal_id, "status": "approved", "result": await in_write_transaction(work)}


async def use_one_unit(*, resource_id: int) -> None:
    """Take one unit of a resource offer, or refuse when none is left (one conditional UPDATE)."""
    rows = await ResourceOffer.update({ResourceOffer.remaining: ResourceOffer.remaining - 1}).where(
        (ResourceOffer.id == resource_id) & (ResourceOffer.remaining > 0) & (ResourceOffer.status == "open")
    ).returning(ResourceOffer.remaining)
    if not rows:
        raise Conflict("this resource offer has nothing left", code="offer_used_up")
    if rows[0]["remaining"] == 0:
        await ResourceOffer.update({ResourceOffer.status: "used_up"}).where(ResourceOffer.id == resource_id)


async def reject_proposal(*, actor: Actor, proposal_id: int, reason: str) -> dict[str, Any]:
    """Reject once, with the reason staff give (it becomes training data)."""
    if not reason.strip():
        raise InvalidInput("say why the proposal is rejected", field="reason", code="reason_required")
    async def work() -> None:
        await _claim_decision(proposal_id, "rejected", actor, reason.strip())
        await record_audit(actor_id=actor.id, action="reject_proposal", target_type="proposal",
                           target_id=proposal_id, detail={"reason": reason.strip()})

    await in_write_transaction(work)
    return {"id": proposal_id, "status": "rejected"}


__all__ = ("PROPOSAL_SORTS", "list_proposals", "approve_proposal", "reject_proposal", "use_one_unit",
           "volunteer_names")
