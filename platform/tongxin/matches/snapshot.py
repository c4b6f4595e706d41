"""Database rows → plain arrays for the `matching` package (one read of the district per batch).

The facts the hard rules need come from `tongxin.eligibility` (the same loaders sign-up uses); this
module adds what the scoring model needs on top: history, load and the wishes as targets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

import matching
from tongxin.activities.tables import SignUp
from tongxin.dates import LOCAL_TZ
from tongxin.eligibility.service import (
    People,
    Targets,
    Vocabulary,
    json_list,
    load_occurrences,
    load_people,
    load_vocabulary,
    targets_from,
)
from tongxin.matches.tables import Invitation
from tongxin.organizations.tables import ResourceOffer
from tongxin.volunteers.tables import LedgerEntry
from tongxin.wishes.tables import Wish

# Kept under their old names for the platform's matching code.
TargetRows = Targets


@dataclass
class VolunteerRows(People):
    """The rule facts of every active volunteer plus the scoring model's history features."""

    attended: np.ndarray | None = None
    no_show: np.ndarray | None = None
    hours_this_month: np.ndarray | None = None
    recent_load: np.ndarray | None = None
    org_history: np.ndarray | None = None
    category_history: np.ndarray | None = None
    preferred_categories: np.ndarray | None = None
    max_distance_km: np.ndarray | None = None
    history: matching.InvitationLog | None = None


async def load_volunteers(vocab: Vocabulary, *, now: datetime, community_id: int | None = None,
                          volunteer_ids: list[int] | None = None) -> VolunteerRows:
    """Read volunteers with the rule facts, then their load and history with organizations and kinds."""
    people = await load_people(vocab, now=now, community_id=community_id, volunteer_ids=volunteer_ids)
    n = len(people.ids)
    position = {int(v): i for i, v in enumerate(people.ids)}
    month_start = now.astimezone(timezone.utc).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    minutes = np.zeros(n)
    ledger = LedgerEntry.select(LedgerEntry.volunteer, LedgerEntry.minutes).where(LedgerEntry.created_at >= month_start)
    if volunteer_ids is not None:  # a few people read again (the warm district): only their rows
        ledger = ledger.where(LedgerEntry.volunteer.is_in(list(volunteer_ids) or [-1]))
    for r in await ledger:
        i = position.get(r["volunteer"])
        if i is not None:
            minutes[i] += r["minutes"]
    recent = np.zeros(n)
    org_history = np.zeros((n, max(len(vocab.organizations), 1)))
    category_history = np.zeros((n, len(vocab.categories)))
    since = now - timedelta(days=30)
    served = SignUp.select(
        SignUp.volunteer, SignUp.status, SignUp.created_at, SignUp.occurrence.activity.organization,
        SignUp.occurrence.activity.kind,
    ).where(SignUp.status.is_in(["confirmed", "attended"]))
    if volunteer_ids is not None:
        served = served.where(SignUp.volunteer.is_in(list(volunteer_ids) or [-1]))
    for r in await served:
        i = position.get(r["volunteer"])
        if i is None:
            continue
        if r["created_at"] >= since:
            recent[i] += 1
        if r["status"] == "attended":
            org = vocab.organizations.get(r["occurrence.activity.organization"])
            if org is not None:
                org_history[i, org] += 1
            kind = vocab.categories.get(r["occurrence.activity.kind"])
            if kind is not None:
                category_history[i, kind] += 1
    rows = people.rows
    preferred = np.zeros((n, len(vocab.categories)), dtype=bool)
    for i, r in enumerate(rows):
        if r.get("preferred_kinds") in (None, "", "[]", []):
            continue  # most people name none: skip parsing 50k empty lists
        for kind in json_list(r.get("preferred_kinds")):
            k = vocab.categories.get(kind)
            if k is not None:
                preferred[i, k] = True
    history = await load_invitation_log(vocab, position, volunteer_ids=volunteer_ids)
    return VolunteerRows(
        **{name: getattr(people, name) for name in People.__dataclass_fields__},
        attended=np.array([r["attended_count"] or 0 for r in rows], dtype=np.int64).reshape(n),
        no_show=np.array([r["no_show_count"] or 0 for r in rows], dtype=np.int64).reshape(n),
        hours_this_month=minutes / 60.0, recent_load=recent, org_history=org_history,
        category_history=category_history, preferred_categories=preferred,
        max_distance_km=np.array([np.nan if r.get("max_distance_km") is None else r["max_distance_km"] for r in rows],
                                 dtype=float).reshape(n),
        history=history,
    )


