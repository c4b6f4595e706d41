"""Hard rules as vectorised masks over volunteer × target pairs. A rule never becomes a soft score."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.data import SECONDS_PER_DAY, Commitments, TargetArrays, VolunteerArrays, pack_bits, popcount, \
    weekly_hour_mask
from matching.geo import haversine_km

# Order matters: rule_failures() returns columns in this order (after the two spatial codes).
RULE_CODES = (
    "no_location", "too_far", "full", "availability", "skill", "certificate", "age",
    "youth_consent", "youth_inactive", "youth_night", "youth_not_allowed", "youth_no_leader", "youth_too_far",
    "monthly_hours", "daily_hours", "overlap", "weekly_hours",
)
PAIR_RULES = RULE_CODES[2:]
RULE_LABELS_ZH = {
    "no_location": "没有登记位置", "too_far": "距离超出范围", "full": "名额已满",
    "availability": "该时段不在可服务时间内", "skill": "缺少活动要求的技能",
    "certificate": "缺少有效证书（或活动时已过期）",
    "age": "年龄不符合要求", "youth_consent": "监护人同意未生效", "youth_inactive": "少年队员未通过评估或未在队",
    "youth_night": "少年队员只能参加白天活动", "youth_not_allowed": "该活动不允许少年队员参加",
    "youth_no_leader": "没有成年带队人报名", "youth_too_far": "少年队员只参加本社区或离家近的活动",
    "monthly_hours": "超出每月服务时长上限",
    "daily_hours": "超出每日服务时长上限", "overlap": "与已报名的活动时间冲突",
    "weekly_hours": "超出每周服务时长上限",
}
RULE_LABELS_EN = {
    "no_location": "no location on file", "too_far": "outside the search radius", "full": "no places left",
    "availability": "not available at that time", "skill": "missing a skill the activity requires",
    "certificate": "missing a certificate valid on the day",
    "age": "age outside the allowed range", "youth_consent": "guardian consent not in force",
    "youth_inactive": "youth member not assessed and active", "youth_night": "youth members serve in daytime only",
    "youth_not_allowed": "activity not open to youth members", "youth_no_leader": "no adult leader signed up",
    "youth_too_far": "youth members serve in their own community or near home",
    "monthly_hours": "monthly hours limit reached", "daily_hours": "daily hours limit reached",
    "overlap": "already signed up for an overlapping time", "weekly_hours": "weekly hours limit reached",
}


@dataclass(frozen=True)
class RuleConfig:
    """Thresholds of the hard rules (local time for the youth daytime window)."""

    min_availability_share: float = 0.5
    youth_day_start_hour: float = 8.0
    youth_day_end_hour: float = 18.0
    max_hours_per_day: float = 10.0
    adult_age: int = 18
    youth_radius_km: float = 3.0


def pair_age(volunteers: VolunteerArrays, targets: TargetArrays, vi: np.ndarray, tj: np.ndarray) -> np.ndarray:
    """Each person's age in whole years on the target's local date (NaN = unknown).

    From the birth date where known (YYYYMMDD arithmetic: a birthday counts from its local day on,
    29 February from 1 March in other years); arrays without birth dates fall back to `age`.
    """
    birth = volunteers.birth_ymd[vi]
    on = targets.local_ymd[tj]
    return np.where(birth > 0, ((on - birth) // 10000).astype(float), volunteers.age[vi])


def local_week(day: np.ndarray) -> np.ndarray:
    """Week number (Monday to Sunday) of local days counted from 1970-01-01, a Thursday."""
    return (np.asarray(day, np.int64) + 3) // 7


def _target_cache(targets: TargetArrays, config: RuleConfig) -> dict:
    key = ("rules", config)
    if key not in targets._cache:
        off = targets.utc_offset_hours * 3600.0
        start = np.nan_to_num(targets.start)
        end = np.nan_to_num(targets.end)
        day = targets.local_day
        day_start_utc = day * SECONDS_PER_DAY - off
        hours_mask = weekly_hour_mask(start, end, targets.utc_offset_hours)
        daytime = ((start - day_start_utc) >= config.youth_day_start_hour * 3600.0) & \
                  ((end - day_start_utc) <= config.youth_day_end_hour * 3600.0) & (end > start)
        month = (day.astype("datetime64[D]").astype("datetime64[M]")).astype(np.int64)
        week = local_week(day)
        targets._cache[key] = dict(
            hours=pack_bits(hours_mask), n_hours=np.maximum(hours_mask.sum(axis=1), 1),
            daytime=daytime, duration=targets.duration_hours, day_start=day_start_utc, month=month, week=week,
            # Certificates are valid through their expiry day: compare with the occurrence's local date.
            needs_cert=targets.required_certs.any(axis=1), needs_skill=targets.required_skills.any(axis=1),
            valid_time=np.isfinite(targets.start) & np.isfinite(targets.end) & (targets.end > targets.start),
        )
    return targets._cache[key]


def _volunteer_cache(volunteers: VolunteerArrays) -> dict:
    if "rules" not in volunteers._cache:
        volunteers._cache["rules"] = dict(hours=pack_bits(volunteers.availability))
    return volunteers._cache["rules"]


def availability_share(volunteers, targets, vi, tj, config: RuleConfig = RuleConfig()) -> np.ndarray:
    """Share of the target's local weekly hours in which the volunteer is available."""
    t = _target_cache(targets, config)
    v = _volunteer_cache(volunteers)
    return popcount(v["hours"][vi] & t["hours"][tj]) / t["n_hours"][tj]


