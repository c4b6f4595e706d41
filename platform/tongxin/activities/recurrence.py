"""Repeat rules (RFC 5545 RRULE) and the occurrences they create.

Only DAILY, WEEKLY, MONTHLY and YEARLY rules are accepted, at most one start a day, and every
expansion is bounded in count and in the time span it searches, off the event loop: a rule that
would write thousands of rows, or that never occurs, is refused at once instead of freezing the server.
Occurrences are never deleted: a rule edit cancels the ones it drops, with a reason.
"""

from __future__ import annotations

import asyncio
import calendar
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any

from dateutil.rrule import rrule, rrulestr

from tongxin.activities.signups import cancel_occurrence
from tongxin.activities.tables import Activity, Occurrence
from tongxin.dates import LOCAL_TZ
from tongxin.errors import InvalidInput, NotFound

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# Parts that would start an activity several times a day.
SUB_DAILY_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
# Everything else a rule may say; other parts (BYYEARDAY, BYWEEKNO, ...) are refused.
PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# A rule must produce its first start within this span of its first date ...
FIRST_WITHIN = timedelta(days=400)
# ... and never more than this many starts in one publishing window.
PUBLISH_WEEKS = 8
MAX_PER_WINDOW = 62
EXPANSION_SECONDS = 2.0
RULE_CHANGED = "活动时间已调整，这一场不再举行，您的报名已取消。请查看新的时间重新报名。"


def parse_rule(text: str, first: datetime) -> rrule:
    """A repeat rule checked for what Tongxin runs: a daily to yearly frequency, no sub-daily parts."""
    parts = dict(p.partition("=")[::2] for p in text.upper().removeprefix("RRULE:").split(";") if p)
    frequency = parts.get("FREQ", "")
    if frequency not in FREQUENCIES:
        raise InvalidInput("a repeat rule runs daily, weekly, monthly or yearly (FREQ=DAILY|WEEKLY|MONTHLY|YEARLY)",
                           field="rrule", code="rule_frequency")
    if any(part in parts for part in SUB_DAILY_PARTS):
        raise InvalidInput("an activity starts at most once a day: remove BYHOUR, BYMINUTE and BYSECOND",
                           field="rrule", code="rule_frequency")
    unknown = sorted(set(parts) - set(PARTS) - set(SUB_DAILY_PARTS))
    if unknown:
        raise InvalidInput(f"repeat rules here do not use {', '.join(unknown)}", field="rrule", code="rule_invalid")
    if "COUNT" in parts and not (parts["COUNT"].isdigit() and 1 <= int(parts["COUNT"]) <= 1000):
        raise InvalidInput("COUNT must be between 1 and 1000", field="rrule", code="rule_invalid")
    if "INTERVAL" in parts and not (parts["INTERVAL"].isdigit() and 1 <= int(parts["INTERVAL"]) <= 366):
        raise InvalidInput("INTERVAL must be between 1 and 366", field="rrule", code="rule_invalid")
    if "BYSETPOS" in parts and ("BYMONTHDAY" in parts or not all(
            _small_ordinal(p, 5) for p in parts["BYSETPOS"].split(","))):
        raise InvalidInput("BYSETPOS picks the 1st to 5th (or last) day of a BYDAY set", field="rrule",
                           code="rule_invalid")
    if "BYDAY" in parts and not all(_small_ordinal(d[:-2] or "1", 5 if frequency == "MONTHLY" else 53)
                                    and d[-2:] in WEEKDAYS for d in parts["BYDAY"].split(",")):
        raise InvalidInput("BYDAY lists weekdays, optionally with their place in the month (e.g. +3SA, -1FR)",
                           field="rrule", code="rule_invalid")
    try:
        rule = rrulestr(text, dtstart=first.astimezone(LOCAL_TZ))
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidInput(f"the repeat rule is not valid RFC 5545: {exc}", field="rrule", code="rule_invalid") from exc
    if not isinstance(rule, rrule):
        raise InvalidInput("give one repeat rule", field="rrule", code="rule_invalid")
    return rule


def _small_ordinal(text: str, largest: int) -> bool:
    """"+3", "-1", "2" within ±largest (not 0)."""
    try:
        value = int(text)
    except ValueError:
        return False
    return 1 <= abs(value) <= largest


def _some_day_fits(rule: rrule, first: datetime, days: int) -> bool:
    """Whether any day of the span passes the rule's month, day-of-month and weekday filters: a rule
    that fails this never occurs, and dateutil would search for it until the year 9999."""
    months = set(rule._bymonth or range(1, 13))
    monthdays = set(rule._bymonthday or ()) | set(rule._bynmonthday or ())
    weekdays = set(rule._byweekday or ()) | {w for w, _ in rule._bynweekday or ()}
    day = first.date()
    for _ in range(days):
        length = calendar.monthrange(day.year, day.month)[1]
        if day.month in months and (not monthdays or day.day in monthdays or day.day - length - 1 in monthdays) \
                and (not weekdays or day.weekday() in weekdays):
            return True
        day += timedelta(days=1)
    return False


