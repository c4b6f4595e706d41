"""The district's volunteers as ranking reads them, kept warm in each web process and updated in place.

Reading 50k volunteers takes about 2 s of CPU; reading one person again takes milliseconds. So each
process reads the district once and then listens (`tongxin.memory.on_change`) to the keys writers
announce after they commit (vocabulary in `tongxin.memory`): the people named are read again before
the next ranking and put in place (`matching.merge_volunteers`), an occurrence named sends its
committed people and its own row to be read again. Staff therefore never see a ranking older than
their own writes in this process.

A full read again every `seconds` (`keep_warm`, TONGXIN_MATCHING_CACHE_SECONDS) is the safety net for
what no key named: changes made by another process (until they arrive as keys) and a writer that names
nothing. It is compared with the warm read, so only the people who differ count as changed.

Ranked answers are kept per target and per question (`Answers`), each with what it depended on: the
target's row, the people the spatial search considered, the model; a change to any of these (or their
age passing `seconds`) makes it computed again. Approvals re-check the rules on fresh rows, so a kept
ranking can never place anyone a rule forbids.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Hashable

import numpy as np

import matching
from tongxin.db import current_engine
from tongxin.matches import snapshot
from tongxin.memory import data_changed, on_change

log = logging.getLogger("tongxin.matching")


# People read per statement group: the rows of one group are turned into arrays between two awaits, so
# a full read of 50k people never holds the event loop for long (one read in one go held it 250 ms).
CHUNK = 2000


async def read_district(now: datetime) -> tuple[snapshot.Vocabulary, matching.VolunteerArrays, matching.Commitments]:
    """(vocabulary, VolunteerArrays with its spatial index, commitments): the whole district read afresh,
    `CHUNK` people at a time."""
    from tongxin.volunteers.tables import Volunteer

    vocab = await snapshot.load_vocabulary()
    parts, last = [], -1
    while True:  # the next CHUNK active people by id (50k ids in one statement alone held the loop 220 ms)
        ids = [r["id"] for r in await Volunteer.select(Volunteer.id).where(
            (Volunteer.status == "active") & (Volunteer.id > last)).order_by(Volunteer.id).limit(CHUNK)]
        if ids or not parts:
            rows = await snapshot.load_volunteers(vocab, now=now, volunteer_ids=ids)
            parts.append((matching.VolunteerArrays.from_obj(rows), rows.commitments()))
        if len(ids) < CHUNK:
            break
        last = ids[-1]
    volunteers, commitments = matching.concat_volunteers(parts)
    await asyncio.sleep(0)
    matching.VolunteerIndex.for_volunteers(volunteers)
    return vocab, volunteers, commitments


@dataclass
class Kept:
    """A value kept with what it was computed from: the district's epoch and count of changes then."""

    epoch: int
    changes: int
    at: float
    value: Any
    considered: np.ndarray | None = None  # rows the answer looked at (people)
    target: int | None = None  # the occurrence it is about


