"""Staff figures for the district and the one approval queue."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any

from tongxin.accounts.service import Actor
from tongxin.accounts.tables import Community
from tongxin.activities.tables import Activity, SignUp
from tongxin.dates import LOCAL_TZ, hours_2dp
from tongxin.errors import InvalidInput, NotFound
from tongxin.matches.decisions import list_proposals
from tongxin.organizations.tables import Organization
from tongxin.reports.queue import in_community
from tongxin.volunteers.tables import LedgerEntry, YouthAssessment, YouthMember
from tongxin.wishes.tables import Wish

QUEUE_KINDS = ("organization", "activity", "wish", "youth", "proposal")


def _month(d: datetime) -> str:
    return d.astimezone(LOCAL_TZ).strftime("%Y-%m")


MAX_MONTHS = 120  # ten years of columns at most


def _month_count(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _months_between(first: date, last: date) -> list[str]:
    """Every month from `first`'s to `last`'s, as "2026-03", oldest first."""
    year, month, months = first.year, first.month, []
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _month_end(month: str, last: date) -> date:
    """The last day of "2026-03", or `last` when that comes first (the current month)."""
    year, number = int(month[:4]), int(month[5:])
    following = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return min(following - timedelta(days=1), last)


def default_range(today: date) -> tuple[date, date]:
    """The dashboard's period when none is asked for: the last 12 months, this month included."""
    year, month = (today.year - 1, today.month + 1) if today.month < 12 else (today.year, 1)
    return date(year, month, 1), today


