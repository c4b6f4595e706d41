"""Server-side sessions in the database (shared by all web instances), with id rotation at login."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.stores.base import Store
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.types import Empty
from litestar.utils.dataclass import extract_dataclass_items

from tongxin.accounts.tables import WebSession

ROTATE_SCOPE_KEY = "tongxin.rotate_session"
_NEW_ID_SCOPE_KEY = "tongxin.new_session_id"
_LOADED_SCOPE_KEY = "tongxin.loaded_session"
log = logging.getLogger(__name__)


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

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        row = await WebSession.select(WebSession.data, WebSession.expires_at).where(
            WebSession.key == key
        ).first()
        if row is None:
            return None
        if row["expires_at"] is not None and row["expires_at"] <= _now():
            await self.delete(key)
            return None
        seconds = _seconds(renew_for)
        if seconds:
            await WebSession.update(
                {WebSession.expires_at: _now() + timedelta(seconds=seconds)}
            ).where(WebSession.key == key)
        return row["data"].encode()

    async def delete(self, key: str) -> None:
        await WebSession.delete().where(WebSession.key == key)

    async def delete_all(self) -> None:
        await WebSession.delete(force=True)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = await WebSession.select(WebSession.expires_at).where(WebSession.key == key).first()
        if row is None or row["expires_at"] is None:
            return None
        return int((row["expires_at"] - _now()).total_seconds())


class RotatingSessionBackend(ServerSideSessionBackend):
    """Issues a fresh session id when a handler asks (login), so a planted id never logs in."""

    def get_session_id(self, connection: ASGIConnection) -> str:
        scope = connection.scope
        if scope.get(ROTATE_SCOPE_KEY):  # type: ignore[call-overload]
            if not scope.get(_NEW_ID_SCOPE_KEY):  # type: ignore[call-overload]
                scope[_NEW_ID_SCOPE_KEY] = self.generate_session_id()  # type: ignore[index]
            return scope[_NEW_ID_SCOPE_KEY]  # type: ignore[index,no-any-return]
        return super().get_session_id(connection)

    async def load_from_connection(self, connection: ASGIConnection) -> dict:
        """The session as stored, remembered so an unchanged session is not written again."""
        if session_id := connection.cookies.get(self.config.key):
            data = await self.get(session_id, store=self.config.get_store_from_app(connection.scope["app"]))
            if data is not None:
                connection.scope[_LOADED_SCOPE_KEY] = data  # type: ignore[typeddict-unknown-key]
                return self.deserialize_data(data)
        return {}

    async def store_in_message(self, scope_session, message, connection) -> None:  # type: ignore[no-untyped-def]
        if scope_session is not Empty and not scope_session:
            # Nothing in the session: write no row and set no cookie (anonymous requests stay read-only).
            return
        loaded = connection.scope.get(_LOADED_SCOPE_KEY)  # type: ignore[call-overload]
        if scope_session is not Empty and loaded is not None and not connection.scope.get(ROTATE_SCOPE_KEY) \
                and self.serialize_data(scope_session, connection.scope) == loaded:
            # Unchanged: no write after the handler's own (perhaps committed) transaction, which a busy
            # database would turn into an error for a request that succeeded. Only the expiry slides.
            await self._slide_expiry(connection)
            # The cookie's own Max-Age slides with every answer, as before (a header, not a write).
            params = dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))
            MutableScopeHeaders.from_message(message).add("Set-Cookie", Cookie(
                value=connection.cookies.get(self.config.key), key=self.config.key, **params).to_header(header=""))
            return
        if connection.scope.get(ROTATE_SCOPE_KEY):  # type: ignore[call-overload]
            old = connection.cookies.get(self.config.key)
            if old:
                await self.delete(old, store=self.config.get_store_from_app(connection.scope["app"]))
        await super().store_in_message(scope_session, message, connection)

    async def _slide_expiry(self, connection: ASGIConnection) -> None:
        """Renew an unchanged session's expiry at most once per half lifetime; a busy database only delays it
        (the session is still valid for at least half its lifetime)."""
        max_age = self.config.max_age
        key = connection.cookies.get(self.config.key)
        store = self.config.get_store_from_app(connection.scope["app"])
        if not key or not max_age:
            return
        left = await store.expires_in(key)
        if left is not None and left > max_age / 2:
            return
        try:
            await store.set(key, connection.scope[_LOADED_SCOPE_KEY], expires_in=int(max_age))  # type: ignore[typeddict-item]
        except Exception:  # noqa: BLE001 - a missed renewal is retried on the next request
            log.warning("session expiry not renewed this time", exc_info=True)


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend  # type: ignore[assignment]


def rotate_session(connection: ASGIConnection) -> None:
    """Ask the session middleware to store this response's session under a brand-new id."""
    connection.scope[ROTATE_SCOPE_KEY] = True  # type: ignore[index]
