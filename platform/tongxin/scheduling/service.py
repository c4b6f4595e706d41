"""Scheduling: claimed firings of the jobs, rescheduling occurrences, and the notification outbox.

The core is `run_due_jobs(now=...)`: read each job's schedule from the database, work out which
scheduled times are due (including the ones missed while no scheduler ran), and `fire` each by
claiming the row (job, scheduled_for) with INSERT ... ON CONFLICT DO NOTHING. Only the process whose
insert wins runs the job, so two schedulers, or one restarted, never run a firing twice.
APScheduler (see `runner.py`) only decides when to call `run_due_jobs`; tests call it with a clock.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import datetime, timedelta, timezone
from itertools import islice
from typing import TYPE_CHECKING, Any

from tongxin.activities.service import (
    ACTIVE_SIGN_UP,
    expand_occurrences,
    occurrence_starts,
)
from tongxin.activities.tables import Activity, Occurrence, SignUp
from tongxin.db import write_transaction
from tongxin.errors import InvalidInput, NotFound
from tongxin.notifications.service import notify
from tongxin.paging import page_bounds
from tongxin.scheduling import triggers
from tongxin.scheduling.tables import JobRun, JobSchedule

if TYPE_CHECKING:
    from tongxin.scheduling.jobs import Job
    from tongxin.settings import Settings

log = logging.getLogger("tongxin.scheduler")

LEASE = timedelta(minutes=10)
MAX_SEND_ATTEMPTS = 8
RUN_STATUSES = ("running", "ok", "skipped", "failed", "abandoned")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def instance_name() -> str:
    """Who claims a firing: host and process id, shown to staff next to each run."""
    return f"{socket.gethostname()}:{os.getpid()}"



# --- rescheduling an activity's occurrences ----------------------------------------------------

async def reschedule_activity(*, activity_id: int, now: datetime, weeks: int = 8) -> dict[str, int]:
    """Apply an edited rule to the future only: drop or cancel occurrences the rule no longer has.

    Past occurrences stay as they were. A future occurrence outside the new rule is deleted when
    nobody is signed up; otherwise it is cancelled and its volunteers (or their guardians) told.
    """
    from tongxin.volunteers.tables import YouthMember

    async with write_transaction():
        activity = await Activity.select().where(Activity.id == activity_id).first()
        if activity is None:
            raise NotFound("activity not found")
        future = await Occurrence.select(Occurrence.id, Occurrence.starts_at).where(
            (Occurrence.activity == activity_id) & (Occurrence.starts_at > now)
            & (Occurrence.status != "cancelled"))
        until = max([now + timedelta(weeks=weeks)] + [o["starts_at"] for o in future])
        keep = set(occurrence_starts(activity, after=now, until=until))
        dropped = [o for o in future if o["starts_at"] not in keep]
        deleted = cancelled = 0
        for occurrence in dropped:
            sign_ups = await SignUp.select(SignUp.id, SignUp.volunteer, SignUp.volunteer.user.as_alias("user")).where(
                (SignUp.occurrence == occurrence["id"]) & SignUp.status.is_in(list(ACTIVE_SIGN_UP)))
            if not sign_ups:
                await Occurrence.delete().where(Occurrence.id == occurrence["id"])
                deleted += 1
                continue
            await Occurrence.update({Occurrence.status: "cancelled", Occurrence.taken: 0}).where(
                Occurrence.id == occurrence["id"])
            await SignUp.update({SignUp.status: "cancelled", SignUp.cancelled_at: now}).where(
                SignUp.id.is_in([s["id"] for s in sign_ups]))
            guardians = {r["volunteer"]: r["guardian"] for r in await YouthMember.select(
                YouthMember.volunteer, YouthMember.guardian).where(
                YouthMember.volunteer.is_in([s["volunteer"] for s in sign_ups]))}
            when = occurrence["starts_at"].astimezone(triggers.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
            for s in sign_ups:
                for recipient in {s["user"], guardians.get(s["volunteer"])} - {None}:
                    await notify(
                        recipient_id=recipient, kind="occurrence_cancelled",
                        target_key=f"occurrence:{occurrence['id']}",
                        title=f"活动取消: {activity['title']} {when}",
                        body="活动时间已调整,这一场不再举行,您的报名已取消。请查看新的时间重新报名。",
                        payload={"occurrence": occurrence["id"], "activity": activity_id})
            cancelled += 1
        await Activity.update({Activity.rule_changed_at: now}).where(Activity.id == activity_id)
        created = await expand_occurrences(activity_id=activity_id, until=now + timedelta(weeks=weeks), after=now)
    return {"deleted": deleted, "cancelled": cancelled, "created": created}


# --- schedules and firings ------------------------------------------------------------------------

def registry() -> dict[str, "Job"]:
    """The jobs defined in code (imported late: jobs call back into this module)."""
    from tongxin.scheduling.jobs import JOBS

    return JOBS


async def seed_schedules() -> int:
    """Give every job in code a schedule row with its default; existing (edited) rows stay."""
    rows = [JobSchedule(job=j.name, trigger=j.trigger, expression=j.expression, enabled=True)
            for j in registry().values()]
    if not rows:
        return 0
    inserted = await JobSchedule.insert(*rows).on_conflict(action="DO NOTHING").returning(JobSchedule.id)
    return len(inserted)


async def fire(job: "Job", scheduled_for: datetime, *, now: datetime, instance: str = "",
               settings: "Settings | None" = None, note: str = "") -> dict[str, Any] | None:
    """Claim the firing (job, scheduled_for) and run it; None if another run already claimed it."""
    claim = await JobRun.insert(JobRun(
        job=job.name, scheduled_for=scheduled_for, instance=instance, status="running", started_at=now,
    )).on_conflict(action="DO NOTHING").returning(JobRun.id)
    if not claim:
        return None
    await JobSchedule.update({JobSchedule.last_scheduled_for: scheduled_for}).where(
        (JobSchedule.job == job.name)
        & (JobSchedule.last_scheduled_for.is_null() | (JobSchedule.last_scheduled_for < scheduled_for)))
    return await _run_claimed(job, claim[0]["id"], scheduled_for, now=now, instance=instance,
                              settings=settings, note=note)


async def _run_claimed(job: "Job", run_id: int, scheduled_for: datetime, *, now: datetime, instance: str,
                       settings: "Settings | None", note: str) -> dict[str, Any]:
    from tongxin.scheduling.jobs import JobContext

    started = time.monotonic()
    try:
        outcome = await job.run(JobContext(scheduled_for=scheduled_for, now=now, settings=settings,
                                           instance=instance))
        status = "skipped" if outcome.startswith("skipped") else "ok"
    except Exception as exc:  # a failed job is recorded, never crashes the scheduler
        log.exception("job %s for %s failed", job.name, scheduled_for.isoformat())
        status, outcome = "failed", f"{type(exc).__name__}: {exc}"
    elapsed = time.monotonic() - started
    if note:
        outcome = f"{outcome} ({note})"
    finished = now + timedelta(seconds=elapsed)
    await JobRun.update({JobRun.status: status, JobRun.outcome: outcome[:2000],
                         JobRun.finished_at: finished}).where(JobRun.id == run_id)
    log.info("%s %s for %s in %.2fs: %s", job.name, status, scheduled_for.isoformat(), elapsed, outcome)
    return {"id": run_id, "job": job.name, "scheduled_for": scheduled_for, "status": status,
            "outcome": outcome, "seconds": round(elapsed, 3)}


def due_firings(schedule: dict[str, Any], job: "Job", *, now: datetime) -> list[tuple[datetime, str]]:
    """The scheduled times to fire now, each with a note for its run (how missed firings were caught up)."""
    trigger, expression, last = schedule["trigger"], schedule["expression"], schedule["last_scheduled_for"]
    if job.catch_up == "each" and last is not None:
        times = list(islice(triggers.fire_times(trigger, expression, after=last, until=now), 10_000))
        dropped = max(0, len(times) - job.max_catch_up)
        times = times[dropped:]
        notes = ["caught up after downtime" if len(times) > 1 else ""] * len(times)
        if dropped:
            notes[0] = f"caught up; {dropped} older missed firing(s) dropped"
        return list(zip(times, notes))
    latest = triggers.latest_fire_time(trigger, expression, until=now, after=last)
    if latest is None:
        return []
    note = ""
    if last is not None:
        missed = sum(1 for _ in islice(triggers.fire_times(trigger, expression, after=last, until=latest), 1001)) - 1
        if missed:
            note = f"caught up; {'1000+' if missed >= 1000 else missed} earlier missed firing(s) coalesced"
    return [(latest, note)]


async def recover_abandoned_runs(*, now: datetime, instance: str = "", settings: "Settings | None" = None,
                                 lease: timedelta = LEASE) -> list[dict[str, Any]]:
    """Runs left "running" longer than the lease (their process died): close or run them again.

    A "latest" job whose later firing has finished lost nothing: its run is marked abandoned.
    Otherwise this instance takes the claim over (one conditional update wins) and runs it again;
    the job's own unique keys make the repeat harmless.
    """
    jobs = registry()
    stale = await JobRun.select().where((JobRun.status == "running") & (JobRun.started_at < now - lease))
    results = []
    for run in stale:
        job = jobs.get(run["job"])
        superseded = job is None or (job.catch_up == "latest" and await JobRun.exists().where(
            (JobRun.job == run["job"]) & (JobRun.scheduled_for > run["scheduled_for"])
            & JobRun.status.is_in(["ok", "skipped"])))
        claim = (JobRun.id == run["id"]) & (JobRun.status == "running") & (JobRun.started_at < now - lease)
        if superseded:
            await JobRun.update({
                JobRun.status: "abandoned", JobRun.finished_at: now,
                JobRun.outcome: f"{run['instance'] or 'a scheduler'} stopped mid-run; a later firing covered it",
            }).where(claim)
            continue
        taken = await JobRun.update({JobRun.instance: instance, JobRun.started_at: now}).where(
            claim).returning(JobRun.id)
        if taken:
            results.append(await _run_claimed(job, run["id"], run["scheduled_for"], now=now, instance=instance,
                                              settings=settings, note=f"taken over from {run['instance']}"))
    return results


async def run_due_jobs(*, now: datetime, instance: str | None = None, settings: "Settings | None" = None,
                       lease: timedelta = LEASE, only: set[str] | None = None) -> list[dict[str, Any]]:
    """Fire every job whose scheduled time has come (missed ones included); returns the runs made here."""
    instance = instance if instance is not None else instance_name()
    jobs = registry()
    results = []
    schedules = await JobSchedule.select()
    if set(jobs) - {s["job"] for s in schedules}:
        await seed_schedules()
        schedules = await JobSchedule.select()
    # In the order of the code (the outbox last), so messages queued in this tick go out in it.
    order = {name: n for n, name in enumerate(jobs)}
    schedules.sort(key=lambda s: order.get(s["job"], len(order)))
    for schedule in schedules:
        if not schedule["enabled"]:
            continue
        job = jobs.get(schedule["job"])
        if job is None or (only is not None and job.name not in only):
            continue  # a schedule whose code was removed does nothing
        for scheduled_for, note in due_firings(schedule, job, now=now):
            result = await fire(job, scheduled_for, now=now, instance=instance, settings=settings, note=note)
            if result is not None:
                results.append(result)
        upcoming = triggers.next_fire_time(schedule["trigger"], schedule["expression"], after=now)
        if upcoming != schedule["next_run_at"]:
            await JobSchedule.update({JobSchedule.next_run_at: upcoming}).where(JobSchedule.id == schedule["id"])
    # After the due firings, so a dead run of a "latest" job is usually covered by a fresh one by now.
    results += await recover_abandoned_runs(now=now, instance=instance, settings=settings, lease=lease)
    return results


# --- what staff see ---------------------------------------------------------------------------------

async def list_jobs() -> list[dict[str, Any]]:
    """Every job in code with its schedule, next run and last run (outcome included)."""
    rows = {r["job"]: r for r in await JobSchedule.select()}
    jobs = []
    for job in registry().values():
        schedule = rows.get(job.name, {})
        last = await JobRun.select(
            JobRun.id, JobRun.scheduled_for, JobRun.instance, JobRun.status, JobRun.outcome,
            JobRun.started_at, JobRun.finished_at,
        ).where(JobRun.job == job.name).order_by(JobRun.scheduled_for, ascending=False).first()
        jobs.append({
            "job": job.name, "description": job.description,
            "trigger": schedule.get("trigger", job.trigger),
            "expression": schedule.get("expression", job.expression),
            "enabled": schedule.get("enabled", True), "catch_up": job.catch_up,
            "last_scheduled_for": schedule.get("last_scheduled_for"),
            "next_run_at": schedule.get("next_run_at"), "last_run": last,
        })
    return jobs


async def list_runs(*, job: str | None = None, status: str | None = None, limit: int = 20,
                    offset: int = 0) -> dict[str, Any]:
    """A page of firings, newest scheduled time first, optionally of one job or one status."""
    limit, offset = page_bounds(limit, offset)
    if job is not None and job not in registry():
        raise InvalidInput(f"unknown job {job!r}", field="job")
    if status is not None and status not in RUN_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(RUN_STATUSES)}", field="status")
    query, count = JobRun.select(), JobRun.count()
    for column, value in ((JobRun.job, job), (JobRun.status, status)):
        if value is not None:
            query, count = query.where(column == value), count.where(column == value)
    items = await query.order_by(JobRun.scheduled_for, ascending=False).order_by(
        JobRun.id, ascending=False).limit(limit).offset(offset)
    return {"items": items, "total": await count, "limit": limit, "offset": offset}


async def update_schedule(*, job: str, trigger: str | None = None, expression: str | None = None,
                          enabled: bool | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Change a job's schedule (staff): trigger kind, expression, or switch it off and on."""
    if job not in registry():
        raise NotFound("job not found")
    await seed_schedules()
    current = await JobSchedule.select().where(JobSchedule.job == job).first()
    trigger = trigger or current["trigger"]
    expression = expression or current["expression"]
    triggers.validate(trigger, expression)
    values: dict = {JobSchedule.trigger: trigger, JobSchedule.expression: expression,
                    JobSchedule.next_run_at: triggers.next_fire_time(trigger, expression, after=now or _now())}
    if enabled is not None:
        values[JobSchedule.enabled] = enabled
    await JobSchedule.update(values).where(JobSchedule.job == job)
    return next(j for j in await list_jobs() if j["job"] == job)


# --- running inside the web process ---------------------------------------------------------------

def app_lifespan(settings: "Settings"):
    """The web process runs the scheduler on the embedded default; `serve --no-scheduler` turns it off."""
    if not settings.run_scheduler:
        return None
    from tongxin.scheduling.runner import lifespan_for

    return lifespan_for(settings)
