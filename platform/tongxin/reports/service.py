"""Staff figures for the district and the one approval queue."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from tongxin.accounts.service import Actor
from tongxin.accounts.tables import Community
from tongxin.activities.tables import Activity, SignUp
from tongxin.dates import LOCAL_TZ
from tongxin.errors import InvalidInput, NotFound
from tongxin.matches.decisions import list_proposals
from tongxin.organizations.tables import Organization
from tongxin.reports.queue import in_community
from tongxin.volunteers.tables import LedgerEntry, YouthAssessment, YouthMember
from tongxin.wishes.tables import Wish

QUEUE_KINDS = ("organization", "activity", "wish", "youth", "proposal")


def _month(d: datetime) -> str:
    return d.astimezone(LOCAL_TZ).strftime("%Y-%m")


def _last_months(now: datetime, count: int = 12) -> list[str]:
    year, month = now.astimezone(LOCAL_TZ).year, now.astimezone(LOCAL_TZ).month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


async def dashboard(*, now: datetime | None = None) -> dict[str, Any]:
    """Activities held, people served, wishes fulfilled and hours: totals, by community, by month."""
    now = now or datetime.now(timezone.utc)
    months = _last_months(now)
    communities = {r["id"]: r["name"] for r in await Community.select(Community.id, Community.name)}
    attended = await SignUp.select(
        SignUp.volunteer, SignUp.occurrence, SignUp.occurrence.starts_at.as_alias("starts_at"),
        SignUp.occurrence.community.as_alias("community"),
    ).where(SignUp.status == "attended")
    held = {}
    for r in attended:
        held[r["occurrence"]] = (r["starts_at"], r["community"])
    wishes = await Wish.select(Wish.id, Wish.household, Wish.community, Wish.fulfilled_at, Wish.confirmed_at).where(
        Wish.status.is_in(["fulfilled", "confirmed"]))
    ledger = await LedgerEntry.select(LedgerEntry.minutes, LedgerEntry.created_at,
                                      LedgerEntry.volunteer.community.as_alias("community"))

    def blank() -> dict[str, float]:
        return {"activities_held": 0, "people_served": 0, "wishes_fulfilled": 0, "hours": 0.0}

    by_community: dict[Any, dict] = defaultdict(blank)
    by_month: dict[str, dict] = {m: blank() for m in months}
    for starts_at, community in held.values():
        by_community[community]["activities_held"] += 1
        if _month(starts_at) in by_month:
            by_month[_month(starts_at)]["activities_held"] += 1
    volunteers_by_community: dict[Any, set] = defaultdict(set)
    for r in attended:
        volunteers_by_community[r["community"]].add(r["volunteer"])
    for community, people in volunteers_by_community.items():
        by_community[community]["people_served"] += len(people)
    for w in wishes:
        by_community[w["community"]]["wishes_fulfilled"] += 1
        by_community[w["community"]]["people_served"] += 1  # the household
        when = w["fulfilled_at"] or w["confirmed_at"]
        if when and _month(when) in by_month:
            by_month[_month(when)]["wishes_fulfilled"] += 1
    for entry in ledger:
        # Hours on a chart: exact minutes, shown with one decimal.
        by_community[entry["community"]]["hours"] += entry["minutes"] / 60
        if _month(entry["created_at"]) in by_month:
            by_month[_month(entry["created_at"])]["hours"] += entry["minutes"] / 60
    totals = {
        "activities_held": len(held),
        "people_served": len({r["volunteer"] for r in attended}) + len({w["household"] for w in wishes}),
        "wishes_fulfilled": len(wishes),
        "hours": round(sum(e["minutes"] for e in ledger) / 60, 1),
        "volunteers_served": len({r["volunteer"] for r in attended}),
        "households_served": len({w["household"] for w in wishes}),
    }
    return {
        "totals": totals,
        "by_community": [{"community_id": cid, "community": communities.get(cid, "未登记社区 / no community"),
                          **{k: round(v, 1) for k, v in figures.items()}}
                         for cid, figures in sorted(by_community.items(), key=lambda kv: str(communities.get(kv[0], "~")))],
        "by_month": [{"month": m, **{k: round(v, 1) for k, v in by_month[m].items()}} for m in months],
    }


async def approval_queue(*, actor: Actor, kinds: list[str] | None = None, community_id: int | None = None,
                         target: tuple[str, int] | None = None, limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """Everything waiting for staff: organizations, activities, wishes and youth members oldest first, then
    match proposals oldest first (a new organization must not wait behind a batch of proposals);
    `community_id` keeps the items of one community (a proposal by its target's place); `target`
    (type, id) keeps the proposals for one occurrence or wish, to compare its candidates side by side."""
    if not actor.is_staff:
        raise NotFound("not found")
    kinds = kinds or list(QUEUE_KINDS)
    unknown = [k for k in kinds if k not in QUEUE_KINDS]
    if unknown:
        raise InvalidInput(f"unknown kind(s) {', '.join(unknown)}; choose from {', '.join(QUEUE_KINDS)}",
                           field="kinds")
    items: list[dict[str, Any]] = []
    if "organization" in kinds:
        for r in await Organization.select(Organization.id, Organization.name, Organization.kind,
                                           Organization.created_at).where(Organization.status == "pending"):
            items.append({"kind": "organization", "id": r["id"], "title": r["name"], "submitted_at": r["created_at"],
                          "summary": r["kind"]})
    if "activity" in kinds:
        for r in await Activity.select(Activity.id, Activity.title, Activity.kind, Activity.submitted_at,
                                       Activity.rrule, Activity.organization.name.as_alias("organization")).where(
                Activity.status == "submitted"):
            items.append({"kind": "activity", "id": r["id"], "title": r["title"], "submitted_at": r["submitted_at"],
                          "summary": f"{r['organization']} · {r['kind']}" + (f" · {r['rrule']}" if r["rrule"] else "")})
    if "wish" in kinds:
        for r in await Wish.select(Wish.id, Wish.title, Wish.category, Wish.urgency, Wish.created_at,
                                   Wish.community.name.as_alias("community")).where(Wish.status == "submitted"):
            items.append({"kind": "wish", "id": r["id"], "title": r["title"], "submitted_at": r["created_at"],
                          "summary": f"{r['community']} · {r['category']} · urgency {r['urgency']}"})
    if "youth" in kinds:
        youth = await YouthMember.select(YouthMember.id, YouthMember.status, YouthMember.created_at,
                                         YouthMember.volunteer.community.name.as_alias("community")).where(
            YouthMember.status.is_in(["applicant", "assessed"]))
        done = defaultdict(int)
        for a in await YouthAssessment.select(YouthAssessment.youth).where(
                YouthAssessment.youth.is_in([y["id"] for y in youth] or [-1])):
            done[a["youth"]] += 1
        for r in youth:
            step = "ready to activate" if r["status"] == "assessed" else f"assessments {done[r['id']]}/3"
            items.append({"kind": "youth", "id": r["id"], "title": f"小小安全员申请 #{r['id']}",
                          "submitted_at": r["created_at"], "summary": f"{r['community']} · {step}"})
    if "proposal" in kinds:

        proposals = await list_proposals(status="proposed", sort="created", limit=10_000)
        for p in proposals["items"]:
            if target is not None and (p["target_type"], p["target_id"]) != tuple(target):
                continue
            items.append({"kind": "proposal", "id": p["id"], "target": [p["target_type"], p["target_id"]],
                          "title": f"{p['target_title']} ← {p['candidate_name'] or p['candidate_type']}",
                          "submitted_at": p["created_at"], "summary": f"score {p['score']:.2f}",
                          "score": p["score"], "explanation": p["explanation"]})
    if community_id is not None:
        here = await in_community(community_id)
        items = [i for i in items if (i["kind"], i["id"]) in here]
    epoch = datetime.min.replace(tzinfo=timezone.utc)
    items.sort(key=lambda item: (item["kind"] == "proposal", item["submitted_at"] or epoch, item["kind"], item["id"]))
    counts = {k: sum(1 for i in items if i["kind"] == k) for k in kinds}
    return {"items": items[offset:offset + limit], "total": len(items), "counts": counts, "limit": limit,
            "offset": offset}


__all__ = ("dashboard", "approval_queue", "QUEUE_KINDS")
