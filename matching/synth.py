"""A synthetic district whose hidden preferences give an oracle (the true utility of every pair).

Observable arrays look like the platform's snapshot; behind them sit hidden traits the model
never sees: each volunteer's true attendance probability (their attended/no-show counts are a
noisy sample of it), how much they mind distance, how keen they are on each kind of work (their
category history is a noisy trace of it), general enthusiasm, and per-pair noise. The true utility
(probability that a proposal is approved and attended) is a logistic function of the same kinds
of features plus those hidden terms, so a model can learn much of it but never all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from matching.candidates import VolunteerIndex
from matching.data import Commitments, TargetArrays, VolunteerArrays
from matching.features import pair_features
from matching.geo import EARTH_RADIUS_KM

CENTER = (33.9, 118.3)
N_SKILLS, N_CERTS, N_ORGS, N_CATEGORIES = 12, 4, 12, 11
DAY = 86400.0
# A fixed Monday 00:00 local (UTC+8) so every run sees the same calendar: 2026-11-30.
DEFAULT_NOW = 1_795_968_000.0


@dataclass
class Hidden:
    """What the platform cannot observe about each volunteer."""

    attend_prob: np.ndarray      # true attendance probability
    distance_sensitivity: np.ndarray
    category_pref: np.ndarray    # [n, K] keenness on each kind of work
    enthusiasm: np.ndarray
    noise_seed: int


@dataclass
class District:
    volunteers: VolunteerArrays
    targets: TargetArrays
    commitments: Commitments
    hidden: Hidden
    now: float
    seed: int
    grid_centers: np.ndarray     # [G, 2] lat, lon
    grid_community: np.ndarray   # [G]


def _offset(lat0, lon0, dx_km, dy_km):
    lat = lat0 + np.degrees(dy_km / EARTH_RADIUS_KM)
    lon = lon0 + np.degrees(dx_km / (EARTH_RADIUS_KM * np.cos(np.radians(lat0))))
    return lat, lon


def _pair_noise(vi: np.ndarray, tj: np.ndarray, seed: int) -> np.ndarray:
    """Standard normal noise fixed per (volunteer, target, seed): splitmix64 hashing, no state."""
    with np.errstate(over="ignore"):
        x = (vi.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ (tj.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F))
        x ^= np.uint64(seed) * np.uint64(0x165667B19E3779F9)
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    u = (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return ndtri(np.clip(u, 1e-12, 1 - 1e-12))


def make_district(n_volunteers: int = 5000, n_targets: int = 1000, *, seed: int = 0, now: float = DEFAULT_NOW,
                  days: int = 7, kind: str = "occurrence") -> District:
    """A district (or, for large n, a city of such districts) with volunteers, a week of targets and sign-ups."""
    rng = np.random.default_rng(seed)
    n = n_volunteers
    # Constant density: a larger population covers a larger area, with proportionally more grids.
    scale = max(1.0, np.sqrt(n / 5000.0))
    n_grids = int(69 * scale ** 2)
    n_comm = max(4, int(4 * scale ** 2))
    comm_xy = rng.uniform(-5 * scale, 5 * scale, size=(n_comm, 2))
    grid_community = rng.integers(0, n_comm, n_grids)
    grid_xy = comm_xy[grid_community] + rng.normal(0, 1.6, size=(n_grids, 2))
    glat, glon = _offset(CENTER[0], CENTER[1], grid_xy[:, 0], grid_xy[:, 1])
    grid_centers = np.stack([glat, glon], axis=1)

    grid = rng.integers(0, n_grids, n)
    xy = grid_xy[grid] + rng.normal(0, 0.6, size=(n, 2))
    lat, lon = _offset(CENTER[0], CENTER[1], xy[:, 0], xy[:, 1])
    no_loc = rng.random(n) < 0.04
    lat[no_loc] = np.nan
    lon[no_loc] = np.nan

    youth = rng.random(n) < 0.08
    age = np.where(youth, rng.integers(14, 18, n), rng.integers(18, 76, n)).astype(float)
    age[rng.random(n) < 0.01] = np.nan

    skill_rate = rng.uniform(0.05, 0.35, N_SKILLS)
    skills = rng.random((n, N_SKILLS)) < skill_rate
    holds = rng.random((n, N_CERTS)) < np.array([0.25, 0.08, 0.15, 0.06])
    expiry = np.floor(now / DAY) + rng.integers(-400, 1100, (n, N_CERTS))
    cert_expiry = np.where(holds, expiry.astype(float), -np.inf)

    availability = np.zeros((n, 168), bool)
    pattern = rng.integers(0, 4, n)
    for d in range(7):
        weekend = d >= 5
        h = d * 24
        availability[:, h + 9:h + 18] |= (pattern == 0)[:, None]                   # retired: daytime
        availability[:, h + 18:h + 22] |= ((pattern == 1) & (not weekend))[:, None]     # workers: evenings
        availability[:, h + 8:h + 20] |= ((pattern == 1) & weekend)[:, None]
        availability[:, h + 8:h + 20] |= ((pattern == 2) & weekend)[:, None]       # weekends only
        availability[:, h + 7:h + 22] |= (pattern == 3)[:, None]                   # flexible
    availability &= rng.random((n, 168)) > 0.15  # personal exceptions

    attend_prob = rng.beta(8, 2, n)
    history = rng.poisson(rng.gamma(2.0, 5.0, n))
    attended = rng.binomial(history, attend_prob)
    no_show = history - attended
    enthusiasm = rng.normal(0, 0.3, n)
    category_pref = rng.normal(0, 0.7, (n, N_CATEGORIES))
    cat_rate = np.exp(1.2 * category_pref) * (history[:, None] + 1) / N_CATEGORIES
    category_history = rng.poisson(cat_rate).astype(float)
    org_history = rng.poisson(0.25 * (history[:, None] + 1) / N_ORGS * rng.gamma(0.7, 1.5, (n, N_ORGS))).astype(float)
    max_hours = rng.choice([16.0, 20.0, 30.0, 40.0], n)
    hours = np.minimum(rng.gamma(1.2, 5.0, n), max_hours + 2)
    recent = rng.poisson(np.exp(enthusiasm) * 1.5).astype(float)

    vols = VolunteerArrays(
        ids=np.arange(1, n + 1), lat=lat, lon=lon, skills=skills, cert_expiry=cert_expiry, availability=availability,
        age=age, community=grid_community[grid], grid=grid, is_youth=youth,
        youth_active=youth & (rng.random(n) < 0.8), consent_in_force=youth & (rng.random(n) < 0.85),
        attended=attended, no_show=no_show, hours_this_month=hours, max_hours_month=max_hours,
        recent_load=recent, org_history=org_history, category_history=category_history,
    )
    hidden = Hidden(attend_prob, rng.lognormal(0, 0.35, n), category_pref, enthusiasm, noise_seed=seed * 7919 + 1)
    district = District(vols, None, Commitments(), hidden, now, seed, grid_centers, grid_community)  # type: ignore[arg-type]
    district.targets = make_targets(district, n_targets, seed=seed + 1, start=now, days=days, kind=kind)

    # Some people already signed up for something in the coming week.
    has = np.flatnonzero(rng.random(n) < 0.12)
    c_start = now + rng.integers(0, days * 24, has.size) * 3600.0
    district.commitments = Commitments(has, c_start, c_start + rng.choice([2, 3, 4], has.size) * 3600.0)
    return district


def make_targets(district: District, m: int, *, seed: int, start: float, days: int = 7,
                 kind: str = "occurrence") -> TargetArrays:
    """m targets spread over `days` days from `start`, placed at the district's grids."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, district.grid_centers.shape[0], m)
    dlat = np.degrees(rng.normal(0, 0.5, m) / EARTH_RADIUS_KM)
    lat = district.grid_centers[g, 0] + dlat
    lon = district.grid_centers[g, 1] + np.degrees(rng.normal(0, 0.5, m) / EARTH_RADIUS_KM) / np.cos(np.radians(lat))
    local_day0 = np.floor((start + 8 * 3600) / DAY)
    day = local_day0 + rng.integers(0, days, m)
    hour = np.where(rng.random(m) < 0.8, rng.integers(8, 16, m), rng.integers(16, 20, m))
    t0 = day * DAY - 8 * 3600 + hour * 3600.0
    t0 = np.maximum(t0, start + 3600)
    dur = rng.choice([2.0, 3.0, 4.0], m, p=[0.5, 0.3, 0.2]) * 3600.0
    req_skills = np.zeros((m, N_SKILLS), bool)
    n_req = rng.choice([0, 1, 2], m, p=[0.35, 0.45, 0.2])
    for j in np.flatnonzero(n_req):
        req_skills[j, rng.choice(N_SKILLS, n_req[j], replace=False)] = True
    req_certs = np.zeros((m, N_CERTS), bool)
    needs = rng.random(m) < 0.12
    req_certs[needs, rng.integers(0, N_CERTS, needs.sum())] = True
    wish = kind == "wish"
    capacity = np.ones(m, np.int64) if wish else rng.choice([1, 2, 3, 4, 5, 6, 8], m, p=[.1, .2, .2, .2, .15, .1, .05])
    min_age = np.where(wish | (rng.random(m) < 0.3), 18.0, 0.0)
    youth_allowed = ~wish & (rng.random(m) < 0.4) & (min_age == 0)
    return TargetArrays(
        ids=np.arange(1, m + 1) + seed * 100_000, lat=lat, lon=lon, start=t0, end=t0 + dur, capacity_remaining=capacity,
        required_skills=req_skills, required_certs=req_certs, min_age=min_age,
        max_age=np.where(rng.random(m) < 0.2, 70.0, np.inf), youth_allowed=youth_allowed,
        has_adult_leader=rng.random(m) < 0.7, organization=np.where(wish, -1, rng.integers(0, N_ORGS, m)),
        category=rng.integers(0, N_CATEGORIES, m), urgency=rng.beta(2, 3, m), needed_by=t0,
        community=district.grid_community[g], grid=g, kind=kind,
    )


