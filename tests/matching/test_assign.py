"""The min-cost-flow assignment is the exact optimum, checked against brute force and a MILP."""

import itertools

import numpy as np
import pytest
from scipy.optimize import LinearConstraint, milp

from matching import solve_assignment
from matching.assign import fairness_penalty


def random_case(seed, n=4, m=3, p=8, days=2):
    rng = np.random.default_rng(seed)
    keys = rng.choice(n * m, size=min(p, n * m), replace=False)
    vi, tj = keys // m, keys % m
    u = np.round(rng.random(vi.size), 3)
    u[rng.random(vi.size) < 0.15] = 0.0
    cap = rng.integers(0, 3, m)
    day = rng.integers(0, days, m)
    load = rng.integers(0, 3, n).astype(float)
    return vi, tj, u, cap, day, load


def brute_force(vi, tj, u, cap, day, k, load=None, fairness=0.0):
    best = 0.0
    for mask in itertools.product([0, 1], repeat=vi.size):
        chosen = np.flatnonzero(mask)
        if np.any(np.bincount(tj[chosen], minlength=cap.size) > cap):
            continue
        if chosen.size and np.unique(np.stack([vi[chosen], day[tj[chosen]]]), axis=1, return_counts=True)[1].max() > k:
            continue
        value = u[chosen].sum() - fairness_penalty(vi[chosen], load, fairness)
        best = max(best, value)
    return best


@pytest.mark.parametrize("seed", range(40))
def test_optimum_equals_brute_force_on_small_random_cases(seed):
    vi, tj, u, cap, day, load = random_case(seed, p=9)
    k = 1 + seed % 2
    fair = 0.1 * (seed % 3)
    res = solve_assignment(vi, tj, u, cap, target_day=day, k_per_day=k, load=load, fairness=fair)
    assert np.isclose(res.objective, brute_force(vi, tj, u, cap, day, k, load, fair), atol=1e-5)


def milp_optimum(vi, tj, u, cap, day, k):
    rows, bounds = [], []
    for t in range(cap.size):
        rows.append(tj == t)
        bounds.append(cap[t])
    for v, d in set(zip(vi.tolist(), day[tj].tolist())):
        rows.append((vi == v) & (day[tj] == d))
        bounds.append(k)
    A = np.array(rows, float)
    res = milp(-u, constraints=LinearConstraint(A, -np.inf, np.array(bounds, float)), integrality=np.ones(u.size),
               bounds=(0, 1))
    return -res.fun


@pytest.mark.parametrize("seed", range(10))
def test_optimum_equals_a_milp_on_medium_random_cases(seed):
    vi, tj, u, cap, day, _ = random_case(100 + seed, n=25, m=12, p=120, days=3)
    res = solve_assignment(vi, tj, u, cap, target_day=day, k_per_day=2)
    assert np.isclose(res.utility, milp_optimum(vi, tj, u, cap, day, 2), atol=1e-4)


def test_capacity_and_k_per_day_are_respected():
    rng = np.random.default_rng(9)
    vi, tj = np.repeat(np.arange(30), 10), np.tile(np.arange(10), 30)
    u = rng.random(vi.size)
    cap = rng.integers(1, 5, 10)
    day = np.arange(10) % 3
    res = solve_assignment(vi, tj, u, cap, target_day=day, k_per_day=1)
    assert np.all(np.bincount(tj[res.chosen], minlength=10) <= cap)
    assert np.all(np.bincount(tj[res.chosen], minlength=10) == cap)  # enough volunteers: every slot filled
    _, counts = np.unique(np.stack([vi[res.chosen], day[tj[res.chosen]]]), axis=1, return_counts=True)
    assert counts.max() == 1


def test_volunteer_capacity_limits_total_assignments():
    vi, tj = np.zeros(3, int), np.arange(3)
    res = solve_assignment(vi, tj, np.ones(3), np.ones(3, int), target_day=np.arange(3), k_per_day=1,
                           volunteer_capacity=np.array([2]))
    assert res.chosen.size == 2


def test_zero_utility_pairs_stay_unassigned_and_empty_input_is_fine():
    res = solve_assignment(np.array([0, 1]), np.array([0, 0]), np.array([0.0, 0.4]), np.array([2]))
    assert res.chosen.tolist() == [1]
    assert solve_assignment(np.zeros(0, int), np.zeros(0, int), np.zeros(0), np.zeros(0, int)).chosen.size == 0


def gini(x):
    x = np.sort(np.asarray(x, float))
    n = x.size
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def test_fairness_spreads_work_and_reports_its_cost():
    rng = np.random.default_rng(2)
    n, m = 40, 60
    vi, tj = np.repeat(np.arange(n), m), np.tile(np.arange(m), n)
    strength = rng.random(n)
    u = np.clip(0.3 + 0.6 * strength[vi] + 0.05 * rng.random(vi.size), 0, 1)
    day = np.arange(m) // 6
    load = np.zeros(n)
    plain = solve_assignment(vi, tj, u, np.ones(m, int), target_day=day, k_per_day=1)
    fair = solve_assignment(vi, tj, u, np.ones(m, int), target_day=day, k_per_day=1, load=load, fairness=0.05)
    work_plain = np.bincount(vi[plain.chosen], minlength=n)
    work_fair = np.bincount(vi[fair.chosen], minlength=n)
    assert gini(work_fair) < gini(work_plain)
    assert fair.utility <= plain.utility + 1e-9
