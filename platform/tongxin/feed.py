"""The change feed: each process hears the other processes' commits, so its memories never outlive them.

PostgreSQL: one connection per process LISTENs on `FEED_CHANNEL`; writers only ask for a notice, and one
sender per process NOTIFYs once for however many commits came meanwhile, naming the keys its writers
named (`tongxin.memory`). SQLite: `PRAGMA data_version` looked at every `FEED_POLL_SECONDS`. What is heard
calls `tongxin.memory.data_changed`. `tongxin.db.connection_pool` opens it for every process with a pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import sqlite3
import weakref
from typing import Any, AsyncIterator

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from tongxin.memory import data_changed, feed_listening, on_change

log = logging.getLogger(__name__)
# The change feed: PostgreSQL's notification channel, and how often SQLite's data_version is looked at
# (the longest another process's commit can go unseen here on SQLite).
FEED_CHANNEL = "tongxin_changes"
FEED_POLL_SECONDS = 0.1
# What a notice may name (`tongxin.memory` keys); longer lists go unnamed (PostgreSQL's payload is < 8000 bytes).
_KEY = re.compile(r"[A-Za-z0-9_:.-]{1,100}")
_MOST_NAMED = 6000


class AnnouncingPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine that tells its change feed (`change_feed`) about every write made
    outside a transaction (write transactions tell it themselves, after their commit)."""

    feed: "_PostgresFeed | None" = None  # set while `change_feed` runs

    def announce(self) -> None:
        """Something was committed here: other processes will hear of it."""
        if self.feed is not None:
            self.feed.wanted.set()

    def _announce_unless_read(self, query: str) -> None:
        if query.lstrip()[:6].upper() != "SELECT":
            self.announce()

    async def _run_in_pool(self, query: str, args=None):
        try:
            return await super()._run_in_pool(query, args)
        finally:
            self._announce_unless_read(query)

    async def _run_in_new_connection(self, query: str, args=None):
        try:
            return await super()._run_in_new_connection(query, args)
        finally:
            self._announce_unless_read(query)


