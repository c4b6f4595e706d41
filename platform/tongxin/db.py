"""Engines, transactions and migrations for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import sqlite3
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from tongxin.feed import AnnouncingPostgresEngine, change_feed
from tongxin.memory import data_changed

SQLITE_BUSY_SECONDS = 5.0
# On SQLite the whole of a sign-up, rules included, runs under the write lock: 200 at once take 8-9 s in
# turn on 2 busy cores, so a writer waits its turn for up to this many busy timeouts (one left 76 of 200 503).
QUEUE_PATIENCE = 3
# Read connections kept open per process on SQLite (TONGXIN_SQLITE_READERS); each is one thread.
SQLITE_READERS = 4



class UnsupportedDatabaseURL(ValueError):
    """The database URL names an engine Tongxin does not run on."""


def json_value(value: Any, default: Any) -> Any:
    """A JSON column's value as Python: SQLite hands back text, PostgreSQL the value; `default` when empty."""
    if isinstance(value, str):
        try:
            return json.loads(value or "null") or default
        except ValueError:
            return default
    return value if value is not None else default


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, plus a pool of open connections for statements outside a transaction.

    Piccolo opens a new connection (a new thread, the file, a PRAGMA) for every statement: most of the
    cost of a small read. Between `start_connection_pool` and `close_connection_pool` (the app's
    lifespan) such statements borrow one of a few open connections instead; in WAL mode readers never
    wait for the writer. Transactions still get their own connection, as in Piccolo, and writes are
    serialised in the process by `write_transaction` (one asyncio lock), so they queue instead of
    spending their busy timeout against each other.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle: asyncio.Queue | None = None
        self._open: list[Any] = []
        self._size = 0
        self._write_lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    async def start_connection_pool(self, *, max_size: int = SQLITE_READERS, **_: Any) -> None:
        self._idle = asyncio.Queue()
        self._size = max(1, max_size)
        self._open = []

    async def close_connection_pool(self) -> None:
        idle, self._idle = self._idle, None
        opened, self._open = self._open, []
        for connection in opened:
            with contextlib.suppress(Exception):
                await connection.close()
        del idle

    def write_lock(self) -> asyncio.Lock:
        """This process's one writer at a time (a lock per event loop: tests and the CLI run several)."""
        loop = asyncio.get_running_loop()
        if self._write_lock is None or self._write_lock[0] is not loop:
            self._write_lock = (loop, asyncio.Lock())
        return self._write_lock[1]

    async def _borrow(self):
        idle = self._idle
        assert idle is not None
        if idle.empty() and len(self._open) < self._size:
            connection = await self.get_connection()  # with Piccolo's row factory and foreign keys on
            self._open.append(connection)
            return connection
        return await idle.get()

    async def _run_in_new_connection(self, query: str, args: list[Any] | None = None,
                                     query_type: str = "generic", table: Any = None):
        idle = self._idle
        if idle is None:
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = await self._borrow()
        healthy = False
        try:
            # One trip to the connection's thread (Piccolo takes three: execute, fetch, close).
            rows = await connection.execute_fetchall(query, args or [])
            healthy = True
            return rows
        except sqlite3.OperationalError:
            healthy = True  # a busy or bad statement leaves the connection usable
            raise
        finally:
            if healthy and self._idle is idle:
                idle.put_nowait(connection)
            else:
                with contextlib.suppress(ValueError):
                    self._open.remove(connection)
                with contextlib.suppress(Exception):
                    await connection.close()


