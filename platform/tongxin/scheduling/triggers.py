"""When a job fires: its schedule (trigger kind + expression, kept in the database) as plain arithmetic.

Interval firings are aligned to the Unix epoch, so every scheduler process computes the same
scheduled times and their claims collide on (job, scheduled_for). Cron firings use APScheduler's
`CronTrigger` in local time, as arithmetic only: nothing is stored in APScheduler's job store.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Iterator

from apscheduler.triggers.cron import CronTrigger

from tongxin.dates import LOCAL_TZ
from tongxin.errors import InvalidInput

TRIGGERS = ("interval", "cron")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
# Windows tried, smallest first, when looking back for the latest cron firing.
_LOOKBACK = (timedelta(hours=1), timedelta(days=1), timedelta(days=8), timedelta(days=32),
             timedelta(days=370), timedelta(days=3 * 366))


def parse_interval(expression: str) -> timedelta:
    """'90s', '15m', '1h', '1d' (a bare number is seconds) → a timedelta of at least one second."""
    match = _INTERVAL.match(expression or "")
    if not match or int(match.group(1)) <= 0:
        raise InvalidInput("an interval looks like 30s, 15m, 1h or 1d", field="expression")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2) or "s"])


def _cron(expression: str) -> CronTrigger:
    try:
        return CronTrigger.from_crontab(expression, timezone=LOCAL_TZ)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"not a crontab expression (minute hour day month weekday): {exc}",
                           field="expression") from exc


def validate(trigger: str, expression: str) -> None:
    """Raise `InvalidInput` unless the schedule can be computed."""
    if trigger == "interval":
        parse_interval(expression)
    elif trigger == "cron":
        _cron(expression)
    else:
        raise InvalidInput(f"trigger must be one of {', '.join(TRIGGERS)}", field="trigger")


def fire_times(trigger: str, expression: str, *, after: datetime, until: datetime) -> Iterator[datetime]:
    """Scheduled times t with after < t <= until, oldest first (lazy: callers may stop early)."""
    if trigger == "interval":
        step = parse_interval(expression)
        k = (after - EPOCH) // step + 1
        while (t := EPOCH + k * step) <= until:
            yield t
            k += 1
        return
    cron = _cron(expression)
    t = cron.get_next_fire_time(None, after + timedelta(microseconds=1))
    while t is not None and t <= until:
        yield t.astimezone(timezone.utc)
        t = cron.get_next_fire_time(None, t + timedelta(microseconds=1))


def latest_fire_time(trigger: str, expression: str, *, until: datetime,
                     after: datetime | None = None) -> datetime | None:
    """The last scheduled time <= until (and > after, if given), without walking all of history."""
    if trigger == "interval":
        step = parse_interval(expression)
        t = EPOCH + ((until - EPOCH) // step) * step
        return t if after is None or t > after else None
    for window in _LOOKBACK:
        start = until - window
        if after is not None and start < after:
            start = after
        last = None
        for last in fire_times(trigger, expression, after=start, until=until):
            pass
        if last is not None or (after is not None and start == after):
            return last
    return None


def next_fire_time(trigger: str, expression: str, *, after: datetime) -> datetime | None:
    """The first scheduled time strictly after `after`."""
    return next(fire_times(trigger, expression, after=after, until=after + timedelta(days=3 * 366)), None)
