"""What each person's own history says about them, smoothed towards the population.

The input is the invitation log (`InvitationLog`: one row per invitation a person saw, with the
task's kind, distance and local hour, and whether they accepted and attended). A decline is a
signal like an acceptance. From it `person_profile` builds per-person rates — acceptance overall,
by kind, by time of day and by distance band, attendance once accepted — and the distance each
person actually travels. Every rate is shrunk towards a broader one (kind → the person's overall
rate → the population's) with the weight of a few pseudo-invitations, so one decline never
condemns anyone and a newcomer looks like the population.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Distance bands (km) and times of day (local hours) a person's rates are kept for.
DISTANCE_BANDS = np.array([1.0, 2.0, 4.0, 7.0])      # 0–1, 1–2, 2–4, 4–7, 7+ km
TIME_BANDS = np.array([12.0, 17.0])                  # morning < 12 ≤ afternoon < 17 ≤ evening
# Pseudo-invitations each rate borrows from the broader one it is shrunk towards.
SMOOTH_PERSON = 4.0
SMOOTH_GROUP = 3.0
SMOOTH_TRAVEL = 3.0


def distance_band(km: np.ndarray) -> np.ndarray:
    return np.searchsorted(DISTANCE_BANDS, np.nan_to_num(np.asarray(km, float), nan=99.0), side="right")


def time_band(local_hour: np.ndarray) -> np.ndarray:
    return np.searchsorted(TIME_BANDS, np.asarray(local_hour, float), side="right")


@dataclass(eq=False)
class InvitationLog:
    """Invitations people saw: volunteer index, task start (epoch s), kind (-1 = none), distance km,
    local hour of the start, approved (shown to the person), accepted, attended. Rows not approved
    are ignored (the person never saw them)."""

    volunteer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    start: np.ndarray = field(default_factory=lambda: np.zeros(0))
    category: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    distance_km: np.ndarray = field(default_factory=lambda: np.zeros(0))
    local_hour: np.ndarray = field(default_factory=lambda: np.zeros(0))
    approved: np.ndarray | None = None
    accepted: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    attended: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def __post_init__(self) -> None:
        self.volunteer = np.asarray(self.volunteer, np.int64).reshape(-1)
        n = self.volunteer.shape[0]
        self.start = np.asarray(self.start, float).reshape(n)
        self.category = np.asarray(self.category, np.int64).reshape(n)
        self.distance_km = np.asarray(self.distance_km, float).reshape(n)
        self.local_hour = np.asarray(self.local_hour, float).reshape(n)
        self.approved = np.ones(n, bool) if self.approved is None else np.asarray(self.approved, bool).reshape(n)
        self.accepted = np.asarray(self.accepted, bool).reshape(n)
        self.attended = np.asarray(self.attended, bool).reshape(n)

    def __len__(self) -> int:
        return int(self.volunteer.shape[0])


@dataclass(eq=False)
class Profile:
    """Per-person smoothed rates (index i ↔ volunteer i)."""

    seen: np.ndarray            # invitations seen
    accept: np.ndarray          # P(accept)
    attend: np.ndarray          # P(attend | accepted)
    by_kind: np.ndarray         # [n, K] P(accept | kind)
    by_time: np.ndarray         # [n, 3] P(accept | time of day)
    by_distance: np.ndarray     # [n, 5] P(accept | distance band)
    travel_km: np.ndarray       # distance the person actually travels (smoothed mean of accepted)
    population_accept: float
    population_travel_km: float


def _grouped(v, g, hit, n, width, parent, weight):
    """Smoothed rate per (person, group) shrunk towards parent[person]."""
    total = np.zeros((n, width))
    yes = np.zeros((n, width))
    ok = (g >= 0) & (g < width)
    np.add.at(total, (v[ok], g[ok]), 1.0)
    np.add.at(yes, (v[ok], g[ok]), hit[ok])
    return (yes + weight * parent[:, None]) / (total + weight)


def person_profile(log: InvitationLog | None, n: int, n_kinds: int) -> Profile:
    """Each of n people's rates from the invitation log (empty log: everyone looks like the population)."""
    n_kinds = max(int(n_kinds), 1)
    if log is None or len(log) == 0 or not log.approved.any():
        p0, a0, t0 = 0.35, 0.8, 2.5
        return Profile(np.zeros(n), np.full(n, p0), np.full(n, a0), np.full((n, n_kinds), p0), np.full((n, 3), p0),
                       np.full((n, len(DISTANCE_BANDS) + 1), p0), np.full(n, t0), p0, t0)
    seen = log.approved & (log.volunteer >= 0) & (log.volunteer < n)
    v = log.volunteer[seen]
    acc = log.accepted[seen].astype(float)
    att = (log.accepted & log.attended)[seen].astype(float)
    dist = np.nan_to_num(log.distance_km[seen], nan=0.0)
    p0 = float(acc.mean())
    count = np.bincount(v, minlength=n).astype(float)
    accept = (np.bincount(v, weights=acc, minlength=n) + SMOOTH_PERSON * p0) / (count + SMOOTH_PERSON)
    n_acc = np.bincount(v, weights=acc, minlength=n)
    a0 = float(att.sum() / max(acc.sum(), 1.0)) if acc.sum() else 0.8
    attend = (np.bincount(v, weights=att, minlength=n) + SMOOTH_PERSON * a0) / (n_acc + SMOOTH_PERSON)
    by_kind = _grouped(v, log.category[seen], acc, n, n_kinds, accept, SMOOTH_GROUP)
    by_time = _grouped(v, time_band(log.local_hour[seen]), acc, n, 3, accept, SMOOTH_GROUP)
    by_distance = _grouped(v, distance_band(dist), acc, n, len(DISTANCE_BANDS) + 1, accept, SMOOTH_GROUP)
    # The distance actually travelled: accepted invitations' distances, shrunk towards the population's.
    t0 = float((dist * acc).sum() / max(acc.sum(), 1.0)) if acc.sum() else 2.5
    travel = (np.bincount(v, weights=dist * acc, minlength=n) + SMOOTH_TRAVEL * t0) / (n_acc + SMOOTH_TRAVEL)
    return Profile(count, accept, attend, by_kind, by_time, by_distance, np.maximum(travel, 0.3), p0, t0)


__all__ = ("InvitationLog", "Profile", "person_profile", "distance_band", "time_band", "DISTANCE_BANDS",
           "TIME_BANDS")
