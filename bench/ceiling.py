"""How far can *any* estimator get on the honest scenario? A diagnostic, not a policy.

The oracle of `bench.scenario` knows every person's true interest in all eleven kinds, their distance
tolerance, time-of-day taste, willingness and attendance. A real estimator only sees what they
declared and their own invitation log (about five answered invitations each). This module computes
the best ranking that information allows: the exact Bayesian posterior of each person's latent
truth under the generator's own priors and likelihoods (which no real model knows), by importance
sampling, and ranks by the posterior-expected utility. Whatever it scores is the ceiling for a model
trained on the log; the gap from it to the oracle is information the log does not contain.

It also ranks with "oracle minus one thing" (that latent part replaced by its posterior mean) to
show which unknown costs the most.

Run: `OMP_NUM_THREADS=1 .venv/bin/python -m bench.ceiling [--seeds 0 1 2 3 4]`.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from scipy.special import expit, ndtr, ndtri

import matching
from bench.scenario import (APPROVE, DECLARED_KM, RADIUS, Scenario, _target_index, local_hour, make_scenario,
                            ndcg_at, slot_of, true_utility)
from matching import VolunteerIndex

PARTICLES = 1000
# E over the idiosyncratic term ε ~ N(0, 0.5²) of σ(η + ε), by the probit approximation.
EPS_SCALE = 1.0 / np.sqrt(1.0 + np.pi * 0.25 / 8.0)


def _truncated_normal(rng, sd: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Draws of N(0, sd²) restricted to [lo, hi] (elementwise), by inverse CDF."""
    a, b = ndtr(lo / sd), ndtr(hi / sd)
    u = a + (b - a) * rng.random(np.broadcast(lo, hi).shape)
    return sd * ndtri(np.clip(u, 1e-12, 1 - 1e-12))


def _particles(sc: Scenario, people: np.ndarray, rng) -> dict[str, np.ndarray]:
    """Posterior-given-declarations draws [len(people), S, ...] of each person's latent truth (exact)."""
    n, s, k = people.size, PARTICLES, sc.declared.shape[1]
    declared = sc.declared[people]
    # θ_k and the noise e_k ~ N(0, 0.8²): the person declared k iff θ_k + e_k > 0.6. Sample the sum
    # truncated to its side of 0.6, then θ given the sum (both normal).
    total_sd = np.sqrt(1.0 + 0.64)
    side = np.broadcast_to(declared[:, None, :], (n, s, k))
    lo = np.where(side, 0.6, -np.inf)
    hi = np.where(side, np.inf, 0.6)
    sums = _truncated_normal(rng, total_sd, lo, hi)
    theta = sums / total_sd**2 + rng.normal(0, np.sqrt(0.64 / total_sd**2), (n, s, k))
    # A quarter of people were made to declare nothing whatever their θ: for those who declared nothing,
    # each draw is from the prior with the posterior probability of that cause.
    p_all_below = ndtr(0.6 / total_sd) ** k
    p_blanked = 0.25 / (0.25 + 0.75 * p_all_below)
    nothing = ~declared.any(axis=1)
    from_prior = nothing[:, None] & (rng.random((n, s)) < p_blanked)
    theta = np.where(from_prior[..., None], rng.normal(0, 1, (n, s, k)), theta)
    # log τ ~ N(log 3, 0.5²); the declared maximum is τ·exp(N(0.3, 0.4²)) rounded (in logs) to DECLARED_KM.
    km = sc.declared_km[people]
    edges = np.log(DECLARED_KM)
    mids = np.concatenate([[-np.inf], (edges[1:] + edges[:-1]) / 2, [np.inf]])
    which = np.searchsorted(DECLARED_KM, np.nan_to_num(km, nan=1.0))
    said_sd = np.sqrt(0.25 + 0.16)
    centre = np.log(3.0) + 0.3
    lo_s = (mids[which] - centre)[:, None] * np.ones((1, s))
    hi_s = (mids[which + 1] - centre)[:, None] * np.ones((1, s))
    said = _truncated_normal(rng, said_sd, lo_s, hi_s)
    log_tau_given = np.log(3.0) + 0.25 / said_sd**2 * said + rng.normal(0, np.sqrt(0.25 * 0.16) / said_sd, (n, s))
    log_tau_prior = rng.normal(np.log(3.0), 0.5, (n, s))
    log_tau = np.where(np.isnan(km)[:, None], log_tau_prior, log_tau_given)
    return dict(theta=theta, tau=np.exp(log_tau), rho=rng.normal(0, 0.6, (n, s, 3)),
                alpha=rng.normal(0, 0.5, (n, s)))


def _logit(p: dict, row: np.ndarray, cat, dist, slot, same):
    """η for particles of person-row `row` (index into the chunk) at the given task facts: [rows, S]."""
    return (-0.5 + p["alpha"][row] + p["theta"][row, :, cat]
            - np.asarray(dist)[:, None] / p["tau"][row] + p["rho"][row, :, slot]
            + 0.3 * np.asarray(same, float)[:, None])


def _observations(sc: Scenario):
    """The seen invitations as (volunteer, kind, distance, slot, same community, accepted)."""
    ev = sc.events
    same = np.zeros(len(ev.volunteer), bool)
    for w, tg in enumerate(sc.past_targets):
        rows = np.flatnonzero(ev.week == w)
        tj = _target_index(tg, ev, rows)
        c = sc.base.community[ev.volunteer[rows]]
        same[rows] = (c >= 0) & (c == tg.community[tj])
    seen = ev.approved
    return (ev.volunteer[seen], np.maximum(ev.category[seen], 0), ev.distance_km[seen], slot_of(ev.local_hour[seen]),
            same[seen], ev.accepted[seen])


