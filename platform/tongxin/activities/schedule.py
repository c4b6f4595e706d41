"""A volunteer's own schedule: their sign-ups, paged, and the private iCalendar feed of them."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from icalendar import Calendar, Event

from tongxin.accounts.service import Actor
from tongxin.activities.browse import next_change_by_time
from tongxin.activities.tables import SignUp
from tongxin.db import current_engine
from tongxin.errors import NotFound
from tongxin.memory import BriefMemory
from tongxin.paging import page
from tongxin.volunteers.service import own_volunteer_id
from tongxin.volunteers.tables import Volunteer

VOLUNTEER_SORTS = {"starts_at": ("starts_at", True), "-starts_at": ("starts_at", False)}


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


@functools.cache
def _sign_up_columns():
    # Built once: each Piccolo join chain (SignUp.occurrence.activity.title) copies columns, a cost per request.
    occurrence = SignUp.occurrence
    return (
        SignUp.id, SignUp.status, SignUp.is_leader, SignUp.created_at, SignUp.cancelled_at,
        occurrence.id.as_alias("occurrence_id"), occurrence.starts_at.as_alias("starts_at"),
        occurrence.ends_at.as_alias("ends_at"), occurrence.address.as_alias("address"),
        occurrence.community.name.as_alias("community_name"),
        occurrence.activity.id.as_alias("activity_id"), occurrence.activity.title.as_alias("activity_title"),
        occurrence.activity.kind.as_alias("activity_kind"),
    )


# The page and its total in one statement, written once: building the Piccolo query with its joins cost
# more than running it.
_SIGN_UPS = """
SELECT s.id, s.status, s.is_leader, s.created_at, s.cancelled_at, o.id AS occurrence_id, o.starts_at AS starts_at,
       o.ends_at AS ends_at, o.address AS address, c.name AS community_name, a.id AS activity_id,
       a.title AS activity_title, a.kind AS activity_kind, COUNT(*) OVER () AS total
  FROM sign_up s LEFT JOIN occurrence o ON o.id = s.occurrence LEFT JOIN activity a ON a.id = o.activity
  LEFT JOIN community c ON c.id = o.community
 WHERE s.volunteer = {{}}{status}{when}
 ORDER BY o.starts_at {direction}, s.id ASC LIMIT {{}} OFFSET {{}}
"""


async def sign_ups_of(
    *, volunteer_id: int, status: str | None = None, upcoming: bool | None = None, sort: str = "starts_at",
    limit: int = 20, offset: int = 0,
) -> dict[str, Any]:
    """A volunteer's sign-ups with their occurrence and activity, filtered and paginated."""
    _, ascending = VOLUNTEER_SORTS.get(sort, VOLUNTEER_SORTS["starts_at"])
    values: list[Any] = [volunteer_id]
    if status:
        values.append(status)
    if upcoming is not None:
        values.append(now_utc())
    statement = _SIGN_UPS.format(status=" AND s.status = {}" if status else "",
                                 when="" if upcoming is None else " AND o.starts_at > {}" if upcoming
                                 else " AND o.starts_at <= {}", direction="ASC" if ascending else "DESC")
    items = await SignUp.raw(statement, *values, limit, offset)
    counted = items
    if not items and offset:  # past the end: the window saw no row to count; the first row's window does
        counted = await SignUp.raw(statement, *values, 1, 0)
    total = counted[0]["total"] if counted else 0
    for item in items:
        del item["total"]
    return page(items, total, limit, offset)


# A person's schedule as last read, until anything is written (here or, through the change feed, in another
# process) or the next occurrence starts (an upcoming sign-up becomes past).
_RECENT_SCHEDULES = BriefMemory("reads", most=2_000)


async def remembered_sign_ups(*, volunteer_id: int, **filters: Any) -> dict[str, Any]:
    """`sign_ups_of`, answered from memory while nothing changed (TONGXIN_READ_CACHE_SECONDS at most). The
    answer is shared: a caller that changes it copies it first."""
    if _RECENT_SCHEDULES.seconds <= 0:
        return await sign_ups_of(volunteer_id=volunteer_id, **filters)
    return await _RECENT_SCHEDULES.recall((id(current_engine()), volunteer_id, tuple(sorted(filters.items()))),
                                          lambda: sign_ups_of(volunteer_id=volunteer_id, **filters),
                                          until=lambda: next_change_by_time(now_utc()))


