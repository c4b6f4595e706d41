"""Attendance: the organization marks who came, in exact minutes, and may correct it for 7 days.

Marks are allowed from the occurrence's start until 7 days after its end (the correction window). The
scheduler's automatic no-show after the end is provisional: the organization can still correct it, and
it becomes the model's training label only when the window has closed. Every mark and correction is
audited. A ledger row per sign-up carries the minutes and points credited, so a correction takes back
exactly what was given.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from tongxin.accounts.service import record_audit
from tongxin.activities.signups import recount
from tongxin.activities.tables import (
    CORRECTION_WINDOW,
    HOLDING_PLACE,
    Occurrence,
    SignUp,
)
from tongxin.db import in_write_transaction, lock_rows
from tongxin.errors import Conflict, NotFound
from tongxin.memory import data_changed
from tongxin.volunteers.tables import LedgerEntry, Volunteer

MARKED = ("attended", "no_show")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def may_manage(actor, organization_id: int) -> bool:
    """Staff and the organization's own members manage its activities."""
    return actor is not None and (actor.is_staff or actor.organization_id == organization_id)


def credit_minutes(row: dict[str, Any]) -> int:
    """The activity's fixed credit, or the occurrence's length, in whole minutes."""
    fixed = row.get("occurrence.activity.credit_minutes")
    if fixed is not None:
        return int(fixed)
    return int((row["occurrence.ends_at"] - row["occurrence.starts_at"]).total_seconds() // 60)


def window_state(occurrence: dict[str, Any], now: datetime) -> str:
    """"before" the start, "open" for marks and corrections, or "closed" 7 days after the end."""
    if now < occurrence["starts_at"]:
        return "before"
    return "open" if now <= occurrence["ends_at"] + CORRECTION_WINDOW else "closed"


def _columns():
    return (SignUp.id, SignUp.status, SignUp.volunteer, SignUp.occurrence, SignUp.occurrence.starts_at,
            SignUp.occurrence.ends_at, SignUp.occurrence.activity.organization,
            SignUp.occurrence.activity.credit_minutes, SignUp.occurrence.activity.points_credit)


async def _credit(row: dict[str, Any], minutes: int | None = None) -> bool:
    """One ledger credit per sign-up (unique index): totals move only when the row is new. `minutes` are
    hours confirmed from check-in and check-out; without them the activity's credit counts."""
    minutes = credit_minutes(row) if minutes is None else int(minutes)
    points = row["occurrence.activity.points_credit"]
    data_changed(f"sign_up:{row['occurrence']}:{row['volunteer']}")  # heard by warm reads at the commit
    rows = await LedgerEntry.insert(LedgerEntry(volunteer=row["volunteer"], sign_up=row["id"], minutes=minutes,
                                                points=points, reason="attendance")).on_conflict(
        action="DO NOTHING").returning(LedgerEntry.id)
    if rows:
        await Volunteer.update({Volunteer.minutes_total: Volunteer.minutes_total + minutes,
                                Volunteer.points_total: Volunteer.points_total + points,
                                Volunteer.attended_count: Volunteer.attended_count + 1}).where(
            Volunteer.id == row["volunteer"])
    return bool(rows)


async def _take_back(row: dict[str, Any]) -> None:
    """Remove a sign-up's credit, exactly as it was given."""
    taken = await LedgerEntry.delete().where(LedgerEntry.sign_up == row["id"]).returning(
        LedgerEntry.minutes, LedgerEntry.points)
    for entry in taken:
        await Volunteer.update({Volunteer.minutes_total: Volunteer.minutes_total - entry["minutes"],
                                Volunteer.points_total: Volunteer.points_total - entry["points"],
                                Volunteer.attended_count: Volunteer.attended_count - 1}).where(
            Volunteer.id == row["volunteer"])


async def _set(row: dict[str, Any], status: str, *, now: datetime, source: str, minutes: int | None = None) -> None:
    """Move one sign-up between confirmed, attended and no_show, keeping credit and counts right."""
    before = row["status"]
    if before == status:
        return
    data_changed(f"sign_up:{row['occurrence']}:{row['volunteer']}")  # heard by warm reads at the commit
    if before == "attended":
        await _take_back(row)
    if before == "no_show":
        await Volunteer.update({Volunteer.no_show_count: Volunteer.no_show_count - 1}).where(
            Volunteer.id == row["volunteer"])
    if status == "attended":
        await _credit(row, minutes)
    if status == "no_show":
        await Volunteer.update({Volunteer.no_show_count: Volunteer.no_show_count + 1}).where(
            Volunteer.id == row["volunteer"])
    await SignUp.update({SignUp.status: status, SignUp.attendance_source: "" if status == "confirmed" else source,
                         SignUp.attendance_marked_at: None if status == "confirmed" else now}).where(
        SignUp.id == row["id"])


async def _managed_sign_up(actor, sign_up_id: int) -> dict[str, Any]:
    row = await SignUp.select(*_columns()).where(SignUp.id == sign_up_id).first()
    if row is None or not may_manage(actor, row["occurrence.activity.organization"]):
        raise NotFound("sign-up not found")
    return row


def _check_window(row: dict[str, Any], now: datetime) -> None:
    state = window_state({"starts_at": row["occurrence.starts_at"], "ends_at": row["occurrence.ends_at"]}, now)
    if state == "before":
        raise Conflict("attendance can be marked once the occurrence has started", code="not_started")
    if state == "closed":
        raise Conflict("attendance can be corrected until 7 days after the end", code="correction_closed")


async def mark_attendance(*, actor, sign_up_id: int, attended: bool, now: datetime | None = None) -> dict[str, Any]:
    """Mark (or correct) attended / no-show within the window; credits or takes back minutes and points."""
    now = now or now_utc()
    status = "attended" if attended else "no_show"

    async def work() -> dict[str, Any]:
        row = await _managed_sign_up(actor, sign_up_id)
        await lock_rows(Occurrence, [row["occurrence"]])
        row = await SignUp.select(*_columns()).where(SignUp.id == sign_up_id).first()
        _check_window(row, now)
        if row["status"] not in ("confirmed", *MARKED):
            raise Conflict("only a confirmed sign-up gets an attendance mark", code="not_confirmed")
        before = row["status"]
        await _set(row, status, now=now, source="organization")
        await record_audit(actor_id=actor.id, action="mark_attendance" if before == "confirmed" else "correct_attendance",
                           target_type="sign_up", target_id=sign_up_id, detail={"from": before, "to": status})
        return {"id": sign_up_id, "status": status, "previous": before,
                "credited_minutes": credit_minutes(row) if status == "attended" else 0}

    return await in_write_transaction(work)


async def credit_confirmed_hours(*, sign_up_id: int, minutes: int, now: datetime) -> dict[str, Any]:
    """Hours the organization confirmed from check-in and check-out: the sign-up becomes attended and its one
    ledger row carries exactly `minutes` (a changed confirmation takes the old credit back first). Runs inside
    the caller's write transaction; the caller checks the window and audits."""
    row = await SignUp.select(*_columns()).where(SignUp.id == sign_up_id).first()
    if row is None:
        raise NotFound("sign-up not found")
    if row["status"] not in ("confirmed", *MARKED):
        raise Conflict("only a confirmed sign-up gets hours", code="not_confirmed")
    if row["status"] == "attended":
        await _take_back(row)
        await _credit(row, minutes)
        await SignUp.update({SignUp.attendance_source: "check_in", SignUp.attendance_marked_at: now}).where(
            SignUp.id == sign_up_id)
    else:
        await _set(row, "attended", now=now, source="check_in", minutes=minutes)
    return {"id": sign_up_id, "status": "attended", "credited_minutes": int(minutes)}


async def undo_attendance(*, actor, sign_up_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Take a mark back (attended or no-show → confirmed) within the correction window."""
    now = now or now_utc()

    async def work() -> dict[str, Any]:
        row = await _managed_sign_up(actor, sign_up_id)
        await lock_rows(Occurrence, [row["occurrence"]])
        row = await SignUp.select(*_columns()).where(SignUp.id == sign_up_id).first()
        _check_window(row, now)
        if row["status"] not in MARKED:
            raise Conflict("there is no attendance mark to undo", code="not_marked")
        await _set(row, "confirmed", now=now, source="")
        await record_audit(actor_id=actor.id, action="undo_attendance", target_type="sign_up", target_id=sign_up_id,
                           detail={"from": row["status"]})
        return {"id": sign_up_id, "status": "confirmed", "previous": row["status"]}

    return await in_write_transaction(work)


async def mark_all_attended(*, actor, occurrence_id: int, now: datetime | None = None) -> dict[str, Any]:
    """"全部到场": every confirmed sign-up of the occurrence is marked attended at once."""
    now = now or now_utc()

    async def work() -> dict[str, Any]:
        occurrence = await Occurrence.select(Occurrence.id, Occurrence.starts_at, Occurrence.ends_at,
                                             Occurrence.activity.organization).where(
            Occurrence.id == occurrence_id).first()
        if occurrence is None or not may_manage(actor, occurrence["activity.organization"]):
            raise NotFound("occurrence not found")
        await lock_rows(Occurrence, [occurrence_id])
        rows = await SignUp.select(*_columns()).where(
            (SignUp.occurrence == occurrence_id) & (SignUp.status == "confirmed"))
        _check_window({"occurrence.starts_at": occurrence["starts_at"], "occurrence.ends_at": occurrence["ends_at"]},
                      now)
        for row in rows:
            await _set(row, "attended", now=now, source="organization")
        await record_audit(actor_id=actor.id, action="mark_all_attended", target_type="occurrence",
                           target_id=occurrence_id, detail={"sign_ups": [r["id"] for r in rows]})
        return {"occurrence": occurrence_id, "marked": len(rows)}

    return await in_write_transaction(work)


async def mark_no_shows_after(*, grace: timedelta, now: datetime | None = None) -> int:
    """Confirmed sign-ups of occurrences that ended more than `grace` ago become provisional no-shows
    (the organization can still correct them for 7 days after the end); children still waiting for a
    leader are released without blame. Someone who checked in was there: they wait for the organization's
    confirmation of their hours instead. The scheduler's attendance job."""
    from tongxin.hours.tables import CheckIn  # hours builds on activities: imported here, not at the top

    now = now or now_utc()

    async def work() -> int:
        ended = await Occurrence.select(Occurrence.id).where(
            Occurrence.status.is_in(["open", "closed"]) & (Occurrence.ends_at < now - grace))
        ids = [o["id"] for o in ended]
        # Lock them as a mark does, then read: a mark committed meanwhile is seen, not overwritten. People
        # who checked in are left to the organization's confirmation.
        await lock_rows(Occurrence, ids)
        present = {c["sign_up"] for c in await CheckIn.select(CheckIn.sign_up).where(
            CheckIn.occurrence.is_in(ids or [-1]))}
        rows = [r for r in await SignUp.select(*_columns()).where(
            SignUp.occurrence.is_in(ids or [-1]) & (SignUp.status == "confirmed")) if r["id"] not in present]
        for row in rows:
            await _set(row, "no_show", now=now, source="auto")
        await SignUp.update({SignUp.status: "cancelled", SignUp.cancelled_at: now}).where(
            SignUp.occurrence.is_in(ids or [-1]) & (SignUp.status == "waiting_for_leader"))
        for occurrence_id in ids:
            await recount(occurrence_id)
            data_changed(f"occurrence:{occurrence_id}")
        await Occurrence.update({Occurrence.status: "done"}).where(Occurrence.id.is_in(ids or [-1]))
        return len(rows)

    return await in_write_transaction(work)


async def credit_attendance() -> int:
    """Credit any attended sign-up still without its ledger row (idempotent catch-up for the scheduler)."""
    credited_ids = {r["sign_up"] for r in await LedgerEntry.select(LedgerEntry.sign_up).where(
        LedgerEntry.sign_up.is_not_null())}
    credited = 0
    for row in await SignUp.select(*_columns()).where(SignUp.status == "attended"):
        if row["id"] not in credited_ids:
            credited += await in_write_transaction(lambda row=row: _credit(row))
    return credited


async def roster(*, actor, occurrence_id: int, now: datetime | None = None) -> dict[str, Any]:
    """An organization's view of one occurrence: its sign-ups with the credit each earned; phones only of
    confirmed adults, and reading them is audited."""
    now = now or now_utc()
    occurrence = await Occurrence.select(
        Occurrence.id, Occurrence.activity, Occurrence.activity.organization, Occurrence.starts_at,
        Occurrence.ends_at, Occurrence.capacity, Occurrence.taken, Occurrence.status,
        Occurrence.activity.title.as_alias("title"),
    ).where(Occurrence.id == occurrence_id).first()
    if occurrence is None or not may_manage(actor, occurrence["activity.organization"]):
        raise NotFound("occurrence not found")
    rows = await SignUp.select(
        SignUp.id, SignUp.status, SignUp.is_leader, SignUp.created_at, SignUp.volunteer, SignUp.queue_seq,
        SignUp.attendance_source, SignUp.volunteer.real_name.as_alias("name"),
        SignUp.volunteer.phone.as_alias("phone"), SignUp.volunteer.is_youth.as_alias("is_youth"),
    ).where(SignUp.occurrence == occurrence_id).order_by(SignUp.created_at).order_by(SignUp.id)
    credits = {e["sign_up"]: e for e in await LedgerEntry.select(
        LedgerEntry.sign_up, LedgerEntry.minutes, LedgerEntry.points).where(
        LedgerEntry.sign_up.is_in([r["id"] for r in rows] or [-1]))}
    shown = []
    for r in rows:
        if r["status"] not in (*HOLDING_PLACE, *MARKED) or r["is_youth"]:
            r["phone"] = ""
        elif r["phone"]:
            shown.append(r["volunteer"])
        entry = credits.get(r["id"])
        r["credit"] = {"minutes": entry["minutes"], "points": entry["points"]} if entry else None
    if shown and not actor.is_staff:
        await record_audit(actor_id=actor.id, action="view_volunteer_phones", target_type="occurrence",
                           target_id=occurrence_id, detail={"volunteers": shown})
    return {"occurrence": occurrence, "window": window_state(occurrence, now), "items": rows}


async def roster_entry(*, actor, sign_up_id: int) -> dict[str, Any]:
    """One row of the roster (after a mark), for the page to redraw."""
    row = await SignUp.select(SignUp.occurrence).where(SignUp.id == sign_up_id).first()
    if row is None:
        raise NotFound("sign-up not found")
    found = await roster(actor=actor, occurrence_id=row["occurrence"])
    return {**next(s for s in found["items"] if s["id"] == sign_up_id), "window": found["window"]}


__all__ = ("CORRECTION_WINDOW", "roster_entry", "may_manage", "credit_minutes", "window_state", "mark_attendance",
           "undo_attendance", "mark_all_attended", "credit_confirmed_hours", "mark_no_shows_after", "credit_attendance", "roster")
