"""Spatial candidate generation: a KD-tree over volunteers' unit vectors, queried per target."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from matching.geo import chord_to_km, km_to_chord, to_xyz


@dataclass(eq=False)
class CandidatePairs:
    """Volunteer × target pairs within reach: volunteer[p], target[p], distance_km[p]."""

    volunteer: np.ndarray
    target: np.ndarray
    distance_km: np.ndarray

    def __len__(self) -> int:
        return int(self.volunteer.shape[0])

    def take(self, keep: np.ndarray) -> "CandidatePairs":
        return CandidatePairs(self.volunteer[keep], self.target[keep], self.distance_km[keep])

    @classmethod
    def empty(cls) -> "CandidatePairs":
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))


class VolunteerIndex:
    """KD-tree over the volunteers that have a location (NaN lat/lon are simply left out)."""

    def __init__(self, lat: np.ndarray, lon: np.ndarray, *, workers: int = 1) -> None:
        lat = np.asarray(lat, float)
        lon = np.asarray(lon, float)
        located = np.isfinite(lat) & np.isfinite(lon)
        self.n = lat.shape[0]
        self.workers = workers
        self.located = located
        self.rows = np.flatnonzero(located)  # tree position → volunteer index
        self.tree = cKDTree(to_xyz(lat[located], lon[located])) if self.rows.size else None

    @classmethod
    def for_volunteers(cls, volunteers, *, workers: int = 1) -> "VolunteerIndex":
        """The cached index of a VolunteerArrays snapshot (built on first use)."""
        cache = volunteers._cache
        if "index" not in cache:
            cache["index"] = cls(volunteers.lat, volunteers.lon, workers=workers)
        return cache["index"]

    def query(self, lat: np.ndarray, lon: np.ndarray, *, radius_km: float, k: int) -> CandidatePairs:
        """Up to k nearest volunteers within radius_km of each point; points without a location get none."""
        lat = np.atleast_1d(np.asarray(lat, float))
        lon = np.atleast_1d(np.asarray(lon, float))
        ok = np.isfinite(lat) & np.isfinite(lon)
        if self.tree is None or not ok.any() or k <= 0:
            return CandidatePairs.empty()
        k = int(min(k, self.rows.size))
        points = np.flatnonzero(ok)
        chord, pos = self.tree.query(to_xyz(lat[points], lon[points]), k=k,
                                     distance_upper_bound=float(km_to_chord(radius_km)) * (1 + 1e-12),
                                     workers=self.workers)
        chord = chord.reshape(points.size, k)
        pos = pos.reshape(points.size, k)
        hit = pos < self.rows.size  # misses come back as index n with infinite distance
        return CandidatePairs(self.rows[pos[hit]], np.repeat(points, hit.sum(axis=1)), chord_to_km(chord[hit]))

    def query_radius(self, lat: float, lon: float, *, radius_km: float) -> CandidatePairs:
        """Every located volunteer within radius_km of one point, nearest first."""
        if self.tree is None or not (np.isfinite(lat) and np.isfinite(lon)):
            return CandidatePairs.empty()
        pos = np.asarray(self.tree.query_ball_point(to_xyz(lat, lon), float(km_to_chord(radius_km)) * (1 + 1e-12)),
                         dtype=np.int64)
        if pos.size == 0:
            return CandidatePairs.empty()
        chord = np.linalg.norm(self.tree.data[pos] - to_xyz(lat, lon)[None, :], axis=1)
        order = np.argsort(chord, kind="stable")
        return CandidatePairs(self.rows[pos[order]], np.zeros(pos.size, np.int64), chord_to_km(chord[order]))


def candidate_pairs(volunteers, targets, *, radius_km: float = 10.0, k: int = 64,
                    index: VolunteerIndex | None = None) -> CandidatePairs:
    """Spatial candidates for every target: up to k nearest located volunteers within radius_km."""
    if len(volunteers) == 0 or len(targets) == 0:
        return CandidatePairs.empty()
    index = index or VolunteerIndex.for_volunteers(volunteers)
    return index.query(targets.lat, targets.lon, radius_km=radius_km, k=k)


__all__ = ("CandidatePairs", "VolunteerIndex", "candidate_pairs")
