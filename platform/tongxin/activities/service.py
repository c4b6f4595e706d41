"""Activities: drafts, submission, staff decisions, rule changes under review, cancellation, reading.

Sign-ups are `signups.py`, attendance `attendance.py`, repeat rules and occurrences `recurrence.py`,
browsing `browse.py`, a volunteer's own schedule `schedule.py`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from tongxin import validation
from tongxin.accounts.service import inside_district, record_audit
from tongxin.accounts.tables import Community, Grid
from tongxin.activities.attendance import may_manage
from tongxin.activities.recurrence import (
    PUBLISH_WEEKS,
    check_rule,
    expand_occurrences,
    reschedule_activity,
)
from tongxin.activities.signups import cancel_occurrence
from tongxin.activities.tables import ACTIVITY_KINDS, Activity, Occurrence
from tongxin.db import in_write_transaction
from tongxin.eligibility.service import json_list
from tongxin.errors import Conflict, InvalidInput, NotFound
from tongxin.language import texts
from tongxin.matches.withdrawal import withdraw_target_proposals
from tongxin.memory import data_changed
from tongxin.notifications.service import notify
from tongxin.organizations.service import member_user_ids
from tongxin.organizations.tables import Organization
from tongxin.paging import page
from tongxin.volunteers.tables import CertificateKind, Skill

PUBLISHED = ("approved", "closed")
DAYTIME = (8, 18)  # youth members serve between 08:00 and 18:00 local time


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


async def _known(codes: list[str], table, field: str) -> list[str]:
    wanted = list(dict.fromkeys(codes))
    known = {r["code"] for r in await table.select(table.code).where(table.code.is_in(wanted or ["-"]))}
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise InvalidInput(f"unknown code(s): {', '.join(unknown)}", field=field, code="unknown_code")
    return wanted


async def validate_activity(fields: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """Every check of an activity's fields, for the API and the pages alike; returns table values."""
    now = now or now_utc()
    v = dict(fields)
    v["title"] = validation.text(v.get("title"), "title", min_len=2, max_len=120)
    if v.get("kind") not in ACTIVITY_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(ACTIVITY_KINDS)}", field="kind", code="unknown_code")
    v["description"] = validation.text(v.get("description"), "description", max_len=4000)
    v["address"] = validation.text(v.get("address"), "address", max_len=200)
    v["contact_name"] = validation.text(v.get("contact_name"), "contact_name", max_len=64)
    v["contact_phone"] = validation.phone(v.get("contact_phone"), "contact_phone")
    v["starts_at"] = validation.moment(v["starts_at"], "starts_at", after=now)
    validation.whole(v["duration_minutes"], "duration_minutes", lo=1, hi=24 * 60)
    validation.whole(v["capacity"], "capacity", lo=1, hi=10_000)
    validation.whole(v["signup_deadline_hours"], "signup_deadline_hours", lo=0, hi=24 * 30)
    validation.whole(v["min_age"], "min_age", lo=8, hi=100)
    validation.whole(v["max_age"], "max_age", lo=8, hi=120)
    validation.whole(v["points_credit"], "points_credit", lo=0, hi=1000)
    if v.get("credit_minutes") is not None:
        validation.whole(v["credit_minutes"], "credit_minutes", lo=1, hi=24 * 60)
    if v["min_age"] > v["max_age"]:
        raise InvalidInput("min_age must not be above max_age", field="min_age", code="age_range")
    if v["youth_allowed"] and v["min_age"] >= 18:
        raise InvalidInput("an activity open to youth members needs a min_age under 18", field="min_age",
                           code="youth_age_range")
    v["rrule"] = validation.text(v.get("rrule"), "rrule", max_len=200)
    await check_rule(rrule_text=v["rrule"], starts_at=v["starts_at"])
    v["required_skills"] = await _known(v.get("required_skills", []), Skill, "required_skills")
    v["preferred_skills"] = await _known(v.get("preferred_skills", []), Skill, "preferred_skills")
    v["required_certificates"] = await _known(v.get("required_certificates", []), CertificateKind,
                                              "required_certificates")
    v["lat"], v["lon"] = validation.point(v.get("lat"), v.get("lon"))
    community, grid = v.pop("community_id", None), v.pop("grid_id", None)
    if community is not None and not await Community.exists().where(Community.id == community):
        raise InvalidInput("no such community", field="community_id", code="unknown_place")
    if grid is not None:
        row = await Grid.select(Grid.community, Grid.lat, Grid.lon).where(Grid.id == grid).first()
        if row is None or (community is not None and row["community"] != community):
            raise InvalidInput("the grid is not in that community", field="grid_id", code="unknown_place")
        community = row["community"]
        if v["lat"] is None:
            v["lat"], v["lon"] = row["lat"], row["lon"]
    if v["lat"] is None and community is not None:
        row = await Community.select(Community.lat, Community.lon).where(Community.id == community).first()
        v["lat"], v["lon"] = row["lat"], row["lon"]
    if v["lat"] is not None and not await inside_district(lat=v["lat"], lon=v["lon"]):
        raise InvalidInput("the place lies outside the district", field="lat", code="outside_district")
    v["community"], v["grid"] = community, grid
    return v


