"""The read paths stay cheap and correct under load: a fixed number of statements per request whatever the
page size, a remembered session that still ends at once on sign-out, password change or disabling, and
SQLite readers that always get an answer while others write."""

import asyncio
import contextlib
import dataclasses
from datetime import timedelta

import pytest

from tests.conftest import make_client
from tests.factories import login, make_user
from tests.statements import statements_sent
from tests.volunteers.factories import enrol, make_occurrence, make_place, volunteer_with_profile

pytestmark = pytest.mark.anyio


@contextlib.asynccontextmanager
async def app_remembering_sessions(settings, seconds: float = 60.0):
    """The app as served (sessions and accounts remembered per process), on the test's database."""
    from tongxin.app import create_app

    app = create_app(dataclasses.replace(settings, session_cache_seconds=seconds, read_cache_seconds=seconds))
    async with app.lifespan():
        yield app


async def occurrences_with_my_sign_ups(app, client, count: int = 12) -> dict:
    """`count` published occurrences; `client` signs in as a volunteer confirmed on two and waitlisted on one."""
    community, grid = await make_place()
    ids = [await make_occurrence(starts_in=timedelta(days=3 + n), capacity=1 if n == 2 else 5) for n in range(count)]
    me = await volunteer_with_profile(client, community, grid)
    async with make_client(app) as first:
        someone = await volunteer_with_profile(first, community, grid)
    await enrol(volunteer_id=someone["volunteer_id"], occurrence_id=ids[2])
    for occurrence in ids[:3]:
        await enrol(volunteer_id=me["volunteer_id"], occurrence_id=occurrence)
    return {"me": me, "occurrences": ids}


async def statements_for(client, path: str, **params) -> tuple[int, dict | str]:
    with statements_sent() as sent:
        response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return len(sent), (response.json() if path.startswith("/api") else response.text)


async def test_the_occurrence_list_costs_the_same_statements_for_one_card_or_a_full_page(app):
    async with make_client(app) as client:
        made = await occurrences_with_my_sign_ups(app, client)
        await client.get("/api/accounts/me")  # the session read once, as on any later page
        one, small = await statements_for(client, "/api/occurrences", limit=1)
        many, full = await statements_for(client, "/api/occurrences", limit=12)
        fits_one, _ = await statements_for(client, "/api/occurrences", limit=1, fits_me=True)
        fits_many, _ = await statements_for(client, "/api/occurrences", limit=12, fits_me=True)
        page_one, _ = await statements_for(client, "/occurrences")
        page_offset, _ = await statements_for(client, "/occurrences", offset=10)
    assert len(small["items"]) == 1 and len(full["items"]) == 12 and full["total"] == 12
    assert one == many, "every listed occurrence must not cost statements of its own"
    assert fits_one == fits_many
    assert page_one == page_offset
    mine = {item["id"]: item["mine"] for item in full["items"]}
    waiting = mine[made["occurrences"][2]]
    assert waiting["sign_up_status"] == "waitlisted" and waiting["waitlist_position"] == 1
    assert mine[made["occurrences"][0]]["sign_up_status"] == "confirmed"
    assert mine[made["occurrences"][5]]["sign_up_status"] is None


async def test_the_occurrence_list_pages_newest_first_the_same_as_oldest_first_reversed(app):
    async with make_client(app) as client:
        made = await occurrences_with_my_sign_ups(app, client, count=5)
        soonest = (await client.get("/api/occurrences", params={"limit": 5})).json()
        latest = (await client.get("/api/occurrences", params={"limit": 2, "offset": 1, "sort": "-starts_at"})).json()
    assert [i["id"] for i in soonest["items"]] == made["occurrences"]
    assert [i["id"] for i in latest["items"]] == made["occurrences"][::-1][1:3]
    assert latest["total"] == 5


async def test_my_schedule_costs_the_same_statements_for_one_sign_up_or_twenty(app):
    async with make_client(app) as client:
        await occurrences_with_my_sign_ups(app, client)
        await client.get("/api/accounts/me")
        one, small = await statements_for(client, "/api/volunteers/me/sign-ups", limit=1)
        many, full = await statements_for(client, "/api/volunteers/me/sign-ups", limit=20)
        page_one, _ = await statements_for(client, "/me/sign-ups")
        page_two, _ = await statements_for(client, "/me/sign-ups", offset=2)
    assert len(small["items"]) == 1 and len(full["items"]) == 3
    assert one == many and page_one == page_two