def true_utility(district: District, vi: np.ndarray, tj: np.ndarray, *, targets: TargetArrays | None = None,
                 distance_km: np.ndarray | None = None, noise: float = 0.35) -> np.ndarray:
    """The oracle: probability that proposing volunteer vi for target tj ends approved and attended."""
    targets = district.targets if targets is None else targets
    vols, h = district.volunteers, district.hidden
    vi = np.asarray(vi, np.int64)
    tj = np.asarray(tj, np.int64)
    if distance_km is None:
        from matching.geo import haversine_km
        distance_km = haversine_km(vols.lat[vi], vols.lon[vi], targets.lat[tj], targets.lon[tj])
    X = pair_features(vols, targets, vi, tj, np.nan_to_num(distance_km, nan=50.0), now=district.now)
    skill, dist, same_grid, same_comm, avail = X[:, 0], X[:, 1], X[:, 2], X[:, 3], X[:, 4]
    cat = targets.category[tj]
    pref = np.where(cat >= 0, h.category_pref[vi, np.maximum(cat, 0)], 0.0)
    logit = (-0.3 + 2.4 * (skill - 0.5) - 0.45 * h.distance_sensitivity[vi] * dist + 0.35 * same_grid
             + 0.25 * same_comm + 1.6 * (avail - 0.75) + 5.0 * (h.attend_prob[vi] - 0.8)
             - 0.18 * X[:, 6] + 0.3 * np.log1p(X[:, 7]) + 0.9 * pref + h.enthusiasm[vi] + 0.4 * (X[:, 9] - 0.4)
             + noise * _pair_noise(vi, targets.ids[tj], h.noise_seed))
    return 1.0 / (1.0 + np.exp(-logit))