async def create_activity(*, actor, **fields: Any) -> dict[str, Any]:
    """A member of an approved organization drafts an activity (one-off or recurring)."""
    if actor.organization_id is None:
        raise InvalidInput("only members of an organization can register activities", field="organization")
    if not await Organization.exists().where((Organization.id == actor.organization_id)
                                             & (Organization.status == "approved")):
        raise Conflict("your organization must be approved before it registers activities", code="not_approved")
    values = await validate_activity(fields)
    rows = await Activity.insert(Activity(organization=actor.organization_id, created_by=actor.id, status="draft",
                                          **values)).returning(Activity.id)
    return await get_activity(actor=actor, activity_id=rows[0]["id"])


async def update_activity(*, actor, activity_id: int, **fields: Any) -> dict[str, Any]:
    """Edit a draft (or a rejected activity, which goes back to draft)."""
    activity = await _managed_activity(actor, activity_id)
    if activity["status"] not in ("draft", "rejected"):
        raise Conflict("only drafts can be edited; a published activity's rule is changed for review, "
                       "or the activity is cancelled", code="not_a_draft")
    values = await validate_activity(fields)
    await Activity.update({getattr(Activity, k): v for k, v in values.items()} | {Activity.status: "draft"}).where(
        Activity.id == activity_id)
    changed = sorted(k for k, v in values.items() if activity.get(k) != v)
    await record_audit(actor_id=actor.id, action="edit_activity", target_type="activity", target_id=activity_id,
                       detail={"fields": changed})
    return await get_activity(actor=actor, activity_id=activity_id)


async def _managed_activity(actor, activity_id: int) -> dict[str, Any]:
    activity = await Activity.select().where(Activity.id == activity_id).first()
    if activity is None or not may_manage(actor, activity["organization"]):
        raise NotFound("activity not found")
    return activity


async def submit_activity(*, actor, activity_id: int) -> dict[str, Any]:
    """draft → submitted, for staff to review."""
    await _managed_activity(actor, activity_id)
    rows = await Activity.update({Activity.status: "submitted", Activity.submitted_at: now_utc()}).where(
        (Activity.id == activity_id) & (Activity.status == "draft")).returning(Activity.id)
    if not rows:
        raise Conflict("only a draft can be submitted", code="not_a_draft")
    return await get_activity(actor=actor, activity_id=activity_id)


