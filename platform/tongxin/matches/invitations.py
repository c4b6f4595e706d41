"""Invitations: a staff-approved match put to the person (or a child's guardian) to accept or decline.

Nobody is committed without saying yes: only an acceptance makes a sign-up or a wish's helper (see
`tongxin.activities.invitations`, above the sign-up state machine). A decline or an expiry is recorded
on the proposal as its outcome and becomes training data of its own; the pair is not proposed again.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from tongxin import validation
from tongxin.accounts.service import Actor
from tongxin.activities.tables import Occurrence
from tongxin.dates import ADULT_AGE, age_on, local_time
from tongxin.db import in_write_transaction, lock_rows
from tongxin.eligibility import one_person
from tongxin.eligibility import service as eligibility
from tongxin.errors import Conflict, NotFound
from tongxin.language import texts
from tongxin.matches.tables import Invitation, Proposal
from tongxin.memory import data_changed
from tongxin.notifications.service import notify
from tongxin.paging import page
from tongxin.volunteers.tables import Volunteer, YouthMember
from tongxin.wishes.tables import Wish

OCCURRENCE_ANSWER_WITHIN = timedelta(hours=48)
WISH_ANSWER_WITHIN = timedelta(hours=72)
# The candidate type of an organization's request to an adult to lead an occurrence's children: a proposal
# decided by the organization itself, never by matching (so never training data, see `training_log`).
LEADER = "leader"


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def _recipient(volunteer_id: int, day) -> int:
    """Who answers for this person: a minor's guardian (youth roster), otherwise the person's own account."""
    person = await Volunteer.select(Volunteer.user, Volunteer.birth_date).where(Volunteer.id == volunteer_id).first()
    if person is None:
        raise NotFound("volunteer not found")
    guardian = await YouthMember.select(YouthMember.guardian).where(YouthMember.volunteer == volunteer_id).first()
    minor = person["birth_date"] is not None and age_on(person["birth_date"], day) < ADULT_AGE
    if guardian and (minor or person["user"] is None):
        return guardian["guardian"]
    if person["user"] is None:
        raise Conflict("this person has no account to send an invitation to", code="no_account")
    return person["user"]


async def invite(*, proposal: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Turn an approved volunteer proposal into a pending invitation, after the rules are checked again on
    fresh rows (matching's own, availability included); the invitee is told. Runs in the caller's transaction."""
    volunteer_id, target_id = proposal["candidate_id"], proposal["target_id"]
    if proposal["target_type"] == "occurrence":
        await lock_rows(Occurrence, [target_id])
        occurrence = await Occurrence.select(
            Occurrence.status, Occurrence.starts_at, Occurrence.signup_deadline, Occurrence.capacity, Occurrence.taken,
            Occurrence.activity.title.as_alias("title"),
        ).where(Occurrence.id == target_id).first()
        if occurrence is None or occurrence["status"] != "open" or occurrence["signup_deadline"] <= now:
            raise Conflict("sign-ups for this occurrence are closed", code="sign_ups_closed")
        if occurrence["taken"] >= occurrence["capacity"]:
            raise Conflict("this occurrence is full", code="occurrence_full")
        # An organization asking an adult to lead children: the adult's own yes decides (their weekly
        # availability does not bind them), and the children's age range is not theirs.
        leader = proposal["candidate_type"] == LEADER
        reasons = eligibility.blocking(await one_person.reasons_for(
            volunteer_id=volunteer_id, occurrence_id=target_id, now=now), chosen_by_themselves=leader, as_leader=leader)
        if reasons:
            raise Conflict("the volunteer can no longer join: " + ", ".join(reasons), code=f"not_eligible:{reasons[0]}")
        day = eligibility.local_date(occurrence["starts_at"])
        expires = min(now + OCCURRENCE_ANSWER_WITHIN, occurrence["signup_deadline"])
        when = partial(local_time, occurrence["starts_at"])  # said in each recipient's language
        if leader:
            title = texts("notify_invite_leader", title=occurrence["title"], when=when)
        else:
            title = texts("notify_invite_occurrence", title=occurrence["title"], when=when)
    else:
        wish = await Wish.select(Wish.status, Wish.title).where(Wish.id == target_id).first()
        if wish is None or wish["status"] != "open":
            raise Conflict("only an open wish can get a helper", code="wrong_status")
        day = eligibility.local_date(now)
        expires = now + WISH_ANSWER_WITHIN
        title = texts("notify_invite_wish", title=wish["title"])
    recipient = await _recipient(volunteer_id, day)
    rows = await Invitation.insert(Invitation(
        proposal=proposal["id"], volunteer=volunteer_id, recipient=recipient, target_type=proposal["target_type"],
        target_id=target_id, status="pending", expires_at=expires,
    )).returning(Invitation.id)
    await notify(recipient_id=recipient, kind="invitation", target_key=f"invitation:{rows[0]['id']}", title=title,
                 body=texts("notify_invite_body"),
                 payload={"invitation": rows[0]["id"]})
    return {"invitation_id": rows[0]["id"], "status": "pending", "expires_at": expires}