def _until(rule: rrule, bound: datetime) -> rrule:
    """The rule stopped at `bound`: dateutil searches a rule that never occurs up to the year 9999."""
    own = rule._until
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # UNTIL beside COUNT: we only bound the search
        return rule.replace(until=bound if own is None or own > bound else own)


def _bounded_starts(rule_text: str, first: datetime, after: datetime, until: datetime) -> list[datetime]:
    """The starts in [after, until], refusing rules that never occur or occur too often (CPU work)."""
    rule = parse_rule(rule_text, first)
    local_first = first.astimezone(LOCAL_TZ)
    if not _some_day_fits(rule, local_first, FIRST_WITHIN.days) or \
            _until(rule, local_first + FIRST_WITHIN).after(local_first, inc=True) is None:
        raise InvalidInput("this repeat rule never occurs within a year of its first date", field="rrule",
                           code="rule_never_occurs")
    limit = MAX_PER_WINDOW * ((until - after).days // (7 * PUBLISH_WEEKS) + 1)
    starts = []
    for start in _until(rule, until.astimezone(LOCAL_TZ)).xafter(after.astimezone(LOCAL_TZ), inc=True):
        starts.append(start.astimezone(timezone.utc))
        if len(starts) > limit:
            raise InvalidInput("this repeat rule starts too often", field="rrule", code="rule_frequency")
    return starts


async def occurrence_starts(activity: dict[str, Any], *, after: datetime, until: datetime) -> list[datetime]:
    """Start times (UTC) of an activity between `after` and `until`; the rule runs in local time."""
    first = activity["starts_at"]
    if not activity.get("rrule"):
        return [first.astimezone(timezone.utc)] if after <= first <= until else []
    try:
        return await asyncio.wait_for(asyncio.to_thread(_bounded_starts, activity["rrule"], first, after, until),
                                      timeout=EXPANSION_SECONDS)
    except TimeoutError as exc:
        raise InvalidInput("this repeat rule takes too long to work out; simplify it", field="rrule",
                           code="rule_invalid") from exc


async def check_rule(*, rrule_text: str, starts_at: datetime) -> None:
    """Refuse a rule that is not allowed, never occurs, or fills a publishing window with too many starts."""
    if rrule_text:
        await occurrence_starts({"starts_at": starts_at, "rrule": rrule_text}, after=starts_at,
                                until=starts_at + timedelta(weeks=PUBLISH_WEEKS))


async def expand_occurrences(*, activity_id: int, until: datetime, after: datetime | None = None) -> int:
    """Create the activity's missing occurrences up to `until`; a second call creates nothing."""
    activity = await Activity.select().where(Activity.id == activity_id).first()
    if activity is None:
        raise NotFound("activity not found")
    starts = await occurrence_starts(activity, after=after or activity["starts_at"], until=until)
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


async def reschedule_activity(*, activity_id: int, now: datetime, weeks: int = PUBLISH_WEEKS) -> dict[str, Any]:
    """Apply an edited rule to the future only: occurrences the rule no longer has are cancelled (never
    deleted, so an id always means the same day) and their people told; new ones are created.
    Returns the cancelled occurrence ids, so the caller withdraws their open proposals."""
    activity = await Activity.select().where(Activity.id == activity_id).first()
    if activity is None:
        raise NotFound("activity not found")
    future = await Occurrence.select(Occurrence.id, Occurrence.starts_at).where(
        (Occurrence.activity == activity_id) & (Occurrence.starts_at > now) & (Occurrence.status != "cancelled"))
    until = max([now + timedelta(weeks=weeks)] + [o["starts_at"] for o in future])
    keep = set(await occurrence_starts(activity, after=now, until=until))
    dropped = [o["id"] for o in future if o["starts_at"] not in keep]
    for occurrence_id in dropped:
        await cancel_occurrence(occurrence_id=occurrence_id, now=now, reason=RULE_CHANGED)
    # A start the rule brings back after an earlier edit reopens its (cancelled) occurrence.
    reopened = await Occurrence.update({Occurrence.status: "open", Occurrence.cancel_reason: "",
                                        Occurrence.cancelled_at: None}).where(
        (Occurrence.activity == activity_id) & (Occurrence.status == "cancelled") & (Occurrence.starts_at > now)
        & (Occurrence.cancel_reason == RULE_CHANGED)
        & Occurrence.starts_at.is_in(sorted(keep) or [now])).returning(Occurrence.id)
    await Activity.update({Activity.rule_changed_at: now}).where(Activity.id == activity_id)
    created = await expand_occurrences(activity_id=activity_id, until=now + timedelta(weeks=weeks), after=now)
    return {"cancelled": len(dropped), "cancelled_ids": dropped, "reopened": len(reopened), "created": created}


__all__ = ("FREQUENCIES", "PUBLISH_WEEKS", "parse_rule", "occurrence_starts", "check_rule", "expand_occurrences",
           "reschedule_activity")
