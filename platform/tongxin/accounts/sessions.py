"""Server-side sessions in the database (shared by all web instances), with id rotation at login."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.stores.base import Store
from litestar.types import Empty

from tongxin.accounts.cache import SESSIONS
from tongxin.accounts.tables import WebSession

ROTATE_SCOPE_KEY = "tongxin.rotate_session"
_NEW_ID_SCOPE_KEY = "tongxin.new_session_id"
_LOADED_SCOPE_KEY = "tongxin.loaded_session"
# A session in use is renewed (its row written) at most this often.
RENEW_EVERY = timedelta(hours=1)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _seconds(value: int | timedelta | None) -> int | None:
    if value is None:
        return None
    return int(value.total_seconds()) if isinstance(value, timedelta) else int(value)


class DatabaseStore(Store):
    """Litestar store backed by the `web_session` table."""

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        data = value.decode() if isinstance(value, bytes) else value
        seconds = _seconds(expires_in)
        expires_at = _now() + timedelta(seconds=seconds) if seconds else None
        updated = await WebSession.update(
            {WebSession.data: data, WebSession.expires_at: expires_at}
        ).where(WebSession.key == key).returning(WebSession.id)
        if not updated:
            await WebSession.insert(WebSession(key=key, data=data, expires_at=expires_at))
        SESSIONS.forget(key)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        found = await self.get_with_expiry(key)
        if found is None:
            return None
        seconds = _seconds(renew_for)
        if seconds:
            await WebSession.update(
                {WebSession.expires_at: _now() + timedelta(seconds=seconds)}
            ).where(WebSession.key == key)
            SESSIONS.forget(key)
        return found[0]

    async def get_with_expiry(self, key: str) -> tuple[bytes, datetime | None] | None:
        """The session's data and when it expires; None when missing or expired."""
        remembered = SESSIONS.get(key)
        if remembered is not None and (remembered[1] is None or remembered[1] > _now()):
            return remembered
        row = await WebSession.select(WebSession.data, WebSession.expires_at).where(
            WebSession.key == key
        ).first()
        if row is None:
            return None
        if row["expires_at"] is not None and row["expires_at"] <= _now():
            await self.delete(key)
            return None
        found = row["data"].encode(), row["expires_at"]
        SESSIONS.put(key, found)
        return found

    async def delete(self, key: str) -> None:
        SESSIONS.forget(key)
        await WebSession.delete().where(WebSession.key == key)

    async def delete_all(self) -> None:
        SESSIONS.clear()
        await WebSession.delete(force=True)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = await WebSession.select(WebSession.expires_at).where(WebSession.key == key).first()
        if row is None or row["expires_at"] is None:
            return None
        return int((row["expires_at"] - _now()).total_seconds())


class RotatingSessionBackend(ServerSideSessionBackend):
    """Issues a fresh session id when a handler asks (login), so a planted id never logs in. A request
    that leaves the session as it found it writes nothing (the expiry is renewed at most once every
    `RENEW_EVERY`): a read stays a read, and a committed write is never answered 5xx because the
    session row could not be written after it."""

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        session_id = connection.cookies.get(self.config.key)
        store = self.config.get_store_from_app(connection.scope["app"])
        if not session_id or not isinstance(store, DatabaseStore):
            return await super().load_from_connection(connection)
        found = await store.get_with_expiry(session_id)
        if found is None:
            return {}
        connection.scope[_LOADED_SCOPE_KEY] = (session_id, *found)  # type: ignore[index]
        return self.deserialize_data(found[0])

    def _unchanged(self, scope_session, connection: ASGIConnection) -> bool:  # type: ignore[no-untyped-def]
        """The session is what was loaded, under the same id, and its expiry is recent enough."""
        loaded = connection.scope.get(_LOADED_SCOPE_KEY)  # type: ignore[call-overload]
        if loaded is None or scope_session is Empty or connection.scope.get(ROTATE_SCOPE_KEY):  # type: ignore[call-overload]
            return False
        key, data, expires_at = loaded
        if key != connection.cookies.get(self.config.key) or self.serialize_data(scope_session, connection.scope) != data:
            return False
        max_age = self.config.max_age
        if expires_at is None or max_age is None:
            return True
        return expires_at - _now() > timedelta(seconds=max_age) - RENEW_EVERY

    def get_session_id(self, connection: ASGIConnection) -> str:
        scope = connection.scope
        if scope.get(ROTATE_SCOPE_KEY):  # type: ignore[call-overload]
            if not scope.get(_NEW_ID_SCOPE_KEY):  # type: ignore[call-overload]
                scope[_NEW_ID_SCOPE_KEY] = self.generate_session_id()  # type: ignore[index]
            return scope[_NEW_ID_SCOPE_KEY]  # type: ignore[index,no-any-return]
        return super().get_session_id(connection)

    async def store_in_message(self, scope_session, message, connection) -> None:  # type: ignore[no-untyped-def]
        if scope_session is not Empty and not scope_session:
            # Nothing in the session: write no row and set no cookie (anonymous requests stay read-only).
            return
        if self._unchanged(scope_session, connection):
            return
        if connection.scope.get(ROTATE_SCOPE_KEY):  # type: ignore[call-overload]
            old = connection.cookies.get(self.config.key)
            if old:
                await self.delete(old, store=self.config.get_store_from_app(connection.scope["app"]))
        await super().store_in_message(scope_session, message, connection)


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend  # type: ignore[assignment]


def rotate_session(connection: ASGIConnection) -> None:
    """Ask the session middleware to store this response's session under a brand-new id."""
    connection.scope[ROTATE_SCOPE_KEY] = True  # type: ignore[index]


def start_session(connection: ASGIConnection, *, user_id: int) -> None:
    """Sign `user_id` in under a brand-new session id, noting when (a later password change ends it)."""
    rotate_session(connection)
    connection.set_session({"user_id": user_id, "since": _now().timestamp()})  # type: ignore[attr-defined]
