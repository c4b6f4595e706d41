"""A brief per-process memory of sessions and of who is signed in, so a request reads them at most once.

Every request of a signed-in person needs their session row and their account facts (role, organization,
volunteer row, grids). Within `seconds` (TONGXIN_SESSION_CACHE_SECONDS, default 2; 0 turns it off) this
process answers them from memory. Whatever this process changes it forgets at once: a session written or
deleted (sign-in, sign-out), an account disabled, its password changed, its grids, organization or
volunteer profile set. Another process or instance sees such a change within `seconds`.
"""

from __future__ import annotations

import time
from typing import Any, Hashable


class BriefMemory:
    """Values kept for a few seconds, forgotten one key or one account at a time."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._items: dict[Hashable, tuple[float, int | None, Any]] = {}

    def get(self, key: Hashable) -> Any | None:
        found = self._items.get(key)
        if found is None:
            return None
        if found[0] < time.monotonic():
            self._items.pop(key, None)
            return None
        return found[2]

    def put(self, key: Hashable, value: Any, *, user_id: int | None = None) -> None:
        if self.seconds <= 0:
            return
        if len(self._items) > 50_000:  # a flood of distinct cookies cannot grow it without bound
            self._items.clear()
        self._items[key] = (time.monotonic() + self.seconds, user_id, value)

    def forget(self, key: Hashable) -> None:
        self._items.pop(key, None)

    def forget_user(self, user_id: int) -> None:
        for key in [k for k, (_, owner, _) in self._items.items() if owner == user_id]:
            self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()


SESSIONS = BriefMemory()  # session id -> (data, expires_at)
ACTORS = BriefMemory()  # (user id, session start) -> Actor or None


def configure(*, seconds: float) -> None:
    """Set how long this process may reuse what it read (the app does it at start)."""
    for memory in (SESSIONS, ACTORS):
        memory.seconds = seconds
        memory.clear()


def forget_account(user_id: int) -> None:
    """The account's facts changed: read them again on its next request."""
    ACTORS.forget_user(user_id)


__all__ = ("SESSIONS", "ACTORS", "configure", "forget_account", "BriefMemory")
