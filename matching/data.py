"""Plain-array inputs of the matching package: volunteers, targets, existing sign-ups.

Index i of every volunteer array is one volunteer, index j of every target array one target
(an activity occurrence or a micro-wish). Field names follow `tongxin.matches.snapshot`, so a
`VolunteerRows`/`TargetRows` converts with `VolunteerArrays.from_obj` / `TargetArrays.from_obj`.
The arrays are treated as an immutable snapshot: the spatial index is built once and cached.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

HOURS_PER_WEEK = 168
SECONDS_PER_DAY = 86400.0
# 1970-01-01 was a Thursday; hour 0 of our weekly mask is Monday 00:00.
_EPOCH_HOUR_OF_WEEK = 3 * 24


def _as(value: Any, dtype: Any, n: int, default: Any) -> np.ndarray:
    if value is None:
        return np.full(n, default, dtype=dtype)
    return np.asarray(value, dtype=dtype).reshape(n)


def _as2(value: Any, dtype: Any, n: int, default: Any, width: int | None = None) -> np.ndarray:
    if value is None:
        return np.full((n, width or 0), default, dtype=dtype)
    if hasattr(value, "tocsr"):  # scipy sparse history matrices stay sparse
        return value.tocsr()
    arr = np.asarray(value, dtype=dtype)
    return arr.reshape(n, -1) if arr.size else np.full((n, width or 0), default, dtype=dtype)


@dataclass(eq=False)
class VolunteerArrays:
    """Every volunteer of the scope as arrays (index i ↔ ids[i]).

    ids int64[n]; lat, lon float[n] in degrees (NaN = unknown: never a spatial candidate);
    birth_ymd int64[n] birth dates as YYYYMMDD (0 = unknown), from which each pair's age on the target's
    local date is computed; age float[n] in years is used only where no birth date is given (NaN =
    unknown: fails any age bound); community, grid int64[n] (-1 = none);
    skills bool[n,S]; cert_expiry float[n,C] in epoch days, valid through that day
    (-inf = not held, +inf = never expires); availability bool[n,168] weekly local-hour mask,
    Monday 00:00 = 0; is_youth, youth_active, consent_in_force bool[n]; attended, no_show int[n];
    max_hours_month float[n] (NaN = no limit), checked against the commitments of the target's local
    month; hours_this_month float[n] served this month (a load feature, not a rule); recent_load float[n]
    (sign-ups in the last 30 days); org_history float[n,O] and category_history float[n,K]
    attended counts (dense or scipy sparse).
    What people declared: preferred_categories bool[n,K] (kinds of service; a row of False = none
    declared), max_distance_km float[n] (NaN = not given) — preferences, never rules;
    max_hours_week float[n] (NaN = no limit) — a hard limit per local week (Monday to Sunday),
    counted over commitments and the batch like the monthly one; max_hours_day float[n] (NaN = only
    the district's RuleConfig.max_hours_per_day) — a person's own, lower, limit per local day.
    history: a `matching.history.InvitationLog` of the invitations people saw (None = none), from
    which each person's own rates are learned.
    """

    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    skills: np.ndarray
    cert_expiry: np.ndarray
    availability: np.ndarray
    birth_ymd: np.ndarray | None = None
    age: np.ndarray | None = None
    community: np.ndarray | None = None
    grid: np.ndarray | None = None
    is_youth: np.ndarray | None = None
    youth_active: np.ndarray | None = None
    consent_in_force: np.ndarray | None = None
    attended: np.ndarray | None = None
    no_show: np.ndarray | None = None
    hours_this_month: np.ndarray | None = None
    max_hours_month: np.ndarray | None = None
    recent_load: np.ndarray | None = None
    org_history: Any = None
    category_history: Any = None
    preferred_categories: np.ndarray | None = None
    max_distance_km: np.ndarray | None = None
    max_hours_week: np.ndarray | None = None
    max_hours_day: np.ndarray | None = None
    history: Any = None
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.ids = np.asarray(self.ids, dtype=np.int64).reshape(-1)
        n = self.ids.shape[0]
        self.lat = _as(self.lat, float, n, np.nan)
        self.lon = _as(self.lon, float, n, np.nan)
        self.skills = _as2(self.skills, bool, n, False)
        self.cert_expiry = _as2(self.cert_expiry, float, n, -np.inf)
        self.availability = _as2(self.availability, bool, n, True, HOURS_PER_WEEK)
        if self.availability.shape[1] != HOURS_PER_WEEK:
            raise ValueError("availability must have 168 weekly hour columns")
        self.birth_ymd = _as(self.birth_ymd, np.int64, n, 0)
        self.age = _as(self.age, float, n, np.nan)
        self.community = _as(self.community, np.int64, n, -1)
        self.grid = _as(self.grid, np.int64, n, -1)
        self.is_youth = _as(self.is_youth, bool, n, False)
        self.youth_active = _as(self.youth_active, bool, n, False)
        self.consent_in_force = _as(self.consent_in_force, bool, n, False)
        self.attended = _as(self.attended, float, n, 0)
        self.no_show = _as(self.no_show, float, n, 0)
        self.hours_this_month = np.nan_to_num(_as(self.hours_this_month, float, n, 0.0))
        self.max_hours_month = _as(self.max_hours_month, float, n, np.inf)
        self.max_hours_month = np.where(np.isnan(self.max_hours_month), np.inf, self.max_hours_month)
        self.recent_load = np.nan_to_num(_as(self.recent_load, float, n, 0.0))
        self.org_history = _as2(self.org_history, float, n, 0.0, 1)
        self.category_history = _as2(self.category_history, float, n, 0.0, 1)
        self.preferred_categories = _as2(self.preferred_categories, bool, n, False, 1)
        self.max_distance_km = _as(self.max_distance_km, float, n, np.nan)
        self.max_distance_km = np.where(self.max_distance_km > 0, self.max_distance_km, np.nan)
        self.max_hours_week = _as(self.max_hours_week, float, n, np.inf)
        self.max_hours_week = np.where(np.isnan(self.max_hours_week), np.inf, self.max_hours_week)
        self.max_hours_day = _as(self.max_hours_day, float, n, np.inf)
        self.max_hours_day = np.where(np.isnan(self.max_hours_day), np.inf, self.max_hours_day)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @classmethod
    def from_obj(cls, obj: Any) -> "VolunteerArrays":
        """Copy the same-named attributes of another object (e.g. a snapshot's VolunteerRows)."""
        if isinstance(obj, cls):
            return obj
        names = [f.name for f in fields(cls) if f.init]
        return cls(**{k: getattr(obj, k, None) for k in names})

    def subset(self, index: np.ndarray) -> "VolunteerArrays":
        """The volunteers at `index`, as a new snapshot."""
        out = {}
        for f in fields(self):
            if not f.init:
                continue
            value = getattr(self, f.name)
            if f.name == "history":
                out[f.name] = _history_subset(value, index, len(self))
            else:
                out[f.name] = value[index] if value is not None else None
        return VolunteerArrays(**out)


def _history_subset(log: Any, index: np.ndarray, n: int) -> Any:
    """The invitation log of the volunteers at `index`, renumbered to their new positions."""
    if log is None:
        return None
    new = np.full(n, -1, np.int64)
    index = np.arange(n)[index]
    new[index] = np.arange(index.size)
    moved = new[np.clip(log.volunteer, 0, max(n - 1, 0))] if n else np.zeros(0, np.int64)
    keep = (log.volunteer >= 0) & (log.volunteer < n) & (moved >= 0)
    out = {f.name: getattr(log, f.name)[keep] for f in fields(log)}
    out["volunteer"] = moved[keep]
    return type(log)(**out)


@dataclass(eq=False)
class TargetArrays:
    """Occurrences or wishes to fill (index j ↔ ids[j]).

    start, end float[m] epoch seconds UTC; utc_offset_hours converts them to local time for the
    weekly availability mask and youth daytime rule (default +8, China Standard Time).
    capacity_remaining int[m]; required_skills bool[m,S] (hard: each is needed); preferred_skills bool[m,S]
    (soft: welcome); required_certs bool[m,C];
    min_age/max_age float[m]; youth_allowed, has_adult_leader bool[m]; organization, category
    int64[m] (-1 = none, index into the volunteers' history columns); urgency float[m] in [0, 1];
    needed_by float[m] epoch seconds (NaN → start); community, grid int64[m].
    kind is "occurrence" or "wish".
    """

    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    start: np.ndarray
    end: np.ndarray
    capacity_remaining: np.ndarray
    required_skills: np.ndarray | None = None
    preferred_skills: np.ndarray | None = None
    required_certs: np.ndarray | None = None
    min_age: np.ndarray | None = None
    max_age: np.ndarray | None = None
    youth_allowed: np.ndarray | None = None
    has_adult_leader: np.ndarray | None = None
    organization: np.ndarray | None = None
    category: np.ndarray | None = None
    urgency: np.ndarray | None = None
    needed_by: np.ndarray | None = None
    community: np.ndarray | None = None
    grid: np.ndarray | None = None
    kind: str = "occurrence"
    utc_offset_hours: float = 8.0
    titles: list = field(default_factory=list)
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.ids = np.asarray(self.ids, dtype=np.int64).reshape(-1)
        m = self.ids.shape[0]
        self.lat = _as(self.lat, float, m, np.nan)
        self.lon = _as(self.lon, float, m, np.nan)
        self.start = _as(self.start, float, m, np.nan)
        self.end = _as(self.end, float, m, np.nan)
        self.capacity_remaining = np.maximum(np.nan_to_num(_as(self.capacity_remaining, float, m, 0)), 0).astype(np.int64)
        self.required_skills = _as2(self.required_skills, bool, m, False)
        self.preferred_skills = _as2(self.preferred_skills, bool, m, False, self.required_skills.shape[1])
        self.required_certs = _as2(self.required_certs, bool, m, False)
        self.min_age = np.nan_to_num(_as(self.min_age, float, m, 0.0), nan=0.0)
        self.max_age = np.nan_to_num(_as(self.max_age, float, m, np.inf), nan=np.inf)
        self.youth_allowed = _as(self.youth_allowed, bool, m, False)
        self.has_adult_leader = _as(self.has_adult_leader, bool, m, False)
        self.organization = _as(self.organization, np.int64, m, -1)
        self.category = _as(self.category, np.int64, m, -1)
        self.urgency = np.clip(np.nan_to_num(_as(self.urgency, float, m, 0.5), nan=0.5), 0.0, 1.0)
        self.needed_by = _as(self.needed_by, float, m, np.nan)
        self.needed_by = np.where(np.isnan(self.needed_by), self.start, self.needed_by)
        self.community = _as(self.community, np.int64, m, -1)
        self.grid = _as(self.grid, np.int64, m, -1)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @classmethod
    def from_obj(cls, obj: Any, **overrides: Any) -> "TargetArrays":
        """Copy the same-named attributes of another object (e.g. a snapshot's TargetRows)."""
        if isinstance(obj, cls) and not overrides:
            return obj
        names = [f.name for f in fields(cls) if f.init]
        values = {k: getattr(obj, k) for k in names if getattr(obj, k, None) is not None}
        values.update(overrides)
        return cls(**values)

    def subset(self, index: Any) -> "TargetArrays":
        """The targets at `index` (an int or an index array), as a new TargetArrays."""
        index = np.atleast_1d(np.asarray(index))
        out: dict[str, Any] = {}
        for f in fields(self):
            if not f.init:
                continue
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                out[f.name] = value[index]
            elif f.name == "titles":
                out[f.name] = [value[int(i)] for i in index] if len(value) == len(self) else []
            else:
                out[f.name] = value
        return TargetArrays(**out)

    @property
    def duration_hours(self) -> np.ndarray:
        return np.nan_to_num(np.maximum(self.end - self.start, 0.0) / 3600.0)

    @property
    def local_day(self) -> np.ndarray:
        """Local calendar day (days since epoch) of each target's start: the unit of k-per-day."""
        local = np.nan_to_num(self.start) + self.utc_offset_hours * 3600.0
        return np.floor(local / SECONDS_PER_DAY).astype(np.int64)

    @property
    def local_ymd(self) -> np.ndarray:
        """Local calendar date of each target's start as YYYYMMDD: the day ages are counted on."""
        days = self.local_day.astype("datetime64[D]")
        years = days.astype("datetime64[Y]")
        months = days.astype("datetime64[M]")
        y = years.astype(np.int64) + 1970
        m = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
        d = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
        return y * 10000 + m * 100 + d


@dataclass(eq=False)
class Commitments:
    """Time a person has given or promised: volunteer index (into VolunteerArrays), start, end epoch
    seconds, and the occurrence id it is for (-1 = none; a person's sign-up for the very occurrence
    being checked is not held against it)."""

    volunteer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    start: np.ndarray = field(default_factory=lambda: np.zeros(0))
    end: np.ndarray = field(default_factory=lambda: np.zeros(0))
    target: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.volunteer = np.asarray(self.volunteer, dtype=np.int64).reshape(-1)
        self.start = np.asarray(self.start, dtype=float).reshape(-1)
        self.end = np.asarray(self.end, dtype=float).reshape(-1)
        self.target = _as(self.target, np.int64, self.volunteer.shape[0], -1)
        if not (self.volunteer.shape == self.start.shape == self.end.shape):
            raise ValueError("commitment arrays must have the same length")

    def __len__(self) -> int:
        return int(self.volunteer.shape[0])

    @classmethod
    def from_obj(cls, obj: Any) -> "Commitments":
        """None → no commitments; a VolunteerRows-like object → its commitment_* arrays."""
        if obj is None:
            return cls()
        if isinstance(obj, cls):
            return obj
        return cls(volunteer=obj.commitment_volunteer, start=obj.commitment_start, end=obj.commitment_end,
                   target=getattr(obj, "commitment_target", None))

    def extended(self, volunteer: np.ndarray, start: np.ndarray, end: np.ndarray) -> "Commitments":
        """These commitments plus new ones (e.g. a batch's assignments, counted against every target)."""
        return Commitments(np.concatenate([self.volunteer, volunteer]), np.concatenate([self.start, start]),
                           np.concatenate([self.end, end]),
                           np.concatenate([self.target, np.full(len(volunteer), -1, np.int64)]))


@dataclass(eq=False)
class Merged:
    """What `merge_volunteers` gives: the volunteers and commitments with the re-read people in place.

    rows: indexes (into `volunteers`) of the people re-read and still there; reindexed: people came or
    went, so indexes of the earlier snapshot mean nothing now; moved: someone's place changed (the spatial
    index was rebuilt); history_changed: the invitation log changed (everyone's learned rates move a little).
    """

    volunteers: VolunteerArrays
    commitments: Commitments
    rows: np.ndarray
    reindexed: bool = False
    moved: bool = False
    history_changed: bool = False


def _per_person_fields(volunteers: VolunteerArrays) -> list[str]:
    return [f.name for f in fields(VolunteerArrays) if f.init and f.name != "history"]


def _rows_like(value: np.ndarray, like: np.ndarray) -> np.ndarray:
    """No rows read arrive without their columns: give them the snapshot's."""
    return np.zeros((0, *like.shape[1:]), like.dtype) if value.shape[0] == 0 else value


def _log_rows(log: Any, keep: np.ndarray) -> dict[str, np.ndarray]:
    return {f.name: getattr(log, f.name)[keep] for f in fields(log)}


def _log_equal(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    if a["volunteer"].shape != b["volunteer"].shape:
        return False
    oa = np.lexsort((a["start"], a["volunteer"]))
    ob = np.lexsort((b["start"], b["volunteer"]))
    return all(np.array_equal(a[k][oa], b[k][ob], equal_nan=a[k].dtype.kind == "f") for k in a)


def merge_volunteers(volunteers: VolunteerArrays, commitments: Commitments, asked: np.ndarray,
                     fresh: VolunteerArrays, fresh_commitments: Commitments) -> Merged:
    """Replace the people whose ids are in `asked` by their fresh read (`fresh`: those of them still in
    scope, with their commitments indexed into `fresh`), as if the whole snapshot had been read again.

    Rows keep their places when nobody came or went: the arrays and their cached bit sets are updated in
    place (cheap: a sign-up touches one person). Otherwise a new snapshot in id order is built. The
    invitation logs of the asked people are replaced too (their entries, indexed like the rest)."""
    asked = np.unique(np.asarray(asked, np.int64))
    n = len(volunteers)
    old_rows = np.flatnonzero(np.isin(volunteers.ids, asked))
    fresh_pos = {int(v): k for k, v in enumerate(fresh.ids)}
    same = old_rows.size == len(fresh) and all(int(volunteers.ids[i]) in fresh_pos for i in old_rows)
    log = volunteers.history
    if same:
        order = np.array([fresh_pos[int(volunteers.ids[i])] for i in old_rows], np.int64)  # old row → fresh k
        new_of_fresh = np.empty(len(fresh), np.int64)
        new_of_fresh[order] = old_rows
        moved = not (np.array_equal(volunteers.lat[old_rows], fresh.lat[order], equal_nan=True)
                     and np.array_equal(volunteers.lon[old_rows], fresh.lon[order], equal_nan=True))
        for name in _per_person_fields(volunteers):
            if old_rows.size:
                getattr(volunteers, name)[old_rows] = getattr(fresh, name)[order]
        out, rows, new_of_old = volunteers, old_rows, None
    else:
        keep = np.setdiff1d(np.arange(n), old_rows)
        ids = np.concatenate([volunteers.ids[keep], fresh.ids])
        by_id = np.argsort(ids, kind="stable")
        place = np.empty(ids.size, np.int64)
        place[by_id] = np.arange(ids.size)
        new_of_old = np.full(n, -1, np.int64)
        new_of_old[keep] = place[:keep.size]
        new_of_fresh = place[keep.size:]
        values = {name: np.concatenate([getattr(volunteers, name)[keep],
                                        _rows_like(getattr(fresh, name), getattr(volunteers, name))])[by_id]
                  for name in _per_person_fields(volunteers)}
        out = VolunteerArrays(**values, history=None)
        rows, moved = np.sort(new_of_fresh), True

    # Commitments: the asked people's are replaced by their fresh ones.
    stay = ~np.isin(commitments.volunteer, old_rows)
    kept_volunteer = commitments.volunteer[stay] if new_of_old is None else new_of_old[commitments.volunteer[stay]]
    merged_commitments = Commitments(
        np.concatenate([kept_volunteer, new_of_fresh[fresh_commitments.volunteer]]),
        np.concatenate([commitments.start[stay], fresh_commitments.start]),
        np.concatenate([commitments.end[stay], fresh_commitments.end]),
        np.concatenate([commitments.target[stay], fresh_commitments.target]))

    history_changed = False
    if log is not None or fresh.history is not None:
        from matching.history import InvitationLog

        log = log if log is not None else InvitationLog()
        fresh_log = fresh.history if fresh.history is not None else InvitationLog()
        log_old = np.isin(log.volunteer, old_rows)
        removed = _log_rows(log, log_old)
        added = _log_rows(fresh_log, np.ones(len(fresh_log.volunteer), bool))
        added["volunteer"] = new_of_fresh[added["volunteer"]]
        history_changed = not _log_equal(removed, added)
        if history_changed or new_of_old is not None:
            kept = _log_rows(log, ~log_old)
            if new_of_old is not None:
                kept["volunteer"] = new_of_old[kept["volunteer"]]
            out.history = InvitationLog(**{k: np.concatenate([kept[k], added[k]]) for k in kept})

    if out is volunteers:
        _refresh_cached_rows(out, rows, moved=moved, history_changed=history_changed)
    return Merged(out, merged_commitments, rows, reindexed=new_of_old is not None, moved=moved,
                  history_changed=history_changed)


def concat_volunteers(parts: list[tuple[VolunteerArrays, Commitments]]) -> tuple[VolunteerArrays, Commitments]:
    """Snapshots of disjoint groups of people (read one after another) as one, in the order given."""
    sizes = np.array([len(v) for v, _ in parts], np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    first = parts[0][0]
    values = {name: np.concatenate([_rows_like(getattr(v, name), getattr(first, name)) for v, _ in parts])
              for name in _per_person_fields(first)}
    logs = [(v.history, off) for (v, _), off in zip(parts, offsets) if v.history is not None]
    history = None
    if logs:
        from matching.history import InvitationLog

        rows = [_log_rows(log, np.ones(len(log.volunteer), bool)) | {"volunteer": log.volunteer + off}
                for log, off in logs]
        history = InvitationLog(**{k: np.concatenate([r[k] for r in rows]) for k in rows[0]})
    commitments = Commitments(np.concatenate([c.volunteer + off for (_, c), off in zip(parts, offsets)]),
                              np.concatenate([c.start for _, c in parts]), np.concatenate([c.end for _, c in parts]),
                              np.concatenate([c.target for _, c in parts]))
    return VolunteerArrays(**values, history=history), commitments


def _refresh_cached_rows(volunteers: VolunteerArrays, rows: np.ndarray, *, moved: bool, history_changed: bool) -> None:
    """Bring the snapshot's cached derived arrays up to date for `rows` changed in place."""
    cache = volunteers._cache
    if "skills" in cache:
        cache["skills"][rows] = pack_bits(volunteers.skills[rows])
    if "rules" in cache:
        cache["rules"]["hours"][rows] = pack_bits(volunteers.availability[rows])
    for key in [k for k in cache if k not in ("skills", "rules", "index")]:
        if history_changed or not (isinstance(key, tuple) and key[0] == "profile"):
            cache.pop(key)  # unknown to this function, or learned from the old log: built again on use
    if moved:
        cache.pop("index", None)


def weekly_hour_mask(start: np.ndarray, end: np.ndarray, utc_offset_hours: float) -> np.ndarray:
    """bool[m,168]: the local weekly hours each [start, end) interval touches (capped at one week)."""
    start = np.nan_to_num(np.asarray(start, float))
    end = np.nan_to_num(np.asarray(end, float))
    first = np.floor((start + utc_offset_hours * 3600.0) / 3600.0).astype(np.int64)
    last = np.ceil((end + utc_offset_hours * 3600.0) / 3600.0).astype(np.int64)
    n_hours = np.clip(last - first, 0, HOURS_PER_WEEK)
    offsets = np.arange(HOURS_PER_WEEK)
    hours = (first[:, None] + _EPOCH_HOUR_OF_WEEK + offsets[None, :]) % HOURS_PER_WEEK
    mask = np.zeros((start.shape[0], HOURS_PER_WEEK), dtype=bool)
    rows = np.broadcast_to(np.arange(start.shape[0])[:, None], hours.shape)
    take = offsets[None, :] < n_hours[:, None]
    mask[rows[take], hours[take]] = True
    return mask


def pack_bits(mask: np.ndarray) -> np.ndarray:
    """bool[n,B] → uint64[n,ceil(B/64)], so set intersections are a few word ANDs and popcounts."""
    mask = np.asarray(mask, dtype=bool)
    n, b = mask.shape
    words = max(1, -(-b // 64))
    padded = np.zeros((n, words * 64), dtype=bool)
    padded[:, :b] = mask
    return np.packbits(padded, axis=1, bitorder="little").view(np.uint64).reshape(n, words)


def popcount(words: np.ndarray) -> np.ndarray:
    """Set bits per row of a uint64[n,W] array."""
    return np.bitwise_count(words).sum(axis=1, dtype=np.int64)


__all__ = ("VolunteerArrays", "TargetArrays", "Commitments", "Merged", "merge_volunteers", "concat_volunteers",
           "weekly_hour_mask",
           "pack_bits", "popcount", "HOURS_PER_WEEK")