async def decide_activity(*, actor, activity_id: int, approve: bool, reason: str = "",
                          now: datetime | None = None) -> dict[str, Any]:
    """Staff decide a submitted activity once (approve publishes it with its occurrences), or a published
    activity's rule change (approve applies it to the future, reject keeps the current rule)."""
    if not actor.is_staff:
        raise NotFound("activity not found")
    reason = validation.text(reason, "reason", max_len=500)
    if not approve and not reason:
        raise InvalidInput("say why the activity is rejected", field="reason", code="reason_required")
    now = now or now_utc()

    async def work() -> dict[str, Any]:
        activity = await Activity.select(Activity.id, Activity.status, Activity.organization, Activity.title,
                                         Activity.pending_starts_at, Activity.pending_rrule).where(
            Activity.id == activity_id).first()
        if activity is None:
            raise NotFound("activity not found")
        changes: dict[str, Any] = {}
        if activity["status"] == "submitted":
            status = "approved" if approve else "rejected"
            await Activity.update({Activity.status: status, Activity.decided_at: now,
                                   Activity.decision_reason: reason}).where(Activity.id == activity_id)
            if approve:
                changes["created"] = await expand_occurrences(activity_id=activity_id, after=now,
                                                              until=now + timedelta(weeks=PUBLISH_WEEKS))
            kind = f"activity_{status}"
            title = (texts("notify_activity_published", title=activity["title"]) if approve
                     else texts("notify_activity_rejected", title=activity["title"]))
        elif activity["status"] == "approved" and activity["pending_starts_at"] is not None:
            if approve:
                await Activity.update({Activity.rrule: activity["pending_rrule"],
                                       Activity.starts_at: activity["pending_starts_at"]}).where(
                    Activity.id == activity_id)
                changes = await reschedule_activity(activity_id=activity_id, now=now)
                for occurrence_id in changes["cancelled_ids"]:
                    await withdraw_target_proposals(target_type="occurrence", target_id=occurrence_id,
                                                    reason="occurrence cancelled by a rule change")
            await Activity.update({Activity.pending_rrule: "", Activity.pending_starts_at: None,
                                   Activity.decided_at: now, Activity.decision_reason: reason}).where(
                Activity.id == activity_id)
            kind = "rule_change_approved" if approve else "rule_change_rejected"
            title = (texts("notify_rule_change_approved", title=activity["title"]) if approve
                     else texts("notify_rule_change_rejected", title=activity["title"]))
        else:
            raise Conflict("only a submitted activity or a rule change can be decided, once", code="already_decided")
        await record_audit(actor_id=actor.id, action=("approve_" if approve else "reject_") + (
                           "activity" if kind.startswith("activity") else "rule_change"), target_type="activity",
                           target_id=activity_id,
                           detail={"reason": reason, **{k: v for k, v in changes.items() if k != "cancelled_ids"}})
        for user_id in await member_user_ids(organization_id=activity["organization"]):
            await notify(recipient_id=user_id, kind=kind, target_key=f"activity:{activity_id}:{now.isoformat()}",
                         title=title, body=reason)
        return changes

    changes = await in_write_transaction(work)
    data_changed(f"activity:{activity_id}")  # its occurrences (and who is committed to them) read again
    return {**await get_activity(actor=actor, activity_id=activity_id), "changes": changes}


async def change_rule(*, actor, activity_id: int, rrule: str, starts_at: datetime | None = None,
                      now: datetime | None = None) -> dict[str, Any]:
    """A published activity's new repeat rule goes back to staff review; the current rule runs meanwhile."""
    activity = await _managed_activity(actor, activity_id)
    if activity["status"] != "approved":
        raise Conflict("only a published activity's rule is changed this way; edit drafts directly",
                       code="not_published")
    now = now or now_utc()
    starts_at = validation.moment(starts_at or activity["starts_at"], "starts_at")
    rrule = validation.text(rrule, "rrule", max_len=200)
    await check_rule(rrule_text=rrule, starts_at=starts_at)

    async def work() -> None:
        await Activity.update({Activity.pending_rrule: rrule, Activity.pending_starts_at: starts_at,
                               Activity.submitted_at: now}).where(Activity.id == activity_id)
        await record_audit(actor_id=actor.id, action="request_rule_change", target_type="activity",
                           target_id=activity_id, detail={"rrule": rrule, "starts_at": starts_at.isoformat()})

    await in_write_transaction(work)
    return await get_activity(actor=actor, activity_id=activity_id)