class WarmDistrict:
    """One process's warm read of one database's district (see the module's docstring)."""

    def __init__(self) -> None:
        self.vocab: snapshot.Vocabulary | None = None
        self.volunteers: matching.VolunteerArrays | None = None
        self.commitments: matching.Commitments | None = None
        self.position: dict[int, int] = {}
        self.read_at = 0.0
        self.epoch = 0  # moves when rows are renumbered, someone moves or the invitation log changes
        self.changes = 0  # keyed changes heard
        self.stamp = np.zeros(0, np.int64)  # per row: `changes` when that person was last named
        self.person_changed = 0  # the latest of those
        self.occurrence_stamp: dict[int, int] = {}
        self.activity_stamp = 0  # an activity's rules changed: every occurrence's row is read again
        self.pending: set[int] = set()  # volunteer ids to read again
        self.must_read_all = False  # skills, certificate kinds or organizations changed
        self.pending_occurrences: set[int] = set()  # whose signed-up people are read again
        self.pending_activities: set[int] = set()
        self.heard_during_full_read: set[int] | None = None
        self.answers: dict[Hashable, Kept] = {}
        self.targets: dict[int, Kept] = {}
        self._applying: asyncio.Task | None = None
        self._full: asyncio.Task | None = None

    # -- hearing -------------------------------------------------------------------------------------

    def heard(self, keys: tuple[str, ...]) -> None:
        """Named changes (`tongxin.memory.data_changed` keys); unnamed ones wait for the full read."""
        for key in keys:
            kind, _, rest = key.partition(":")
            try:
                parts = [int(p) for p in rest.split(":")] if rest else []
            except ValueError:
                continue
            if kind == "volunteer" and parts:
                self._person(parts[0])
            elif kind == "occurrence" and parts:
                self._occurrence(parts[0])
            elif kind == "sign_up" and len(parts) == 2:  # that person, and the occurrence's places
                self.changes += 1
                self.occurrence_stamp[parts[0]] = self.changes
                self._person(parts[1])
            elif kind == "activity" and parts:
                self.changes += 1
                self.activity_stamp = self.changes
                self.pending_activities.add(parts[0])
            elif kind in ("district", "model"):
                self.changes += 1
                self.epoch += 1  # everything kept is computed again (a model, skills or organizations changed)
                self.must_read_all = self.must_read_all or kind == "district"

    def _person(self, volunteer_id: int) -> None:
        self.changes += 1
        self.pending.add(volunteer_id)
        if self.heard_during_full_read is not None:
            self.heard_during_full_read.add(volunteer_id)
        row = self.position.get(volunteer_id)
        if row is not None:
            self.stamp[row] = self.person_changed = self.changes

    def _occurrence(self, occurrence_id: int) -> None:
        self.changes += 1
        self.occurrence_stamp[occurrence_id] = self.changes
        self.pending_occurrences.add(occurrence_id)
        if self.commitments is not None and self.volunteers is not None:
            rows = np.unique(self.commitments.volunteer[self.commitments.target == occurrence_id])
            for volunteer_id in self.volunteers.ids[rows].tolist():  # their committed times may have moved
                self._person(int(volunteer_id))

    # -- reading -------------------------------------------------------------------------------------

    async def up_to_date(self, max_age_seconds: float) -> "WarmDistrict":
        """This district with every change named in this process so far applied (reads the whole district
        the first time; later a full read older than `max_age_seconds` is started in the background)."""
        if self.volunteers is None or self.must_read_all:
            while self.volunteers is None or self.must_read_all:
                await asyncio.shield(self.start_full_read())
        elif time.monotonic() - self.read_at >= max_age_seconds:
            self.start_full_read()
        while self.pending or self.pending_occurrences or self.pending_activities or self._applying is not None:
            if self._applying is None:
                self._applying = asyncio.ensure_future(self._apply())
            await asyncio.shield(self._applying)
        return self

    def start_full_read(self) -> asyncio.Task:
        """The full read under way, or a new one."""
        task = self._full
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            task = self._full = asyncio.ensure_future(self._read_all())
        return task

    async def _apply(self) -> None:
        asked, self.pending = set(self.pending), set()
        occurrences, self.pending_occurrences = self.pending_occurrences, set()
        activities, self.pending_activities = self.pending_activities, set()
        try:
            if self.volunteers is None:
                return
            now = datetime.now(timezone.utc)
            try:
                asked |= await _signed_up(occurrences, activities)
                fresh = await snapshot.load_volunteers(self.vocab, now=now, volunteer_ids=sorted(asked))
            except BaseException:  # asked again by the next ranking
                self.pending |= asked
                self.pending_occurrences |= occurrences
                self.pending_activities |= activities
                raise
            merged = matching.merge_volunteers(self.volunteers, self.commitments, np.array(sorted(asked), np.int64),
                                               matching.VolunteerArrays.from_obj(fresh), fresh.commitments())
            self._take(merged.volunteers, merged.commitments, renumbered=merged.reindexed,
                       everyone=merged.moved or merged.history_changed)
            if merged.rows.size:  # people found only now (promoted from a waitlist...) changed too
                self.changes += 1
                self.stamp[merged.rows] = self.person_changed = self.changes
        finally:
            self._applying = None

    async def _read_all(self) -> None:
        self.heard_during_full_read = set()
        self.must_read_all = False
        try:
            vocab, arrays, commitments = await read_district(datetime.now(timezone.utc))
            await asyncio.sleep(0)  # each step below takes tens of ms at 50k: requests go in between
            known = self.volunteers is not None and vocab == self.vocab
            changed, everyone = _differences(self.volunteers, self.commitments, arrays, commitments) if known \
                else (None, True)
            await asyncio.sleep(0)
        finally:
            # Named while the read was under way: it may have read them before the change. From here on
            # nothing awaits, so nothing named is missed.
            heard, self.heard_during_full_read = self.heard_during_full_read, None
        self.vocab = vocab
        self._take(arrays, commitments, renumbered=changed is None, everyone=everyone)
        if changed is not None and changed.size:
            self.changes += 1
            self.stamp[changed] = self.person_changed = self.changes
        self.read_at = time.monotonic()
        self.pending |= heard

    def _take(self, volunteers, commitments, *, renumbered: bool, everyone: bool) -> None:
        self.volunteers, self.commitments = volunteers, commitments
        matching.VolunteerIndex.for_volunteers(volunteers)  # built now, not by the next request
        if renumbered:
            self.position = {int(v): i for i, v in enumerate(volunteers.ids)}
            self.stamp = np.full(len(volunteers), self.changes, np.int64)
        if renumbered or everyone:
            self.epoch += 1

    # -- kept answers ----------------------------------------------------------------------------------

    def mark(self) -> tuple[int, int]:
        """(epoch, changes) now: give it to `keep` with an answer computed from here on."""
        return self.epoch, self.changes

    def keep(self, key: Hashable, value: Any, mark: tuple[int, int], *, considered: np.ndarray, target: int,
             most: int = 2000) -> None:
        """Keep a ranked answer about occurrence `target` that looked at people `considered` (rows)."""
        if len(self.answers) >= most:
            self.answers.clear()
        self.answers[key] = Kept(mark[0], mark[1], time.monotonic(), value, considered, target)

    def kept(self, key: Hashable, max_age_seconds: float) -> Any | None:
        """The kept answer, if nothing it depended on changed since and it is younger than the limit."""
        found = self.answers.get(key)
        if found is None:
            return None
        if (found.epoch != self.epoch or time.monotonic() - found.at >= max_age_seconds
                or self.occurrence_stamp.get(found.target, 0) > found.changes or self.activity_stamp > found.changes
                or (self.person_changed > found.changes and found.considered.size
                    and int(self.stamp[found.considered].max()) > found.changes)):
            self.answers.pop(key, None)
            return None
        # Nobody it looked at changed so far: the next look need not go through them again.
        found.changes = max(found.changes, self.person_changed)
        return found.value

    async def occurrence(self, occurrence_id: int, *, now: datetime, max_age_seconds: float):
        """The open occurrence as a rule target (Targets of one row, or of none), read again only when it
        was named, an activity changed, or it is older than the limit."""
        found = self.targets.get(occurrence_id)
        if found is not None and found.epoch == self.epoch and time.monotonic() - found.at < max_age_seconds \
                and self.occurrence_stamp.get(occurrence_id, 0) <= found.changes \
                and self.activity_stamp <= found.changes:
            targets = found.value
            if len(targets.ids) == 0 or targets.start[0] > now.timestamp():
                return targets
        mark = self.mark()
        targets = await snapshot.load_occurrence_targets(self.vocab, now=now, occurrence_ids=[occurrence_id])
        if len(self.targets) >= 5000:
            self.targets.clear()
        self.targets[occurrence_id] = Kept(mark[0], mark[1], time.monotonic(), targets)
        return targets