async def test_my_schedule_past_its_last_page_is_empty_but_still_counts_my_sign_ups(app):
    async with make_client(app) as client:
        await occurrences_with_my_sign_ups(app, client)
        past_end = (await client.get("/api/volunteers/me/sign-ups", params={"offset": 10})).json()
        upcoming = (await client.get("/api/volunteers/me/sign-ups", params={"offset": 10, "upcoming": True,
                                                                          "status": "confirmed"})).json()
        past = (await client.get("/api/volunteers/me/sign-ups", params={"offset": 10, "upcoming": False})).json()
    assert past_end["items"] == [] and past_end["total"] == 3
    assert upcoming["items"] == [] and upcoming["total"] == 2
    assert past["items"] == [] and past["total"] == 0


async def test_a_remembered_session_ends_at_once_on_sign_out(settings):
    async with app_remembering_sessions(settings) as app:
        async with make_client(app) as browser, make_client(app) as stolen:
            user = await make_user("volunteer")
            await login(browser, user["username"])
            assert (await browser.get("/api/accounts/me")).status_code == 200
            stolen.cookies.set("tx_session", browser.cookies.get("tx_session"))
            assert (await stolen.get("/api/accounts/me")).status_code == 200
            assert (await browser.post("/api/accounts/logout")).status_code == 204
            assert (await stolen.get("/api/accounts/me")).status_code == 401


async def test_a_password_change_ends_the_other_remembered_sessions_at_once(settings):
    async with app_remembering_sessions(settings) as app:
        async with make_client(app) as phone, make_client(app) as laptop:
            user = await make_user("volunteer")
            await login(phone, user["username"])
            await login(laptop, user["username"])
            assert (await laptop.get("/api/accounts/me")).status_code == 200
            changed = await phone.post("/api/accounts/password", json={"current_password": "correct-horse-42",
                                                                       "new_password": "another-horse-43"})
            assert changed.status_code == 204, changed.text
            assert (await laptop.get("/api/accounts/me")).status_code == 401
            assert (await phone.get("/api/accounts/me")).status_code == 200


async def test_a_disabled_account_is_signed_out_at_once_though_remembered(settings):
    async with app_remembering_sessions(settings) as app:
        async with make_client(app) as person, make_client(app) as admin:
            user = await make_user("volunteer")
            await login(person, user["username"])
            assert (await person.get("/api/accounts/me")).status_code == 200
            await login(admin, (await make_user("admin"))["username"])
            disabled = await admin.patch(f"/api/accounts/users/{user['id']}", json={"is_active": False})
            assert disabled.status_code == 200, disabled.text
            assert (await person.get("/api/accounts/me")).status_code == 401


async def test_a_new_profile_counts_at_once_though_the_account_is_remembered(settings):
    async with app_remembering_sessions(settings) as app:
        async with make_client(app) as client:
            community, grid = await make_place()
            await make_occurrence()
            user = await make_user("volunteer")
            await login(client, user["username"])
            before = await client.get("/api/occurrences", params={"fits_me": True})
            assert before.status_code == 400 and before.json()["field"] == "fits_me"
            saved = await client.put("/api/volunteers/me", json={
                "real_name": "李华", "phone": "13800001111", "birth_date": "1990-05-01",
                "community_id": community, "grid_id": grid})
            assert saved.status_code == 200, saved.text
            after = await client.get("/api/occurrences", params={"fits_me": True})
            assert after.status_code == 200 and after.json()["total"] == 1


async def test_a_remembered_list_shows_my_sign_up_and_cancellation_at_once(settings):
    async with app_remembering_sessions(settings) as app:
        async with make_client(app) as client:
            community, grid = await make_place()
            occurrence = await make_occurrence(capacity=5)
            await volunteer_with_profile(client, community, grid)
            before = (await client.get("/api/occurrences")).json()["items"][0]
            signed = await client.post(f"/api/occurrences/{occurrence}/sign-ups", json={})
            assert signed.status_code == 201, signed.text
            after = (await client.get("/api/occurrences")).json()["items"][0]
            await client.delete(f"/api/sign-ups/{signed.json()['id']}")
            cancelled = (await client.get("/api/occurrences")).json()["items"][0]
    assert before["mine"]["sign_up_status"] is None and before["places_left"] == 5
    assert after["mine"]["sign_up_status"] == "confirmed" and after["places_left"] == 4
    assert cancelled["mine"]["sign_up_status"] is None and cancelled["places_left"] == 5


