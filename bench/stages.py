"""Where a city batch's time goes: CPU and wall seconds of each step of `match_batch`.

On a shared machine the wall time mostly measures the other processes; the CPU time of each step is
what it takes with a core to itself. A diagnostic, run by hand:
`OMP_NUM_THREADS=1 .venv/bin/python -m bench.stages`.
"""

from __future__ import annotations

import os
import sys
import time

import matching
from matching import candidates, engine, limits
from matching.synth import make_district

STEPS = (
    (candidates.VolunteerIndex, "query", "candidates"), (engine, "availability_share", "availability"),
    (engine, "rule_failures", "other rules"), (engine, "pair_features", "features"), (engine, "score_pairs", "scoring"),
    (engine, "_promising", "pruning"), (limits, "solve_assignment", "min-cost-flow solves"),
    (limits, "_polish", "CP-SAT polish"), (engine, "assign_within_limits", "assignment within every limit"),
)


def main() -> int:
    d = make_district(100_000, 20_000, seed=0)
    spent: dict[str, list[float]] = {}

    def timed(owner, name, label):
        inner = getattr(owner, name)

        def step(*args, **kwargs):
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                total = spent.setdefault(label, [0.0, 0.0])
                total[0] += time.process_time() - cpu
                total[1] += time.perf_counter() - wall
        setattr(owner, name, step)

    for owner, name, label in STEPS:
        timed(owner, name, label)
    load = os.getloadavg()[0]
    cpu, wall = time.process_time(), time.perf_counter()
    a = matching.match_batch(d.volunteers, d.targets, matching.prior_scorer(), d.commitments, now=d.now)
    print(f"city batch 100k × 20k: {len(a):,} assigned, CPU {time.process_time() - cpu:.2f} s, "
          f"wall {time.perf_counter() - wall:.2f} s, load average {load:.1f} → {os.getloadavg()[0]:.1f}")
    for label, (c, w) in spent.items():
        print(f"  {label:<32} CPU {c:6.2f} s   wall {w:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
