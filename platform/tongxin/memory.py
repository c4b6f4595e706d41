"""Brief per-process memories of answers already read, and the process's count of data changes.

A memory keeps a value for a few seconds. Reads that must never outlive a change key their entries by
`data_version()`: every write transaction and every request that may write (any method but GET, HEAD and
OPTIONS) moves it on, so the next read here reads again. Changes made by another process or instance move
it on too once the change feed (`tongxin.feed.change_feed`) hears of them: PostgreSQL's notification at the
writer's commit, SQLite's `PRAGMA data_version` looked at every `FEED_POLL_SECONDS`. While no feed is
listening, "reads" memories keep nothing longer than `SECONDS_WITHOUT_FEED`.

Keys a writer announces after its commit (`data_changed(*keys)`), so warm reads update just what changed
(the ranking district, `tongxin.matches.district`); unknown keys are ignored:
- "volunteer:<id>": a person's rule facts or history (profile, place, skills, certificates, availability,
  youth status and consent, hours served, attendance counts, invitations answered);
- "occurrence:<id>": an occurrence's row (time, place, capacity, status, places taken, leaders) and so the
  commitments of everyone signed up for it;
- "sign_up:<occurrence id>:<volunteer id>": one sign-up changed (both of the above);
- "activity:<id>": an activity's rules (skills, ages, kind, status) for all its occurrences;
- "district": skills, certificate kinds or organizations (everything is read again);
- "model": another scoring model became active.
"""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Hashable

_changes = itertools.count(1)
_version = 0
# Without a feed another process's write could go unseen for a memory's whole life: keep them brief then.
SECONDS_WITHOUT_FEED = 1.0
_feeds = 0


def data_version() -> int:
    """The count of changes this process has started, finished or heard of; read it before reading the data."""
    return _version


_LISTENERS: list[Callable[[tuple[str, ...]], None]] = []


def data_changed(*keys: str) -> None:
    """Something was (or is about to be) written: forget every answer read before. `keys` say what, when
    the writer knows ("volunteer:12", "occurrence:34"); none means anything may have changed. Listeners
    (`on_change`) hear the keys, e.g. to update a warm read in place instead of reading it all again."""
    global _version
    _version = next(_changes)
    for memory in _MEMORIES:
        if memory.kind == "reads":  # keyed by the version just left behind: never asked for again
            memory.clear()
    for listener in _LISTENERS:
        listener(keys)


def on_change(listener: Callable[[tuple[str, ...]], None]) -> None:
    """Call `listener(keys)` on every `data_changed` of this process (cheap and synchronous: it runs in
    the writer's path)."""
    _LISTENERS.append(listener)


def feed_listening(listening: bool) -> None:
    """A change feed started (True) or stopped or lost its connection (False). What was read before is
    forgotten either way: changes made meanwhile may not have been heard."""
    global _feeds
    _feeds = max(0, _feeds + (1 if listening else -1))
    data_changed()


def feed_is_listening() -> bool:
    """True while some change feed of this process hears other processes' writes."""
    return _feeds > 0


_MEMORIES: list["BriefMemory"] = []


class BriefMemory:
    """Values kept for a few seconds, forgotten one key or one owner at a time. `kind` says which setting
    gives the seconds (`configure`): "sessions" (who is signed in) or "reads" (answers keyed by
    `data_version`, kept at most `SECONDS_WITHOUT_FEED` while no change feed listens); 0 keeps nothing."""

    def __init__(self, kind: str, most: int = 50_000) -> None:
        self.kind = kind
        self.seconds = 0.0
        self.most = most
        self._items: dict[Hashable, tuple[float, Any, Any]] = {}
        _MEMORIES.append(self)

    def get(self, key: Hashable) -> Any | None:
        found = self._items.get(key)
        if found is None:
            return None
        if found[0] < time.monotonic():
            self._items.pop(key, None)
            return None
        return found[2]

    def put(self, key: Hashable, value: Any, *, owner: Any = None, until: datetime | None = None) -> None:
        """Keep `value` for the memory's seconds, or only `until` that moment if it comes sooner (an
        answer that changes by itself then: a deadline passes, an occurrence starts)."""
        seconds = self.seconds
        if self.kind == "reads" and _feeds <= 0:
            seconds = min(seconds, SECONDS_WITHOUT_FEED)
        if until is not None:
            seconds = min(seconds, (until - datetime.now(timezone.utc)).total_seconds())
        if seconds <= 0:
            return
        if len(self._items) >= self.most:  # a flood of distinct keys cannot grow it without bound
            self._items.clear()
        self._items[key] = (time.monotonic() + seconds, owner, value)

    async def recall(self, key: Hashable, read: Callable[[], Awaitable[Any]], *,
                     until: Callable[[], Awaitable[datetime | None]] | None = None) -> Any:
        """The value kept for `key` since the last change (`data_version()`, read before reading), else
        `await read()`, kept for the memory's seconds or until `await until()` (asked first) if sooner."""
        key = (data_version(), key)
        found = self.get(key)
        if found is None:
            moment = await until() if until is not None else None
            found = await read()
            self.put(key, found, until=moment)
        return found

    def forget(self, key: Hashable) -> None:
        self._items.pop(key, None)

    def forget_owner(self, owner: Any) -> None:
        for key in [k for k, (_, who, _) in self._items.items() if who == owner]:
            self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()


def remembering_reads() -> bool:
    """True when this process keeps answers ("reads" memories) at all."""
    return any(memory.seconds > 0 for memory in _MEMORIES if memory.kind == "reads")


def configure(*, sessions: float, reads: float) -> None:
    """Set how long this process's memories keep what they read (the app does it at start)."""
    for memory in _MEMORIES:
        memory.seconds = sessions if memory.kind == "sessions" else reads
        memory.clear()


__all__ = ("BriefMemory", "configure", "data_version", "data_changed", "on_change", "feed_listening",
           "feed_is_listening", "remembering_reads")