async def load_invitation_log(vocab: Vocabulary, position: dict[int, int],
                              volunteer_ids: list[int] | None = None) -> matching.InvitationLog:
    """Every answered invitation to an occurrence (accepted, declined or expired: a decline is a signal too),
    with the kind, the local hour, the distance the proposal was made at and whether the person came."""
    query = Invitation.select(
        Invitation.volunteer, Invitation.target_id, Invitation.status, Invitation.sign_up,
        Invitation.proposal.features.as_alias("features"),
    ).where((Invitation.target_type == "occurrence") & Invitation.status.is_in(["accepted", "declined", "expired"]))
    if volunteer_ids is not None:
        query = query.where(Invitation.volunteer.is_in(list(volunteer_ids) or [-1]))
    rows = await query
    from tongxin.activities.tables import Occurrence

    occurrence_ids = sorted({int(r["target_id"]) for r in rows})
    occurrences = {o["id"]: o for o in await Occurrence.select(
        Occurrence.id, Occurrence.starts_at, Occurrence.activity.kind.as_alias("kind"),
    ).where(Occurrence.id.is_in(occurrence_ids or [-1]))}
    sign_up_ids = [int(r["sign_up"]) for r in rows if r["sign_up"]]
    came = {s["id"] for s in await SignUp.select(SignUp.id).where(
        SignUp.id.is_in(sign_up_ids or [-1]) & (SignUp.status == "attended"))}
    v, start, cat, dist, hour, acc, att = [], [], [], [], [], [], []
    for r in rows:
        i = position.get(r["volunteer"])
        occ = occurrences.get(r["target_id"])
        if i is None or occ is None:
            continue
        features = r["features"]
        if isinstance(features, str):
            import json

            features = json.loads(features or "{}") or {}
        v.append(i)
        start.append(occ["starts_at"].timestamp())
        kind = vocab.categories.get(occ["kind"])
        cat.append(-1 if kind is None else kind)
        dist.append(float((features or {}).get("distance_km", np.nan)))
        local = occ["starts_at"].astimezone(LOCAL_TZ)
        hour.append(local.hour + local.minute / 60.0)
        acc.append(r["status"] == "accepted")
        att.append(r["status"] == "accepted" and r["sign_up"] in came)
    return matching.InvitationLog(volunteer=v, start=start, category=cat, distance_km=dist, local_hour=hour,
                                  accepted=acc, attended=att)


async def load_occurrence_targets(vocab: Vocabulary, *, now: datetime, community_id: int | None = None,
                                  occurrence_ids: list[int] | None = None) -> Targets:
    """Open future occurrences of published activities with places left (the rules' own loader)."""
    return await load_occurrences(vocab, occurrence_ids=occurrence_ids, community_id=community_id, now=now)


async def load_wish_targets(vocab: Vocabulary, *, now: datetime, community_id: int | None = None,
                            wish_ids: list[int] | None = None) -> TargetRows:
    """Open wishes; a wish is done by one adult helper at a time (capacity 1), in daytime before it is needed.
    The skills a wish names are welcome, not required: wishes are small everyday needs."""
    query = Wish.select(
        Wish.id, Wish.lat, Wish.lon, Wish.needed_by, Wish.urgency, Wish.skills_needed, Wish.category,
        Wish.community, Wish.grid, Wish.title, Wish.grid.lat.as_alias("grid_lat"), Wish.grid.lon.as_alias("grid_lon"),
    ).where(Wish.status == "open").order_by(Wish.id)
    if community_id is not None:
        query = query.where(Wish.community == community_id)
    if wish_ids is not None:
        query = query.where(Wish.id.is_in(wish_ids or [-1]))
    rows = await query
    targets = []
    for r in rows:
        due = datetime.combine(r["needed_by"], datetime.min.time(), timezone.utc) if r["needed_by"] else now + timedelta(days=14)
        # A wish has no fixed time: ask for a two-hour daytime visit on the day before it is needed.
        visit = max(due - timedelta(days=1), now + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
        targets.append({
            "id": r["id"], "lat": r["lat"] if r["lat"] is not None else r["grid_lat"],
            "lon": r["lon"] if r["lon"] is not None else r["grid_lon"], "start": visit.timestamp(),
            "end": (visit + timedelta(hours=2)).timestamp(), "remaining": 1, "skills": [],
            "preferred": json_list(r["skills_needed"]),
            "certs": [], "min_age": 18, "max_age": 200, "youth": False, "leader": True, "organization": None,
            "category": r["category"], "urgency": (r["urgency"] - 1) / 2.0, "needed_by": due.timestamp(),
            "community": r["community"], "grid": r["grid"], "title": r["title"],
        })
    return targets_from("wish", targets, vocab)


def snapshot_id(volunteers: VolunteerRows, targets: TargetRows) -> str:
    """A short digest of the inputs, recorded with each run so a batch can be reproduced."""
    digest = hashlib.sha256()
    for array in (volunteers.ids, volunteers.skills, volunteers.hours_this_month, targets.ids,
                  targets.capacity_remaining):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


async def load_offers() -> list[dict[str, Any]]:
    """Open resource offers with something left, with their organization's place."""
    return await ResourceOffer.select(
        ResourceOffer.id, ResourceOffer.organization, ResourceOffer.title, ResourceOffer.category,
        ResourceOffer.remaining, ResourceOffer.organization.lat.as_alias("lat"),
        ResourceOffer.organization.lon.as_alias("lon"), ResourceOffer.organization.name.as_alias("organization_name"),
    ).where((ResourceOffer.status == "open") & (ResourceOffer.remaining > 0)
            & (ResourceOffer.organization.status == "approved"))


__all__ = (
    "Vocabulary", "VolunteerRows", "TargetRows", "load_vocabulary", "load_volunteers",
    "load_occurrence_targets", "load_wish_targets", "load_offers", "snapshot_id",
)
