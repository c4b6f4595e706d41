"""Activities, occurrences and sign-ups: the domain rules, as plain async functions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from tongxin.activities.tables import Activity, Occurrence, SignUp
from tongxin.db import write_transaction
from tongxin.errors import Conflict, InvalidInput, NotFound

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
ACTIVE_SIGN_UP = ("applied", "confirmed", "waitlisted")


class OccurrenceFull(Conflict):
    code = "occurrence_full"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def occurrence_starts(activity: dict[str, Any], *, after: datetime, until: datetime) -> list[datetime]:
    """Start times (UTC) of an activity between `after` and `until`; the RRULE runs in local time."""
    first = activity["starts_at"].astimezone(LOCAL_TZ)
    if not activity.get("rrule"):
        return [first.astimezone(timezone.utc)] if after <= first <= until else []
    try:
        rule = rrulestr(activity["rrule"], dtstart=first)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"recurrence rule is not valid RFC 5545: {exc}", field="rrule") from exc
    return [d.astimezone(timezone.utc) for d in rule.between(after, until, inc=True)]


async def expand_occurrences(*, activity_id: int, until: datetime, after: datetime | None = None) -> int:
    """Create the activity's missing occurrences up to `until`; a second call creates nothing."""
    activity = await Activity.select().where(Activity.id == activity_id).first()
    if activity is None:
        raise NotFound("activity not found")
    starts = occurrence_starts(activity, after=after or activity["starts_at"], until=until)
    duration = timedelta(minutes=activity["duration_minutes"])
    deadline = timedelta(hours=activity["signup_deadline_hours"])
    created = 0
    for start in starts:
        rows = await Occurrence.insert(Occurrence(
            activity=activity_id, starts_at=start, ends_at=start + duration,
            signup_deadline=start - deadline, capacity=activity["capacity"], taken=0, status="open",
            community=activity["community"], grid=activity["grid"], lat=activity["lat"],
            lon=activity["lon"], address=activity["address"],
        )).on_conflict(action="DO NOTHING").returning(Occurrence.id)
        created += len(rows)
    return created


async def reserve_place(*, occurrence_id: int) -> bool:
    """Take one place if one is free; the database decides, so concurrent sign-ups never overfill."""
    rows = await Occurrence.raw(
        "UPDATE occurrence SET taken = taken + 1 "
        "WHERE id = {} AND taken < capacity AND status = 'open' RETURNING id",
        occurrence_id,
    )
    return bool(rows)


async def release_place(*, occurrence_id: int) -> None:
    await Occurrence.raw(
        "UPDATE occurrence SET taken = taken - 1 WHERE id = {} AND taken > 0", occurrence_id
    )


async def sign_up(*, volunteer_id: int, occurrence_id: int, source: str = "self",
                  is_leader: bool = False, waitlist: bool = True) -> dict[str, Any]:
    """Sign a volunteer up: confirmed while places last, otherwise on the waitlist (or `OccurrenceFull`)."""
    async with write_transaction():
        occurrence = await Occurrence.select(
            Occurrence.id, Occurrence.status, Occurrence.signup_deadline
        ).where(Occurrence.id == occurrence_id).first()
        if occurrence is None:
            raise NotFound("occurrence not found")
        if occurrence["status"] != "open" or occurrence["signup_deadline"] <= now_utc():
            raise Conflict("sign-ups for this occurrence are closed", code="sign_ups_closed")
        existing = await SignUp.select(SignUp.id, SignUp.status).where(
            (SignUp.occurrence == occurrence_id) & (SignUp.volunteer == volunteer_id)
        ).first()
        if existing and existing["status"] in ACTIVE_SIGN_UP:
            raise Conflict("you are already signed up for this occurrence", code="already_signed_up")
        if await reserve_place(occurrence_id=occurrence_id):
            status = "confirmed"
        elif waitlist:
            status = "waitlisted"
        else:
            raise OccurrenceFull("this occurrence is full")
        values = {SignUp.status: status, SignUp.source: source, SignUp.is_leader: is_leader,
                  SignUp.created_at: now_utc(), SignUp.cancelled_at: None}
        if existing:
            await SignUp.update(values).where(SignUp.id == existing["id"])
            sign_up_id = existing["id"]
        else:
            rows = await SignUp.insert(SignUp(
                occurrence=occurrence_id, volunteer=volunteer_id, status=status, source=source,
                is_leader=is_leader,
            )).returning(SignUp.id)
            sign_up_id = rows[0]["id"]
    return {"id": sign_up_id, "status": status, "occurrence": occurrence_id, "volunteer": volunteer_id}


async def cancel_sign_up(*, sign_up_id: int, volunteer_id: int | None = None) -> dict[str, Any] | None:
    """Cancel a sign-up; a freed place goes to the first on the waitlist. Returns who was promoted."""
    async with write_transaction():
        query = SignUp.update({SignUp.status: "cancelled", SignUp.cancelled_at: now_utc()}).where(
            (SignUp.id == sign_up_id) & SignUp.status.is_in(list(ACTIVE_SIGN_UP))
        )
        if volunteer_id is not None:
            query = query.where(SignUp.volunteer == volunteer_id)
        before = await SignUp.select(SignUp.status, SignUp.occurrence).where(SignUp.id == sign_up_id).first()
        rows = await query.returning(SignUp.id)
        if not rows:
            raise NotFound("no active sign-up to cancel")
        if before["status"] != "confirmed":
            return None
        await release_place(occurrence_id=before["occurrence"])
        return await promote_waitlist(occurrence_id=before["occurrence"])


async def promote_waitlist(*, occurrence_id: int) -> dict[str, Any] | None:
    """Move the longest-waiting volunteer into a free place, if there is one."""
    first = await SignUp.select(SignUp.id, SignUp.volunteer).where(
        (SignUp.occurrence == occurrence_id) & (SignUp.status == "waitlisted")
    ).order_by(SignUp.created_at).order_by(SignUp.id).first()
    if first is None or not await reserve_place(occurrence_id=occurrence_id):
        return None
    await SignUp.update({SignUp.status: "confirmed"}).where(SignUp.id == first["id"])
    return first
