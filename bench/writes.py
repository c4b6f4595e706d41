"""What one sign-up and one cancel cost the server: SQL statements and CPU time, in process (issue 13).

`python -m bench.writes --database URL` signs demo volunteers up for a large occurrence far ahead and
cancels them again, `--times` each, first through the services (`signups.sign_up_for` / `cancel_for`),
then through the whole app (POST /api/occurrences/{id}/sign-ups, DELETE /api/sign-ups/{id}) over an
in-process ASGI client. It prints statements per operation and CPU milliseconds per operation
(`time.process_time`, so other sessions' load on the machine does not count); for the app it also prints
the CPU of the same client asking GET /health, the floor of client + framework. `--profile` prints the
top functions of the app's sign-up and cancel by cumulative time (cProfile). The database must hold the
demo district (`tongxin migrate && tongxin demo`); the bench adds one activity and its sign-ups.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import io
import logging
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


async def _volunteers_who_may(occurrence: int, count: int) -> list[dict]:
    """Demo volunteers (with accounts) the rules let sign up for `occurrence`."""
    from tongxin.accounts.service import load_actor
    from tongxin.activities import signups
    from tongxin.volunteers.tables import Volunteer

    found = []
    rows = await Volunteer.select(Volunteer.id, Volunteer.user).where(
        Volunteer.user.is_not_null() & (Volunteer.status == "active")).order_by(Volunteer.id)
    for row in rows:
        actor = await load_actor(user_id=row["user"])
        try:
            done = await signups.sign_up_for(actor=actor, occurrence_id=occurrence)
        except Exception:
            continue
        await signups.cancel_for(actor=actor, sign_up_id=done["id"])
        found.append({"actor": actor, "user": row["user"]})
        if len(found) == count:
            break
    return found


async def run(args) -> int:
    from tests.statements import statements_sent
    from tongxin.activities import signups
    from tongxin.app import create_app
    from tongxin.settings import Settings
    from bench.web import bench_occurrence

    settings = Settings.from_env(database_url=args.database, secret_key="bench-writes-" + "x" * 20,
                                 development=True, run_scheduler=False)
    app = create_app(settings)
    async with app.lifespan():
        occurrence = await bench_occurrence()
        people = await _volunteers_who_may(occurrence, args.people)
        print(f"occurrence {occurrence}, {len(people)} volunteers; {args.times} sign-ups and cancels each way",
              flush=True)

        # The services alone.
        statements = {"sign-up": [], "cancel": []}
        cpu = {"sign-up": 0.0, "cancel": 0.0}
        for n in range(args.times):
            actor = people[n % len(people)]["actor"]
            with statements_sent() as sent:
                started = time.process_time()
                done = await signups.sign_up_for(actor=actor, occurrence_id=occurrence)
                cpu["sign-up"] += time.process_time() - started
            statements["sign-up"].append(len(sent))
            with statements_sent() as sent:
                started = time.process_time()
                await signups.cancel_for(actor=actor, sign_up_id=done["id"])
                cpu["cancel"] += time.process_time() - started
            statements["cancel"].append(len(sent))
        for what in ("sign-up", "cancel"):
            print(f"  service {what:<8} {max(statements[what]):3d} statements  "
                  f"{cpu[what] / args.times * 1000:6.2f} ms CPU", flush=True)
        if args.show:
            with statements_sent() as sent:
                done = await signups.sign_up_for(actor=people[0]["actor"], occurrence_id=occurrence)
                await signups.cancel_for(actor=people[0]["actor"], sign_up_id=done["id"])
            print("\n".join("    " + s.replace("\n", " ")[:300] for s in sent))

        # The whole request, through the app.
        from tests.conftest import make_client

        clients = []
        for person in people:
            c = make_client(app)
            answer = await c.post("/api/accounts/login", json={"username": await _username(person["user"]),
                                                               "password": args.password})
            answer.raise_for_status()
            clients.append(c)

        async def loop(times: int) -> tuple[float, float, list[int]]:
            up = down = 0.0
            counts = []
            for n in range(times):
                c = clients[n % len(clients)]
                with statements_sent() as sent:
                    started = time.process_time()
                    answer = await c.post(f"/api/occurrences/{occurrence}/sign-ups", json={})
                    up += time.process_time() - started
                assert answer.status_code == 201, answer.text
                counts.append(len(sent))
                with statements_sent() as sent:
                    started = time.process_time()
                    gone = await c.delete(f"/api/sign-ups/{answer.json()['id']}")
                    down += time.process_time() - started
                assert gone.status_code == 200, gone.text
                counts.append(len(sent))
            return up, down, counts

        await loop(min(args.times, 5))  # warm: CSRF cookies, sessions remembered
        started = time.process_time()
        for n in range(args.times):
            await clients[n % len(clients)].get("/health")
        floor = (time.process_time() - started) / args.times
        up, down, counts = await loop(args.times)
        print(f"  app     sign-up  {max(counts[0::2]):3d} statements  {up / args.times * 1000:6.2f} ms CPU\n"
              f"  app     cancel   {max(counts[1::2]):3d} statements  {down / args.times * 1000:6.2f} ms CPU\n"
              f"  app     /health        {floor * 1000:6.2f} ms CPU (client + framework floor)", flush=True)
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            await loop(args.times)
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.profile)
            print(out.getvalue())
        for c in clients:
            await c.aclose()
    return 0


async def _username(user_id: int) -> str:
    from tongxin.accounts.tables import User

    return (await User.select(User.username).where(User.id == user_id).first())["username"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=os.environ.get("TONGXIN_DATABASE_URL"), required=False)
    parser.add_argument("--times", type=int, default=50)
    parser.add_argument("--people", type=int, default=8)
    parser.add_argument("--password", default="tongxin-demo")
    parser.add_argument("--profile", type=int, default=0, help="print this many functions of the app's profile")
    parser.add_argument("--show", action="store_true", help="print the statements of one sign-up and cancel")
    args = parser.parse_args(argv)
    if not args.database:
        parser.error("--database (or TONGXIN_DATABASE_URL) names a database holding the demo district")
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
