"""Pair features over whole candidate arrays (one numpy pass, no per-pair Python)."""

from __future__ import annotations

import numpy as np

from matching.data import SECONDS_PER_DAY, TargetArrays, VolunteerArrays, pack_bits, popcount
from matching.history import distance_band, person_profile, time_band
from matching.rules import RuleConfig, availability_share

FEATURE_NAMES = (
    "skill_coverage", "distance_km", "same_grid", "same_community", "availability_share",
    "reliability", "recent_load", "org_history", "category_history", "urgency", "days_until_needed",
    # What the person declared (preferences, never rules).
    "declared_kind", "distance_over_declared",
    # What the person's own invitations say (matching.history), smoothed towards the population.
    "acceptance_rate", "kind_acceptance", "time_acceptance", "distance_acceptance", "distance_over_travelled",
    "invitations_seen",
)
# Columns that come from the person's own invitation history (a model restricted to declared data drops them).
PERSONAL_FEATURES = ("acceptance_rate", "kind_acceptance", "time_acceptance", "distance_acceptance",
                     "distance_over_travelled", "invitations_seen")
FEATURE_LABELS_ZH = {
    "skill_coverage": "技能匹配度", "distance_km": "距离（公里）", "same_grid": "同一网格",
    "same_community": "同一社区", "availability_share": "可服务时间重合", "reliability": "到场可靠度",
    "recent_load": "近30天报名次数", "org_history": "曾为该组织服务", "category_history": "做过同类服务",
    "urgency": "紧急程度", "days_until_needed": "距需要日期的天数",
    "declared_kind": "本人登记的服务意向", "distance_over_declared": "距离与本人登记的最远距离之比",
    "acceptance_rate": "本人接受邀请的比例", "kind_acceptance": "本人对此类服务的接受比例",
    "time_acceptance": "本人在此时段的接受比例", "distance_acceptance": "本人在此距离的接受比例",
    "distance_over_travelled": "距离与本人实际常走距离之比", "invitations_seen": "收到过的邀请数",
}
FEATURE_LABELS_EN = {
    "skill_coverage": "skill coverage", "distance_km": "distance (km)", "same_grid": "same grid",
    "same_community": "same community", "availability_share": "availability overlap",
    "reliability": "attendance reliability", "recent_load": "sign-ups in the last 30 days",
    "org_history": "past work with this organization", "category_history": "past work of this kind",
    "urgency": "urgency", "days_until_needed": "days until needed",
    "declared_kind": "declared interest in this kind", "distance_over_declared": "distance vs. declared maximum",
    "acceptance_rate": "own acceptance rate", "kind_acceptance": "own acceptance of this kind",
    "time_acceptance": "own acceptance at this time of day", "distance_acceptance": "own acceptance at this distance",
    "distance_over_travelled": "distance vs. the distance actually travelled", "invitations_seen": "invitations seen",
}
# Distance assumed when a person declared no maximum (km).
DEFAULT_DISTANCE_KM = 5.0
# Reliability is smoothed towards 0.8 with the weight of five sign-ups, so newcomers are not punished.
RELIABILITY_PRIOR = (4.0, 1.0)
HISTORY_CAP = 10.0


def _history(matrix, vi: np.ndarray, col: np.ndarray) -> np.ndarray:
    """matrix[vi, col] (0 where col < 0), for dense or scipy sparse history counts."""
    out = np.zeros(vi.shape[0])
    ok = (col >= 0) & (col < matrix.shape[1])
    if ok.any():
        if hasattr(matrix, "tocsr"):
            out[ok] = np.asarray(matrix[vi[ok], col[ok]]).ravel()
        else:
            out[ok] = matrix[vi[ok], col[ok]]
    return np.minimum(out, HISTORY_CAP)


def _skill_cache(volunteers: VolunteerArrays, targets: TargetArrays):
    if "skills" not in volunteers._cache:
        volunteers._cache["skills"] = pack_bits(volunteers.skills)
    if "skills" not in targets._cache:
        req = pack_bits(targets.required_skills)
        targets._cache["skills"] = (req, popcount(req))
    return volunteers._cache["skills"], targets._cache["skills"]