def _commitment_load(volunteers, targets, vi, tj, commitments: Commitments, t: dict):
    """Per pair: overlapping commitments (count), committed hours that local day, that month and that week."""
    p = vi.shape[0]
    overlap = np.zeros(p, np.int64)
    day_hours = np.zeros(p)
    month_hours = np.zeros(p)
    week_hours = np.zeros(p)
    if len(commitments) == 0 or p == 0:
        return overlap, day_hours, month_hours, week_hours
    order = np.argsort(commitments.volunteer, kind="stable")
    cv = commitments.volunteer[order]
    cs, ce = commitments.start[order], commitments.end[order]
    lo = np.searchsorted(cv, vi, side="left")
    counts = np.searchsorted(cv, vi, side="right") - lo
    if counts.sum() == 0:
        return overlap, day_hours, month_hours, week_hours
    pair = np.repeat(np.arange(p), counts)
    within = np.arange(pair.size) - np.repeat(np.cumsum(counts) - counts, counts)
    c = lo[pair] + within
    # A person's own sign-up for this very occurrence is not a commitment against it.
    other = np.ones(c.shape, bool) if targets.kind != "occurrence" else \
        commitments.target[order][c] != targets.ids[tj[pair]]
    ts, te = targets.start[tj[pair]], targets.end[tj[pair]]
    hit = (cs[c] < te) & (ce[c] > ts) & other
    overlap = np.bincount(pair, weights=hit, minlength=p).astype(np.int64)
    d0 = t["day_start"][tj[pair]]
    in_day = np.clip(np.minimum(ce[c], d0 + SECONDS_PER_DAY) - np.maximum(cs[c], d0), 0, None) / 3600.0
    day_hours = np.bincount(pair, weights=in_day * other, minlength=p)
    off = targets.utc_offset_hours * 3600.0
    c_day = np.floor((cs[c] + off) / SECONDS_PER_DAY).astype(np.int64)
    c_month = c_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    c_hours = (ce[c] - cs[c]) / 3600.0
    same_month = (c_month == t["month"][tj[pair]]) & other
    month_hours = np.bincount(pair, weights=np.where(same_month, c_hours, 0.0), minlength=p)
    same_week = (local_week(c_day) == t["week"][tj[pair]]) & other
    week_hours = np.bincount(pair, weights=np.where(same_week, c_hours, 0.0), minlength=p)
    return overlap, day_hours, month_hours, week_hours


