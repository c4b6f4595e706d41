"""The two entry points the web platform calls: rank candidates for one target, match a batch."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from matching.assign import fairness_penalty
from matching.candidates import CandidatePairs, VolunteerIndex
from matching.data import Commitments, TargetArrays, VolunteerArrays
from matching.features import FEATURE_LABELS_EN, FEATURE_LABELS_ZH, FEATURE_NAMES, pair_features
from matching.limits import assign_within_limits
from matching.model import Explanation, explanation_from, prior_scorer, score_pairs
from matching.rules import PAIR_RULES, RuleConfig, availability_share, batch_conflicts, rule_failures, why_not as rules_why_not

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
    considered: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # every spatial candidate

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
    repairs: int = 0                # always 0: limits are constraints, nothing is dropped afterwards
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
                    max_candidates: int | None = None, why_not=False, config: RuleConfig = RuleConfig(),
                    index: VolunteerIndex | None = None, offset: int = 0, max_excluded: int = 100) -> Ranking:
    """Rank eligible volunteers for targets[target_index] (or a one-row TargetArrays).

    Spatial candidates (every located volunteer within radius_km, or the max_candidates nearest) →
    hard rules → features → model score; the page [offset, offset + top_k) of the ranking is returned
    (n_eligible says how many there are in all). `why_not=True` adds the rule codes of the nearest
    `max_excluded` spatial candidates the rules excluded; an index array instead explains exactly
    those volunteers (no_location, too_far, rules, or []).
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
    if max_candidates is None:
        pairs = index.query_radius(float(one.lat[0]), float(one.lon[0]), radius_km=radius_km)
    else:
        pairs = index.query(one.lat, one.lon, radius_km=radius_km, k=max_candidates)
    # Availability first (a few word ANDs): the other rules only run on those it leaves, and on the
    # nearest excluded people when staff ask why not.
    share = availability_share(vols, one, pairs.volunteer, pairs.target, config)
    maybe = np.flatnonzero((share > 0) & (share >= config.min_availability_share))
    ok = np.zeros(len(pairs), bool)
    ok[maybe] = ~rule_failures(vols, one, pairs.volunteer[maybe], pairs.target[maybe], commitments,
                               config).any(axis=1)
    result.n_considered, result.n_eligible = len(pairs), int(ok.sum())
    result.considered = pairs.volunteer
    good = pairs.take(ok)
    if len(good):
        X = pair_features(vols, one, good.volunteer, good.target, good.distance_km, now=now, config=config)
        s = score_pairs(model, X)
        order = np.lexsort((good.distance_km, -s))[max(int(offset), 0):max(int(offset), 0) + top_k]  # ties: nearer first
        contrib = model.explain(X[order])
        result.volunteer = good.volunteer[order]
        result.volunteer_ids = vols.ids[result.volunteer]
        result.score, result.distance_km = s[order], good.distance_km[order]
        result.features, result.contributions = X[order], contrib
        result.explanations = [explanation_from(contrib[i], float(s[order][i])) for i in range(order.size)]
    if why_not is True:
        bad = np.flatnonzero(~ok)
        bad = bad[np.argsort(pairs.distance_km[bad], kind="stable")[:max_excluded]]
        fails = rule_failures(vols, one, pairs.volunteer[bad], pairs.target[bad], commitments, config)
        result.excluded = pairs.volunteer[bad]
        result.excluded_reasons = [[PAIR_RULES[r] for r in np.flatnonzero(fails[i])] for i in range(bad.size)]
    elif why_not is not False and why_not is not None:
        asked = np.atleast_1d(np.asarray(why_not, np.int64))
        asked = asked[(asked >= 0) & (asked < len(vols))]
        result.excluded = asked
        result.excluded_reasons = rules_why_not(vols, one, 0, asked, commitments, radius_km=radius_km, config=config)
    return result


