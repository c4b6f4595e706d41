"""Each firing runs once, whatever happens: repeated ticks, two schedulers, a restart after a gap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tongxin.activities.service import occurrence_starts
from tongxin.activities.tables import Activity, Occurrence
from tongxin.scheduling import jobs, service
from tongxin.scheduling.tables import JobRun, JobSchedule

from tests.scheduling.scheduling_factories import (
    MONDAY,
    make_activity,
    make_organization,
    occurrences_of,
)

pytestmark = pytest.mark.anyio


async def runs_of(job: str) -> list[dict]:
    return await JobRun.select().where(JobRun.job == job).order_by(JobRun.scheduled_for)


@pytest.fixture
def counting_job():
    """A job that catches up every missed firing and counts its runs (removed after the test)."""
    seen: list = []

    async def run(ctx):
        seen.append(ctx.scheduled_for)
        return f"run {len(seen)}"

    jobs.JOBS["count_each"] = jobs.Job(name="count_each", run=run, trigger="interval", expression="1h",
                                       description="test", catch_up="each")
    yield seen
    del jobs.JOBS["count_each"]


async def test_a_month_of_ticks_by_two_schedulers_expands_each_service_day_once(app):
    org, _ = await make_organization()
    activity = await make_activity(org)
    now = MONDAY
    end = MONDAY + timedelta(days=31)
    while now <= end:
        for instance in ("a", "b"):  # two schedulers looking at the same moment
            await service.run_due_jobs(now=now, instance=instance, only={"expand_occurrences"})
        now += timedelta(hours=5)
    rows = await occurrences_of(activity)
    starts = [r["starts_at"] for r in rows]
    row = await Activity.select().where(Activity.id == activity).first()
    expected = occurrence_starts(row, after=MONDAY, until=end + timedelta(weeks=jobs.EXPAND_WEEKS))
    assert starts == expected
    assert len(starts) == len(set(starts)) >= 12
    runs = await runs_of("expand_occurrences")
    assert {r["instance"] for r in runs} <= {"a", "b"}
    assert len(runs) == len({r["scheduled_for"] for r in runs})
    assert all(r["status"] == "ok" for r in runs)


async def test_firing_the_same_scheduled_time_twice_runs_it_once(app):
    job = jobs.JOBS["expand_occurrences"]
    first = await service.fire(job, MONDAY, now=MONDAY, instance="a")
    second = await service.fire(job, MONDAY, now=MONDAY + timedelta(seconds=5), instance="b")
    assert first["status"] == "ok" and second is None
    assert len(await runs_of("expand_occurrences")) == 1


async def test_a_restart_after_a_gap_runs_each_missed_firing_once(app, counting_job):
    await service.run_due_jobs(now=MONDAY, only={"count_each"})
    assert counting_job == [MONDAY]
    later = MONDAY + timedelta(hours=5, minutes=30)  # the scheduler was down for five firings
    await service.run_due_jobs(now=later, only={"count_each"})
    await service.run_due_jobs(now=later, instance="second process", only={"count_each"})
    assert counting_job == [MONDAY + timedelta(hours=h) for h in range(6)]
    assert [r["scheduled_for"] for r in await runs_of("count_each")] == counting_job


async def test_a_restart_after_a_gap_coalesces_a_latest_only_job_into_one_run(app):
    org, _ = await make_organization()
    activity = await make_activity(org)
    await service.run_due_jobs(now=MONDAY, only={"expand_occurrences"})
    await service.run_due_jobs(now=MONDAY + timedelta(days=10, minutes=7), only={"expand_occurrences"})
    runs = await runs_of("expand_occurrences")
    assert [r["scheduled_for"] for r in runs] == [MONDAY, MONDAY + timedelta(days=10)]
    assert "239 earlier missed firing(s) coalesced" in runs[1]["outcome"]
    starts = [r["starts_at"] for r in await occurrences_of(activity)]
    assert starts[-1] > MONDAY + timedelta(days=10, weeks=jobs.EXPAND_WEEKS - 1)
    assert len(starts) == len(set(starts))


async def test_a_run_left_running_by_a_dead_scheduler_is_taken_over_after_the_lease(app, counting_job):
    await service.run_due_jobs(now=MONDAY, only={"count_each"})
    dead = MONDAY + timedelta(hours=1)
    await JobRun.insert(JobRun(job="count_each", scheduled_for=dead, instance="killed", status="running",
                               started_at=dead))
    await JobSchedule.update({JobSchedule.last_scheduled_for: dead}).where(JobSchedule.job == "count_each")
    await service.run_due_jobs(now=dead + timedelta(minutes=5), only={"count_each"})
    assert counting_job == [MONDAY]  # still within the lease: the other process may be alive
    await service.run_due_jobs(now=dead + service.LEASE + timedelta(minutes=1), instance="survivor",
                               only={"count_each"})
    run = (await JobRun.select().where((JobRun.job == "count_each") & (JobRun.scheduled_for == dead)))[0]
    assert counting_job == [MONDAY, dead]
    assert run["status"] == "ok" and run["instance"] == "survivor" and "taken over from killed" in run["outcome"]


async def test_a_latest_only_run_left_running_is_closed_once_a_later_firing_covered_it(app):
    dead = MONDAY - timedelta(hours=1)
    await JobRun.insert(JobRun(job="expand_occurrences", scheduled_for=dead, instance="killed",
                               status="running", started_at=dead))
    await service.run_due_jobs(now=MONDAY, only={"expand_occurrences"})
    await service.run_due_jobs(now=MONDAY + service.LEASE * 2, only={"expand_occurrences"})
    statuses = {r["scheduled_for"]: r["status"] for r in await runs_of("expand_occurrences")}
    assert statuses == {dead: "abandoned", MONDAY: "ok"}


async def test_a_failing_job_is_recorded_and_the_others_still_run(app, monkeypatch):
    async def broken(ctx):
        raise RuntimeError("disk full")

    monkeypatch.setitem(jobs.JOBS, "close_sign_ups",
                        jobs.Job(name="close_sign_ups", run=broken, trigger="interval", expression="5m",
                                 description="broken"))
    results = await service.run_due_jobs(now=MONDAY, only={"close_sign_ups", "expand_occurrences"})
    assert {r["job"]: r["status"] for r in results} == {"close_sign_ups": "failed", "expand_occurrences": "ok"}
    assert (await runs_of("close_sign_ups"))[0]["outcome"] == "RuntimeError: disk full"


async def test_a_job_whose_domain_function_is_missing_is_recorded_as_skipped(app, monkeypatch):
    import tongxin.matches.service as matches

    monkeypatch.delattr(matches, "run_matching_batch", raising=False)
    await service.run_due_jobs(now=MONDAY, only={"matching"})
    run = (await runs_of("matching"))[0]
    assert run["status"] == "skipped" and run["outcome"] == "skipped: run_matching_batch not available"


async def test_a_disabled_job_does_not_fire(app):
    await service.update_schedule(job="expand_occurrences", enabled=False, now=MONDAY)
    assert await service.run_due_jobs(now=MONDAY, only={"expand_occurrences"}) == []


async def test_an_edited_schedule_is_used_from_the_next_tick(app):
    await service.run_due_jobs(now=MONDAY, only={"expand_occurrences"})
    await service.update_schedule(job="expand_occurrences", trigger="cron", expression="30 9 * * *", now=MONDAY)
    await service.run_due_jobs(now=MONDAY + timedelta(days=1), only={"expand_occurrences"})
    latest = (await runs_of("expand_occurrences"))[-1]["scheduled_for"]
    assert latest == MONDAY + timedelta(hours=1, minutes=30)  # Monday 09:30 in Shanghai, the last before now


async def test_every_job_in_code_gets_a_schedule_row_once(app):
    await service.seed_schedules()
    await service.seed_schedules()
    names = [r["job"] for r in await JobSchedule.select(JobSchedule.job)]
    assert sorted(names) == sorted(jobs.JOBS)
    assert await Occurrence.count() == 0
