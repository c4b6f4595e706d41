"""A committed write is never answered 5xx because of the session: an unchanged session is not written
again after the handler (issue 8: on SQLite the session row was written after the response's own
transaction and a busy database turned committed sign-ups into errors)."""

import sqlite3

import pytest

from tests.factories import login, make_user
from tongxin.accounts.sessions import DatabaseStore
from tests.volunteers.factories import make_place
from tongxin.accounts.tables import WebSession
from tongxin.volunteers.tables import Volunteer

pytestmark = pytest.mark.anyio


async def test_a_signed_in_write_commits_and_answers_without_rewriting_an_unchanged_session(app, client, monkeypatch):
    user = await make_user("volunteer")
    await login(client, user["username"])
    assert (await client.get("/api/accounts/me")).status_code == 200
    stored = await WebSession.select(WebSession.data, WebSession.expires_at).first()

    async def busy(self, key, value, expires_in=None):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(DatabaseStore, "set", busy)
    community, grid = await make_place()
    saved = await client.put("/api/volunteers/me", json={
        "real_name": "李华", "phone": "13800001111", "birth_date": "1990-01-01", "community_id": community,
        "grid_id": grid})
    assert saved.status_code == 200, saved.text
    assert await Volunteer.count() == 1
    assert (await client.get("/api/accounts/me")).status_code == 200, "still signed in"
    assert await WebSession.select(WebSession.data, WebSession.expires_at).first() == stored


async def test_an_unchanged_session_near_its_end_is_renewed(app, client):
    from datetime import datetime, timedelta, timezone

    await login(client, (await make_user("volunteer"))["username"])
    soon = datetime.now(timezone.utc) + timedelta(days=1)
    await WebSession.update({WebSession.expires_at: soon}, force=True)
    answer = await client.get("/api/accounts/me")
    assert answer.status_code == 200
    renewed = (await WebSession.select(WebSession.expires_at).first())["expires_at"]
    assert renewed > soon + timedelta(days=10)
    assert "tx_session=" in answer.headers.get("set-cookie", ""), "the phone's cookie is renewed with the row"