def _promising(pairs: CandidatePairs, u: np.ndarray, capacity: np.ndarray, n: int, *, per_person: int = 4) -> np.ndarray:
    """bool mask: pairs among their target's best 2 × capacity + 6 or their person's best `per_person` by score.
    A pair outside both is almost never in the optimum, and leaving it out keeps a city's flow small."""
    keep = np.zeros(len(pairs), bool)
    for group, limit in ((pairs.target, 2 * capacity[pairs.target] + 6), (pairs.volunteer, np.full(len(pairs), per_person))):
        order = np.lexsort((-u, group))
        g = group[order]
        first = np.r_[0, np.flatnonzero(np.diff(g)) + 1]
        rank = np.arange(g.size) - np.repeat(first, np.diff(np.r_[first, g.size]))
        keep[order[rank < limit[order]]] = True
    return keep


def _solve_repaired(vols, tgts, pairs: CandidatePairs, u: np.ndarray, commitments, config, *, k_per_day, fairness,
                    load, max_rounds: int = 6):
    """(chosen pair indexes, status, 0): the assignment within every limit (kept under its old name)."""
    res = assign_within_limits(vols, tgts, pairs.volunteer, pairs.target, u, commitments, config, k_per_day=k_per_day,
                               load=load, fairness=fairness, max_rounds=max_rounds)
    return res.chosen, res.status, 0


def match_batch(volunteers, targets, model=None, commitments=None, *, fairness: float = 0.0, k_per_day: int = 1,
                now: float | None = None, radius_km: float = 10.0, neighbours: int = 256,
                config: RuleConfig = RuleConfig(), load: np.ndarray | None = None, max_repair_rounds: int = 6,
                report_fairness_cost: bool = True, index: VolunteerIndex | None = None,
                exclude: tuple[np.ndarray, np.ndarray] | None = None, score_fn=None,
                prune_above: int = 1_000_000) -> Assignment:
    """Best global assignment of volunteers to targets under every hard rule.

    Candidates: up to `neighbours` nearest volunteers within radius_km of each target (256 by default,
    so availability and the rules still leave many); eligible pairs are scored by the model (prior if
    None); the assignment maximises Σ score with each target up to capacity_remaining, minus
    fairness × Σ_v Σ_j (load_v + j − 1) (load: recent_load by default), under every per-person limit
    as a constraint (k_per_day per local day, hours per day, week and month, no overlaps; see
    `matching.limits`). With fairness > 0 the unfair optimum is solved too so fairness_cost reports
    the utility given up. `max_repair_rounds` bounds the flow rounds.
    `exclude` = (volunteer indexes, target indexes) of pairs never to propose (rejected or declined before).
    `score_fn(vi, tj, X, distance_km)` → utility replaces the model's scores (benchmarks' oracle and baselines).
    Above `prune_above` eligible pairs (city scale) every pair is still scored, but the assignment only
    gets each target's best 2 × places + 6 and each person's best 4 (see `_promising`); below it the
    assignment sees every eligible pair. Bad input gives an empty Assignment, never an exception.
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
    share = availability_share(vols, tgts, pairs.volunteer, pairs.target, config)
    maybe = (share > 0) & (share >= config.min_availability_share)  # cheapest rule first
    pairs, share = pairs.take(maybe), share[maybe]
    ok = ~rule_failures(vols, tgts, pairs.volunteer, pairs.target, commitments, config, share=share).any(axis=1)
    if exclude is not None and len(exclude[0]):
        m = len(tgts)
        ok &= ~np.isin(pairs.volunteer * m + pairs.target, np.asarray(exclude[0]) * m + np.asarray(exclude[1]))
    pairs = pairs.take(ok)
    out.n_eligible = len(pairs)
    if len(pairs) == 0:
        return out
    X = pair_features(vols, tgts, pairs.volunteer, pairs.target, pairs.distance_km, now=now, config=config)
    u = score_pairs(model, X) if score_fn is None else np.asarray(
        score_fn(pairs.volunteer, pairs.target, X, pairs.distance_km), float)
    if len(pairs) > prune_above:
        keep = _promising(pairs, u, tgts.capacity_remaining, len(vols))
        pairs, X, u = pairs.take(keep), X[keep], u[keep]
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
