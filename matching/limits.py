"""Assignment with every per-person limit as a constraint of the optimisation itself.

The limits: one place per person per target, k tasks per local day, hours per day, per week
and per month (counted over existing commitments and the batch), no two overlapping tasks.

A min-cost flow expresses counts, not sums of unequal durations. So each round solves a flow whose
per-person capacity is a count that can never break an hours limit whatever tasks it picks:
floor(headroom ÷ longest candidate task) for every week and month the person's candidates touch,
one task per person-day per round, and only pairs that still fit the person's day, week, month
and calendar next to what earlier rounds gave them. The next round continues from there, until
nothing more fits. Finally CP-SAT re-optimises, with the exact hour sums, the people whose count was
cautious (shorter tasks would have let them do more) over targets that still have places, so
what the counts could not express is solved exactly where it matters. Nothing is dropped
afterwards: every chosen pair was feasible inside the problem that chose it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.assign import solve_assignment
from matching.data import Commitments, TargetArrays, VolunteerArrays
from matching.rules import RuleConfig, commitment_load, daily_limit, local_week

BIG = 1_000_000


@dataclass
class LimitedResult:
    chosen: np.ndarray      # indexes into the pair arrays
    status: str
    rounds: int
    polished: int           # pairs the CP-SAT step added or swapped in


def _fits(vols, tgts, vi, tj, taken: Commitments, config: RuleConfig, k_per_day: int, day_count: np.ndarray):
    """bool[P]: the pair still fits every limit next to the commitments and what earlier rounds chose.
    Also returns the remaining week and month headroom of each pair."""
    overlap, day_h, month_h, week_h = commitment_load(vols, tgts, vi, tj, taken, config)
    dur = tgts.duration_hours[tj]
    week_left = vols.max_hours_week[vi] - week_h
    month_left = vols.max_hours_month[vi] - month_h
    ok = ((overlap == 0) & (day_h + dur <= daily_limit(vols, vi, config) + 1e-9) & (dur <= week_left + 1e-9)
          & (dur <= month_left + 1e-9) & (day_count < k_per_day))
    return ok, week_left, month_left


def _cautious_counts(vi, tj, dur, week, month, week_left, month_left, n):
    """Per person: how many tasks any choice among their candidates can take without breaking a week or month
    limit (floor of headroom over their longest candidate in that period), and whether that is cautious."""
    cap = np.full(n, BIG, np.int64)
    cautious = np.zeros(n, bool)
    for period, left in ((week, week_left), (month, month_left)):
        if not np.isfinite(left).any():
            continue
        key = vi.astype(np.int64) * (int(period.max()) - int(period.min()) + 1) + (period - period.min())
        keys, inv = np.unique(key, return_inverse=True)
        longest = np.zeros(keys.size)
        shortest = np.full(keys.size, np.inf)
        np.maximum.at(longest, inv, dur)
        np.minimum.at(shortest, inv, dur)
        slots = np.where(np.isfinite(left), np.floor((left + 1e-9) / longest[inv]), BIG)
        loose = np.where(np.isfinite(left), np.floor((left + 1e-9) / shortest[inv]), BIG)
        np.minimum.at(cap, vi, np.clip(slots, 0, BIG).astype(np.int64))
        cautious[vi[loose > slots]] = True
    return cap, cautious


def assign_within_limits(vols: VolunteerArrays, tgts: TargetArrays, vi: np.ndarray, tj: np.ndarray,
                         utility: np.ndarray, commitments: Commitments, config: RuleConfig = RuleConfig(), *,
                         k_per_day: int = 1, load: np.ndarray | None = None, fairness: float = 0.0,
                         max_rounds: int = 6, polish_seconds: float = 0.2, polish_max_pairs: int = 20_000
                         ) -> LimitedResult:
    """Maximise Σ utility (− fairness) over pairs, each already eligible on its own, under target capacities
    and every per-person limit of the batch (see module docstring)."""
    vi = np.asarray(vi, np.int64)
    tj = np.asarray(tj, np.int64)
    u = np.asarray(utility, float)
    n = len(vols)
    if vi.size == 0:
        return LimitedResult(np.zeros(0, np.int64), "OPTIMAL", 0, 0)
    day = tgts.local_day
    week = local_week(day)
    month = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    dur = tgts.duration_hours
    left = tgts.capacity_remaining.astype(np.int64).copy()
    chosen = np.zeros(0, np.int64)
    base_load = np.zeros(n) if load is None else np.asarray(load, float)
    status = "OPTIMAL"
    live = np.flatnonzero((u > 0) & (left[tj] > 0))
    rounds = 0
    cap = np.zeros(n, np.int64)
    cautious = np.zeros(n, bool)
    for rounds in range(1, max_rounds + 1):
        taken = commitments.extended(vi[chosen], tgts.start[tj[chosen]], tgts.end[tj[chosen]])
        day_count = _day_counts(vi, tj, chosen, day, live)
        ok, week_left, month_left = _fits(vols, tgts, vi[live], tj[live], taken, config, k_per_day, day_count)
        ok &= left[tj[live]] > 0
        live, week_left, month_left = live[ok], week_left[ok], month_left[ok]
        if live.size == 0:
            break
        lv, lt = vi[live], tj[live]
        cap, cautious_now = _cautious_counts(lv, lt, dur[lt], week[lt], month[lt], week_left, month_left, n)
        cautious |= cautious_now
        assigned = np.bincount(vi[chosen], minlength=n) if chosen.size else np.zeros(n)
        res = solve_assignment(lv, lt, u[live], left, target_day=day, k_per_day=1, volunteer_capacity=cap,
                               load=base_load + assigned, fairness=fairness)
        if res.status != "OPTIMAL":
            status = res.status
            break
        if res.chosen.size == 0:
            break
        new = live[res.chosen]
        chosen = np.concatenate([chosen, new])
        left -= np.bincount(tj[new], minlength=left.size)
        live = np.setdiff1d(live, new, assume_unique=True)
        live = live[left[tj[live]] > 0]
    polished = 0
    if polish_seconds > 0 and cautious.any():
        chosen, polished = _polish(vols, tgts, vi, tj, u, commitments, config, chosen, left, cautious, k_per_day,
                                   polish_seconds, polish_max_pairs)
    return LimitedResult(np.sort(chosen), status, rounds, polished)


def _day_counts(vi, tj, chosen, day, live):
    """Tasks each live pair's person already has on that pair's day in this batch."""
    if chosen.size == 0:
        return np.zeros(live.size, np.int64)
    span = int(day.max()) - int(day.min()) + 1
    have = vi[chosen] * span + (day[tj[chosen]] - day.min())
    keys, counts = np.unique(have, return_counts=True)
    want = vi[live] * span + (day[tj[live]] - day.min())
    pos = np.clip(np.searchsorted(keys, want), 0, max(keys.size - 1, 0))
    return np.where(keys[pos] == want, counts[pos], 0) if keys.size else np.zeros(live.size, np.int64)


def _polish(vols, tgts, vi, tj, u, commitments, config, chosen, left, cautious, k_per_day, seconds, max_pairs):
    """CP-SAT over the cautious people: their chosen pairs plus their candidates on targets with places left,
    with exact hour sums per day, week and month, k per day and no overlaps. Keeps the flow's answer as the hint."""
    from ortools.sat.python import cp_model

    open_pairs = np.flatnonzero(cautious[vi] & (left[tj] > 0) & (u > 0))
    if open_pairs.size == 0:
        return chosen, 0
    # Only people who could still take an open place: their current tasks may be swapped for it.
    who = np.zeros(cautious.size, bool)
    who[vi[open_pairs]] = True
    mine = who[vi]
    held = chosen[mine[chosen]]
    pool = np.union1d(held, open_pairs)
    if pool.size > max_pairs:
        return chosen, 0
    others = chosen[~mine[chosen]]
    # Each pair must fit on its own next to the commitments (already true: the pairs passed the rules).
    pv, pt = vi[pool], tj[pool]
    dur = tgts.duration_hours[pt]
    day = tgts.local_day[pt]
    week = local_week(day)
    month = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    overlap, day_h, month_h, week_h = commitment_load(vols, tgts, pv, pt, commitments, config)
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{i}") for i in range(pool.size)]
    tenths = np.rint(dur * 10).astype(np.int64)
    cap_t = left.copy()
    np.add.at(cap_t, tj[held], 1)
    for t in np.unique(pt):
        idx = np.flatnonzero(pt == t)
        m.add(sum(x[i] for i in idx) <= int(cap_t[t]))
    order = np.lexsort((pt, pv))
    bounds = np.flatnonzero(np.diff(pv[order])) + 1
    for group in np.split(order, bounds):
        v = int(pv[group[0]])
        day_limit = min(config.max_hours_per_day, vols.max_hours_day[v])
        for period, used, limit in ((day, day_h, day_limit), (week, week_h, vols.max_hours_week[v]),
                                    (month, month_h, vols.max_hours_month[v])):
            if not np.isfinite(limit):
                continue
            for p in np.unique(period[group]):
                idx = group[period[group] == p]
                room = int(np.floor((limit - used[idx[0]]) * 10 + 1e-6))
                m.add(sum(int(tenths[i]) * x[i] for i in idx) <= room)
        for p in np.unique(day[group]):
            idx = group[day[group] == p]
            if idx.size > k_per_day:
                m.add(sum(x[i] for i in idx) <= k_per_day)
            s, e = tgts.start[pt[idx]], tgts.end[pt[idx]]
            for a in range(idx.size):
                for b in range(a + 1, idx.size):
                    if s[a] < e[b] and s[b] < e[a]:
                        m.add_bool_or([x[idx[a]].Not(), x[idx[b]].Not()])
    weights = np.rint(u[pool] * 1_000_000).astype(np.int64)
    m.maximize(sum(int(w) * xi for w, xi in zip(weights, x)))
    is_held = np.isin(pool, held)
    for i in range(pool.size):
        m.add_hint(x[i], bool(is_held[i]))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(seconds)
    solver.parameters.num_workers = 1
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return chosen, 0
    pick = np.array([solver.value(xi) for xi in x], bool)
    if u[pool[pick]].sum() <= u[held].sum() + 1e-12:
        return chosen, 0
    new = pool[pick]
    return np.concatenate([others, new]), int(np.setdiff1d(new, held).size)


__all__ = ("LimitedResult", "assign_within_limits")
