"""The youth roster (小小安全员): guardians apply with consent, staff assess and activate into the
community squad; withdrawal and retirement take the child out of all future work at once.

The roster's tables live with the volunteers (`volunteers.tables`), because the eligibility rules read
them; this domain sits above activities and matches, whose sign-ups and proposals it withdraws.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from tongxin.accounts.service import Actor, record_audit
from tongxin.accounts.tables import Community
from tongxin.activities.schedule import sign_ups_of
from tongxin.activities.signups import cancel_future_sign_ups
from tongxin.dates import age_on
from tongxin.db import write_transaction
from tongxin.errors import Conflict, InvalidInput, NotFound
from tongxin.language import texts
from tongxin.matches.withdrawal import withdraw_open_proposals
from tongxin.memory import data_changed
from tongxin.notifications.service import notify
from tongxin.paging import MAX_PAGE, page
from tongxin.volunteers.service import local_today, place_in_community
from tongxin.volunteers.tables import (
    ASSESSMENT_KINDS,
    AvailabilityWindow,
    LedgerEntry,
    Squad,
    Volunteer,
    YouthAssessment,
    YouthMember,
)

YOUTH_MIN_AGE = 8
ADULT_AGE = 18
# A new child's weekly availability: Saturday and Sunday (weekday 5, 6), 09:00-17:00 (minutes of the day).
CHILD_WINDOWS = ((5, 9 * 60, 17 * 60), (6, 9 * 60, 17 * 60))

# The consent text a guardian sees when applying; bump the version whenever the text changes.
CONSENT_TEXT_VERSION = "2026-01"
CONSENT_TEXT = {
    "zh": (
        "本人作为监护人，同意孩子报名参加“小小安全员”应急小队，了解孩子将参加体能、自救技能和性格评估，"
        "只在白天、有成年领队在场时参加适合未成年人的活动；同意社区办保存孩子的姓名、出生日期和所在网格，"
        "仅用于安排活动。本人可随时撤回同意，撤回后孩子将立即退出所有未来的活动报名。"
    ),
    "en": (
        "As the guardian, I agree that my child joins the little safety officers squad. I understand the child "
        "will be assessed for fitness, self-rescue skills and personality, and will only join youth-allowed "
        "activities in daytime with an adult leader present. I agree that the community office keeps the "
        "child's name, birth date and grid, only to arrange activities. I may withdraw this consent at any "
        "time; the child is then removed from every future sign-up at once."
    ),
}


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def consent_text() -> dict[str, str]:
    """The consent text guardians see now, with its version."""
    return {"version": CONSENT_TEXT_VERSION, **CONSENT_TEXT}


async def apply_for_child(
    *, actor: Actor, child_name: str, birth_date: date, community_id: int, grid_id: int, relationship: str,
    consent: bool, consent_text_version: str, today: date | None = None,
) -> dict[str, Any]:
    """A guardian applies for a child aged 8-17 with recorded consent: a youth volunteer row, status applicant."""
    if actor.role != "guardian":
        raise InvalidInput("only guardian accounts apply for a child", field="role")
    if not consent:
        raise InvalidInput("the guardian's consent is required", field="consent", code="consent_required")
    if consent_text_version != CONSENT_TEXT_VERSION:
        raise InvalidInput(f"the consent text has changed; read version {CONSENT_TEXT_VERSION} and agree again",
                           field="consent_text_version", code="consent_changed")
    today = today or local_today()
    age = age_on(birth_date, today)
    if birth_date > today or age < YOUTH_MIN_AGE:
        raise InvalidInput(f"little safety officers are at least {YOUTH_MIN_AGE} years old", field="birth_date", code="child_too_young")
    if age >= ADULT_AGE:
        raise InvalidInput("little safety officers are under 18; adults register as volunteers",
                           field="birth_date", code="child_adult")
    name = child_name.strip()
    if not name:
        raise InvalidInput("the child's name is required", field="child_name", code="required")
    grid = await place_in_community(community_id=community_id, grid_id=grid_id)
    async with write_transaction():
        volunteer = await Volunteer.insert(Volunteer(
            user=None, real_name=name, birth_date=birth_date, community=community_id, grid=grid_id,
            lat=grid["lat"], lon=grid["lon"], is_youth=True, max_hours_month=8.0,
        )).returning(Volunteer.id)
        # Weekend daytime until the guardian says otherwise: matching proposes only people available at the
        # time, and children serve in daytime (the youth rules keep them within 08:00-18:00 anyway).
        await AvailabilityWindow.insert(*[AvailabilityWindow(
            volunteer=volunteer[0]["id"], weekday=day, start_minute=start, end_minute=end)
            for day, start, end in CHILD_WINDOWS])
        youth = await YouthMember.insert(YouthMember(
            volunteer=volunteer[0]["id"], guardian=actor.id, relationship=relationship, status="applicant",
            consent_at=now_utc(), consent_text_version=consent_text_version,
        )).returning(YouthMember.id)
        youth_id = youth[0]["id"]
        await record_audit(actor_id=actor.id, action="youth_apply", target_type="youth_member",
                           target_id=youth_id, detail={"consent_text_version": consent_text_version})
    data_changed(f"volunteer:{volunteer[0]['id']}")
    return await _load_youth(youth_id=youth_id)


def _youth_columns():
    return (
        YouthMember.id, YouthMember.volunteer, YouthMember.guardian, YouthMember.relationship,
        YouthMember.status, YouthMember.consent_at, YouthMember.consent_text_version,
        YouthMember.consent_withdrawn_at, YouthMember.squad, YouthMember.squad.name.as_alias("squad_name"),
        YouthMember.activated_at, YouthMember.created_at,
        YouthMember.volunteer.real_name.as_alias("child_name"),
        YouthMember.volunteer.birth_date.as_alias("birth_date"),
        YouthMember.volunteer.community.as_alias("community"),
        YouthMember.volunteer.community.name.as_alias("community_name"),
        YouthMember.volunteer.grid.as_alias("grid"),
        YouthMember.volunteer.grid.name.as_alias("grid_name"),
    )


async def _load_youth(*, youth_id: int, with_sign_ups: bool = False) -> dict[str, Any]:
    row = await YouthMember.select(*_youth_columns()).where(YouthMember.id == youth_id).first()
    if row is None:
        raise NotFound("youth member not found")
    row["assessments"] = await YouthAssessment.select(
        YouthAssessment.kind, YouthAssessment.passed, YouthAssessment.score, YouthAssessment.notes,
        YouthAssessment.assessed_at,
    ).where(YouthAssessment.youth == youth_id).order_by(YouthAssessment.kind)
    if with_sign_ups:
        row["sign_ups"] = (await sign_ups_of(volunteer_id=row["volunteer"], limit=MAX_PAGE))["items"]
        credits = {e["sign_up"]: e for e in await LedgerEntry.select(
            LedgerEntry.sign_up, LedgerEntry.minutes, LedgerEntry.points).where(
            LedgerEntry.sign_up.is_in([s["id"] for s in row["sign_ups"]] or [-1]))}
        for s in row["sign_ups"]:
            s["credit"] = credits.get(s["id"])
        # The child's service as the guardian reads it: hours (exact minutes) and points so far.
        row["totals"] = await Volunteer.select(Volunteer.minutes_total, Volunteer.points_total,
                                               Volunteer.attended_count).where(Volunteer.id == row["volunteer"]).first()
    return row


async def _visible_youth(*, actor: Actor, youth_id: int) -> dict[str, Any]:
    """The youth member's row if the actor is staff or the guardian; otherwise `NotFound`."""
    row = await YouthMember.select(YouthMember.id, YouthMember.guardian, YouthMember.status,
                                   YouthMember.volunteer).where(YouthMember.id == youth_id).first()
    if row is None or not (actor.is_staff or row["guardian"] == actor.id):
        raise NotFound("youth member not found")
    return row


