"""`tongxin demo`: the district, its year of history and a trained model, once; `--reset` starts again."""

from __future__ import annotations

import time as clock
from datetime import datetime, time, timezone
from typing import Callable

from tongxin.accounts.tables import Community, Grid
from tongxin.activities.tables import Activity
from tongxin.dates import LOCAL_TZ
from tongxin.db import current_engine, is_sqlite, write_transaction
from tongxin.organizations.tables import Organization
from tongxin.tables import ALL_TABLES
from tongxin.volunteers.tables import LedgerEntry, Volunteer
from tongxin.wishes.tables import Wish

SERVICE_DAY = "吾爱邻便民志愿服务日"


def history_start(now: datetime) -> datetime:
    """Where the past begins: local midnight on the first day of the dashboard's default period (the last
    12 months), so that period shows the whole year."""
    from tongxin.reports.service import default_range

    first = default_range(now.astimezone(LOCAL_TZ).date())[0]
    return datetime.combine(first, time(0), tzinfo=LOCAL_TZ).astimezone(timezone.utc)


async def is_loaded(*, scale: int = 1) -> bool:
    """Whether the demo district is there at this scale (its service day and 300 × scale volunteers)."""
    return bool(await Activity.exists().where(Activity.title == SERVICE_DAY)) and \
        await Volunteer.count().where(Volunteer.is_youth == False) >= 300 * scale  # noqa: E712


async def reset_demo(*, progress: Callable[[str], None] = print) -> None:
    """Delete every row of every table (the schema and its migrations stay): the caller asked twice."""
    progress("deleting every row of every table")
    async with write_transaction():
        if is_sqlite(current_engine()):
            for table in reversed(ALL_TABLES):
                await table.delete(force=True)
        else:
            names = ", ".join(table._meta.tablename for table in ALL_TABLES)
            await current_engine().run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


async def train_model(*, progress: Callable[[str], None] = print) -> dict:
    """The real training run (`tongxin matching train`) over the history's decisions; says which scorer is
    active afterwards."""
    from tongxin.matches.service import model_status, train_and_maybe_activate

    result = await train_and_maybe_activate(progress=lambda m: progress(f"      {m}"))
    status = await model_status()
    if status["in_use"] == status["active_version"] and status["active_version"]:
        progress(f"      the trained model {status['in_use']} is active")
    else:
        progress(f"      the transparent prior stays active: {result.get('reason') or 'the new model was not better'}")
    return status


async def load_demo(*, scale: int = 1, progress: Callable[[str], None] = print, seed: int = 7,
                    history: bool | None = None, train: bool = True) -> dict:
    """Load (or top up) the demo district and, by default for the district itself (scale 1; scaled copies
    for benchmarks skip it), a year of past service and a model trained on it. Running it twice adds
    nothing. The district and its history are one transaction: a demo is there completely or not at all."""
    # Matching and scikit-learn come in here, not at import: skipping a loaded demo stays quick.
    from tongxin.demo.district import DEMO_PASSWORD, load_district
    from tongxin.demo.history import write_history

    if scale < 1:
        raise ValueError("scale must be at least 1")
    started = clock.perf_counter()
    history = scale == 1 if history is None else history
    now = datetime.now(timezone.utc)
    since = history_start(now) if history else now
    async with write_transaction():
        await load_district(scale=scale, progress=progress, seed=seed, since=since)
        written = await write_history(since=since, now=now, progress=progress) if history else {}
    if written:
        progress(f"      {written.get('attended', 0)} attendances credited, {written.get('proposals', 0)} proposals "
                 f"decided, {written.get('invitations', 0)} invitations answered, {written.get('wishes', 0)} wishes")
    if train and written:
        progress("[10/11] training the matching model on the year's decisions and attendance")
        await train_model(progress=progress)
    counts = {
        "communities": await Community.count(), "grids": await Grid.count(),
        "volunteers": await Volunteer.count(), "organizations": await Organization.count(),
        "wishes": await Wish.count(), "activities": await Activity.count(),
        "credits": await LedgerEntry.count(),
    }
    progress(f"[11/11] demo district ready in {clock.perf_counter() - started:.1f} s: "
             + ", ".join(f"{k} {v}" for k, v in counts.items()))
    progress(f"demo logins (password {DEMO_PASSWORD}): admin, staff, grid01, bluesky (organization), "
             "vol001 (volunteer), guardian01 (guardian)")
    return counts


__all__ = ("load_demo", "is_loaded", "reset_demo", "train_model", "history_start", "SERVICE_DAY")
