"""Platform benchmark: ranked-candidates requests and a matching batch over a database district.

`python -m bench.platform [--scale 167]` builds (once) a SQLite demo district of 300 × scale
volunteers under var/, then times the service the API calls: the first request (reads the
district), then requests reusing the recent read, and a whole batch. Figures are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np


async def main(scale: int, requests: int) -> None:
    from tongxin.activities.tables import Occurrence
    from tongxin.db import connection_pool, migrate, use_database
    from tongxin.demo import load_demo
    from tongxin.matches import service
    from tongxin.volunteers.tables import Volunteer
    from tongxin.wishes.tables import Wish

    path = Path("var") / f"bench-{scale}.sqlite3"
    engine = use_database(f"sqlite:///{path}")
    async with connection_pool(engine):
        await migrate(quiet=True)
        if await Volunteer.count() < 300 * scale:
            started = time.perf_counter()
            await load_demo(scale=scale, progress=lambda m: print("  demo:", m, flush=True))
            print(f"  built the district in {time.perf_counter() - started:.1f} s")
        n = await Volunteer.count()
        now = datetime.now(timezone.utc)
        targets = [("occurrence", r["id"]) for r in await Occurrence.select(Occurrence.id).where(
            Occurrence.starts_at > now)] + [("wish", r["id"]) for r in await Wish.select(Wish.id).where(
                Wish.status == "open")]
        rng = random.Random(0)
        started = time.perf_counter()
        await service.rank_for_target(target_type=targets[0][0], target_id=targets[0][1], cache_seconds=300)
        cold = time.perf_counter() - started
        times = []
        for _ in range(requests):
            kind, target = rng.choice(targets)
            started = time.perf_counter()
            await service.rank_for_target(target_type=kind, target_id=target, why_not=True, cache_seconds=300)
            times.append(time.perf_counter() - started)
        ms = np.array(times) * 1000
        print(f"  ranked-candidates service call at {n} volunteers ({requests} requests):")
        print(f"    first (reads the district)      {cold * 1000:10.1f} ms")
        print(f"    later, p50 / p99                {np.percentile(ms, 50):10.1f} / {np.percentile(ms, 99):.1f} ms"
              f"   target p99 < 50 ms  {'PASS' if np.percentile(ms, 99) < 50 else 'MISS'}")
        started = time.perf_counter()
        result = await service.run_matching_batch(progress=lambda m: None)
        print(f"  matching batch over the district: {time.perf_counter() - started:.2f} s, "
              f"{result['targets']} targets, {result['proposals']} proposals written")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=167, help="volunteers = 300 × scale (167 → ~50k)")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.scale, args.requests))