async def get_youth(*, actor: Actor, youth_id: int) -> dict[str, Any]:
    """A minor's record (status, assessments, squad, sign-ups): the guardian and staff only, else 404."""
    visible = await _visible_youth(actor=actor, youth_id=youth_id)
    if visible["guardian"] != actor.id:
        # Staff reading a minor's record is on the record (the guardian reading their own child's is not).
        await record_audit(actor_id=actor.id, action="read_youth_record", target_type="youth_member",
                           target_id=youth_id)
    return await _load_youth(youth_id=youth_id, with_sign_ups=True)


YOUTH_SORTS = {
    "created": (YouthMember.created_at, True), "-created": (YouthMember.created_at, False),
    "name": (YouthMember.volunteer.real_name, True), "status": (YouthMember.status, True),
}


async def list_youth(
    *, actor: Actor, status: str | None = None, community_id: int | None = None, sort: str = "-created",
    limit: int = 20, offset: int = 0,
) -> dict[str, Any]:
    """Youth records: a guardian sees their own children, staff everyone; others see an empty list."""
    if actor.is_staff:
        condition = YouthMember.id > 0
    elif actor.role == "guardian":
        condition = YouthMember.guardian == actor.id
    else:
        return page([], 0, limit, offset)
    if status:
        condition &= YouthMember.status == status
    if community_id:
        condition &= YouthMember.volunteer.community == community_id
    column, ascending = YOUTH_SORTS.get(sort, YOUTH_SORTS["-created"])
    items = await YouthMember.select(*_youth_columns()).where(condition).order_by(
        column, ascending=ascending).order_by(YouthMember.id).limit(limit).offset(offset)
    total = await YouthMember.count().where(condition)
    if actor.is_staff and items:
        await record_audit(actor_id=actor.id, action="read_youth_list", target_type="youth_member",
                           detail={"youth_ids": [i["id"] for i in items]})
    return page(items, total, limit, offset)


