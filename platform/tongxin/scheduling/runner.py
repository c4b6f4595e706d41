"""APScheduler only triggers: one in-memory interval job calls `run_due_jobs` every tick.

Nothing is pickled into the database: the jobs live in code, their schedules in JobSchedule,
and APScheduler keeps its single tick job in its default in-memory store. The first tick runs at
start, so firings missed while no scheduler ran are caught up at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from tongxin.scheduling.service import LEASE, instance_name, run_due_jobs
from tongxin.settings import Settings

log = logging.getLogger("tongxin.scheduler")
DEFAULT_TICK_SECONDS = 30.0


class Clock:
    """The real clock, or (for tests and rehearsals) a simulated one that moves `step` per tick."""

    def __init__(self, start: datetime | None = None, step: timedelta = timedelta(0)):
        self._simulated = start
        self.step = step

    def now(self) -> datetime:
        return self._simulated if self._simulated is not None else datetime.now(timezone.utc)

    def advance(self) -> None:
        if self._simulated is not None:
            self._simulated += self.step


class AdvisoryLeader:
    """At most one scheduler ticks at a time: a PostgreSQL session advisory lock on its own connection.

    Optional (firings are claimed once anyway); it saves standby schedulers the work. When the
    leader's process dies its connection closes, the lock is released, and a standby takes over
    at its next tick.
    """

    KEY = 0x74786C64  # "txld"

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.is_leader = False
        self._conn = None

    async def check(self) -> bool:
        """True while this process holds (or has just taken) the lock."""
        import asyncpg

        try:
            if self._conn is None or self._conn.is_closed():
                self.is_leader = False
                self._conn = await asyncpg.connect(self.dsn, timeout=5)
            if self.is_leader:
                await self._conn.fetchval("SELECT 1")  # the session (and so the lock) is still alive
            else:
                self.is_leader = bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.KEY))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncio.TimeoutError):
            log.warning("leader lock connection lost; standing by")
            await self.close()
        return self.is_leader

    async def close(self) -> None:
        self.is_leader = False
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
        self._conn = None


class SchedulerRunner:
    """Starts AsyncIOScheduler with the tick job; `stop` waits for a tick in progress to finish."""

    def __init__(self, *, settings: Settings | None = None, instance: str | None = None,
                 tick_seconds: float = DEFAULT_TICK_SECONDS, clock: Clock | None = None,
                 max_ticks: int | None = None, lease: timedelta = LEASE, leader: AdvisoryLeader | None = None):
        self.settings = settings
        self.leader = leader
        self.instance = instance or instance_name()
        self.tick_seconds = tick_seconds
        self.clock = clock or Clock()
        self.max_ticks = max_ticks
        self.lease = lease
        self.ticks = 0
        self.finished = asyncio.Event()
        self._lock = asyncio.Lock()
        self._scheduler: AsyncIOScheduler | None = None

    async def tick(self) -> None:
        """One look at the schedules; errors (a database restart) are logged and retried next tick."""
        if self.finished.is_set():
            return
        async with self._lock:
            try:
                if self.leader is not None and not await self.leader.check():
                    self.clock.advance()
                    return
                await run_due_jobs(now=self.clock.now(), instance=self.instance, settings=self.settings,
                                   lease=self.lease)
            except Exception:
                log.exception("scheduler tick failed; trying again in %ss", self.tick_seconds)
            self.clock.advance()
            self.ticks += 1
            if self.max_ticks is not None and self.ticks >= self.max_ticks:
                self.finished.set()

    def start(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone=timezone.utc)
        self._scheduler.add_job(
            self.tick, IntervalTrigger(seconds=self.tick_seconds, timezone=timezone.utc), id="tongxin-tick",
            next_run_time=datetime.now(timezone.utc), coalesce=True, max_instances=1,
            misfire_grace_time=None,
        )
        self._scheduler.start()
        log.info("scheduler %s started, ticking every %ss", self.instance, self.tick_seconds)

    async def stop(self, *, timeout: float = 30.0) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self.finished.set()
        try:
            # A run cut short would only be taken over after the lease: let it finish first.
            await asyncio.wait_for(self._lock.acquire(), timeout)
            self._lock.release()
        except asyncio.TimeoutError:
            log.warning("scheduler stopped while a job was still running; another run takes it over later")
        if self.leader is not None:
            await self.leader.close()


def lifespan_for(settings: Settings):
    """Lifespan hook for the web app: the scheduler runs while the app does."""

    @contextlib.asynccontextmanager
    async def scheduler_lifespan(app) -> AsyncIterator[None]:
        runner = SchedulerRunner(settings=settings, instance=f"web {instance_name()}")
        runner.start()
        try:
            yield
        finally:
            await runner.stop()

    return scheduler_lifespan
