"""Coordinates on the unit sphere: straight-line (chord) neighbours are great-circle neighbours."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def to_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Degrees → float[n,3] unit vectors; NaN stays NaN."""
    lat = np.radians(np.asarray(lat, float))
    lon = np.radians(np.asarray(lon, float))
    cos_lat = np.cos(lat)
    return np.stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)], axis=-1)


def km_to_chord(km: float | np.ndarray) -> np.ndarray:
    """Great-circle distance → chord length on the unit sphere (monotone, so radius queries are exact)."""
    angle = np.minimum(np.asarray(km, float) / EARTH_RADIUS_KM, np.pi)
    return 2.0 * np.sin(angle / 2.0)


def chord_to_km(chord: np.ndarray) -> np.ndarray:
    """Chord length on the unit sphere → great-circle distance in km."""
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord, float) / 2.0, 0.0, 1.0))


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km (used by tests and baselines as an independent check)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


__all__ = ("to_xyz", "km_to_chord", "chord_to_km", "haversine_km", "EARTH_RADIUS_KM")
