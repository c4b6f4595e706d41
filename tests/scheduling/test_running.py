"""Where the scheduler runs: inside `tongxin serve` by default, or as `tongxin scheduler` beside it."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from tongxin.app import create_app
from tongxin.scheduling import service
from tongxin.scheduling.tables import JobRun

from tests.scheduling.scheduling_factories import (
    MONDAY,
    make_activity,
    make_organization,
    occurrences_of,
)

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


async def test_the_web_app_runs_the_scheduler_on_the_embedded_default(settings):
    app = create_app(dataclasses.replace(settings, run_scheduler=True))
    async with app.lifespan():
        for _ in range(200):
            if await JobRun.count().where(JobRun.job == "send_outbox"):
                break
            await asyncio.sleep(0.05)
        runs = await JobRun.select(JobRun.job, JobRun.instance, JobRun.status)
    assert {r["job"] for r in runs} >= {"expand_occurrences", "reminders", "send_outbox"}
    assert all(r["instance"].startswith("web ") for r in runs)


def test_serve_no_scheduler_leaves_the_jobs_to_the_scheduler_process(settings):
    assert service.app_lifespan(dataclasses.replace(settings, run_scheduler=False)) is None


def scheduler_once(database_url: str, now) -> tuple[str, float]:
    env = {**os.environ, "TONGXIN_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT / "platform")}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "tongxin.cli", "scheduler", "--once", "--now", now.isoformat()],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout, time.monotonic() - started


async def test_a_scheduler_started_after_a_month_down_catches_up_once(app, database_url):
    org, _ = await make_organization()
    activity = await make_activity(org)
    scheduler_once(database_url, MONDAY)
    before = len(await occurrences_of(activity))
    later = MONDAY + timedelta(days=30)
    output, seconds = await asyncio.to_thread(scheduler_once, database_url, later)
    again, _ = await asyncio.to_thread(scheduler_once, database_url, later)
    print(f"catch-up of 30 days in one `tongxin scheduler --once`: {seconds:.2f}s (process start included)")
    assert "expand_occurrences 2026-04-01T00:00:00+00:00 ok" in output
    assert "719 earlier missed firing(s) coalesced" in output
    assert again.strip().endswith("0 firing(s) run")
    assert len(await occurrences_of(activity)) == before + 4
    assert await JobRun.count().where(JobRun.job == "expand_occurrences") == 2
