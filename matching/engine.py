"""The two entry points the web platform calls: rank candidates for one target, match a batch."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from matching.assign import fairness_penalty, solve_assignment
from matching.candidates import CandidatePairs, VolunteerIndex
from matching.data import Commitments, TargetArrays, VolunteerArrays
from matching.features import FEATURE_LABELS_EN, FEATURE_LABELS_ZH, FEATURE_NAMES, pair_features
from matching.model import Explanation, explanation_from, prior_scorer, score_pairs
from matching.rules import PAIR_RULES, RuleConfig, batch_conflicts, rule_failures, why_not as rules_why_not

_F = len(FEATURE_NAMES)


def _empty_f() -> np.ndarray:
    return np.zeros((0, _F))


@dataclass
class Ranking:
    """Best candidates for one target, best first. Indexes are into the VolunteerArrays given."""

    target_index: int
    volunteer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    volunteer_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    score: np.ndarray = field(default_factory=lambda: np.zeros(0))
    distance_km: np.ndarray = field(default_factory=lambda: np.zeros(0))
    features: np.ndarray = field(default_factory=_empty_f)
    contributions: np.ndarray = field(default_factory=_empty_f)
    explanations: list[Explanation] = field(default_factory=list)
    excluded: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    excluded_reasons: list[list[str]] = field(default_factory=list)
    n_considered: int = 0
    n_eligible: int = 0

    def __len__(self) -> int:
        return int(self.volunteer.shape[0])


@dataclass
class Assignment:
    """A batch's chosen pairs (indexes into the inputs) with scores and what fairness cost."""

    volunteer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    target: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    volunteer_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    target_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    score: np.ndarray = field(default_factory=lambda: np.zeros(0))
    distance_km: np.ndarray = field(default_factory=lambda: np.zeros(0))
    features: np.ndarray = field(default_factory=_empty_f)
    contributions: np.ndarray = field(default_factory=_empty_f)
    total_utility: float = 0.0
    unfair_utility: float = 0.0     # the optimum without the fairness term (= total when fairness=0)
    fairness_cost: float = 0.0      # share of utility given up for fairness: 1 − total/unfair
    fairness_penalty: float = 0.0   # the convex fairness cost paid in the objective
    n_candidates: int = 0
    n_eligible: int = 0
    repairs: int = 0                # pairs dropped because they clashed inside the batch
    status: str = "OPTIMAL"
    feature_names: tuple = FEATURE_NAMES
    labels_zh: dict = field(default_factory=lambda: dict(FEATURE_LABELS_ZH))
    labels_en: dict = field(default_factory=lambda: dict(FEATURE_LABELS_EN))

    def __len__(self) -> int:
        return int(self.volunteer.shape[0])

    def explanations(self, *, top: int = 3) -> list[Explanation]:
        """Words for each chosen pair (built on demand: cheap arrays first)."""
        return [explanation_from(self.contributions[i], float(self.score[i]), top=top, names=self.feature_names,
                                 labels_zh=self.labels_zh, labels_en=self.labels_en) for i in range(len(self))]


def _inputs(volunteers, targets, commitments):
    vols = VolunteerArrays.from_obj(volunteers)
    tgts = TargetArrays.from_obj(targets)
    if commitments is None and hasattr(volunteers, "commitment_volunteer"):
        commitments = volunteers
    return vols, tgts, Commitments.from_obj(commitments)


