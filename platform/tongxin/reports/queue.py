"""What staff need on each approval-queue card to decide without clicking away.

`approval_queue` lists the items; `card_details` reads, for the shown page only, the facts behind each:
an activity's time, place, capacity, skills, rule and organization; an organization's kind, place and
contact; a child's name, age, squad and assessments; a proposal's target, candidate (a volunteer, an
organization or what a resource offer is) and the feature values behind its score. Plain data: the
pages put it into words.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from tongxin.accounts.tables import Community
from tongxin.activities.tables import Activity, Occurrence
from tongxin.dates import LOCAL_TZ, age_on
from tongxin.db import json_value
from tongxin.eligibility.service import json_list
from tongxin.matches.tables import Proposal
from tongxin.organizations.tables import Organization, ResourceOffer
from tongxin.volunteers.tables import Volunteer, YouthAssessment, YouthMember
from tongxin.wishes.tables import Wish


def _ids(items: list[dict[str, Any]], kind: str) -> list[int]:
    return [i["id"] for i in items if i["kind"] == kind] or [-1]


async def _organizations(ids: list[int]) -> dict[int, dict[str, Any]]:
    return {r["id"]: r for r in await Organization.select(
        Organization.id, Organization.kind, Organization.description, Organization.contact_name,
        Organization.contact_phone, Organization.community.name.as_alias("community_name"),
        Organization.created_by.display_name.as_alias("registered_by"),
    ).where(Organization.id.is_in(ids))}


async def _activities(ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = await Activity.select(
        Activity.id, Activity.kind, Activity.description, Activity.starts_at, Activity.duration_minutes,
        Activity.rrule, Activity.address, Activity.capacity, Activity.min_age, Activity.max_age,
        Activity.youth_allowed, Activity.required_skills, Activity.required_certificates, Activity.contact_name,
        Activity.contact_phone, Activity.community.name.as_alias("community_name"),
        Activity.grid.name.as_alias("grid_name"), Activity.organization.name.as_alias("organization_name"),
        Activity.organization.status.as_alias("organization_status"),
    ).where(Activity.id.is_in(ids))
    for r in rows:
        r["required_skills"] = json_list(r["required_skills"])
        r["required_certificates"] = json_list(r["required_certificates"])
    return {r["id"]: r for r in rows}


async def _wishes(ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = await Wish.select(
        Wish.id, Wish.title, Wish.category, Wish.urgency, Wish.needed_by, Wish.skills_needed, Wish.public_text,
        Wish.community.name.as_alias("community_name"), Wish.grid.name.as_alias("grid_name"),
    ).where(Wish.id.is_in(ids))
    for r in rows:
        r["skills_needed"] = json_list(r["skills_needed"])
    return {r["id"]: r for r in rows}


async def _youth(ids: list[int], today) -> dict[int, dict[str, Any]]:
    rows = await YouthMember.select(
        YouthMember.id, YouthMember.status, YouthMember.relationship, YouthMember.consent_at,
        YouthMember.consent_withdrawn_at, YouthMember.volunteer.real_name.as_alias("name"),
        YouthMember.volunteer.birth_date.as_alias("birth_date"),
        YouthMember.volunteer.community.name.as_alias("community_name"),
        YouthMember.volunteer.grid.name.as_alias("grid_name"), YouthMember.squad.name.as_alias("squad_name"),
        YouthMember.guardian.display_name.as_alias("guardian_name"),
    ).where(YouthMember.id.is_in(ids))
    assessments = defaultdict(dict)
    for a in await YouthAssessment.select(YouthAssessment.youth, YouthAssessment.kind, YouthAssessment.passed).where(
            YouthAssessment.youth.is_in(ids)):
        assessments[a["youth"]][a["kind"]] = a["passed"]
    for r in rows:
        r["age"] = age_on(r["birth_date"], today) if r["birth_date"] else None
        r["assessments"] = assessments[r["id"]]
    return {r["id"]: r for r in rows}


async def _occurrence_targets(ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = await Occurrence.select(
        Occurrence.id, Occurrence.starts_at, Occurrence.ends_at, Occurrence.capacity, Occurrence.taken,
        Occurrence.address, Occurrence.community.name.as_alias("community_name"),
        Occurrence.activity.title.as_alias("title"), Occurrence.activity.required_skills.as_alias("required_skills"),
        Occurrence.activity.organization.name.as_alias("organization_name"),
    ).where(Occurrence.id.is_in(ids or [-1]))
    for r in rows:
        r["required_skills"] = json_list(r["required_skills"])
        r["places_left"] = max(r["capacity"] - r["taken"], 0)
    return {r["id"]: r for r in rows}


async def _proposals(ids: list[int], today) -> dict[int, dict[str, Any]]:
    rows = await Proposal.select(Proposal.id, Proposal.target_type, Proposal.target_id, Proposal.candidate_type,
                                 Proposal.candidate_id, Proposal.features, Proposal.explanation).where(
        Proposal.id.is_in(ids))
    by_type = defaultdict(list)
    for r in rows:
        by_type[r["target_type"]].append(r["target_id"])
        by_type["c_" + r["candidate_type"]].append(r["candidate_id"])
    occurrences = await _occurrence_targets(by_type["occurrence"])
    wishes = await _wishes(by_type["wish"] or [-1])
    volunteers = {v["id"]: v for v in await Volunteer.select(
        Volunteer.id, Volunteer.real_name, Volunteer.is_youth, Volunteer.birth_date,
        Volunteer.community.name.as_alias("community_name"), Volunteer.attended_count, Volunteer.no_show_count,
    ).where(Volunteer.id.is_in(by_type["c_volunteer"] or [-1]))}
    organizations = {o["id"]: o for o in await Organization.select(
        Organization.id, Organization.name, Organization.kind).where(
        Organization.id.is_in(by_type["c_organization"] or [-1]))}
    resources = {r["id"]: r for r in await ResourceOffer.select(
        ResourceOffer.id, ResourceOffer.title, ResourceOffer.kind, ResourceOffer.category, ResourceOffer.quantity,
        ResourceOffer.remaining, ResourceOffer.description, ResourceOffer.organization.name.as_alias("organization_name"),
    ).where(ResourceOffer.id.is_in(by_type["c_resource"] or [-1]))}
    out = {}
    for r in rows:
        target = (occurrences if r["target_type"] == "occurrence" else wishes).get(r["target_id"], {})
        candidate = {"volunteer": volunteers, "organization": organizations, "resource": resources}.get(
            r["candidate_type"], {}).get(r["candidate_id"], {})
        if r["candidate_type"] == "volunteer" and candidate:
            candidate = {**candidate, "age": age_on(candidate["birth_date"], today) if candidate["birth_date"] else None}
        explanation = json_value(r["explanation"], {})
        required = target.get("required_skills", target.get("skills_needed", []))
        out[r["id"]] = {"target_type": r["target_type"], "target": target, "candidate_type": r["candidate_type"],
                        "candidate": candidate, "features": json_value(r["features"], {}),
                        "raised": explanation.get("raised", []) if isinstance(explanation, dict) else [],
                        "lowered": explanation.get("lowered", []) if isinstance(explanation, dict) else [],
                        "skills_required": len(required)}
    return out


async def card_details(items: list[dict[str, Any]], *, now: datetime | None = None) -> dict[tuple[str, int], dict]:
    """For the queue items shown, (kind, id) → the facts their cards show."""
    today = (now or datetime.now(timezone.utc)).astimezone(LOCAL_TZ).date()
    found: dict[tuple[str, int], dict] = {}
    loaders = {"organization": _organizations, "activity": _activities, "wish": _wishes}
    for kind, load in loaders.items():
        if any(i["kind"] == kind for i in items):
            for item_id, detail in (await load(_ids(items, kind))).items():
                found[(kind, item_id)] = detail
    if any(i["kind"] == "youth" for i in items):
        for item_id, detail in (await _youth(_ids(items, "youth"), today)).items():
            found[("youth", item_id)] = detail
    if any(i["kind"] == "proposal" for i in items):
        for item_id, detail in (await _proposals(_ids(items, "proposal"), today)).items():
            found[("proposal", item_id)] = detail
    return found


async def titles_of(keys: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The plain titles of organizations and activities, whatever their status (for a summary of decisions)."""
    out = {}
    for kind, table, column in (("organization", Organization, Organization.name), ("activity", Activity, Activity.title)):
        ids = [i for k, i in keys if k == kind] or [-1]
        out.update({(kind, r["id"]): r["title"] for r in await table.select(table.id, column.as_alias("title")).where(
            table.id.is_in(ids))})
    return out


async def in_community(community_id: int) -> tuple[set[tuple[str, int]], dict[str, list[int]]]:
    """The (kind, id) of every queue item but proposals in one community, and that community's occurrences
    and wishes (a proposal belongs to its target's place: the queue filters proposals by them in SQL)."""
    keys: set[tuple[str, int]] = set()
    for kind, table in (("organization", Organization), ("activity", Activity)):
        keys |= {(kind, r["id"]) for r in await table.select(table.id).where(table.community == community_id)}
    keys |= {("youth", r["id"]) for r in await YouthMember.select(YouthMember.id).where(
        YouthMember.volunteer.community == community_id)}
    targets = {"occurrence": [r["id"] for r in await Occurrence.select(Occurrence.id).where(
        Occurrence.community == community_id)],
        "wish": [r["id"] for r in await Wish.select(Wish.id).where(Wish.community == community_id)]}
    keys |= {("wish", i) for i in targets["wish"]}
    return keys, targets


async def community_names() -> list[dict[str, Any]]:
    """The communities a staff member can filter the queue by."""
    return await Community.select(Community.id, Community.name, Community.name_en).order_by(Community.code)


__all__ = ("card_details", "in_community", "community_names", "titles_of")