def posterior_scores(sc: Scenario, vi, tj, dist, *, rng, drop: str | None = None, chunk: int = 250) -> np.ndarray:
    """Posterior-expected utility 0.9·E[attend]·E[σ(η)] of pairs (vi, tj). With `drop`, the truth is known
    except that part ("interest", "tolerance", "time", "willingness"), which is integrated over its posterior."""
    vi = np.asarray(vi, np.int64)
    tj = np.asarray(tj, np.int64)
    t, truth = sc.targets, sc.truth
    cat = np.maximum(t.category[tj], 0)
    slot = slot_of(local_hour(t)[tj])
    same = (sc.volunteers.community[vi] >= 0) & (sc.volunteers.community[vi] == t.community[tj])
    ov, ocat, odist, oslot, osame, oacc = _observations(sc)
    # Attendance is independent of the rest: its posterior is Beta(8 + attended, 2 + no-shows).
    ev = sc.events
    shown = ev.approved & ev.accepted
    n = len(sc.volunteers)
    att = np.bincount(ev.volunteer, weights=shown & ev.attended, minlength=n)
    miss = np.bincount(ev.volunteer, weights=shown & ~ev.attended, minlength=n)
    attend = (8 + att) / (10 + att + miss) if drop is None else truth.attend
    out = np.zeros(vi.size)
    for first in range(0, n, chunk):
        people = np.arange(first, min(first + chunk, n))
        p = _particles(sc, people, rng)
        if drop is not None:
            # Everything but `drop` is the truth itself.
            keep = {"interest": "theta", "tolerance": "tau", "time": "rho", "willingness": "alpha"}[drop]
            real = dict(theta=truth.interest[people][:, None], tau=truth.tolerance_km[people][:, None],
                        rho=truth.slot_taste[people][:, None], alpha=truth.willingness[people][:, None])
            for name, value in real.items():
                if name != keep:
                    p[name] = np.broadcast_to(value, p[name].shape)
        mine = (ov >= first) & (ov < people[-1] + 1)
        row = ov[mine] - first
        eta = _logit(p, row, ocat[mine], odist[mine], oslot[mine], osame[mine])
        q = np.clip(expit(eta * EPS_SCALE), 1e-9, 1 - 1e-9)
        loglik = np.where(oacc[mine][:, None], np.log(q), np.log1p(-q))
        logw = np.zeros((people.size, PARTICLES))
        np.add.at(logw, row, loglik)
        w = np.exp(logw - logw.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        pairs = np.flatnonzero((vi >= first) & (vi < people[-1] + 1))
        for part in np.array_split(pairs, max(1, pairs.size // 4_000)):
            if part.size == 0:
                continue
            r = vi[part] - first
            e = expit(_logit(p, r, cat[part], dist[part], slot[part], same[part]))
            out[part] = APPROVE * attend[vi[part]] * (w[r] * e).sum(axis=1)
    return out


def evaluate(seed: int, *, n_rank: int = 200) -> dict[str, tuple[float, float]]:
    """NDCG@10 and hit@5 over the same 200 rankings as bench.scenario, for the model, the posterior
    ceiling, the oracle-minus-one-part rankings and the oracle."""
    sc = make_scenario(seed)
    vols, t = sc.volunteers, sc.targets
    from bench.scenario import training_log
    X, y, ts, _ = training_log(sc)
    result = matching.train_scorer(X, y, ts, current=matching.prior_scorer())
    model = result.model if result.activate else matching.prior_scorer()
    rng = np.random.default_rng(seed)
    index = VolunteerIndex.for_volunteers(vols)
    rankings = []
    for j in rng.choice(len(t), size=min(n_rank, len(t)), replace=False):
        r = matching.rank_candidates(vols, t, model, target_index=int(j), top_k=1_000_000, now=sc.now,
                                     commitments=sc.commitments, radius_km=RADIUS, max_candidates=len(vols),
                                     index=index)
        if len(r) >= 10:
            rankings.append(r)
    vi = np.concatenate([r.volunteer for r in rankings])
    tj = np.concatenate([np.full(len(r), r.target_index) for r in rankings])
    dist = np.concatenate([r.distance_km for r in rankings])
    scores = {
        "model": matching.score_pairs(model, np.concatenate([r.features for r in rankings])),
        "posterior (ceiling)": posterior_scores(sc, vi, tj, dist, rng=rng),
        **{f"oracle, {d} unknown": posterior_scores(sc, vi, tj, dist, rng=rng, drop=d)
           for d in ("interest", "tolerance", "time", "willingness")},
        "oracle": true_utility(sc.truth, vols, t, vi, tj, dist, idiosyncratic=False),
    }
    gain = true_utility(sc.truth, vols, t, vi, tj, dist)
    bounds = np.cumsum([0] + [len(r) for r in rankings])
    out = {}
    for name, s in scores.items():
        res = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            order = np.lexsort((dist[a:b], -s[a:b]))
            g = gain[a:b]
            res.append((ndcg_at(g[order], g), float(int(np.argmax(g)) in order[:5])))
        out[name] = tuple(np.mean(res, axis=0))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args(argv)
    results = []
    for s in args.seeds:
        started = time.perf_counter()
        results.append(evaluate(s))
        print(f"  seed {s} done in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"\n{'ranking (mean of %d seeds)' % len(results):<32}{'ndcg@10':>10}{'hit@5':>10}")
    for name in results[0]:
        nd, hit = np.mean([r[name] for r in results], axis=0)
        print(f"{name:<32}{nd:10.3f}{hit:10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