def check_range(date_from: date | None, date_to: date | None) -> None:
    """Refuse a period that ends before it starts (either end may be open)."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidInput("the period must start before it ends", field="date_from", code="period_order")


def parse_range(raw_from: str | None, raw_to: str | None, *, today: date) -> tuple[date | None, date | None]:
    """A period from the query or form: both ends absent → the default (last 12 months); an empty end → open;
    anything but a date → refused on its field; an end before the start → refused on `date_from`."""
    if raw_from is None and raw_to is None:
        return default_range(today)
    days: list[date | None] = []
    for name, raw in (("date_from", raw_from), ("date_to", raw_to)):
        text = (raw or "").strip()
        try:
            days.append(date.fromisoformat(text) if text else None)
        except ValueError:
            raise InvalidInput(f"{name} must be a date like 2026-03-01", field=name, code="not_a_date") from None
    check_range(days[0], days[1])
    return days[0], days[1]


def hours_of(minutes: int) -> float:
    """Whole minutes as hours with two decimals (90 → 1.5), rounded half up from the exact minutes."""
    return float(hours_2dp(minutes))


async def dashboard(*, date_from: date | None = None, date_to: date | None = None,
                    now: datetime | None = None) -> dict[str, Any]:
    """Activities held, people served, wishes fulfilled and hours in a period of local days (either end may
    be None: open): totals, by community, by organization, by month. Each figure counts on the day it
    happened: an activity and its hours on the occurrence's day, a wish on the day it was fulfilled. People
    served are distinct people (volunteers who came, households helped); attendances are person-times (人次),
    every attended sign-up. The youth roster is its size at the end of the period (and of each month)."""
    check_range(date_from, date_to)
    now = now or datetime.now(timezone.utc)

    def inside(moment: datetime | None) -> bool:
        if moment is None:
            return False
        day = moment.astimezone(LOCAL_TZ).date()
        return (date_from is None or day >= date_from) and (date_to is None or day <= date_to)

    communities = {r["id"]: r["name"] for r in await Community.select(Community.id, Community.name)}
    every_attended = await SignUp.select(
        SignUp.id, SignUp.volunteer, SignUp.occurrence, SignUp.occurrence.starts_at.as_alias("starts_at"),
        SignUp.occurrence.community.as_alias("community"),
        SignUp.occurrence.activity.organization.as_alias("organization"),
    ).where(SignUp.status == "attended")
    attended = [r for r in every_attended if inside(r["starts_at"])]
    held = {}
    for r in attended:
        held[r["occurrence"]] = (r["starts_at"], r["community"])
    organizations = {r["id"]: r["name"] for r in await Organization.select(Organization.id, Organization.name)}
    by_organization: dict[Any, dict] = {}
    for r in attended:
        figures = by_organization.setdefault(r["organization"], {"occurrences": set(), "people": set(),
                                                                 "attendances": 0})
        figures["occurrences"].add(r["occurrence"])
        figures["people"].add(r["volunteer"])
        figures["attendances"] += 1
    wishes = [w for w in await Wish.select(
        Wish.id, Wish.household, Wish.community, Wish.fulfilled_at, Wish.confirmed_at).where(
        Wish.status.is_in(["fulfilled", "confirmed"])) if inside(w["fulfilled_at"] or w["confirmed_at"])]
    ledger = await LedgerEntry.select(LedgerEntry.minutes, LedgerEntry.created_at, LedgerEntry.sign_up,
                                      LedgerEntry.volunteer.community.as_alias("community"))
    # Hours earned by attending count on the day served; other credits on the day they were granted.
    served_on = {r["id"]: r["starts_at"] for r in every_attended}
    for entry in ledger:
        entry["day"] = served_on.get(entry["sign_up"], entry["created_at"])
    ledger = [e for e in ledger if inside(e["day"])]

    # The months shown: the period's, but never past today (nothing is served in the future) and, for an open
    # or very old start, from the first month with a figure (a year back when there is none).
    today = now.astimezone(LOCAL_TZ).date()
    last = min(date_to or today, today)
    days = [m.astimezone(LOCAL_TZ).date() for m in [s for s, _ in held.values()] + [e["day"] for e in ledger]
            + [w["fulfilled_at"] or w["confirmed_at"] for w in wishes]]
    first = date_from
    if first is None or _month_count(first, last) > MAX_MONTHS:
        first = max(min(days), first or min(days)) if days else default_range(last)[0]
    if _month_count(first, last) > MAX_MONTHS:  # figures spread over decades: the latest ones
        year, month = divmod(last.year * 12 + last.month - MAX_MONTHS, 12)
        first = date(year, month + 1, 1)
    months = _months_between(first, last)

    def blank() -> dict[str, int]:
        return {"activities_held": 0, "people_served": 0, "attendances": 0, "wishes_fulfilled": 0, "minutes": 0}

    by_community: dict[Any, dict] = defaultdict(blank)
    by_month: dict[str, dict] = {m: blank() for m in months}
    for starts_at, community in held.values():
        by_community[community]["activities_held"] += 1
        if _month(starts_at) in by_month:
            by_month[_month(starts_at)]["activities_held"] += 1
    volunteers_by_community: dict[Any, set] = defaultdict(set)
    volunteers_by_month: dict[str, set] = defaultdict(set)
    for r in attended:
        volunteers_by_community[r["community"]].add(r["volunteer"])
        volunteers_by_month[_month(r["starts_at"])].add(r["volunteer"])
        by_community[r["community"]]["attendances"] += 1  # person-times (人次): every attendance counts
        if _month(r["starts_at"]) in by_month:
            by_month[_month(r["starts_at"])]["attendances"] += 1
    for community, people in volunteers_by_community.items():
        by_community[community]["people_served"] += len(people)
    for month, people in volunteers_by_month.items():
        if month in by_month:
            by_month[month]["people_served"] += len(people)
    for w in wishes:
        by_community[w["community"]]["wishes_fulfilled"] += 1
        by_community[w["community"]]["people_served"] += 1  # the household
        when = _month(w["fulfilled_at"] or w["confirmed_at"])
        if when in by_month:
            by_month[when]["wishes_fulfilled"] += 1
            by_month[when]["people_served"] += 1
    for entry in ledger:
        by_community[entry["community"]]["minutes"] += entry["minutes"]
        if _month(entry["day"]) in by_month:
            by_month[_month(entry["day"])]["minutes"] += entry["minutes"]

    def shown(figures: dict[str, int]) -> dict[str, Any]:
        return {**figures, "hours": hours_of(figures["minutes"])}

    youth = [y["activated_at"].astimezone(LOCAL_TZ).date() for y in await YouthMember.select(
        YouthMember.activated_at).where((YouthMember.status == "active") & YouthMember.activated_at.is_not_null())]

    def roster_on(day: date) -> int:
        return sum(1 for joined in youth if joined <= day)

    minutes = sum(e["minutes"] for e in ledger)
    totals = {
        "activities_held": len(held),
        "people_served": len({r["volunteer"] for r in attended}) + len({w["household"] for w in wishes}),
        "attendances": len(attended),
        "youth_active": roster_on(last),
        "wishes_fulfilled": len(wishes),
        "minutes": minutes,
        "hours": hours_of(minutes),
        "volunteers_served": len({r["volunteer"] for r in attended}),
        "households_served": len({w["household"] for w in wishes}),
    }
    return {
        "date_from": date_from.isoformat() if date_from else None,
        "date_to": date_to.isoformat() if date_to else None,
        "totals": totals,
        "by_community": [{"community_id": cid, "community": communities.get(cid, "未登记社区 / no community"),
                          **shown(figures)}
                         for cid, figures in sorted(by_community.items(), key=lambda kv: str(communities.get(kv[0], "~")))],
        "by_organization": sorted(({"organization_id": oid, "organization": organizations.get(oid, ""),
                                    "activities_held": len(f["occurrences"]), "people_served": len(f["people"]),
                                    "attendances": f["attendances"]}
                                   for oid, f in by_organization.items()),
                                  key=lambda o: (-o["activities_held"], o["organization"])),
        "by_month": [{"month": m, **shown(by_month[m]), "youth_active": roster_on(_month_end(m, last))}
                     for m in months],
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
    here, targets = await in_community(community_id) if community_id is not None else (None, None)
    if here is not None:
        items = [i for i in items if (i["kind"], i["id"]) in here]
    epoch = datetime.min.replace(tzinfo=timezone.utc)
    items.sort(key=lambda item: (item["submitted_at"] or epoch, item["kind"], item["id"]))
    counts = {k: sum(1 for i in items if i["kind"] == k) for k in kinds}
    shown = items[offset:offset + limit]
    total = len(items)
    if "proposal" in kinds:
        # Proposals come after everything else, oldest first; only the page's share is read.
        start = max(offset - len(items), 0)
        proposals = await list_proposals(
            status="proposed", sort="created", target_type=target[0] if target else None,
            target_id=int(target[1]) if target else None, targets_in=targets,
            limit=max(limit - len(shown), 0) or 1, offset=start)
        counts["proposal"] = proposals["total"]
        total += proposals["total"]
        for p in proposals["items"][:max(limit - len(shown), 0)]:
            shown.append({"kind": "proposal", "id": p["id"], "target": [p["target_type"], p["target_id"]],
                          "title": f"{p['target_title']} ← {p['candidate_name'] or p['candidate_type']}",
                          "submitted_at": p["created_at"], "summary": f"score {p['score']:.2f}",
                          "score": p["score"], "explanation": p["explanation"]})
    return {"items": shown, "total": total, "counts": counts, "limit": limit, "offset": offset}


__all__ = ("dashboard", "parse_range", "default_range", "hours_of", "approval_queue", "QUEUE_KINDS")
