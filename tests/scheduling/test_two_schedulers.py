"""Two real `tongxin scheduler` processes on one database, one killed with SIGKILL mid-run.

Both run the same simulated month (12 hours per tick). Afterwards every occurrence exists once,
every reminder and under-filled warning was queued and sent once, and no run is left "running".
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from tongxin.activities.service import expand_occurrences, occurrence_starts
from tongxin.activities.tables import Activity
from tongxin.notifications.tables import Notification
from tongxin.scheduling import jobs
from tongxin.scheduling.tables import JobRun

from tests.scheduling.scheduling_factories import (
    MONDAY,
    confirm,
    make_activity,
    make_organization,
    make_volunteer,
    make_youth,
    occurrences_of,
)

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
STEP = timedelta(hours=12)
TICKS = 2 * 31
END = MONDAY + STEP * (TICKS - 1)


def spawn(database_url: str, instance: str) -> subprocess.Popen:
    env = {**os.environ, "TONGXIN_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT / "platform")}
    return subprocess.Popen(
        [sys.executable, "-m", "tongxin.cli", "scheduler", "--now", MONDAY.isoformat(), "--step", "12h",
         "--tick", "0.02", "--ticks", str(TICKS), "--instance", instance, "--lease", "10m"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


async def test_two_schedulers_and_a_kill_leave_every_occurrence_and_message_exactly_once(app, database_url):
    org, members = await make_organization(members=2)
    activities = [await make_activity(org, capacity=20, starts_at=MONDAY + timedelta(days=5, hours=1, minutes=m))
                  for m in range(0, 12 * 60, 60)]
    first = activities[0]
    await expand_occurrences(activity_id=first, until=MONDAY + timedelta(days=21), after=MONDAY)
    signed_up = (await occurrences_of(first))[1:3]  # the 2nd and 3rd Saturdays
    volunteer, user = await make_volunteer()
    youth, guardian = await make_youth()
    for occurrence in signed_up:
        await confirm(volunteer, occurrence["id"])
        await confirm(youth, occurrence["id"])

    a, b = spawn(database_url, "A"), spawn(database_url, "B")
    started = time.monotonic()
    killed_mid_run = False
    in_flight: list = []
    try:
        while time.monotonic() - started < 60 and a.poll() is None:
            running = await JobRun.count().where((JobRun.instance == "A") & (JobRun.status == "running"))
            done = await JobRun.count().where(JobRun.instance == "A")
            if running and done > 10:
                a.send_signal(signal.SIGKILL)
                in_flight = await JobRun.select(JobRun.id).where(
                    (JobRun.instance == "A") & (JobRun.status == "running"))
                killed_mid_run = True
                break
            await asyncio.sleep(0.005)
        else:
            a.send_signal(signal.SIGKILL)
        a.wait(10)
        output, _ = await asyncio.to_thread(b.communicate, timeout=240)
    finally:
        for process in (a, b):
            if process.poll() is None:
                process.kill()
    elapsed = time.monotonic() - started
    assert a.returncode == -signal.SIGKILL
    assert b.returncode == 0, output
    print(f"two schedulers, one simulated month: {elapsed:.1f}s; A killed mid-run: {killed_mid_run}")

    for activity_id in activities:
        row = await Activity.select().where(Activity.id == activity_id).first()
        expected = occurrence_starts(row, after=MONDAY, until=END + timedelta(weeks=jobs.EXPAND_WEEKS))
        assert [o["starts_at"] for o in await occurrences_of(activity_id)] == expected

    reminders = sorted(m["target_key"] for m in await Notification.select().where(Notification.recipient == user))
    assert reminders == sorted(f"occurrence:{o['id']}:{n}" for o in signed_up for n in ("7d", "1d"))
    assert await Notification.count().where(Notification.recipient == guardian) == 4
    short = [o for a_id in activities for o in await occurrences_of(a_id)
             if o["starts_at"] <= END + jobs.UNDER_FILLED_NOTICE]
    for member in members:
        warned = [m["target_key"] for m in await Notification.select().where(
            (Notification.recipient == member) & (Notification.kind == "under_filled"))]
        assert sorted(warned) == sorted(f"occurrence:{o['id']}:3d" for o in short)
    unsent = await Notification.select().where(Notification.sent_at.is_null())
    assert unsent == [], (unsent, await JobRun.select().where(JobRun.job.is_in(["send_outbox", "reminders"])).order_by(JobRun.scheduled_for, ascending=False).limit(8), output[-3000:])
    assert await JobRun.count().where(JobRun.status == "running") == 0
    if in_flight:  # what the survivor did with the run A died in
        left = await JobRun.select().where(JobRun.id.is_in([r["id"] for r in in_flight]))
        print("run A died in:", [(r["job"], r["instance"], r["status"], r["outcome"]) for r in left])
    assert await JobRun.count().where(JobRun.status == "failed") == 0
