"""Staff see the jobs and their runs; everyone reads (only) their own notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tongxin.notifications import service as notifications
from tongxin.scheduling import jobs, service

from tests.conftest import make_client
from tests.factories import make_user, signed_in_as
from tests.scheduling.scheduling_factories import MONDAY

pytestmark = pytest.mark.anyio


async def test_staff_see_every_job_with_its_last_outcome_and_next_run(app, client):
    await service.run_due_jobs(now=MONDAY, only={"close_sign_ups"})
    await signed_in_as(client, "staff")
    response = await client.get("/api/scheduling/jobs")
    assert response.status_code == 200
    by_name = {j["job"]: j for j in response.json()}
    assert set(by_name) == set(jobs.JOBS)
    closing = by_name["close_sign_ups"]
    assert closing["last_run"]["status"] == "ok" and closing["last_run"]["outcome"] == "0 occurrence(s) closed"
    assert closing["next_run_at"].startswith("2026-03-02T00:05")
    assert by_name["retrain"]["last_run"] is None


async def test_volunteers_may_not_see_the_jobs(app, client):
    await signed_in_as(client, "volunteer")
    assert (await client.get("/api/scheduling/jobs")).status_code == 403
    assert (await client.get("/api/scheduling/runs")).status_code == 403


async def test_runs_are_paginated_newest_first_and_filtered_by_job(app, client):
    for hour in range(3):
        await service.run_due_jobs(now=MONDAY + timedelta(hours=hour), only={"expand_occurrences", "close_sign_ups"})
    await signed_in_as(client, "staff")
    page = (await client.get("/api/scheduling/runs", params={"job": "expand_occurrences", "limit": 2})).json()
    assert page["total"] == 3 and page["limit"] == 2 and page["offset"] == 0
    assert [r["scheduled_for"][:13] for r in page["items"]] == ["2026-03-02T02", "2026-03-02T01"]
    assert (await client.get("/api/scheduling/runs", params={"job": "nope"})).status_code == 400
    assert (await client.get("/api/scheduling/runs", params={"limit": 1000})).status_code == 400


async def test_staff_can_switch_a_job_off_and_give_it_a_new_schedule(app, client):
    await signed_in_as(client, "staff")
    response = await client.patch("/api/scheduling/jobs/matching",
                                  json={"trigger": "cron", "expression": "0 6 * * *", "enabled": False})
    assert response.status_code == 200, response.text
    assert response.json()["expression"] == "0 6 * * *" and response.json()["enabled"] is False
    bad = await client.patch("/api/scheduling/jobs/matching", json={"expression": "every tuesday"})
    assert bad.status_code == 400 and bad.json()["field"] == "expression"
    assert (await client.patch("/api/scheduling/jobs/unknown", json={"enabled": True})).status_code == 404


async def test_a_person_reads_their_own_notifications_and_marks_one_read(app, client):
    me = await signed_in_as(client, "volunteer")
    other = await make_user("volunteer")
    for n in range(3):
        await notifications.notify(recipient_id=me["id"], kind="reminder", target_key=f"occurrence:{n}:7d", title=f"m{n}")
    await notifications.notify(recipient_id=other["id"], kind="reminder", target_key="occurrence:9:7d", title="theirs")
    page = (await client.get("/api/notifications", params={"limit": 2})).json()
    assert page["total"] == 3 and page["unread"] == 3 and [m["title"] for m in page["items"]] == ["m2", "m1"]
    first = page["items"][0]["id"]
    read = await client.post(f"/api/notifications/{first}/read")
    assert read.status_code == 200 and read.json()["read_at"]
    assert (await client.get("/api/notifications")).json()["unread"] == 2
    unread = (await client.get("/api/notifications", params={"unread": "true"})).json()
    assert first not in [m["id"] for m in unread["items"]]
    theirs = (await notifications.notifications_page(recipient_id=other["id"]))["items"][0]["id"]
    assert (await client.post(f"/api/notifications/{theirs}/read")).status_code == 404


async def test_notifications_need_a_signed_in_user(app):
    async with make_client(app) as anonymous:
        assert (await anonymous.get("/api/notifications")).status_code == 401
