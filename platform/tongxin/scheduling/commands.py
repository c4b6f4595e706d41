"""`tongxin scheduler`: run the jobs in a process of their own, beside `tongxin serve --no-scheduler`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from datetime import datetime, timedelta, timezone

from tongxin.settings import Settings


def _moment(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time with its offset, e.g. 2026-03-01T08:00:00+08:00")
    return value.astimezone(timezone.utc)


def _duration(text: str) -> timedelta:
    from tongxin.errors import InvalidInput
    from tongxin.scheduling.triggers import parse_interval

    try:
        return parse_interval(text)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(exc.message) from exc


def register_commands(subparsers) -> None:
    parser = subparsers.add_parser(
        "scheduler", help="run the scheduled jobs (reminders, occurrences, matching, outbox)",
        description="Runs every due job; safe beside other schedulers on the same database: each "
                    "firing is claimed once.")
    parser.add_argument("--once", action="store_true", help="run what is due (missed firings too), then exit")
    parser.add_argument("--now", type=_moment, help="the clock's reading (ISO time with offset); "
                        "without --once the simulated clock then moves --step per tick")
    parser.add_argument("--step", type=_duration, default=timedelta(0),
                        help="how far the simulated clock moves per tick, e.g. 6h (needs --now)")
    parser.add_argument("--tick", type=float, default=30.0, help="seconds between looks at the schedules")
    parser.add_argument("--ticks", type=int, help="stop after this many ticks")
    parser.add_argument("--instance", help="name shown on claimed runs (default host:pid)")
    parser.add_argument("--lease", type=_duration, default=None,
                        help="a run 'running' longer than this is taken over (default 10m)")
    parser.add_argument("--leader-lock", action="store_true",
                        help="PostgreSQL only: one scheduler ticks at a time (advisory lock); others stand by "
                             "and take over when it stops")
    parser.add_argument("--list", action="store_true", help="show the jobs, their schedules and last runs")
    parser.set_defaults(handler=run_scheduler_command)


def run_scheduler_command(args: argparse.Namespace) -> int:
    from tongxin.db import use_database

    # --once and --list print their own summary; a long-running scheduler logs each firing.
    level = logging.WARNING if args.once or args.list else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    settings = Settings.from_env()
    use_database(settings.database_url, busy_seconds=settings.sqlite_busy_seconds)
    return asyncio.run(_main(args, settings))


async def _main(args: argparse.Namespace, settings: Settings) -> int:
    from tongxin.db import connection_pool, current_engine
    from tongxin.scheduling import service
    from tongxin.scheduling.runner import AdvisoryLeader, Clock, SchedulerRunner

    lease = args.lease or service.LEASE
    async with connection_pool(current_engine()):
        if args.list:
            await service.seed_schedules()
            for job in await service.list_jobs():
                last = job["last_run"]
                print(f"{job['job']:20} {job['trigger']:8} {job['expression']:12} "
                      f"{'on ' if job['enabled'] else 'off'} next {job['next_run_at'] or '-'}  last "
                      f"{(last['status'] + ' ' + last['outcome'][:60]) if last else '-'}")
            return 0
        if args.once:
            now = args.now or datetime.now(timezone.utc)
            results = await service.run_due_jobs(now=now, instance=args.instance, settings=settings, lease=lease)
            for r in results:
                print(f"{r['job']} {r['scheduled_for'].isoformat()} {r['status']} ({r['seconds']}s): {r['outcome']}")
            print(f"{len(results)} firing(s) run", flush=True)
            return 0
        clock = Clock(args.now, args.step) if args.now else Clock()
        leader = None
        if args.leader_lock:
            if settings.is_sqlite:
                print("--leader-lock needs PostgreSQL; SQLite runs one scheduler anyway", file=sys.stderr)
                return 2
            leader = AdvisoryLeader(settings.database_url)
        runner = SchedulerRunner(settings=settings, instance=args.instance, tick_seconds=args.tick,
                                 clock=clock, max_ticks=args.ticks, lease=lease, leader=leader)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runner.finished.set)
        print(f"scheduler {runner.instance} running on {settings.database_url.split('@')[-1]}", flush=True)
        runner.start()
        await runner.finished.wait()
        await runner.stop()
        print(f"scheduler {runner.instance} stopped after {runner.ticks} tick(s)", flush=True)
    return 0

