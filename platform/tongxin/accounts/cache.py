"""A brief per-process memory of sessions and of who is signed in, so a request reads them at most once.

Every request of a signed-in person needs their session row and their account facts (role, organization,
volunteer row, grids). Within `seconds` (TONGXIN_SESSION_CACHE_SECONDS, default 2; 0 turns it off) this
process answers them from memory. Whatever this process changes it forgets at once: a session written or
deleted (sign-in, sign-out), an account disabled, its password changed, its grids, organization or
volunteer profile set. Another process or instance sees such a change within `seconds`.
"""

from __future__ import annotations

from tongxin.memory import BriefMemory

SESSIONS = BriefMemory("sessions")  # session id -> (data, expires_at)
ACTORS = BriefMemory("sessions")  # (user id, session start) -> Actor


def forget_account(user_id: int) -> None:
    """The account's facts changed: read them again on its next request."""
    ACTORS.forget_owner(user_id)


__all__ = ("SESSIONS", "ACTORS", "forget_account")