async def test_two_hundred_sqlite_readers_all_get_answers_while_others_sign_up(settings):
    if not settings.is_sqlite:
        pytest.skip("the read-connection pool and the single writer are SQLite's")
    async with app_remembering_sessions(settings, seconds=0) as app:
        community, grid = await make_place()
        occurrences = [await make_occurrence(capacity=3) for _ in range(3)]
        readers = [make_client(app) for _ in range(10)]
        writers = [make_client(app) for _ in range(10)]
        for client in [*readers, *writers]:
            await volunteer_with_profile(client, community, grid)

        async def read(n: int) -> int:
            client = readers[n % len(readers)]
            path = ("/api/occurrences", "/occurrences", "/api/volunteers/me/sign-ups", "/health")[n % 4]
            return (await client.get(path)).status_code

        async def sign_up(n: int) -> int:
            return (await writers[n].post(f"/api/occurrences/{occurrences[n % 3]}/sign-ups", json={})).status_code

        answers = await asyncio.gather(*[read(n) for n in range(200)], *[sign_up(n) for n in range(10)])
        for client in [*readers, *writers]:
            await client.aclose()
    assert [code for code in answers[:200] if not 200 <= code < 300] == []
    assert sorted(answers[200:]) == [201] * 10


async def feed_heard_the_set_up() -> None:
    """Let SQLite's change feed see the set-up's own commits (it forgets what was read before them)."""
    from tongxin.feed import FEED_POLL_SECONDS

    await asyncio.sleep(3 * FEED_POLL_SECONDS)


async def test_a_remembered_list_asked_again_sends_no_statement_until_something_is_written(settings):
    async with app_remembering_sessions(settings) as app:
        async with make_client(app) as client:
            await occurrences_with_my_sign_ups(app, client, count=3)
            await client.get("/api/accounts/me")
            await feed_heard_the_set_up()
            first, _ = await statements_for(client, "/api/occurrences")
            again, _ = await statements_for(client, "/api/occurrences")
            page_first, _ = await statements_for(client, "/occurrences")
            page_again, _ = await statements_for(client, "/occurrences")
            schedule_again, _ = await statements_for(client, "/api/volunteers/me/sign-ups")
            schedule_again, _ = await statements_for(client, "/api/volunteers/me/sign-ups")
            assert (await client.post("/api/volunteers/me/calendar")).status_code == 201
            after_write, _ = await statements_for(client, "/api/occurrences")
    assert first > 0 and page_first > 0
    assert again == page_again == schedule_again == 0
    assert after_write > 0, "a write must make the next list read again"


async def test_my_sign_up_shows_at_once_on_the_remembered_pages_and_schedule(settings):
    async with app_remembering_sessions(settings) as app:
        async with make_client(app) as client:
            community, grid = await make_place()
            occurrence = await make_occurrence(capacity=5, title="旧衣回收")
            await volunteer_with_profile(client, community, grid)
            list_before = (await client.get("/occurrences")).text
            schedule_before = (await client.get("/me/sign-ups")).text
            api_before = (await client.get("/api/volunteers/me/sign-ups")).json()
            signed = await client.post(f"/api/occurrences/{occurrence}/sign-ups", json={})
            assert signed.status_code == 201, signed.text
            list_after = (await client.get("/occurrences")).text
            schedule_after = (await client.get("/me/sign-ups")).text
            api_after = (await client.get("/api/volunteers/me/sign-ups")).json()
    assert "5/5" in list_before and "4/5" in list_after
    assert "旧衣回收" not in schedule_before and "旧衣回收" in schedule_after
    assert api_before["total"] == 0 and api_after["total"] == 1