def rank_candidates(volunteers, targets, model=None, *, target_index: int = 0, top_k: int = 20,
                    now: float | None = None, commitments=None, radius_km: float = 10.0,
                    max_candidates: int = 100, why_not=False, config: RuleConfig = RuleConfig(),
                    index: VolunteerIndex | None = None) -> Ranking:
    """Rank eligible volunteers for targets[target_index] (or a one-row TargetArrays).

    Spatial candidates (up to max_candidates nearest within radius_km) → hard rules → features →
    model score. `why_not=True` adds the rule codes of the spatial candidates the rules excluded;
    an index array instead explains exactly those volunteers (no_location, too_far, rules, or []).
    Bad input (no volunteers, no such target, target without location) gives an empty Ranking.
    """
    vols, tgts, commitments = _inputs(volunteers, targets, commitments)
    now = time.time() if now is None else float(now)
    model = prior_scorer() if model is None else model
    result = Ranking(target_index=int(target_index))
    if len(vols) == 0 or not (0 <= target_index < len(tgts)):
        return result
    one = tgts.subset([target_index]) if len(tgts) > 1 else tgts
    index = index or VolunteerIndex.for_volunteers(vols)
    pairs = index.query(one.lat, one.lon, radius_km=radius_km, k=max_candidates)
    fails = rule_failures(vols, one, pairs.volunteer, pairs.target, commitments, config)
    ok = ~fails.any(axis=1)
    result.n_considered, result.n_eligible = len(pairs), int(ok.sum())
    good = pairs.take(ok)
    if len(good):
        X = pair_features(vols, one, good.volunteer, good.target, good.distance_km, now=now, config=config)
        s = score_pairs(model, X)
        order = np.lexsort((good.distance_km, -s))[:top_k]  # ties: nearer first
        contrib = model.explain(X[order])
        result.volunteer = good.volunteer[order]
        result.volunteer_ids = vols.ids[result.volunteer]
        result.score, result.distance_km = s[order], good.distance_km[order]
        result.features, result.contributions = X[order], contrib
        result.explanations = [explanation_from(contrib[i], float(s[order][i])) for i in range(order.size)]
    if why_not is True:
        bad = np.flatnonzero(~ok)
        result.excluded = pairs.volunteer[bad]
        result.excluded_reasons = [[PAIR_RULES[r] for r in np.flatnonzero(fails[p])] for p in bad]
    elif why_not is not False and why_not is not None:
        asked = np.atleast_1d(np.asarray(why_not, np.int64))
        asked = asked[(asked >= 0) & (asked < len(vols))]
        result.excluded = asked
        result.excluded_reasons = rules_why_not(vols, one, 0, asked, commitments, radius_km=radius_km, config=config)
    return result


def _monthly_slots(vols: VolunteerArrays, tgts: TargetArrays, vi: np.ndarray, tj: np.ndarray,
                   commitments: Commitments) -> np.ndarray:
    """Upper bound of assignments each volunteer's monthly headroom allows (a necessary condition)."""
    n = len(vols)
    committed = np.bincount(commitments.volunteer, weights=np.maximum(commitments.end - commitments.start, 0) / 3600.0,
                            minlength=n)[:n] if len(commitments) else np.zeros(n)
    headroom = vols.max_hours_month - vols.hours_this_month - committed
    shortest = np.full(n, np.inf)
    np.minimum.at(shortest, vi, np.maximum(tgts.duration_hours[tj], 1e-6))
    slots = np.where(np.isfinite(headroom) & np.isfinite(shortest), np.floor(headroom / shortest + 1e-9), 1e9)
    return np.clip(slots, 0, 1e9).astype(np.int64)


def _solve_repaired(vols, tgts, pairs: CandidatePairs, u: np.ndarray, commitments, config, *, k_per_day, fairness,
                    load, max_rounds: int):
    """Optimum over the pairs; then drop pairs that clash inside the batch (overlap, daily or monthly
    hours over several chosen targets) and refill the freed places from volunteers not yet chosen.

    The first solve is the exact optimum of the flow relaxation; when nothing clashes (the usual
    case with k_per_day=1 and enough monthly headroom) it is the answer. Refills are small
    residual problems, so repairs cost little even at city scale.
    """
    day = tgts.local_day
    vcap = _monthly_slots(vols, tgts, pairs.volunteer, pairs.target, commitments)
    res = solve_assignment(pairs.volunteer, pairs.target, u, tgts.capacity_remaining, target_day=day,
                           k_per_day=k_per_day, volunteer_capacity=vcap, load=load, fairness=fairness)
    status = res.status
    kept = np.zeros(0, np.int64)
    fresh = res.chosen
    touched = np.zeros(len(vols), bool)  # volunteers already given work (or dropped) in this batch
    repairs = 0
    for round_ in range(max_rounds + 1):
        both = np.concatenate([kept, fresh])
        clash = batch_conflicts(vols, tgts, pairs.volunteer[both], pairs.target[both], commitments, config)
        clash_v = np.unique(pairs.volunteer[both][clash])
        touched[pairs.volunteer[both]] = True
        if clash_v.size == 0:
            return np.sort(both), status, repairs
        # Clashing volunteers keep their pairs best first while they stay clash-free.
        ok = ~np.isin(pairs.volunteer[both], clash_v)
        keep = [both[ok]]
        for v in clash_v:
            mine = both[pairs.volunteer[both] == v]
            mine = mine[np.argsort(-u[mine], kind="stable")]
            taken: list[int] = []
            for p in mine:
                trial = np.array(taken + [int(p)])
                if batch_conflicts(vols, tgts, pairs.volunteer[trial], pairs.target[trial], commitments, config).any():
                    repairs += 1
                else:
                    taken.append(int(p))
            keep.append(np.array(taken, np.int64))
        kept = np.concatenate(keep)
        if round_ == max_rounds:
            break
        # Refill: places left on targets, offered to volunteers who have no work in this batch yet.
        left = tgts.capacity_remaining - np.bincount(pairs.target[kept], minlength=len(tgts))
        cand = np.flatnonzero(~touched[pairs.volunteer] & (left[pairs.target] > 0))
        if cand.size == 0:
            break
        sub = solve_assignment(pairs.volunteer[cand], pairs.target[cand], u[cand], left, target_day=day,
                               k_per_day=k_per_day, volunteer_capacity=vcap, load=load, fairness=fairness)
        fresh = cand[sub.chosen]
    return np.sort(kept), status, repairs