async def _signed_up(occurrences: set[int], activities: set[int]) -> set[int]:
    """Everyone with a sign-up (in any state) for these occurrences or the occurrences of these activities."""
    if not occurrences and not activities:
        return set()
    from tongxin.activities.tables import SignUp

    where = SignUp.occurrence.is_in(sorted(occurrences) or [-1])
    if activities:
        where = where | SignUp.occurrence.activity.is_in(sorted(activities))
    return {r["volunteer"] for r in await SignUp.select(SignUp.volunteer).where(where)}


def _differences(old: matching.VolunteerArrays, old_commitments: matching.Commitments,
                 new: matching.VolunteerArrays, new_commitments: matching.Commitments):
    """(rows that differ, or None when the people are not the same ones; whether everyone's answers change:
    someone moved or the invitation log changed)."""
    if not np.array_equal(old.ids, new.ids):
        return None, True
    n = len(new)
    differ = np.zeros(n, bool)
    for name in matching.data._per_person_fields(new):
        a, b = getattr(old, name), getattr(new, name)
        if a.shape != b.shape:
            return None, True
        same = (a == b) | ((a != a) & (b != b)) if a.dtype.kind == "f" else a == b
        differ |= ~same.reshape(n, -1).all(axis=1)
    moved = bool(differ.any() and not (np.array_equal(old.lat, new.lat, equal_nan=True)
                                      and np.array_equal(old.lon, new.lon, equal_nan=True)))
    differ |= (_commitment_signature(old_commitments, n) != _commitment_signature(new_commitments, n)).any(axis=1)
    history = not matching.data._log_equal(_whole_log(old.history), _whole_log(new.history))
    return np.flatnonzero(differ), moved or history