def engine_for_url(url: str, *, busy_seconds: float = SQLITE_BUSY_SECONDS) -> Engine:
    """Build (but do not connect) the Piccolo engine a database URL names."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        # timeout is sqlite3's busy timeout: wait for the write lock before failing.
        return PooledSQLiteEngine(path=str(path), timeout=busy_seconds)
    if url.startswith(("postgresql://", "postgres://")):
        return AnnouncingPostgresEngine(config={"dsn": url})
    raise UnsupportedDatabaseURL(
        f"TONGXIN_DATABASE_URL must start with sqlite:/// or postgresql://, got {url!r}"
    )


def is_sqlite(engine: Engine) -> bool:
    return engine.engine_type == "sqlite"


def use_database(url: str, *, busy_seconds: float = SQLITE_BUSY_SECONDS) -> Engine:
    """Point every table (and Piccolo's migration machinery) at the database `url` names."""
    from piccolo.apps.migrations.tables import Migration

    from tongxin import piccolo_conf
    from tongxin.tables import ALL_TABLES

    engine = engine_for_url(url, busy_seconds=busy_seconds)
    # Piccolo's finder must read our module, whose DB we replace here, not a copy of it.
    os.environ["PICCOLO_CONF"] = "tongxin.piccolo_conf"
    piccolo_conf.DB = engine
    os.environ["TONGXIN_DATABASE_URL"] = url
    for table in (*ALL_TABLES, Migration):
        table._meta.db = engine
    return engine


def current_engine() -> Engine:
    from tongxin.tables import ALL_TABLES

    return ALL_TABLES[0]._meta.db


def enable_wal(engine: Engine) -> None:
    """WAL lets readers go on while one writer writes; the setting persists in the file."""
    if not is_sqlite(engine):
        return
    with sqlite3.connect(engine.path, timeout=SQLITE_BUSY_SECONDS) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def write_transaction(engine: Engine | None = None):
    """A transaction that takes SQLite's write lock at BEGIN, so it cannot deadlock on upgrade; on SQLite
    the process's writers also queue for it in turn rather than each spending its busy timeout. When it
    ends, answers this process remembers are forgotten (`tongxin.memory.data_changed`)."""
    engine = engine or current_engine()
    if is_sqlite(engine):
        transaction = engine.transaction(transaction_type=TransactionType.immediate)
    else:
        transaction = engine.transaction()
    if engine.current_transaction.get() is not None:
        return transaction  # joins the outer transaction, which does the rest
    return _one_writer_at_a_time(engine, transaction)


@contextlib.asynccontextmanager
async def _one_writer_at_a_time(engine: Engine, transaction) -> AsyncIterator[Any]:
    # SQLite: first come, first served, instead of all spinning on SQLite's busy handler; a writer kept
    # waiting longer than QUEUE_PATIENCE busy timeouts gives up with SQLite's own error (503 + Retry-After),
    # having written nothing. A writer blocked by another process still fails after one busy timeout.
    lock = engine.write_lock() if isinstance(engine, PooledSQLiteEngine) else None
    if lock is not None:
        try:
            async with asyncio.timeout(QUEUE_PATIENCE * engine.connection_kwargs.get("timeout", SQLITE_BUSY_SECONDS)):
                await lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked (waited for the other writers)") from None
    try:
        async with transaction as entered:
            yield entered
    finally:
        data_changed()
        if lock is not None:
            lock.release()
        if isinstance(engine, AnnouncingPostgresEngine):
            engine.announce()


async def lock_rows(table, ids) -> None:
    """Lock these rows until the transaction ends (PostgreSQL `FOR NO KEY UPDATE`, in id order so two
    transactions never wait on each other in a circle). SQLite needs nothing: a write transaction
    holds the whole database from BEGIN IMMEDIATE.

    NO KEY UPDATE, the lock an UPDATE of the row takes, excludes every other such lock but not the key
    share a new row referencing this one takes: a transaction that has written a sign-up for an
    occurrence and then waits for the occurrence's lock must not block the holder in turn (a deadlock)."""
    ids = sorted({int(i) for i in ids})
    engine = table._meta.db
    if not ids or is_sqlite(engine):
        return
    placeholders = ", ".join("{}" for _ in ids)
    await table.raw(f"SELECT id FROM {table._meta.tablename} WHERE id IN ({placeholders}) ORDER BY id "
                    "FOR NO KEY UPDATE", *ids)


def is_retryable(exc: BaseException) -> bool:
    """PostgreSQL's deadlock and serialization failures: the transaction may simply be run again."""
    return getattr(exc, "sqlstate", None) in ("40P01", "40001")


async def in_write_transaction(work, *, attempts: int = 4):
    """Run `await work()` in one write transaction, again from the start if PostgreSQL aborted it for a
    deadlock; inside an existing transaction it just joins it."""
    engine = current_engine()
    if engine.current_transaction.get() is not None:
        return await work()
    for attempt in range(attempts):
        try:
            async with write_transaction(engine):
                return await work()
        except Exception as exc:
            if not is_retryable(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(random.uniform(0.005, 0.05) * (attempt + 1))


def is_database_locked(exc: BaseException) -> bool:
    """True for SQLite's 'database is locked/busy' after the busy timeout ran out."""
    return isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc) or "busy" in str(exc)
    )


async def _returned_to_pool(connection) -> None:
    """asyncpg's default reset (advisory unlocks, CLOSE ALL, UNLISTEN, RESET ALL) is one more round trip per
    statement; pool connections here never take session state (the scheduler's advisory lock has its own
    connection), so only a transaction somehow left open is ended."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


@contextlib.asynccontextmanager
async def connection_pool(engine: Engine, *, size: int | None = None) -> AsyncIterator[None]:
    """Open the engine's pool for the app's lifetime: PostgreSQL's (`size` connections, default 10) or
    SQLite's read connections (default 4), in WAL mode; with the change feed (`change_feed`) open, so
    every process with a pool (web, scheduler, commands) announces its writes and hears the others'."""
    if is_sqlite(engine):
        enable_wal(engine)
        if not isinstance(engine, PooledSQLiteEngine):
            async with change_feed(engine):
                yield
            return
        await engine.start_connection_pool(max_size=size or SQLITE_READERS)
        try:
            async with change_feed(engine):
                yield
        finally:
            await engine.close_connection_pool()
        return
    await engine.start_connection_pool(min_size=1, max_size=size or 10, reset=_returned_to_pool)
    try:
        async with change_feed(engine):
            yield
    finally:
        await engine.close_connection_pool()


async def migrate(*, quiet: bool = False) -> list[str]:
    """Apply pending migrations to the current database; returns the ids applied."""
    from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
    from piccolo.apps.migrations.tables import Migration

    engine = current_engine()
    enable_wal(engine)
    before = set()
    if await Migration.table_exists().run():
        before = {row["name"] for row in await Migration.select(Migration.name).run()}
    manager = ForwardsMigrationManager(app_name="tongxin")
    if quiet:
        with contextlib.redirect_stdout(open(os.devnull, "w")):
            result = await manager.run()
    else:
        result = await manager.run()
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}")
    after = {row["name"] for row in await Migration.select(Migration.name).run()}
    return sorted(after - before)


def postgres_admin_url(url: str) -> tuple[str, str]:
    """Split a PostgreSQL URL into (URL of the `postgres` maintenance database, database name)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return parts._replace(path="/postgres").geturl(), name