async def cancel_activity(*, actor, activity_id: int, reason: str, now: datetime | None = None) -> dict[str, Any]:
    """The organization or staff cancel an activity: future occurrences are cancelled (people told, open
    proposals withdrawn); past ones stay as they happened."""
    reason = validation.text(reason, "reason", max_len=500)
    if not reason:
        raise InvalidInput("say why the activity is cancelled", field="reason", code="reason_required")
    activity = await _managed_activity(actor, activity_id)
    if activity["status"] == "cancelled":
        raise Conflict("this activity is already cancelled", code="already_cancelled")
    now = now or now_utc()

    async def work() -> None:
        await Activity.update({Activity.status: "cancelled", Activity.pending_rrule: "",
                               Activity.pending_starts_at: None}).where(Activity.id == activity_id)
        future = await Occurrence.select(Occurrence.id).where(
            (Occurrence.activity == activity_id) & (Occurrence.starts_at > now) & (Occurrence.status != "cancelled"))
        for occurrence in future:
            await cancel_occurrence(occurrence_id=occurrence["id"], reason=reason, now=now)
            await withdraw_target_proposals(target_type="occurrence", target_id=occurrence["id"],
                                            reason="activity cancelled")
        await record_audit(actor_id=actor.id, action="cancel_activity", target_type="activity",
                           target_id=activity_id, detail={"reason": reason, "occurrences": len(future)})

    await in_write_transaction(work)
    data_changed(f"activity:{activity_id}")
    return await get_activity(actor=actor, activity_id=activity_id)


async def get_activity(*, actor, activity_id: int) -> dict[str, Any]:
    """Published activities are public; drafts, submitted and rejected ones only for their organization and staff."""
    row = await Activity.select(*Activity.all_columns(), Activity.organization.name.as_alias("organization_name")).where(
        Activity.id == activity_id).first()
    if row is None or (row["status"] not in PUBLISHED + ("cancelled",) and not may_manage(actor, row["organization"])):
        raise NotFound("activity not found")
    for name in ("required_skills", "preferred_skills", "required_certificates"):
        row[name] = json_list(row[name])
    row["occurrences"] = await Occurrence.select(
        Occurrence.id, Occurrence.starts_at, Occurrence.ends_at, Occurrence.capacity, Occurrence.taken,
        Occurrence.status, Occurrence.cancel_reason).where(Occurrence.activity == activity_id).order_by(
        Occurrence.starts_at).limit(60)
    return row


async def list_activities(*, actor, status: str | None = None, mine: bool = False, limit: int = 20,
                          offset: int = 0) -> dict[str, Any]:
    """Published activities for everyone; `mine` lists the caller's organization's, any status; staff any."""
    condition = Activity.id > 0
    if mine:
        if actor is None or actor.organization_id is None:
            raise InvalidInput("mine=true needs an organization account", field="mine")
        condition &= Activity.organization == actor.organization_id
    elif not (actor and actor.is_staff):
        condition &= Activity.status.is_in(list(PUBLISHED))
    if status:
        condition &= Activity.status == status
    items = await Activity.select(
        Activity.id, Activity.title, Activity.kind, Activity.status, Activity.starts_at, Activity.rrule,
        Activity.capacity, Activity.organization, Activity.organization.name.as_alias("organization_name"),
        Activity.submitted_at,
    ).where(condition).order_by(Activity.id, ascending=False).limit(limit).offset(offset)
    return page(items, await Activity.count().where(condition), limit, offset)


