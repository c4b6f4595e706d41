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