async def test_an_occurrence_that_starts_leaves_the_remembered_list_at_its_start(settings):
    loop_time = asyncio.get_running_loop().time
    async with app_remembering_sessions(settings) as app:
        async with make_client(app) as client:
            community, grid = await make_place()
            # Starts in 4 to 5 s (whole seconds): room for the reads below on a busy machine.
            created = loop_time()
            soon = await make_occurrence(starts_in=timedelta(seconds=5), capacity=5)
            later = await make_occurrence(starts_in=timedelta(days=2), capacity=5)
            await volunteer_with_profile(client, community, grid)
            before = [i["id"] for i in (await client.get("/api/occurrences")).json()["items"]]
            page_before = (await client.get("/occurrences")).text
            await asyncio.sleep(max(0.0, created + 5.5 - loop_time()))
            after = [i["id"] for i in (await client.get("/api/occurrences")).json()["items"]]
            page_after = (await client.get("/occurrences")).text
    assert before == [soon, later] and after == [later]
    assert f"occurrence-{soon}" in page_before and f"occurrence-{soon}" not in page_after


WRITER = """
import asyncio, sys
from tongxin.db import connection_pool, use_database
from tests.volunteers.factories import enrol

async def main():
    async with connection_pool(use_database(sys.argv[1])):
        await enrol(volunteer_id=int(sys.argv[2]), occurrence_id=int(sys.argv[3]))

asyncio.run(main())
"""


async def test_another_process_sign_up_shows_in_a_remembered_list_within_the_feed_delay(settings):
    """Another process (another instance) takes a place: this process, remembering the list for 60 s, hears
    of it through the change feed and shows it within a second or two."""
    import os
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    async with app_remembering_sessions(settings) as app:
        async with make_client(app) as client, make_client(app) as other:
            community, grid = await make_place()
            occurrence = await make_occurrence(capacity=5)
            await volunteer_with_profile(client, community, grid)
            someone = await volunteer_with_profile(other, community, grid)
            assert (await client.get("/api/occurrences")).json()["items"][0]["places_left"] == 5
            assert "5/5" in (await client.get("/occurrences")).text
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "platform"), str(root)])}
            writer = await asyncio.create_subprocess_exec(
                sys.executable, "-c", WRITER, settings.database_url, str(someone["volunteer_id"]), str(occurrence),
                env=env, cwd=root)
            assert await writer.wait() == 0
            written = time.monotonic()
            while True:
                places = (await client.get("/api/occurrences")).json()["items"][0]["places_left"]
                if places == 4 or time.monotonic() - written > 5:
                    break
                await asyncio.sleep(0.05)
            page = (await client.get("/occurrences")).text
    assert places == 4, "another process's sign-up must show long before the 60 s memory ends"
    assert "4/5" in page


NAMER = """
import asyncio, sys
from tongxin.db import connection_pool, use_database, write_transaction
from tongxin.memory import data_changed

async def main():
    async with connection_pool(use_database(sys.argv[1])):
        async with write_transaction():
            data_changed("volunteer:8")  # passed on once the transaction has ended
        data_changed("volunteer:7", "occurrence:3")

asyncio.run(main())
"""


async def test_what_another_process_names_as_changed_is_heard_by_name(settings):
    """PostgreSQL's notices carry the keys a writer named, so warm reads elsewhere (the ranking district)
    can update just those; SQLite's feed can only say that something changed."""
    import os
    import sys
    import time
    from pathlib import Path

    from tongxin import memory
    from tongxin.memory import on_change

    if settings.is_sqlite:
        pytest.skip("SQLite's data_version says that something changed, not what")
    root = Path(__file__).resolve().parents[2]
    heard: list[tuple[str, ...]] = []
    named = {"occurrence:3", "volunteer:7", "volunteer:8"}
    on_change(heard.append)
    try:
        async with app_remembering_sessions(settings):
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "platform"), str(root)])}
            writer = await asyncio.create_subprocess_exec(sys.executable, "-c", NAMER, settings.database_url,
                                                          env=env, cwd=root)
            assert await writer.wait() == 0
            written = time.monotonic()
            while not named <= {key for keys in heard for key in keys} and time.monotonic() - written < 5:
                await asyncio.sleep(0.05)
    finally:
        memory._LISTENERS.remove(heard.append)
    assert named <= {key for keys in heard for key in keys}