def profile_of(volunteers: VolunteerArrays, targets: TargetArrays):
    """The cached per-person profile of the snapshot's invitation log (see matching.history)."""
    k = max(int(targets.category.max(initial=-1)) + 1, volunteers.preferred_categories.shape[1],
            volunteers.category_history.shape[1], 1)
    log = volunteers.history
    if log is not None and len(log):
        k = max(k, int(log.category.max()) + 1)
    key = ("profile", k)
    if key not in volunteers._cache:
        volunteers._cache[key] = person_profile(log, len(volunteers), k)
    return volunteers._cache[key]


def _target_hours(targets: TargetArrays) -> np.ndarray:
    if "local_hour" not in targets._cache:
        local = np.nan_to_num(targets.start) + targets.utc_offset_hours * 3600.0
        targets._cache["local_hour"] = (local % SECONDS_PER_DAY) / 3600.0
    return targets._cache["local_hour"]


def pair_features(volunteers: VolunteerArrays, targets: TargetArrays, vi: np.ndarray, tj: np.ndarray,
                  distance_km: np.ndarray, *, now: float, config: RuleConfig = RuleConfig()) -> np.ndarray:
    """float64[P, len(FEATURE_NAMES)] for pairs (vi[p], tj[p]); `now` is epoch seconds."""
    vi = np.asarray(vi, np.int64)
    tj = np.asarray(tj, np.int64)
    X = np.empty((vi.shape[0], len(FEATURE_NAMES)))
    if vi.shape[0] == 0:
        return X
    vs, (ts, n_req) = _skill_cache(volunteers, targets)
    req = n_req[tj]
    X[:, 0] = np.where(req > 0, popcount(vs[vi] & ts[tj]) / np.maximum(req, 1), 1.0)
    X[:, 1] = distance_km
    g = volunteers.grid[vi]
    X[:, 2] = (g == targets.grid[tj]) & (g >= 0)
    c = volunteers.community[vi]
    X[:, 3] = (c == targets.community[tj]) & (c >= 0)
    X[:, 4] = availability_share(volunteers, targets, vi, tj, config)
    a, b = RELIABILITY_PRIOR
    att = volunteers.attended[vi]
    X[:, 5] = (att + a) / (att + volunteers.no_show[vi] + a + b)
    X[:, 6] = volunteers.recent_load[vi]
    X[:, 7] = _history(volunteers.org_history, vi, targets.organization[tj])
    X[:, 8] = _history(volunteers.category_history, vi, targets.category[tj])
    X[:, 9] = targets.urgency[tj]
    X[:, 10] = np.maximum((targets.needed_by[tj] - now) / 86400.0, 0.0)
    cat = targets.category[tj]
    pref = volunteers.preferred_categories
    declared_any = pref.any(axis=1)[vi] if pref.shape[1] else np.zeros(vi.shape[0], bool)
    in_range = (cat >= 0) & (cat < pref.shape[1])
    said = np.zeros(vi.shape[0], bool)
    if in_range.any():
        said[in_range] = pref[vi[in_range], cat[in_range]]
    X[:, 11] = np.where(declared_any & (cat >= 0), said, 0.5)
    km = volunteers.max_distance_km[vi]
    X[:, 12] = distance_km / np.where(np.isnan(km), DEFAULT_DISTANCE_KM, km)
    prof = profile_of(volunteers, targets)
    X[:, 13] = prof.accept[vi]
    X[:, 14] = np.where(cat >= 0, prof.by_kind[vi, np.maximum(cat, 0)], prof.accept[vi])
    X[:, 15] = prof.by_time[vi, time_band(_target_hours(targets)[tj])]
    X[:, 16] = prof.by_distance[vi, distance_band(distance_km)]
    X[:, 17] = distance_km / prof.travel_km[vi]
    X[:, 18] = np.log1p(prof.seen[vi])
    return X


__all__ = ("FEATURE_NAMES", "FEATURE_LABELS_ZH", "FEATURE_LABELS_EN", "PERSONAL_FEATURES", "pair_features",
           "profile_of")