def _require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise NotFound("youth member not found")


async def record_assessment(
    *, actor: Actor, youth_id: int, kind: str, passed: bool, score: float | None = None, notes: str = "",
) -> dict[str, Any]:
    """Staff record (or re-record) one assessment; all three passed moves an applicant to assessed."""
    _require_staff(actor)
    if kind not in ASSESSMENT_KINDS:
        raise InvalidInput(f"assessment kind is one of {', '.join(ASSESSMENT_KINDS)}", field="kind")
    async with write_transaction():
        youth = await _visible_youth(actor=actor, youth_id=youth_id)
        if youth["status"] not in ("applicant", "assessed"):
            raise Conflict(f"a {youth['status']} member is not assessed any more", code="wrong_status")
        values = {YouthAssessment.passed: passed, YouthAssessment.score: score, YouthAssessment.notes: notes,
                  YouthAssessment.assessed_by: actor.id, YouthAssessment.assessed_at: now_utc()}
        updated = await YouthAssessment.update(values).where(
            (YouthAssessment.youth == youth_id) & (YouthAssessment.kind == kind)).returning(YouthAssessment.id)
        if not updated:
            await YouthAssessment.insert(YouthAssessment(
                youth=youth_id, kind=kind, **{c._meta.name: v for c, v in values.items()}))
        results = {r["kind"]: r["passed"] for r in await YouthAssessment.select(
            YouthAssessment.kind, YouthAssessment.passed).where(YouthAssessment.youth == youth_id)}
        status = "assessed" if all(results.get(k) for k in ASSESSMENT_KINDS) else "applicant"
        if status != youth["status"]:
            await YouthMember.update({YouthMember.status: status}).where(YouthMember.id == youth_id)
        await record_audit(actor_id=actor.id, action="youth_assess", target_type="youth_member",
                           target_id=youth_id, detail={"kind": kind, "passed": passed, "score": score,
                                                       "status": status})
    return await _load_youth(youth_id=youth_id)


async def squad_for_community(*, community_id: int) -> int:
    """The community's squad id, created on first use as "<community name>小小安全员应急小队"."""
    community = await Community.select(Community.name).where(Community.id == community_id).first()
    if community is None:
        raise InvalidInput("the child has no community to join a squad in", field="community")
    await Squad.insert(Squad(community=community_id, name=f"{community['name']}小小安全员应急小队")).on_conflict(
        action="DO NOTHING")
    return (await Squad.select(Squad.id).where(Squad.community == community_id).first())["id"]


async def activate_youth(*, actor: Actor, youth_id: int) -> dict[str, Any]:
    """Staff activate an assessed child into their community's squad; the guardian is told."""
    _require_staff(actor)
    async with write_transaction():
        youth = await _visible_youth(actor=actor, youth_id=youth_id)
        if youth["status"] != "assessed":
            raise Conflict("only an assessed child (all three assessments passed) can be activated",
                           code="wrong_status")
        volunteer = await Volunteer.select(Volunteer.community).where(Volunteer.id == youth["volunteer"]).first()
        squad_id = await squad_for_community(community_id=volunteer["community"])
        await YouthMember.update({YouthMember.status: "active", YouthMember.squad: squad_id,
                                  YouthMember.activated_at: now_utc()}).where(YouthMember.id == youth_id)
        await record_audit(actor_id=actor.id, action="youth_activate", target_type="youth_member",
                           target_id=youth_id, detail={"squad": squad_id})
        await notify(recipient_id=youth["guardian"], kind="youth_activated", target_key=f"youth:{youth_id}",
                     title=texts("notify_youth_activated"),
                     payload={"youth_id": youth_id, "squad_id": squad_id})
    data_changed(f"volunteer:{youth['volunteer']}")
    return await _load_youth(youth_id=youth_id)