class _PostgresFeed:
    """One connection per process that LISTENs for other processes' commits and NOTIFYs its own.

    Writers only set `wanted` (no statement in their path, so 200 sign-ups at once are not queued behind
    the notification queue's lock); one sender then notifies once for however many commits came
    meanwhile, in its own transaction without waiting for the disk (losing a notice in a crash costs
    nothing: the change itself is committed, and every process forgets all when its feed reconnects)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.token = secrets.token_hex(8)  # our own notices come back to us: ignore them
        self.wanted = asyncio.Event()
        self.named: set[str] = set()  # keys this process's writers named since the last notice
        self.connection: Any = None
        self.listening = False

    def _heard(self, connection, pid, channel, payload) -> None:
        token, _, keys = payload.partition(" ")
        if token != self.token:
            _hear(keys.split())

    def _lost(self, connection) -> None:
        self.wanted.set()  # wakes the sender, which finds the connection closed and reconnects

    async def _connect(self) -> None:
        import asyncpg

        self.connection = await asyncpg.connect(self.dsn)
        self.connection.add_termination_listener(self._lost)
        await self.connection.add_listener(FEED_CHANNEL, self._heard)
        if not self.listening:
            self.listening = True
            feed_listening(True)

    async def _notify(self) -> None:
        named, self.named = self.named, set()
        keys = " ".join(sorted(named))
        if len(keys) > _MOST_NAMED:
            keys = ""  # too many to name: the others hear "anything changed"
        await self.connection.execute(f"BEGIN; SET LOCAL synchronous_commit TO OFF; "
                                      f"NOTIFY {FEED_CHANNEL}, '{self.token} {keys}'; COMMIT")

    async def run(self) -> None:
        while True:
            try:
                if self.connection is None or self.connection.is_closed():
                    await self._connect()
                await self.wanted.wait()
                self.wanted.clear()
                if self.connection.is_closed():
                    raise ConnectionError("the change feed's connection closed")
                await self._notify()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database restarted or the network failed: deaf until back
                log.warning("change feed lost (%s); reconnecting", exc)
                await self._close()
                if self.listening:
                    self.listening = False
                    feed_listening(False)
                self.wanted.set()  # whatever was written meanwhile is announced once back
                await asyncio.sleep(1.0)

    async def _close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)

    async def stop(self) -> None:
        """Announce a last commit not yet announced, then close."""
        if self.wanted.is_set() and self.connection is not None and not self.connection.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._notify(), 2)
        await self._close()
        if self.listening:
            self.listening = False
            feed_listening(False)


_FEEDS: set[_PostgresFeed] = set()
_hearing = False


def _hear(keys: list[str]) -> None:
    """Another process committed: forget what was read before, naming what it named."""
    global _hearing
    _hearing = True  # what we hear is not ours to announce again
    try:
        data_changed(*keys)
    finally:
        _hearing = False


# writer task -> keys it named inside a write transaction, passed on once that transaction has ended
_HELD: "weakref.WeakKeyDictionary[asyncio.Task, set[str]]" = weakref.WeakKeyDictionary()


def _pass_on_named(keys: tuple[str, ...]) -> None:
    # Keys this process's writers name go with the next notice, so the other processes' warm reads can
    # update just those (tongxin.memory lists the keys). Named inside a transaction, they wait for its end
    # (write_transaction's unnamed data_changed): another process must not read them again before commit.
    if _hearing or not _FEEDS:
        return
    try:
        task = asyncio.current_task()
    except RuntimeError:
        task = None
    from tongxin.db import current_engine  # db imports this module

    in_transaction = current_engine().current_transaction.get() is not None
    if keys and in_transaction and task is not None:
        _HELD.setdefault(task, set()).update(keys)
        return
    if not keys and not in_transaction and task is not None and task in _HELD:
        keys = tuple(_HELD.pop(task))
    if not keys:
        return
    good = [key for key in keys if _KEY.fullmatch(key)]
    for feed in _FEEDS:
        feed.named.update(good)
        feed.wanted.set()


on_change(_pass_on_named)


async def _watch_sqlite(path: str) -> None:
    """Forget remembered answers whenever another connection (another process, or this one's writer) has
    committed to the file: `PRAGMA data_version` changes then. A few microseconds a look."""
    from tongxin.db import SQLITE_BUSY_SECONDS

    connection = sqlite3.connect(path, timeout=SQLITE_BUSY_SECONDS, check_same_thread=False)
    try:
        seen = connection.execute("PRAGMA data_version").fetchone()[0]
        feed_listening(True)
        try:
            while True:
                await asyncio.sleep(FEED_POLL_SECONDS)
                now = connection.execute("PRAGMA data_version").fetchone()[0]
                if now != seen:
                    seen = now
                    data_changed()
        finally:
            feed_listening(False)
    finally:
        connection.close()


@contextlib.asynccontextmanager
async def _in_background(coroutine) -> AsyncIterator[None]:
    """Run `coroutine` as a task while the block runs; cancel it and wait for it when the block ends."""
    task = asyncio.create_task(coroutine)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def change_feed(engine: Engine) -> AsyncIterator[None]:
    """While open, this process hears other processes' commits (`tongxin.memory.data_changed`) and, on
    PostgreSQL, announces its own: so its memories may keep answers longer without showing one past
    another process's write by more than the feed's delay (SQLite: `FEED_POLL_SECONDS`; PostgreSQL: the
    notification's trip, milliseconds)."""
    from tongxin.db import is_sqlite

    if is_sqlite(engine):
        async with _in_background(_watch_sqlite(engine.path)):
            yield
        return
    if not isinstance(engine, AnnouncingPostgresEngine):
        yield
        return
    feed = _PostgresFeed(engine.config["dsn"])
    try:
        await feed._connect()
    except Exception as exc:  # serve anyway: memories stay brief while deaf (tongxin.memory)
        log.warning("change feed not started (%s); retrying in the background", exc)
    engine.feed = feed
    _FEEDS.add(feed)
    try:
        async with _in_background(feed.run()):
            yield
    finally:
        engine.feed = None
        _FEEDS.discard(feed)
        await feed.stop()