def commitment_load(volunteers, targets, vi, tj, commitments: Commitments, config: RuleConfig = RuleConfig()):
    """Per pair (overlapping commitments, hours that local day, month and week): what the limits count."""
    return _commitment_load(volunteers, targets, np.asarray(vi, np.int64), np.asarray(tj, np.int64),
                            Commitments.from_obj(commitments), _target_cache(targets, config))


def daily_limit(volunteers: VolunteerArrays, vi: np.ndarray, config: RuleConfig = RuleConfig()) -> np.ndarray:
    """float[P]: hours each person may serve in one local day — the district's limit or their own lower one."""
    return np.minimum(config.max_hours_per_day, volunteers.max_hours_day[np.asarray(vi, np.int64)])


def rule_failures(volunteers: VolunteerArrays, targets: TargetArrays, vi: np.ndarray, tj: np.ndarray,
                  commitments: Commitments | None = None, config: RuleConfig = RuleConfig(), *,
                  share: np.ndarray | None = None) -> np.ndarray:
    """bool[P, len(PAIR_RULES)]: which pair rule each (vi[p], tj[p]) breaks; a row of False is eligible.
    `share`: the pairs' availability_share if already computed."""
    vi = np.asarray(vi, np.int64)
    tj = np.asarray(tj, np.int64)
    commitments = Commitments.from_obj(commitments)
    t = _target_cache(targets, config)
    v = _volunteer_cache(volunteers)
    out = np.zeros((vi.shape[0], len(PAIR_RULES)), bool)
    if vi.shape[0] == 0:
        return out
    col = {code: i for i, code in enumerate(PAIR_RULES)}
    out[:, col["full"]] = targets.capacity_remaining[tj] <= 0
    share = availability_share(volunteers, targets, vi, tj, config) if share is None else np.asarray(share, float)
    out[:, col["availability"]] = ~t["valid_time"][tj] | (share <= 0) | (share < config.min_availability_share)

    needs = t["needs_skill"][tj]
    if needs.any():
        sel = np.flatnonzero(needs)
        out[sel, col["skill"]] = (targets.required_skills[tj[sel]] & ~volunteers.skills[vi[sel]]).any(axis=1)

    needs = t["needs_cert"][tj]
    if needs.any():
        sel = np.flatnonzero(needs)
        valid = volunteers.cert_expiry[vi[sel]] >= targets.local_day[tj[sel], None]
        out[sel, col["certificate"]] = (targets.required_certs[tj[sel]] & ~valid).any(axis=1)

    age = pair_age(volunteers, targets, vi, tj)
    bounded = (targets.min_age[tj] > 0) | np.isfinite(targets.max_age[tj])
    # Unknown age fails any bound: safety first.
    out[:, col["age"]] = bounded & ~((age >= targets.min_age[tj]) & (age <= targets.max_age[tj]))

    # Youth rules follow the age on the day, whatever roster the person is on.
    minor = age < config.adult_age
    out[:, col["youth_consent"]] = minor & ~volunteers.consent_in_force[vi]
    out[:, col["youth_inactive"]] = minor & ~volunteers.youth_active[vi]
    out[:, col["youth_night"]] = minor & ~t["daytime"][tj]
    out[:, col["youth_not_allowed"]] = minor & ~targets.youth_allowed[tj]
    out[:, col["youth_no_leader"]] = minor & ~targets.has_adult_leader[tj]
    if minor.any():
        sel = np.flatnonzero(minor)
        home = (volunteers.community[vi[sel]] >= 0) & (volunteers.community[vi[sel]] == targets.community[tj[sel]])
        dist = haversine_km(volunteers.lat[vi[sel]], volunteers.lon[vi[sel]], targets.lat[tj[sel]],
                            targets.lon[tj[sel]])
        out[sel, col["youth_too_far"]] = ~home & ~(dist <= config.youth_radius_km)

    overlap, day_hours, month_hours, week_hours = _commitment_load(volunteers, targets, vi, tj, commitments, t)
    duration = t["duration"][tj]
    out[:, col["monthly_hours"]] = month_hours + duration > volunteers.max_hours_month[vi] + 1e-9
    out[:, col["weekly_hours"]] = week_hours + duration > volunteers.max_hours_week[vi] + 1e-9
    out[:, col["daily_hours"]] = day_hours + duration > daily_limit(volunteers, vi, config) + 1e-9
    out[:, col["overlap"]] = overlap > 0
    return out