def _commitment_signature(commitments: matching.Commitments, n: int) -> np.ndarray:
    """Per person: count and sums of their commitments' times and occurrences (equal sets, equal rows)."""
    v = commitments.volunteer
    return np.stack([np.bincount(v, minlength=n).astype(float),
                     np.bincount(v, weights=commitments.start, minlength=n),
                     np.bincount(v, weights=commitments.end, minlength=n),
                     np.bincount(v, weights=commitments.target.astype(float), minlength=n)], axis=1)


def _whole_log(log) -> dict[str, np.ndarray]:
    log = log if log is not None else matching.InvitationLog()
    return matching.data._log_rows(log, np.ones(len(log.volunteer), bool))


# engine id -> its warm district (one database per process; a test's old one is dropped)
_WARM: dict[int, WarmDistrict] = {}


# writer task -> keys it named inside a transaction, heard again once that transaction has ended
_AT_COMMIT: "weakref.WeakKeyDictionary[asyncio.Task, list[str]]" = weakref.WeakKeyDictionary()


def _heard(keys: tuple[str, ...]) -> None:
    """Keys named inside a write transaction are heard at once (stale answers go) and named again when the
    writer's transaction ends (its unnamed `data_changed`): so a read in between cannot keep the old rows,
    here or in another process (the change feed passes the second naming on after the commit)."""
    try:
        task = asyncio.current_task()
    except RuntimeError:
        task = None
    if task is not None:
        if keys and current_engine().current_transaction.get() is not None:
            _AT_COMMIT.setdefault(task, []).extend(keys)
        elif not keys and task in _AT_COMMIT and current_engine().current_transaction.get() is None:
            data_changed(*dict.fromkeys(_AT_COMMIT.pop(task)))
            return
    if keys:
        for warm in _WARM.values():
            warm.heard(keys)


on_change(_heard)


def warm_district() -> WarmDistrict:
    """This process's warm district for the current database (empty until read: see `up_to_date`)."""
    key = id(current_engine())
    warm = _WARM.get(key)
    if warm is None:
        _WARM.clear()
        warm = _WARM[key] = WarmDistrict()
    return warm


def keep_warm(seconds: float):
    """Lifespan hook: read the district at start, then again every `seconds`, in the background."""

    @contextlib.asynccontextmanager
    async def lifespan(_app) -> AsyncIterator[None]:
        async def refresh() -> None:
            first = True
            while True:
                try:
                    await warm_district().start_full_read()
                    if first:
                        # What the process holds from now on (the district, the app) is left out of the
                        # collector's full passes: walking 50k people's rows in one pass held every request
                        # 130-190 ms whenever a later read made one.
                        gc.freeze()
                        first = False
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


__all__ = ("WarmDistrict", "read_district", "warm_district", "keep_warm")
