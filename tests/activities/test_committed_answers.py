"""A committed sign-up or cancel is answered as such: the session row is not written after it unless the
session changed (or its expiry is due for renewal)."""

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import make_client
from tests.volunteers.factories import make_occurrence, make_place, volunteer_with_profile

pytestmark = pytest.mark.anyio


async def test_a_committed_sign_up_and_cancel_are_answered_even_when_the_session_row_is_busy(app, monkeypatch):
    from tongxin.accounts.sessions import DatabaseStore
    from tongxin.activities.tables import SignUp

    community, grid = await make_place()
    occurrence = await make_occurrence(capacity=2)
    async with make_client(app) as client:
        await volunteer_with_profile(client, community, grid)

        async def busy(self, key, value, expires_in=None):
            raise sqlite3.OperationalError("database is locked")

        monkeypatch.setattr(DatabaseStore, "set", busy)
        signed_up = await client.post(f"/api/occurrences/{occurrence}/sign-ups", json={})
        assert signed_up.status_code == 201, signed_up.text
        assert await SignUp.count().where(SignUp.status == "confirmed") == 1
        cancelled = await client.delete(f"/api/sign-ups/{signed_up.json()['id']}")
        assert cancelled.status_code == 200, cancelled.text
        assert await SignUp.count().where(SignUp.status == "cancelled") == 1


async def test_a_session_in_use_is_still_renewed_once_its_expiry_is_an_hour_old(app, settings):
    from tongxin.accounts.tables import WebSession

    community, grid = await make_place()
    async with make_client(app) as client:
        await volunteer_with_profile(client, community, grid)
        fresh = (await WebSession.select(WebSession.expires_at).first())["expires_at"]
        assert (await client.get("/api/accounts/me")).status_code == 200
        assert (await WebSession.select(WebSession.expires_at).first())["expires_at"] == fresh, \
            "a request that changes nothing writes no session row"
        stale = datetime.now(timezone.utc) + timedelta(seconds=settings.session_max_age) - timedelta(hours=2)
        await WebSession.update({WebSession.expires_at: stale}, force=True)
        assert (await client.get("/api/accounts/me")).status_code == 200
        renewed = (await WebSession.select(WebSession.expires_at).first())["expires_at"]
        assert renewed > stale + timedelta(hours=1)
