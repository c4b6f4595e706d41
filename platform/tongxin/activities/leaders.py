"""Organizations name adult leaders: children on a youth occurrence are confirmed only once an adult
leader is signed up, so an organization asks an adult to lead them. The ask is an invitation the adult
accepts or declines under 我的邀请 (`tongxin.activities.invitations.accept` makes the leader's sign-up);
nobody is committed without saying yes.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tongxin.accounts.service import Actor, record_audit
from tongxin.accounts.tables import User
from tongxin.accounts.usernames import normalize_username
from tongxin.activities.attendance import may_manage
from tongxin.activities.tables import ACTIVE_SIGN_UP, Occurrence, SignUp
from tongxin.dates import ADULT_AGE, age_on
from tongxin.db import in_write_transaction, lock_rows
from tongxin.eligibility import service as eligibility
from tongxin.errors import Conflict, InvalidInput, NotFound
from tongxin.matches import invitations
from tongxin.matches.tables import Invitation, Proposal
from tongxin.volunteers.tables import Volunteer


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def _managed_occurrence(actor: Actor, occurrence_id: int) -> dict[str, Any]:
    row = await Occurrence.select(
        Occurrence.id, Occurrence.status, Occurrence.starts_at, Occurrence.signup_deadline,
        Occurrence.activity.organization.as_alias("organization"),
        Occurrence.activity.youth_allowed.as_alias("youth_allowed"),
    ).where(Occurrence.id == occurrence_id).first()
    if row is None or not may_manage(actor, row["organization"]):
        raise NotFound("occurrence not found")
    return row


async def known_adults(*, organization_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """Adults with an account who have served at this organization's activities (its regulars), by name:
    the people an organization would think of asking to lead."""
    rows = await SignUp.select(SignUp.volunteer, SignUp.volunteer.real_name.as_alias("name"),
                               SignUp.volunteer.birth_date.as_alias("birth_date")).where(
        (SignUp.occurrence.activity.organization == organization_id) & (SignUp.status == "attended")
        & SignUp.volunteer.user.is_not_null() & (SignUp.volunteer.is_youth == False)  # noqa: E712
    ).distinct()
    today = eligibility.local_date(_now())
    adults = {r["volunteer"]: r["name"] for r in rows
              if r["birth_date"] and r["name"] and age_on(r["birth_date"], today) >= ADULT_AGE}
    return [{"volunteer_id": v, "name": n} for v, n in sorted(adults.items(), key=lambda kv: kv[1])][:limit]


async def _volunteer_of(*, actor: Actor, username: str, volunteer_id: int | None) -> int:
    """The adult named by account name, or picked among the organization's regulars."""
    if volunteer_id is not None:
        if volunteer_id not in {a["volunteer_id"] for a in await known_adults(organization_id=actor.organization_id
                                                                               or -1, limit=10_000)}:
            raise InvalidInput("choose one of the listed volunteers", code="leader_unknown", field="volunteer_id")
        return volunteer_id
    username = normalize_username(username)
    if not username:
        raise InvalidInput("give the volunteer's account name", code="leader_unknown", field="username")
    user = await User.select(User.id).where(User.username == username).first()
    row = user and await Volunteer.select(Volunteer.id).where(Volunteer.user == user["id"]).first()
    if not row:
        raise InvalidInput("no volunteer has this account name", code="leader_unknown", field="username")
    return row["id"]


async def name_leader(*, actor: Actor, occurrence_id: int, username: str = "", volunteer_id: int | None = None,
                      now: datetime | None = None) -> dict[str, Any]:
    """An organization asks an adult to lead the children of one youth occurrence: one transaction checks
    the rules (adult on the day, free then, not already there or asked), records the organization's decision
    and sends the invitation. The adult becomes the leader only by accepting it."""
    now = now or _now()
    occurrence = await _managed_occurrence(actor, occurrence_id)
    if not occurrence["youth_allowed"]:
        raise Conflict("this activity is not open to little safety officers", code="leader_not_needed")
    person = await _volunteer_of(actor=actor, username=username, volunteer_id=volunteer_id)

    async def work() -> dict[str, Any]:
        await lock_rows(Occurrence, [occurrence_id])
        birth = await Volunteer.select(Volunteer.birth_date).where(Volunteer.id == person).first()
        day = eligibility.local_date(occurrence["starts_at"])
        if not birth or not birth["birth_date"] or age_on(birth["birth_date"], day) < ADULT_AGE:
            raise InvalidInput("a leader must be 18 or over on the day", code="leader_not_adult", field="username")
        if await SignUp.exists().where((SignUp.occurrence == occurrence_id) & (SignUp.volunteer == person)
                                       & SignUp.status.is_in(list(ACTIVE_SIGN_UP))):
            raise Conflict("this person is already signed up for this occurrence", code="already_signed_up")
        if await Invitation.exists().where(
                (Invitation.target_type == "occurrence") & (Invitation.target_id == occurrence_id)
                & (Invitation.volunteer == person) & (Invitation.status == "pending") & (Invitation.expires_at > now)):
            raise Conflict("this person has already been asked", code="leader_already_asked")
        rows = await Proposal.insert(Proposal(
            target_type="occurrence", target_id=occurrence_id, candidate_type=invitations.LEADER,
            candidate_id=person, status="approved", decided_by=actor.id, decided_at=now,
        )).returning(Proposal.id)
        proposal = {"id": rows[0]["id"], "target_type": "occurrence", "target_id": occurrence_id,
                    "candidate_type": invitations.LEADER, "candidate_id": person}
        sent = await invitations.invite(proposal=proposal, now=now)
        await record_audit(actor_id=actor.id, action="name_leader", target_type="occurrence",
                           target_id=occurrence_id, detail={"volunteer": person, "invitation": sent["invitation_id"]})
        return sent

    return await in_write_transaction(work)


async def leader_invitations(*, occurrence_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The organization's asks to lead, per occurrence, newest first (pending ones say until when)."""
    rows = await Invitation.select(
        Invitation.id, Invitation.target_id, Invitation.status, Invitation.expires_at,
        Invitation.volunteer.real_name.as_alias("name"),
    ).where((Invitation.target_type == "occurrence") & Invitation.target_id.is_in(occurrence_ids or [-1])
            & (Invitation.proposal.candidate_type == invitations.LEADER)).order_by(Invitation.id, ascending=False)
    now = _now()
    found: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        if r["status"] == "pending" and r["expires_at"] <= now:
            r["status"] = "expired"
        found.setdefault(r["target_id"], []).append(r)
    return found


__all__ = ("known_adults", "name_leader", "leader_invitations")
