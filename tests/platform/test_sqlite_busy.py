"""A still-locked SQLite database answers 503 with Retry-After, never a 500."""

import dataclasses
import sqlite3

import pytest

from tests.conftest import make_client

pytestmark = pytest.mark.anyio


async def test_write_while_another_writer_holds_the_lock_is_503_with_retry_after(settings):
    if not settings.is_sqlite:
        pytest.skip("the write lock is SQLite's; PostgreSQL locks rows")
    from tongxin.app import create_app

    app = create_app(dataclasses.replace(settings, sqlite_busy_seconds=0.2))
    async with app.lifespan():
        holder = sqlite3.connect(settings.sqlite_path(), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            async with make_client(app) as client:
                await client.get("/api/csrf")
                response = await client.post("/api/accounts/register",
                                             json={"username": "blocked", "password": "long-enough-1"})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        async with make_client(app) as client:
            retry = await client.post("/api/accounts/register",
                                      json={"username": "blocked", "password": "long-enough-1"})
        assert retry.status_code == 201


async def test_a_burst_of_sign_ups_on_sqlite_is_served_in_arrival_order_and_none_fails(app, settings):
    """While one write holds SQLite's lock, 20 people sign up one after another: they queue instead of
    racing for the lock, so the first five get the places and the rest wait in the order they came."""
    if not settings.is_sqlite:
        pytest.skip("SQLite serialises writers; PostgreSQL locks rows")
    import asyncio

    from tests.activities.test_signups_at_once import people
    from tests.volunteers.factories import make_occurrence
    from tongxin.activities import signups
    from tongxin.db import write_transaction

    occurrence = await make_occurrence(capacity=5)
    volunteers = await people(20)
    release = asyncio.Event()
    holding = asyncio.Event()

    async def long_write() -> None:
        async with write_transaction():
            holding.set()
            await release.wait()

    holder = asyncio.create_task(long_write())
    await holding.wait()
    arrivals = []
    for volunteer in volunteers:
        arrivals.append(asyncio.create_task(signups.apply(volunteer_id=volunteer, occurrence_id=occurrence)))
        await asyncio.sleep(0.01)  # each arrives, and starts waiting, before the next
    release.set()
    await holder
    answers = await asyncio.gather(*arrivals)
    assert [a["status"] for a in answers] == ["confirmed"] * 5 + ["waitlisted"] * 15
    assert [a["waitlist_position"] for a in answers[5:]] == list(range(1, 16))
