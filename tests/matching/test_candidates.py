"""The KD-tree on unit vectors finds exactly the volunteers within the great-circle radius."""

import numpy as np

from matching import VolunteerIndex
from matching.geo import chord_to_km, haversine_km, km_to_chord


def test_chord_and_great_circle_distance_round_trip():
    km = np.array([0.0, 0.5, 10.0, 500.0, 5000.0])
    assert np.allclose(chord_to_km(km_to_chord(km)), km)


def test_radius_query_equals_brute_force_haversine():
    rng = np.random.default_rng(3)
    lat = 33.9 + rng.normal(0, 0.1, 3000)
    lon = 118.3 + rng.normal(0, 0.1, 3000)
    lat[::17] = np.nan
    index = VolunteerIndex(lat, lon)
    tlat, tlon = 33.9 + rng.normal(0, 0.05, 20), 118.3 + rng.normal(0, 0.05, 20)
    pairs = index.query(tlat, tlon, radius_km=5.0, k=3000)
    for j in range(20):
        d = haversine_km(lat, lon, tlat[j], tlon[j])
        expected = set(np.flatnonzero(d <= 5.0))
        got = pairs.volunteer[pairs.target == j]
        assert set(got) == expected
        assert np.allclose(pairs.distance_km[pairs.target == j], d[got], atol=1e-6)


def test_k_nearest_and_single_point_radius_agree():
    rng = np.random.default_rng(4)
    lat, lon = 33.9 + rng.normal(0, 0.05, 500), 118.3 + rng.normal(0, 0.05, 500)
    index = VolunteerIndex(lat, lon)
    knn = index.query([33.9], [118.3], radius_km=100, k=10)
    ball = index.query_radius(33.9, 118.3, radius_km=100)
    assert knn.volunteer.tolist() == ball.volunteer[:10].tolist()


def test_volunteers_and_targets_without_location_are_simply_not_candidates():
    index = VolunteerIndex(np.array([np.nan, 33.9]), np.array([np.nan, 118.3]))
    assert index.query([33.9, np.nan], [118.3, 118.3], radius_km=1, k=5).volunteer.tolist() == [1]
    empty = VolunteerIndex(np.array([np.nan]), np.array([np.nan]))
    assert len(empty.query([33.9], [118.3], radius_km=1, k=5)) == 0
    assert len(empty.query_radius(33.9, 118.3, radius_km=1)) == 0
