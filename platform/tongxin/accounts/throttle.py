"""Growing delays for sign-in and registration, per client and per (client, username).

No lockout: a stranger's wrong guesses slow down only that stranger's client, never the account's owner
on another phone. The counters are rows of `login_attempt` in the database, so every web instance sees
the same ones. Each try writes its row *before* it is checked and then looks at everyone else's rows, so
parallel guesses cannot all slip under the limit: of N simultaneous tries at most the free number are
checked and the rest are told to wait.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from tongxin.accounts.tables import LoginAttempt
from tongxin.errors import RateLimited


@dataclass(frozen=True)
class Policy:
    """How many failures are free, the first delay after them (doubling each time) and its ceiling."""

    free: int
    first_delay: float
    longest_delay: float
    window_seconds: int = 3600

    def delay_after(self, failures: int) -> float:
        """Seconds to wait after `failures` counted failures (0 while they are free)."""
        if failures < self.free:
            return 0.0
        return min(self.longest_delay, self.first_delay * 2 ** min(failures - self.free, 30))


# Per (client, username): the owner mistyping a few times never waits; a guesser soon waits minutes.
PAIR = Policy(free=3, first_delay=2, longest_delay=15 * 60)
# Per client over every username: an office behind one address gets room, a sweep over names does not.
# Tries still being checked count too (parallel guesses), so a place where many people share one address
# (a load test's loopback, an office NAT) raises the free number.
CLIENT = Policy(free=int(os.environ.get("TONGXIN_LOGIN_FREE_PER_CLIENT", "20")), first_delay=2,
                longest_delay=15 * 60)
# Registrations per client: a service day signs up a few dozen people from the office, a script does not.
REGISTER = Policy(free=10, first_delay=60, longest_delay=3600)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _left(policy: Policy, failures: int, last: datetime | None, now: datetime) -> float:
    delay = policy.delay_after(failures)
    if last is None or delay == 0:
        return 0.0
    # A parallel try may carry a moment a little after ours: it has not waited less than nothing.
    return delay - max((now - _aware(last)).total_seconds(), 0.0)


async def _login_wait(*, client: str, username: str, own_id: int, now: datetime) -> float:
    """Seconds this client must still wait before another sign-in for `username` is checked."""
    since = now - timedelta(seconds=max(PAIR.window_seconds, CLIENT.window_seconds))
    rows = await LoginAttempt.select(LoginAttempt.username, LoginAttempt.succeeded, LoginAttempt.at).where(
        (LoginAttempt.client == client) & (LoginAttempt.kind == "login") & (LoginAttempt.at > since)
        & (LoginAttempt.id != own_id)
    ).order_by(LoginAttempt.at, ascending=False).order_by(LoginAttempt.id, ascending=False).limit(500)
    client_failures = [r for r in rows if not r["succeeded"]]
    # For the pair only failures since the last success count: the owner who got in starts afresh.
    pair_failures = []
    for row in rows:
        if row["username"] != username:
            continue
        if row["succeeded"]:
            break
        pair_failures.append(row)
    waits = [
        _left(PAIR, len(pair_failures), pair_failures[0]["at"] if pair_failures else None, now),
        _left(CLIENT, len(client_failures), client_failures[0]["at"] if client_failures else None, now),
    ]
    return max(waits)


async def forget_old_attempts(*, now: datetime, keep_seconds: int = 24 * 3600) -> None:
    """Delete tries older than any window looks back (the table would otherwise only grow)."""
    await LoginAttempt.delete().where(LoginAttempt.at < now - timedelta(seconds=keep_seconds))


async def begin_login(*, client: str, username: str) -> int:
    """Record a sign-in try before checking it; `RateLimited` (with the wait) if this client must wait."""
    now = _now()
    if random.random() < 0.01:  # now and then, so no scheduler job is needed
        await forget_old_attempts(now=now)
    rows = await LoginAttempt.insert(LoginAttempt(
        username=username[:64], client=client[:64], kind="login", succeeded=False, at=now,
    )).returning(LoginAttempt.id)
    own_id = rows[0]["id"]
    wait = await _login_wait(client=client[:64], username=username[:64], own_id=own_id, now=now)
    if wait > 0:
        # A try that was never checked does not count: waiting out the delay is always enough.
        await LoginAttempt.delete().where(LoginAttempt.id == own_id)
        raise too_many(wait)
    return own_id


async def finish_login(*, attempt_id: int, succeeded: bool) -> None:
    """Mark a checked try as a success (its row stays a failure otherwise)."""
    if succeeded:
        await LoginAttempt.update({LoginAttempt.succeeded: True}).where(LoginAttempt.id == attempt_id)


async def begin_registration(*, client: str, username: str) -> None:
    """Count a registration from this client; `RateLimited` when it registers faster than people do."""
    now = _now()
    rows = await LoginAttempt.insert(LoginAttempt(
        username=username[:64], client=client[:64], kind="register", succeeded=True, at=now,
    )).returning(LoginAttempt.id)
    own_id = rows[0]["id"]
    earlier = await LoginAttempt.select(LoginAttempt.at).where(
        (LoginAttempt.client == client[:64]) & (LoginAttempt.kind == "register")
        & (LoginAttempt.at > now - timedelta(seconds=REGISTER.window_seconds)) & (LoginAttempt.id != own_id)
    ).order_by(LoginAttempt.at, ascending=False)
    wait = _left(REGISTER, len(earlier), earlier[0]["at"] if earlier else None, now)
    if wait > 0:
        await LoginAttempt.delete().where(LoginAttempt.id == own_id)
        raise too_many(wait, what="registrations")


def too_many(wait: float, *, what: str = "sign-in attempts") -> RateLimited:
    """The 429 error, saying how long to wait (whole seconds, at least 1)."""
    seconds = max(1, math.ceil(wait))
    exc = RateLimited(f"too many {what} from this device; try again in {wait_words(seconds, 'en')}",
                      retry_after=seconds)
    exc.code = "rate_limited" if what == "sign-in attempts" else "registration_rate_limited"
    return exc


def wait_words(seconds: int, lang: str) -> str:
    """A wait as people say it: "30 秒" / "3 分钟" / "1 小时", or English."""
    if seconds < 60:
        return f"{seconds} 秒" if lang == "zh-CN" else f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} 分钟" if lang == "zh-CN" else f"{minutes} minute{'s' if minutes > 1 else ''}"
    hours = math.ceil(minutes / 60)
    return f"{hours} 小时" if lang == "zh-CN" else f"{hours} hour{'s' if hours > 1 else ''}"