async def own_sign_ups(*, actor: Actor, **filters: Any) -> dict[str, Any]:
    """The signed-in volunteer's own sign-ups (see `sign_ups_of` for filters), shared as `remembered_sign_ups`."""
    return await remembered_sign_ups(volunteer_id=await own_volunteer_id(actor), **filters)


def calendar_token(*, volunteer_id: int, secret_key: str, key: str = "") -> str:
    """The secret feed token: the volunteer id and an HMAC of it and the volunteer's calendar key (renewing
    the key revokes the old token; the first key is "" so links given out before keys existed still work)."""
    message = f"calendar:{volunteer_id}" + (f":{key}" if key else "")
    digest = hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()
    return f"{volunteer_id}-{digest[:40]}"


async def volunteer_of_calendar_token(*, token: str, secret_key: str) -> int:
    """The volunteer id a feed token stands for; `NotFound` for a forged, revoked or malformed token."""
    head, _, _ = token.partition("-")
    # ASCII digits only ("²".isdigit() is true) and no more than fit the id column.
    if not (head.isascii() and head.isdigit() and len(head) <= 12):
        raise NotFound("calendar not found")
    row = await Volunteer.select(Volunteer.calendar_key).where(Volunteer.id == int(head)).first()
    if row is None or row["calendar_key"] is None or not hmac.compare_digest(
            calendar_token(volunteer_id=int(head), secret_key=secret_key, key=row["calendar_key"]), token):
        raise NotFound("calendar not found")
    return int(head)


async def own_calendar_token(*, actor: Actor, secret_key: str) -> str | None:
    """The signed-in volunteer's feed token; None after they switched the feed off."""
    volunteer_id = await own_volunteer_id(actor)
    row = await Volunteer.select(Volunteer.calendar_key).where(Volunteer.id == volunteer_id).first()
    if row["calendar_key"] is None:
        return None
    return calendar_token(volunteer_id=volunteer_id, secret_key=secret_key, key=row["calendar_key"])


async def renew_calendar(*, actor: Actor, secret_key: str) -> str:
    """A new feed token for the signed-in volunteer; every earlier link stops working at once."""
    volunteer_id = await own_volunteer_id(actor)
    key = secrets.token_hex(8)
    await Volunteer.update({Volunteer.calendar_key: key}).where(Volunteer.id == volunteer_id)
    return calendar_token(volunteer_id=volunteer_id, secret_key=secret_key, key=key)


async def stop_calendar(*, actor: Actor) -> None:
    """Switch the signed-in volunteer's feed off: every link answers 404 until they make a new one."""
    await Volunteer.update({Volunteer.calendar_key: None}).where(Volunteer.id == await own_volunteer_id(actor))


async def calendar_ics(*, volunteer_id: int, since_days: int = 90) -> bytes:
    """RFC 5545 calendar of confirmed (CONFIRMED) and waitlisted (TENTATIVE) sign-ups, recent and future."""
    if not await Volunteer.exists().where(Volunteer.id == volunteer_id):
        raise NotFound("calendar not found")
    since = now_utc() - timedelta(days=since_days)
    rows = await SignUp.select(*_sign_up_columns()).where(
        (SignUp.volunteer == volunteer_id) & SignUp.status.is_in(["confirmed", "waitlisted"])
        & (SignUp.occurrence.starts_at >= since)
    ).order_by(SignUp.occurrence.starts_at)
    calendar = Calendar()
    calendar.add("prodid", "-//Tongxin//Volunteer sign-ups//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "同心志愿服务 Tongxin")
    stamp = now_utc().replace(microsecond=0)
    for row in rows:
        event = Event()
        event.add("uid", f"sign-up-{row['id']}@tongxin")
        event.add("dtstamp", stamp)
        event.add("dtstart", row["starts_at"].astimezone(timezone.utc))
        event.add("dtend", row["ends_at"].astimezone(timezone.utc))
        waitlisted = row["status"] == "waitlisted"
        event.add("summary", row["activity_title"] + ("（候补）" if waitlisted else ""))
        event.add("location", row["address"] or row["community_name"] or "")
        event.add("status", "TENTATIVE" if waitlisted else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