def match_batch(volunteers, targets, model=None, commitments=None, *, fairness: float = 0.0, k_per_day: int = 1,
                now: float | None = None, radius_km: float = 10.0, neighbours: int = 64,
                config: RuleConfig = RuleConfig(), load: np.ndarray | None = None, max_repair_rounds: int = 5,
                report_fairness_cost: bool = True, index: VolunteerIndex | None = None,
                exclude: tuple[np.ndarray, np.ndarray] | None = None) -> Assignment:
    """Best global assignment of volunteers to targets under every hard rule.

    Candidates: up to `neighbours` nearest volunteers within radius_km of each target; eligible
    pairs are scored by the model (prior if None); the assignment maximises Σ score with each
    target up to capacity_remaining and each volunteer up to k_per_day per local day, minus
    fairness × Σ_v Σ_j (load_v + j − 1) (load: recent_load by default). With fairness > 0 the
    unfair optimum is solved too so fairness_cost reports the utility given up.
    `exclude` = (volunteer indexes, target indexes) of pairs never to propose (rejected or declined before).
    Bad input gives an empty Assignment, never an exception.
    """
    vols, tgts, commitments = _inputs(volunteers, targets, commitments)
    now = time.time() if now is None else float(now)
    model = prior_scorer() if model is None else model
    out = Assignment()
    if len(vols) == 0 or len(tgts) == 0:
        return out
    index = index or VolunteerIndex.for_volunteers(vols)
    pairs = index.query(tgts.lat, tgts.lon, radius_km=radius_km, k=neighbours)
    pairs = pairs.take(tgts.capacity_remaining[pairs.target] > 0)
    out.n_candidates = len(pairs)
    ok = ~rule_failures(vols, tgts, pairs.volunteer, pairs.target, commitments, config).any(axis=1)
    if exclude is not None and len(exclude[0]):
        m = len(tgts)
        ok &= ~np.isin(pairs.volunteer * m + pairs.target, np.asarray(exclude[0]) * m + np.asarray(exclude[1]))
    pairs = pairs.take(ok)
    out.n_eligible = len(pairs)
    if len(pairs) == 0:
        return out
    X = pair_features(vols, tgts, pairs.volunteer, pairs.target, pairs.distance_km, now=now, config=config)
    u = score_pairs(model, X)
    load = vols.recent_load if load is None else np.asarray(load, float)
    common = dict(k_per_day=k_per_day, load=load, max_rounds=max_repair_rounds)
    chosen, status, repairs = _solve_repaired(vols, tgts, pairs, u, commitments, config, fairness=fairness, **common)
    total = float(u[chosen].sum())
    unfair = total
    if fairness > 0 and report_fairness_cost:
        base, _, _ = _solve_repaired(vols, tgts, pairs, u, commitments, config, fairness=0.0, **common)
        unfair = max(float(u[base].sum()), total)
    out.volunteer, out.target = pairs.volunteer[chosen], pairs.target[chosen]
    out.volunteer_ids, out.target_ids = vols.ids[out.volunteer], tgts.ids[out.target]
    out.score, out.distance_km = u[chosen], pairs.distance_km[chosen]
    out.features = X[chosen]
    out.contributions = model.explain(X[chosen]) if chosen.size else _empty_f()
    out.total_utility, out.unfair_utility = total, unfair
    out.fairness_cost = 1.0 - total / unfair if unfair > 0 else 0.0
    out.fairness_penalty = fairness_penalty(out.volunteer, load, fairness)
    out.repairs, out.status = repairs, status
    return out


__all__ = ("Ranking", "Assignment", "rank_candidates", "match_batch")
