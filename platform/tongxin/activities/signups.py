"""The sign-up state machine: the one module that moves a sign-up from state to state.

    apply ──► confirmed ───────────────┐
          ├─► waitlisted ──promote──►  ├─► attended / no_show (see `attendance`)
          └─► waiting_for_leader ◄─────┤   (a child while no adult leader is signed up)
    any of the three ──cancel──► cancelled

Each transition is one write transaction that locks the rows it moves, re-checks the eligibility rules
on fresh rows and recounts `Occurrence.taken` from the rows holding a place, so concurrent requests on
any number of web instances can neither over-book nor leak places. Transitions started from an
occurrence (cancel, promote, cancel an occurrence) lock it, then the people they touch; a sign-up locks
its person and checks their rules first, and holds the occurrence only to take the place, so that 200
people signing up at once queue on a few statements each, not on 200 rule checks. Messages go through the
one resolver of who is told about whom (`volunteers.people_to_tell_in_language`: the person, and a child's
guardian, each with their language). The hot statements are SQL written once: an adult's sign-up with a
place left is 4 statements on PostgreSQL and a cancel 4 (`tests/activities/test_writes_at_speed.py` holds
them there).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tongxin.accounts.service import record_audit
from tongxin.activities.tables import ACTIVE_SIGN_UP, HOLDING_PLACE, Occurrence, SignUp
from tongxin.dates import ADULT_AGE, age_on, local_day
from tongxin.db import in_write_transaction, is_sqlite, lock_rows
from tongxin.eligibility import one_person
from tongxin.eligibility import service as eligibility
from tongxin.errors import Conflict, InvalidInput, NotFound
from tongxin.language import texts
from tongxin.memory import data_changed
from tongxin.notifications.service import notify
from tongxin.organizations.service import member_user_ids
from tongxin.volunteers.service import people_to_tell_in_language
from tongxin.volunteers.tables import Volunteer, YouthMember

# Codes of rule failures, as the pages translate them ("not_eligible:<rule>").
WAITING_FOR_LEADER_ONLY = ["youth_no_leader"]


class OccurrenceFull(Conflict):
    code = "occurrence_full"


class NotEligible(Conflict):
    """The hard rules refuse this person for this occurrence; `reasons` are the rule codes."""

    def __init__(self, reasons: list[str]):
        super().__init__("not eligible: " + ", ".join(reasons), code=f"not_eligible:{reasons[0]}")
        self.reasons = reasons


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def _when(occurrence: dict[str, Any]):
    """The occurrence's day as each reader's language writes it (for `texts`)."""
    day = eligibility.local_date(occurrence["starts_at"])
    return lambda lang: local_day(day, lang)


def _pg() -> bool:
    return not is_sqlite(SignUp._meta.db)


# The hot statements are written once as SQL: Piccolo's query building cost more CPU than the statements.
_OCCURRENCE = ("SELECT o.id, o.status, o.starts_at, o.ends_at, o.signup_deadline, o.capacity, o.taken, o.activity, "
               "a.title, a.organization{extra} FROM {source} JOIN activity a ON a.id = o.activity WHERE {where}")
_LOCKED = " FOR NO KEY UPDATE OF o"  # PostgreSQL; SQLite's write transaction holds the whole database already


def _occurrence_sql(*, extra: str = "", source: str = "occurrence o", where: str = "o.id = {}",
                    lock: bool = False) -> str:
    return _OCCURRENCE.format(extra=extra, source=source, where=where) + (_LOCKED if lock and _pg() else "")


async def _occurrence(occurrence_id: int, *, lock: bool = True) -> dict[str, Any]:
    """The occurrence, locked for this transaction (one round trip: the lock is the read's own)."""
    rows = await Occurrence.raw(_occurrence_sql(lock=lock), occurrence_id)
    if not rows:
        raise NotFound("occurrence not found")
    return rows[0]


async def _lock_person(volunteer_id: int) -> dict[str, Any] | None:
    """Lock one person for this transaction; their birth date (None when there is no such person)."""
    rows = await Volunteer.raw("SELECT birth_date FROM volunteer WHERE id = {}"
                               + (" FOR NO KEY UPDATE" if _pg() else ""), volunteer_id)
    return rows[0] if rows else None


_HOLDING = ", ".join(f"'{status}'" for status in HOLDING_PLACE)
_ACTIVE = ", ".join(f"'{status}'" for status in ACTIVE_SIGN_UP)
_RECOUNT = ("UPDATE occurrence SET taken = (SELECT COUNT(*) FROM sign_up WHERE occurrence = {} AND status IN "
            f"({_HOLDING})) WHERE id = {{}} RETURNING taken, (SELECT COUNT(*) FROM sign_up WHERE occurrence = {{}} "
            "AND status = 'waitlisted') AS waiting")


async def _recount(occurrence_id: int) -> dict[str, int]:
    """`taken` := the sign-ups holding a place, with the number waiting; one statement under the lock."""
    rows = await Occurrence.raw(_RECOUNT, occurrence_id, occurrence_id, occurrence_id)
    return {"taken": int(rows[0]["taken"]), "waiting": int(rows[0]["waiting"])} if rows else {"taken": 0, "waiting": 0}


async def recount(occurrence_id: int) -> int:
    """`taken` := the sign-ups holding a place, read in this transaction (one statement; the caller holds
    the occurrence's lock)."""
    return (await _recount(occurrence_id))["taken"]


async def waitlist_position(*, sign_up_id: int) -> int | None:
    """1 for the next person to be promoted; None when the sign-up is not waiting."""
    row = await SignUp.select(SignUp.occurrence, SignUp.status, SignUp.queue_seq).where(SignUp.id == sign_up_id).first()
    if row is None or row["status"] != "waitlisted":
        return None
    return await SignUp.count().where((SignUp.occurrence == row["occurrence"]) & (SignUp.status == "waitlisted")
                                      & (SignUp.queue_seq <= row["queue_seq"]))


_TAKE_PLACE = ("UPDATE occurrence SET taken = taken + 1 WHERE id = {} AND status = 'open' AND signup_deadline > {} "
               "AND taken < capacity AND starts_at = {} AND ends_at = {} RETURNING id")
_SIGN_UP_COLUMNS = ("occurrence, volunteer, status, is_leader, source, created_at, cancelled_at, queue_seq, "
                    "attendance_marked_at, attendance_source")


async def _confirm_if_place_left(existing_id: int | None, occurrence: dict[str, Any], *, volunteer_id: int,
                                 as_leader: bool, source: str, now: datetime) -> int | None:
    """Take one place of an open occurrence if one is left and it still starts and ends as read, and write
    the person's row confirmed: the sign-up's id, or None (nothing written, nothing locked) when it is
    full, closed or moved. PostgreSQL does both in one statement, which takes the occurrence's lock; the
    row, written under it, needs no key-share lock of its own on the occurrence."""
    seat = [occurrence["id"], now, occurrence["starts_at"], occurrence["ends_at"]]
    if not _pg():
        if not await Occurrence.raw(_TAKE_PLACE, *seat):
            return None
        return (await _write_sign_up(existing_id, occurrence_id=occurrence["id"], volunteer_id=volunteer_id,
                                     status="confirmed", as_leader=as_leader, source=source, now=now))["id"]
    if existing_id is None:
        rows = await SignUp.raw(
            f"WITH seat AS ({_TAKE_PLACE}) INSERT INTO sign_up ({_SIGN_UP_COLUMNS}) SELECT id, {{}}, 'confirmed', {{}}, "
            "{}, {}, NULL, NULL, NULL, '' FROM seat RETURNING id", *seat, volunteer_id, as_leader, source, now)
    else:
        rows = await SignUp.raw(
            f"WITH seat AS ({_TAKE_PLACE}) UPDATE sign_up SET status = 'confirmed', source = {{}}, is_leader = {{}}, "
            "created_at = {}, cancelled_at = NULL, queue_seq = NULL FROM seat WHERE sign_up.id = {} RETURNING sign_up.id",
            *seat, source, as_leader, now, existing_id)
    return rows[0]["id"] if rows else None


# Under the occurrence's lock (taken before the statement's snapshot, so it sees every number given before
# and the people waiting with them; numbers are given in turn, so nobody after is counted).
_NEXT_IN_QUEUE = "(SELECT COALESCE(MAX(queue_seq), 0) + 1 FROM sign_up WHERE occurrence = {})"
_PLACE_IN_QUEUE = ("1 + (SELECT COUNT(*) FROM sign_up w WHERE w.occurrence = {} AND w.volunteer <> {} "
                   "AND w.status = 'waitlisted' AND w.queue_seq IS NOT NULL) AS position")


async def _write_sign_up(existing_id: int | None, *, occurrence_id: int, volunteer_id: int, status: str,
                         as_leader: bool, source: str, now: datetime) -> dict[str, Any]:
    """The person's sign-up row for this occurrence (a cancelled one is used again): its id and, on the
    waitlist, its queue number given and its place in the queue counted (the caller holds the lock)."""
    queued = status == "waitlisted"
    queue, queue_args = (_NEXT_IN_QUEUE, [occurrence_id]) if queued else ("NULL", [])
    position, position_args = (_PLACE_IN_QUEUE, [occurrence_id, volunteer_id]) if queued else ("NULL AS position", [])
    if existing_id is not None:
        rows = await SignUp.raw(
            f"UPDATE sign_up SET status = {{}}, source = {{}}, is_leader = {{}}, created_at = {{}}, cancelled_at = NULL, "
            f"queue_seq = {queue} WHERE id = {{}} RETURNING id, {position}",
            status, source, as_leader, now, *queue_args, existing_id, *position_args)
    else:
        rows = await SignUp.raw(
            f"INSERT INTO sign_up ({_SIGN_UP_COLUMNS}) VALUES ({{}}, {{}}, {{}}, {{}}, {{}}, {{}}, NULL, {queue}, NULL, '') "
            f"RETURNING id, {position}",
            occurrence_id, volunteer_id, status, as_leader, source, now, *queue_args, *position_args)
    return rows[0]


def _is_adult_on(birth_date, occurrence: dict[str, Any]) -> bool:
    return birth_date is not None and age_on(birth_date, eligibility.local_date(occurrence["starts_at"])) >= ADULT_AGE


async def _verdict(volunteer_id: int, occurrence_id: int, *, as_leader: bool, now: datetime,
                   occurrence: dict[str, Any] | None = None) -> list[str]:
    """The rules that refuse this person's own choice of this occurrence, read in this transaction (the
    occurrence as just read by `one_person.occurrence_facts`, if given)."""
    return eligibility.blocking(
        await one_person.reasons_for(volunteer_id=volunteer_id, occurrence_id=occurrence_id, now=now,
                                      occurrence=occurrence), chosen_by_themselves=True, as_leader=as_leader)


def _closed(occurrence: dict[str, Any], now: datetime) -> bool:
    return occurrence["status"] != "open" or occurrence["signup_deadline"] <= now


async def _tell(volunteer_ids, *, kind: str, occurrence: dict[str, Any], title: dict[str, str],
                body: dict[str, str] | str = "") -> None:
    for volunteer_id, told in (await people_to_tell_in_language(volunteer_ids=volunteer_ids)).items():
        for user_id, locale in told:
            await notify(recipient_id=user_id, kind=kind, target_key=f"occurrence:{occurrence['id']}",
                         title=title, body=body, payload={"occurrence": occurrence["id"], "volunteer": volunteer_id},
                         locale=locale)


async def apply(*, volunteer_id: int, occurrence_id: int, as_leader: bool = False, source: str = "self",
                now: datetime | None = None) -> dict[str, Any]:
    """A person joins an occurrence they chose (or accepted): confirmed while places last, then the
    waitlist; a child without an adult leader yet waits for one. Refused with the rules' reasons."""
    now = now or now_utc()

    async def work() -> dict[str, Any]:
        # The person first. Every transition of their sign-ups (and consent withdrawal) locks them, so their
        # facts and commitments hold still while their rules are checked, and the occurrence, which every
        # sign-up for it queues on, is locked only for the few statements that take the place.
        person = await _lock_person(volunteer_id)
        # Read after the lock (a statement of its own, so it sees what the person's last transition wrote):
        # the occurrence as the rules read it, with the person's sign-up there.
        rows = await one_person.occurrence_facts(occurrence_ids=[occurrence_id], sign_ups_of=volunteer_id)
        if not rows:
            raise NotFound("occurrence not found")
        planned = rows[0]
        existing = planned["sign_up_id"]
        if existing is not None and planned["sign_up_status"] != "cancelled":
            # Refused before the occurrence is locked: a promotion there (occurrence, then this person) and
            # this sign-up (this person, then the occurrence) can then never wait on each other.
            raise Conflict("already signed up for this occurrence", code="already_signed_up")
        if _closed(planned, now):
            raise Conflict("sign-ups for this occurrence are closed", code="sign_ups_closed")
        birth_date = person["birth_date"] if person else None
        # A minor's verdict also depends on an adult leader being signed up, which only the occurrence's
        # lock holds still: theirs is read under it. An adult's rules are all about facts locked already.
        adult = _is_adult_on(birth_date, planned)
        reasons = await _verdict(volunteer_id, occurrence_id, as_leader=as_leader, now=now,
                                 occurrence=planned) if adult else None
        if reasons and reasons != WAITING_FOR_LEADER_ONLY:
            raise NotEligible(reasons)
        row = {"occurrence_id": occurrence_id, "volunteer_id": volunteer_id, "as_leader": as_leader,
               "source": source, "now": now}

        def answer(sign_up_id: int, status: str, position: int | None = None) -> dict[str, Any]:
            return {"id": sign_up_id, "occurrence": occurrence_id, "volunteer": volunteer_id, "is_leader": as_leader,
                    "waitlist_position": position, "status": status}

        # An adult (not leading) whose rules passed, at an occurrence with places left: the place taken (if
        # it still starts and ends as the rules saw it) and the row written, and the commit lets the next in.
        if reasons is not None and not as_leader and planned["taken"] < planned["capacity"]:
            confirmed = await _confirm_if_place_left(existing, planned, volunteer_id=volunteer_id,
                                                     as_leader=as_leader, source=source, now=now)
            if confirmed is not None:
                return answer(confirmed, "confirmed")

        # Otherwise the occurrence's lock and a decision on fresh rows.
        occurrence = await _occurrence(occurrence_id)
        if _closed(occurrence, now):
            raise Conflict("sign-ups for this occurrence are closed", code="sign_ups_closed")
        if reasons is None or (occurrence["starts_at"], occurrence["ends_at"]) != (planned["starts_at"],
                                                                                   planned["ends_at"]):
            reasons = await _verdict(volunteer_id, occurrence_id, as_leader=as_leader, now=now)
        waits_for_leader = reasons == WAITING_FOR_LEADER_ONLY
        if reasons and not waits_for_leader:
            raise NotEligible(reasons)
        if as_leader and not _is_adult_on(birth_date, occurrence):
            raise InvalidInput("a leader must be 18 or over on the day", code="leader_not_adult", field="as_leader")
        if occurrence["capacity"] - occurrence["taken"] <= 0:
            # Joining the waitlist takes no place: the row, its queue number and its place in one statement.
            written = await _write_sign_up(existing, status="waitlisted", **row)
            return answer(written["id"], "waitlisted", written["position"])
        status = "waiting_for_leader" if waits_for_leader else "confirmed"
        written = await _write_sign_up(existing, status=status, **row)
        await recount(occurrence_id)
        if as_leader and status == "confirmed":
            await _leader_arrived(occurrence, now=now)
        return answer(written["id"], status)

    result = await in_write_transaction(work)
    data_changed(f"sign_up:{occurrence_id}:{volunteer_id}")  # warm reads (ranking) update just these
    return result


async def cancel(*, sign_up_id: int, now: datetime | None = None, may=None) -> dict[str, Any]:
    """Cancel a sign-up still in play. A freed place goes down the waitlist (skipping people the rules no
    longer allow); if the last adult leader leaves, the children wait for a leader and their guardians and
    the organization are told. Returns the sign-ups promoted. `may(volunteer_id)`, awaited once the
    sign-up is read, refuses (raising) a caller who may not cancel it."""
    now = now or now_utc()

    async def work() -> dict[str, Any]:
        rows = await Occurrence.raw(_occurrence_sql(
            extra=", s.volunteer AS sign_up_volunteer",
            source="sign_up s JOIN occurrence o ON o.id = s.occurrence", where="s.id = {}", lock=True), sign_up_id)
        if not rows:
            raise NotFound("sign-up not found")
        occurrence = rows[0]
        volunteer_id = occurrence["sign_up_volunteer"]
        if may is not None:
            await may(volunteer_id)
        await lock_rows(Volunteer, [volunteer_id])
        # Cancelled only if still in play, decided on the row as it is under both locks (a concurrent cancel
        # or promotion may have moved it); a started occurrence refuses it (and the rollback undoes it).
        cancelled = await SignUp.raw(f"UPDATE sign_up SET status = 'cancelled', cancelled_at = {{}} WHERE id = {{}} "
                                     f"AND status IN ({_ACTIVE}) RETURNING is_leader", now, sign_up_id)
        if not cancelled:
            raise Conflict("this sign-up is no longer active", code="not_active")
        if occurrence["starts_at"] <= now:
            raise Conflict("the occurrence has started; ask the organization instead", code="already_started")
        said.append(f"sign_up:{occurrence['id']}:{volunteer_id}")
        if cancelled[0]["is_leader"]:
            await _leader_left(occurrence, now=now)
        # The places recounted: one freed goes down the waitlist (a waiting person leaving frees none).
        promoted = await _promote_locked(occurrence, now=now)
        return {"id": sign_up_id, "status": "cancelled", "promoted": promoted}

    said: list[str] = []
    result = await in_write_transaction(work)
    data_changed(*said)
    return result


async def promote(*, occurrence_id: int, now: datetime | None = None) -> list[int]:
    """Fill free places from the waitlist in queue order, re-checking each person's rules; those the
    rules now refuse are skipped (and told once why). Returns the promoted sign-up ids."""
    now = now or now_utc()

    async def work() -> list[int]:
        return await _promote_locked(await _occurrence(occurrence_id), now=now)

    return await in_write_transaction(work)


async def _promote_locked(occurrence: dict[str, Any], *, now: datetime) -> list[int]:
    """`promote`, for a caller holding the occurrence's lock."""
    occurrence_id = occurrence["id"]
    counted = await _recount(occurrence_id)
    free = occurrence["capacity"] - counted["taken"]
    if free <= 0 or not counted["waiting"] or occurrence["status"] != "open" or occurrence["starts_at"] <= now:
        return []
    waiting = await SignUp.raw("SELECT id, volunteer, is_leader FROM sign_up WHERE occurrence = {} "
                               "AND status = 'waitlisted' ORDER BY queue_seq", occurrence_id)
    promoted = []
    for candidate in waiting:
        if free <= 0:
            break
        await lock_rows(Volunteer, [candidate["volunteer"]])
        reasons = eligibility.blocking(await one_person.reasons_for(
            volunteer_id=candidate["volunteer"], occurrence_id=occurrence_id, now=now), chosen_by_themselves=True,
            as_leader=candidate["is_leader"])
        if reasons and reasons != WAITING_FOR_LEADER_ONLY:
            await _tell([candidate["volunteer"]], kind="waitlist_skipped", occurrence=occurrence, title=texts(
                "notify_waitlist_skipped", title=occurrence["title"], when=_when(occurrence)),
                body=texts("notify_waitlist_skipped_body"))
            continue
        status = "waiting_for_leader" if reasons else "confirmed"
        await SignUp.raw("UPDATE sign_up SET status = {} WHERE id = {}", status, candidate["id"])
        free -= 1
        promoted.append(candidate["id"])
        data_changed(f"sign_up:{occurrence_id}:{candidate['volunteer']}")  # heard by warm reads at the commit
        await _tell([candidate["volunteer"]], kind="waitlist_promoted", occurrence=occurrence, title=texts(
            "notify_waitlist_promoted", title=occurrence["title"], when=_when(occurrence)))
    if promoted:
        await recount(occurrence_id)
    return promoted


async def _adult_leader_present(occurrence: dict[str, Any]) -> bool:
    return occurrence["id"] in await eligibility.adult_leaders([occurrence["id"]])


async def _leader_arrived(occurrence: dict[str, Any], *, now: datetime) -> None:
    """An adult leader is confirmed: children waiting for one are confirmed (rules re-checked)."""
    waiting = await SignUp.select(SignUp.id, SignUp.volunteer).where(
        (SignUp.occurrence == occurrence["id"]) & (SignUp.status == "waiting_for_leader"))
    for child in waiting:
        await lock_rows(Volunteer, [child["volunteer"]])
        if eligibility.blocking(await one_person.reasons_for(
                volunteer_id=child["volunteer"], occurrence_id=occurrence["id"], now=now), chosen_by_themselves=True):
            continue
        await SignUp.update({SignUp.status: "confirmed"}).where(SignUp.id == child["id"])
        await _tell([child["volunteer"]], kind="leader_arrived", occurrence=occurrence, title=texts(
            "notify_leader_arrived", title=occurrence["title"], when=_when(occurrence)))


async def _leader_left(occurrence: dict[str, Any], *, now: datetime) -> None:
    """The last adult leader left: the children's places wait for a new leader; guardians and the
    organization are told."""
    if await _adult_leader_present(occurrence):
        return
    children = await SignUp.select(SignUp.id, SignUp.volunteer, SignUp.volunteer.birth_date.as_alias("birth")).where(
        (SignUp.occurrence == occurrence["id"]) & (SignUp.status == "confirmed"))
    day = eligibility.local_date(occurrence["starts_at"])
    minors = [c for c in children if c["birth"] is not None and age_on(c["birth"], day) < ADULT_AGE]
    if not minors:
        return
    await SignUp.update({SignUp.status: "waiting_for_leader"}).where(SignUp.id.is_in([c["id"] for c in minors]))
    await _tell([c["volunteer"] for c in minors], kind="leader_left", occurrence=occurrence, title=texts(
        "notify_leader_left", title=occurrence["title"], when=_when(occurrence)), body=texts("notify_leader_left_body"))
    for user_id in await member_user_ids(organization_id=occurrence["organization"]):
        await notify(recipient_id=user_id, kind="leader_needed", target_key=f"occurrence:{occurrence['id']}",
                     title=texts("notify_leader_needed", title=occurrence["title"], when=_when(occurrence)),
                     body=texts("notify_leader_needed_body", n=str(len(minors))),
                     payload={"occurrence": occurrence["id"], "children": len(minors)})


async def cancel_occurrence(*, occurrence_id: int, reason: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Cancel one occurrence with a reason (never deleted): every sign-up in play is cancelled and its
    people told. Returns those sign-ups. Callers withdraw the occurrence's open proposals."""
    now = now or now_utc()

    async def work() -> list[dict[str, Any]]:
        occurrence = await _occurrence(occurrence_id)
        if occurrence["status"] == "cancelled":
            return []
        await Occurrence.update({Occurrence.status: "cancelled", Occurrence.cancel_reason: reason,
                                 Occurrence.cancelled_at: now}).where(Occurrence.id == occurrence_id)
        affected = await SignUp.update({SignUp.status: "cancelled", SignUp.cancelled_at: now}).where(
            (SignUp.occurrence == occurrence_id) & SignUp.status.is_in(list(ACTIVE_SIGN_UP))).returning(
            SignUp.id, SignUp.volunteer)
        await recount(occurrence_id)
        await _tell([s["volunteer"] for s in affected], kind="occurrence_cancelled", occurrence=occurrence, title=texts(
            "notify_occurrence_cancelled", title=occurrence["title"], when=_when(occurrence)), body=reason)
        return affected

    affected = await in_write_transaction(work)
    data_changed(f"occurrence:{occurrence_id}")
    return affected


async def cancel_future_sign_ups(*, volunteer_id: int, now: datetime | None = None) -> int:
    """Take a person out of every future occurrence at once (consent withdrawn, retired): each cancel
    promotes the waitlist behind them. Joins the caller's transaction."""
    now = now or now_utc()
    in_future = ((SignUp.volunteer == volunteer_id) & SignUp.status.is_in(list(ACTIVE_SIGN_UP))
                 & (SignUp.occurrence.starts_at > now))

    async def work() -> int:
        # Every occurrence first, in id order, before any person (as each transition locks): otherwise a
        # cancel elsewhere promoting this person waits on us while we wait on its occurrence (deadlock).
        locked: set[int] = set()
        while True:
            future = await SignUp.select(SignUp.id, SignUp.occurrence).where(in_future)
            missing = {row["occurrence"] for row in future} - locked
            if not missing:
                break
            await lock_rows(Occurrence, missing)
            locked |= missing
        # Then the person: a sign-up or acceptance racing this waits, and re-checks the rules after us. One
        # that committed just before is read again here (its occurrence is then locked by `cancel`).
        await lock_rows(Volunteer, [volunteer_id])
        future = await SignUp.select(SignUp.id).where(in_future)
        for row in future:
            await cancel(sign_up_id=row["id"], now=now)
        return len(future)

    return await in_write_transaction(work)


# ---- on behalf of people: whose sign-up it is ------------------------------------------------------

async def acting_for(actor, volunteer_id: int | None) -> int:
    """Whose sign-up: the volunteer themself, or a guardian's own child; anyone else's is not found."""
    if volunteer_id is None or volunteer_id == actor.volunteer_id:
        if actor.volunteer_id is None:
            raise InvalidInput("fill in your volunteer profile before signing up", code="no_profile", field="profile")
        return actor.volunteer_id
    if actor.role == "guardian" and await YouthMember.exists().where(
            (YouthMember.volunteer == volunteer_id) & (YouthMember.guardian == actor.id)):
        return volunteer_id
    raise NotFound("volunteer not found")


async def sign_up_for(*, actor, occurrence_id: int, volunteer_id: int | None = None,
                      as_leader: bool = False) -> dict[str, Any]:
    """Sign up yourself (or, as a guardian, your child) after the hard rules; full → waitlist with a position."""
    who = await acting_for(actor, volunteer_id)
    return await apply(volunteer_id=who, occurrence_id=occurrence_id, as_leader=as_leader,
                       source="self" if who == actor.volunteer_id else "guardian")


async def cancel_for(*, actor, sign_up_id: int) -> dict[str, Any]:
    """Cancel your own (or your child's) sign-up; the waitlist moves up. Audited in the same transaction."""
    whose: list[int] = []

    async def may(volunteer_id: int) -> None:
        await acting_for(actor, volunteer_id)
        whose.append(volunteer_id)

    async def work() -> dict[str, Any]:
        whose.clear()  # a retried transaction reads it again
        result = await cancel(sign_up_id=sign_up_id, may=may)
        await record_audit(actor_id=actor.id, action="cancel_sign_up", target_type="sign_up", target_id=sign_up_id,
                           detail={"volunteer": whose[0]})
        return result

    return await in_write_transaction(work)


__all__ = (
    "acting_for", "sign_up_for", "cancel_for",
    "OccurrenceFull", "NotEligible", "apply", "cancel", "promote", "recount", "waitlist_position",
    "cancel_occurrence", "cancel_future_sign_ups",
)
