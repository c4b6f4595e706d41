"""A brief per-process memory of sessions and of who is signed in, so a request reads them at most once.

Every request of a signed-in person needs their session row and their account facts (role, organization,
volunteer row, grids). Within `seconds` (TONGXIN_SESSION_CACHE_SECONDS, default 2; 0 turns it off) this
process answers them from memory. Whatever this process changes it forgets at once: a session written or
deleted (sign-in, sign-out), an account disabled, its password changed, its grids, organization or
volunteer profile set. Another process or instance sees such a change within `seconds`.
"""

from __future__ import annotations

from tongxin.memory import BriefMemory

SESSIONS = BriefMemory()  # session id -> (data, expires_at)
ACTORS = BriefMemory()  # (user id, session start) -> Actor or None


def configure(*, seconds: float) -> None:
    """Set how long this process may reuse what it read (the app does it at start)."""
    for memory in (SESSIONS, ACTORS):
        memory.seconds = seconds
        memory.clear()


def forget_account(user_id: int) -> None:
    """The account's facts changed: read them again on its next request."""
    ACTORS.forget_owner(user_id)


__all__ = ("SESSIONS", "ACTORS", "configure", "forget_account")