def simulate_log(district: District, model, *, weeks: int = 6, targets_per_week: int = 300, per_target: int = 8,
                 explore: float = 0.3, seed: int = 0, radius_km: float = 10.0):
    """Past staff decisions: per target, the policy's top candidates plus a few random eligible ones,
    each labelled approved-and-attended by a coin with the true utility. Returns X, y, timestamps."""
    from matching.engine import rank_candidates

    rng = np.random.default_rng(seed)
    xs, ys, ts = [], [], []
    index = VolunteerIndex.for_volunteers(district.volunteers)
    for w in range(weeks):
        start = district.now - (weeks - w) * 7 * DAY
        tg = make_targets(district, targets_per_week, seed=seed * 1000 + w + 17, start=start)
        past = District(district.volunteers, tg, Commitments(), district.hidden, start, district.seed,
                        district.grid_centers, district.grid_community)
        for j in range(len(tg)):
            r = rank_candidates(district.volunteers, tg, model, target_index=j, top_k=200, now=start,
                                radius_km=radius_km, index=index, max_candidates=400)
            if len(r) == 0:
                continue
            k_top = max(1, int(round(per_target * (1 - explore))))
            pick = list(range(min(k_top, len(r))))
            rest = np.arange(len(pick), len(r))
            if rest.size:
                pick += list(rng.choice(rest, min(per_target - len(pick), rest.size), replace=False))
            pick = np.array(pick)
            u = true_utility(past, r.volunteer[pick], np.full(pick.size, j), distance_km=r.distance_km[pick])
            xs.append(r.features[pick])
            ys.append(rng.random(pick.size) < u)
            ts.append(np.full(pick.size, tg.start[j]))
    if not xs:
        from matching.features import FEATURE_NAMES
        return np.zeros((0, len(FEATURE_NAMES))), np.zeros(0, int), np.zeros(0)
    return np.concatenate(xs), np.concatenate(ys).astype(int), np.concatenate(ts)


__all__ = ("District", "Hidden", "make_district", "make_targets", "true_utility", "simulate_log", "DEFAULT_NOW")