def _columns():
    return (Invitation.id, Invitation.proposal, Invitation.volunteer, Invitation.recipient, Invitation.target_type,
            Invitation.target_id, Invitation.status, Invitation.expires_at, Invitation.responded_at,
            Invitation.reason, Invitation.sign_up, Invitation.created_at,
            Invitation.volunteer.real_name.as_alias("person_name"), Invitation.proposal.explanation.as_alias("why"),
            Invitation.proposal.candidate_type.as_alias("candidate_type"))


async def _titles(rows: list[dict[str, Any]]) -> None:
    occurrences = {r["id"]: r for r in await Occurrence.select(
        Occurrence.id, Occurrence.starts_at, Occurrence.ends_at, Occurrence.address,
        Occurrence.activity.title.as_alias("title"),
        Occurrence.activity.organization.name.as_alias("organization_name")).where(Occurrence.id.is_in(
            [r["target_id"] for r in rows if r["target_type"] == "occurrence"] or [-1]))}
    wishes = {r["id"]: r for r in await Wish.select(Wish.id, Wish.title).where(
        Wish.id.is_in([r["target_id"] for r in rows if r["target_type"] == "wish"] or [-1]))}
    for r in rows:
        target = (occurrences if r["target_type"] == "occurrence" else wishes).get(r["target_id"], {})
        r["title"] = target.get("title", "")
        r["starts_at"] = target.get("starts_at")
        r["ends_at"] = target.get("ends_at")
        r["address"] = target.get("address", "")
        r["organization_name"] = target.get("organization_name", "")


async def list_invitations(*, actor: Actor, status: str | None = None, limit: int = 20, offset: int = 0,
                           now: datetime | None = None) -> dict[str, Any]:
    """The invitations the signed-in person answers (their own, or their children's), newest first."""
    now = now or _now()
    condition = Invitation.recipient == actor.id
    if status == "pending":
        condition &= (Invitation.status == "pending") & (Invitation.expires_at > now)
    elif status:
        condition &= Invitation.status == status
    rows = await Invitation.select(*_columns()).where(condition).order_by(Invitation.id, ascending=False).limit(
        limit).offset(offset).output(load_json=True)
    await _titles(rows)
    for r in rows:
        if r["status"] == "pending" and r["expires_at"] <= now:
            r["status"] = "expired"  # the expiry job has not run yet; say what it is
    return page(rows, await Invitation.count().where(condition), limit, offset)


async def get_invitation(*, actor: Actor, invitation_id: int) -> dict[str, Any]:
    """One invitation for the person who answers it; anyone else gets not found."""
    row = await Invitation.select(*_columns()).where(
        (Invitation.id == invitation_id) & (Invitation.recipient == actor.id)).output(load_json=True).first()
    if row is None:
        raise NotFound("invitation not found")
    await _titles([row])
    return row


async def claim_answer(*, actor: Actor, invitation_id: int, status: str, reason: str = "",
                       now: datetime) -> dict[str, Any]:
    """Record an answer once (one conditional UPDATE on a pending, unexpired invitation of this recipient)."""
    rows = await Invitation.update({Invitation.status: status, Invitation.responded_at: now,
                                    Invitation.reason: reason}).where(
        (Invitation.id == invitation_id) & (Invitation.recipient == actor.id) & (Invitation.status == "pending")
        & (Invitation.expires_at > now)).returning(
        Invitation.id, Invitation.proposal, Invitation.volunteer, Invitation.target_type, Invitation.target_id)
    if rows:
        data_changed(f"volunteer:{rows[0]['volunteer']}")  # an answer is history ranking learns from
        return rows[0]
    current = await Invitation.select(Invitation.status, Invitation.expires_at).where(
        (Invitation.id == invitation_id) & (Invitation.recipient == actor.id)).first()
    if current is None:
        raise NotFound("invitation not found")
    if current["status"] == "pending":
        raise Conflict("this invitation has expired", code="invitation_expired")
    raise Conflict(f"this invitation was already answered ({current['status']})", code="already_answered")


async def decline(*, actor: Actor, invitation_id: int, reason: str = "", now: datetime | None = None) -> dict[str, Any]:
    """Say no: recorded as the proposal's outcome (training data); the pair is not proposed again."""
    now = now or _now()
    reason = validation.text(reason, "reason", max_len=500)

    async def work() -> dict[str, Any]:
        row = await claim_answer(actor=actor, invitation_id=invitation_id, status="declined", reason=reason, now=now)
        await Proposal.update({Proposal.outcome: "declined"}).where(Proposal.id == row["proposal"])
        return {"id": invitation_id, "status": "declined"}

    return await in_write_transaction(work)


async def expire(*, now: datetime | None = None) -> int:
    """Pending invitations past their deadline expire (the scheduler); an expiry counts as a decline."""
    now = now or _now()

    async def work() -> int:
        rows = await Invitation.update({Invitation.status: "expired", Invitation.responded_at: now}).where(
            (Invitation.status == "pending") & (Invitation.expires_at <= now)).returning(
            Invitation.proposal, Invitation.volunteer)
        if rows:
            data_changed(*{f"volunteer:{r['volunteer']}" for r in rows})  # history ranking learns from
            await Proposal.update({Proposal.outcome: "expired"}).where(
                Proposal.id.is_in([r["proposal"] for r in rows]))
        return len(rows)

    return await in_write_transaction(work)


__all__ = ("LEADER", "invite", "list_invitations", "get_invitation", "claim_answer", "decline", "expire")
