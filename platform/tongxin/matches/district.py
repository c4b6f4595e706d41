"""The district's volunteers as ranking reads them, kept warm in each web process.

Reading 50k volunteers takes seconds while ranking them takes a millisecond, so ranking requests use a
recent read: a request never waits for a re-read once one exists. When the read is older than allowed, the
request still answers from it and one background task reads the district again (never several at
once); the web process also re-reads it on a timer (`app_lifespan`), so staff rarely meet a stale one.
Approvals re-check the rules on fresh rows, so a stale ranking can never place anyone a rule forbids.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timezone
from typing import Any, AsyncIterator

import matching
from tongxin.db import current_engine
from tongxin.matches import snapshot

log = logging.getLogger("tongxin.matching")

# engine id -> (monotonic time read, (vocabulary, volunteer rows, arrays with their spatial index))
_READ: dict[int, tuple[float, Any]] = {}
# engine id -> the read under way, which every caller waiting for a first read shares
_READING: dict[int, asyncio.Task] = {}


async def _read(now: datetime) -> Any:
    vocab = await snapshot.load_vocabulary()
    rows = await snapshot.load_volunteers(vocab, now=now)
    arrays = matching.VolunteerArrays.from_obj(rows)
    matching.VolunteerIndex.for_volunteers(arrays)
    return vocab, rows, arrays


async def _read_district(key: int) -> Any:
    try:
        value = await _read(datetime.now(timezone.utc))
        for other in [k for k in _READ if k != key]:  # one database per process: drop a test's old one
            _READ.pop(other, None)
        _READ[key] = (time.monotonic(), value)
        return value
    finally:
        _READING.pop(key, None)


def _start_reading(key: int) -> asyncio.Task:
    task = _READING.get(key)
    if task is None or task.get_loop() is not asyncio.get_running_loop():
        task = asyncio.ensure_future(_read_district(key))
        _READING[key] = task
    return task


async def district_volunteers(*, now: datetime, max_age_seconds: float = 0.0):
    """(vocabulary, volunteer rows, VolunteerArrays with its spatial index). With `max_age_seconds` > 0 a
    kept read is used (and re-read in the background once older than that); 0 reads afresh every time."""
    if max_age_seconds <= 0:
        return await _read(now)
    key = id(current_engine())
    kept = _READ.get(key)
    if kept is None:
        return await asyncio.shield(_start_reading(key))
    if time.monotonic() - kept[0] >= max_age_seconds:
        _start_reading(key)
    return kept[1]


def keep_warm(seconds: float):
    """Lifespan hook: read the district at start, then again every `seconds`, in the background."""

    @contextlib.asynccontextmanager
    async def lifespan(_app) -> AsyncIterator[None]:
        async def refresh() -> None:
            while True:
                try:
                    await _start_reading(id(current_engine()))
                except Exception:  # a failed read is retried on the next round; ranking reads on demand
                    log.exception("could not read the district for ranking")
                await asyncio.sleep(seconds)

        task = asyncio.ensure_future(refresh())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    return lifespan


__all__ = ("district_volunteers", "keep_warm")