async def remove_from_future_work(*, volunteer_id: int, reason: str) -> dict[str, int]:
    """Cancel every future sign-up (waitlists move up) and withdraw every open proposal and invitation;
    inside the caller's transaction."""
    # Invitations first: accepting one locks it, then the occurrence, then the person, so withdrawing
    # takes them in that order too (the other way round the two deadlocked on PostgreSQL).
    withdrawn = await withdraw_open_proposals(candidate_type="volunteer", candidate_id=volunteer_id, reason=reason)
    cancelled = await cancel_future_sign_ups(volunteer_id=volunteer_id)
    return {"sign_ups_cancelled": cancelled, "proposals_withdrawn": withdrawn}


async def withdraw_consent(*, actor: Actor, youth_id: int) -> dict[str, Any]:
    """The guardian withdraws consent: at once withdrawn, out of every future sign-up and open proposal."""
    async with write_transaction():
        youth = await _visible_youth(actor=actor, youth_id=youth_id)
        if youth["guardian"] != actor.id:
            raise NotFound("youth member not found")  # staff cannot withdraw on the guardian's behalf
        if youth["status"] in ("withdrawn", "retired"):
            raise Conflict(f"this child is already {youth['status']}", code="wrong_status")
        await YouthMember.update({YouthMember.status: "withdrawn", YouthMember.consent_withdrawn_at: now_utc()}
                                 ).where(YouthMember.id == youth_id)
        removed = await remove_from_future_work(volunteer_id=youth["volunteer"], reason="consent withdrawn")
        await record_audit(actor_id=actor.id, action="youth_withdraw_consent", target_type="youth_member",
                           target_id=youth_id, detail=removed)
        await notify(recipient_id=actor.id, kind="youth_consent_withdrawn", target_key=f"youth:{youth_id}",
                     title=texts("notify_consent_withdrawn"), body=texts("notify_consent_withdrawn_body"), payload={"youth_id": youth_id, **removed})
    data_changed(f"volunteer:{youth['volunteer']}")
    return {**await _load_youth(youth_id=youth_id), **removed}


async def retire_adults(*, today: date | None = None) -> int:
    """Retire every youth member who has turned 18 (for the scheduler); returns how many retired."""
    today = today or local_today()
    candidates = await YouthMember.select(
        YouthMember.id, YouthMember.volunteer, YouthMember.guardian,
        YouthMember.volunteer.birth_date.as_alias("birth_date"),
    ).where(YouthMember.status.is_in(["applicant", "assessed", "active"]))
    retired = 0
    for youth in candidates:
        if youth["birth_date"] is None or age_on(youth["birth_date"], today) < ADULT_AGE:
            continue
        async with write_transaction():
            rows = await YouthMember.update({YouthMember.status: "retired"}).where(
                (YouthMember.id == youth["id"]) & YouthMember.status.is_in(["applicant", "assessed", "active"])
            ).returning(YouthMember.id)
            if not rows:
                continue  # another scheduler instance got there first
            # The youth row has no login of its own: at 18 the person registers as an adult volunteer.
            removed = await remove_from_future_work(volunteer_id=youth["volunteer"], reason="retired at 18")
            await record_audit(actor_id=None, action="youth_retire", target_type="youth_member",
                               target_id=youth["id"], detail=removed)
            await notify(recipient_id=youth["guardian"], kind="youth_retired", target_key=f"youth:{youth['id']}",
                         title=texts("notify_youth_retired"),
                         payload={"youth_id": youth["id"]})
        data_changed(f"volunteer:{youth['volunteer']}")
        retired += 1
    return retired


async def list_squads(*, actor: Actor, limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """Staff: every squad with its community and active members."""
    _require_staff(actor)
    squads = await Squad.select(Squad.id, Squad.name, Squad.community,
                                Squad.community.name.as_alias("community_name")).order_by(
        Squad.community.code).limit(limit).offset(offset)
    total = await Squad.count()
    members = await YouthMember.select(
        YouthMember.id, YouthMember.squad, YouthMember.activated_at,
        YouthMember.volunteer.real_name.as_alias("child_name"),
        YouthMember.volunteer.birth_date.as_alias("birth_date"),
    ).where(YouthMember.squad.is_in([s["id"] for s in squads] or [0]) & (YouthMember.status == "active")
            ).order_by(YouthMember.volunteer.real_name)
    for squad in squads:
        squad["members"] = [m for m in members if m["squad"] == squad["id"]]
    return page(squads, total, limit, offset)
