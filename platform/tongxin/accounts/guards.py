"""Who is asking: the session's user as an `Actor`, and guards per role."""

from __future__ import annotations

from typing import Callable

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from tongxin.accounts.cache import ACTORS
from tongxin.accounts.service import Actor, load_actor
from tongxin.errors import DomainError, NotAuthenticated

_ACTOR_KEY = "tongxin.actor"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


async def actor_of(connection: ASGIConnection) -> Actor | None:
    """The signed-in actor, loaded once per request; None when nobody is signed in."""
    state = connection.scope.setdefault("state", {})  # type: ignore[typeddict-item]
    if _ACTOR_KEY in state:
        return state[_ACTOR_KEY]
    session = connection.scope.get("session") or {}
    user_id = session.get("user_id")
    actor = None
    if user_id:
        key = (int(user_id), session.get("since"))
        actor = ACTORS.get(key)
        if actor is None:
            actor = await load_actor(user_id=int(user_id), session_since=session.get("since"))
            if actor is not None:
                ACTORS.put(key, actor, owner=int(user_id))
    state[_ACTOR_KEY] = actor
    return actor


async def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: any signed-in user."""
    if await actor_of(connection) is None:
        raise NotAuthenticated("please sign in first")


def role_in(*roles: str) -> Callable:
    """Guard factory: the signed-in user's role must be one of `roles` (admin passes staff checks)."""
    allowed = set(roles) | ({"admin"} if "staff" in roles else set())

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        actor = await actor_of(connection)
        if actor is None:
            raise NotAuthenticated("please sign in first")
        if actor.role not in allowed:
            raise Forbidden("your role may not do this")

    return guard


async def provide_actor(request: ASGIConnection) -> Actor:
    """Dependency for handlers behind a guard: the actor, never None there."""
    actor = await actor_of(request)
    if actor is None:
        raise NotAuthenticated("please sign in first")
    return actor


async def provide_optional_actor(request: ASGIConnection) -> Actor | None:
    return await actor_of(request)