def batch_conflicts(volunteers: VolunteerArrays, targets: TargetArrays, vi: np.ndarray, tj: np.ndarray,
                    commitments: Commitments | None = None, config: RuleConfig = RuleConfig()) -> np.ndarray:
    """bool[A]: chosen pairs that break overlap, daily, weekly or monthly hours together with the other chosen pairs."""
    vi = np.asarray(vi, np.int64)
    tj = np.asarray(tj, np.int64)
    if vi.size == 0:
        return np.zeros(0, bool)
    t = _target_cache(targets, config)
    both = Commitments.from_obj(commitments).extended(vi, targets.start[tj], targets.end[tj])
    # Each pair meets itself once in `both`: its own interval and hours are already counted.
    overlap, day_hours, month_hours, week_hours = _commitment_load(volunteers, targets, vi, tj, both, t)
    own = t["valid_time"][tj].astype(np.int64)
    return ((overlap > own) | (day_hours > daily_limit(volunteers, vi, config) + 1e-9)
            | (month_hours > volunteers.max_hours_month[vi] + 1e-9)
            | (week_hours > volunteers.max_hours_week[vi] + 1e-9))


def eligible(volunteers, targets, vi, tj, commitments=None, config: RuleConfig = RuleConfig()) -> np.ndarray:
    """bool[P]: the pair breaks no hard rule."""
    return ~rule_failures(volunteers, targets, vi, tj, commitments, config).any(axis=1)


def why_not(volunteers: VolunteerArrays, targets: TargetArrays, target_index: int, volunteer_indices,
            commitments: Commitments | None = None, *, radius_km: float | None = None,
            config: RuleConfig = RuleConfig()) -> list[list[str]]:
    """For staff: the rule codes that exclude each given volunteer from one target ([] = eligible)."""
    volunteers = VolunteerArrays.from_obj(volunteers)
    targets = TargetArrays.from_obj(targets)
    vi = np.atleast_1d(np.asarray(volunteer_indices, np.int64))
    if vi.size == 0 or not (0 <= target_index < len(targets)):
        return [[] for _ in range(vi.size)]
    tj = np.full(vi.shape, int(target_index), np.int64)
    fails = rule_failures(volunteers, targets, vi, tj, commitments, config)
    located = np.isfinite(volunteers.lat[vi]) & np.isfinite(volunteers.lon[vi])
    far = np.zeros(vi.shape, bool)
    if radius_km is not None:
        dist = haversine_km(volunteers.lat[vi], volunteers.lon[vi], targets.lat[tj], targets.lon[tj])
        far = located & ~(dist <= radius_km)
    out = []
    for p in range(vi.size):
        codes = (["no_location"] if not located[p] else []) + (["too_far"] if far[p] else [])
        codes += [PAIR_RULES[r] for r in np.flatnonzero(fails[p])]
        out.append(codes)
    return out


def describe_rules(codes: list[str]) -> str:
    """Rule codes → one line for staff, zh-CN first then English."""
    if not codes:
        return "符合全部规则 / meets every rule"
    return "；".join(RULE_LABELS_ZH[c] for c in codes) + " / " + "; ".join(RULE_LABELS_EN[c] for c in codes)


__all__ = ("RULE_CODES", "PAIR_RULES", "local_week", "commitment_load", "daily_limit", "RULE_LABELS_ZH", "RULE_LABELS_EN", "RuleConfig", "pair_age", "rule_failures",
           "eligible", "batch_conflicts", "why_not", "availability_share", "describe_rules")
