"""Sign-in and registration slow down guessers, not owners; look-alike usernames are refused."""

import asyncio
import statistics
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from tongxin.accounts import throttle

from tests.conftest import ApiClient
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.anyio


def client_from(app, address: str) -> ApiClient:
    """A client whose requests come from `address` (another phone, another office)."""
    return ApiClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://testserver")


async def _login(c, username: str, password: str):
    return await c.post("/api/accounts/login", json={"username": username, "password": password})


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by hand."""
    state = {"now": datetime.now(timezone.utc)}
    monkeypatch.setattr(throttle, "_now", lambda: state["now"])

    def advance(seconds: float) -> None:
        state["now"] += timedelta(seconds=seconds)

    return advance


async def test_guesser_waits_longer_each_time_and_is_told_how_long(app, clock):
    user = await make_user()
    async with client_from(app, "10.0.0.1") as guesser:
        for _ in range(3):
            assert (await _login(guesser, user["username"], "wrong-guess")).status_code == 401
        waits = []
        for _ in range(3):
            limited = await _login(guesser, user["username"], "wrong-guess")
            assert limited.status_code == 429
            waits.append(int(limited.headers["retry-after"]))
            assert limited.json()["retry_after"] == waits[-1]
            assert f"{waits[-1]} seconds" in limited.json()["message"]
            clock(waits[-1])
            assert (await _login(guesser, user["username"], "wrong-guess")).status_code == 401
        assert waits == [2, 4, 8]


async def test_owner_on_another_device_signs_in_while_a_guesser_waits(app, clock):
    user = await make_user()
    async with client_from(app, "10.0.0.1") as guesser, client_from(app, "10.0.0.2") as owner:
        for _ in range(4):
            await _login(guesser, user["username"], "wrong-guess")
        assert (await _login(guesser, user["username"], PASSWORD)).status_code == 429
        assert (await _login(owner, user["username"], PASSWORD)).status_code == 200


async def test_owner_who_mistyped_starts_afresh_after_signing_in(app, clock):
    user = await make_user()
    async with client_from(app, "10.0.0.3") as owner:
        for _ in range(2):
            await _login(owner, user["username"], "typo-typo")
        assert (await _login(owner, user["username"], PASSWORD)).status_code == 200
        for _ in range(3):
            assert (await _login(owner, user["username"], "typo-typo")).status_code == 401


async def test_parallel_guesses_are_checked_no_more_than_the_free_number(app, clock):
    user = await make_user()
    async with client_from(app, "10.0.0.4") as guesser:
        await guesser.get("/api/csrf")
        answers = await asyncio.gather(*(_login(guesser, user["username"], f"guess-{i}") for i in range(12)))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(401) <= throttle.PAIR.free
    assert set(codes) <= {401, 429}


async def test_people_signing_in_at_once_from_one_address_all_get_in(app):
    """An office's phones behind one address: tries still in flight, stamped a moment after one another,
    delay nobody while the client is within its free number."""
    users = [await make_user() for _ in range(12)]
    async with client_from(app, "10.0.0.7") as office:
        await office.get("/api/csrf")
        answers = await asyncio.gather(*(_login(office, u["username"], PASSWORD) for u in users))
    assert [a.status_code for a in answers] == [200] * len(users)


def test_a_later_parallel_try_adds_no_wait_while_failures_are_free():
    now = datetime.now(timezone.utc)
    assert throttle._left(throttle.CLIENT, 5, now + timedelta(milliseconds=40), now) == 0.0
    assert throttle._left(throttle.PAIR, throttle.PAIR.free, now + timedelta(milliseconds=40), now) == 2.0


async def test_one_client_sweeping_over_usernames_is_slowed_down(app, clock):
    async with client_from(app, "10.0.0.5") as sweeper, client_from(app, "10.0.0.6") as other:
        for i in range(throttle.CLIENT.free):
            assert (await _login(sweeper, f"nobody{i}", "wrong-guess")).status_code == 401
        assert (await _login(sweeper, "nobody-else", "wrong-guess")).status_code == 429
        assert (await _login(other, "nobody-else", "wrong-guess")).status_code == 401


async def test_unknown_username_takes_as_long_as_a_known_one(app):
    user = await make_user()

    async def timed(username: str, address: str) -> float:
        async with client_from(app, address) as c:
            await c.get("/api/csrf")
            started = time.perf_counter()
            assert (await _login(c, username, "wrong-guess")).status_code == 401
            return time.perf_counter() - started

    known = statistics.median([await timed(user["username"], f"10.1.0.{i}") for i in range(3)])
    unknown = statistics.median([await timed("no-such-person", f"10.2.0.{i}") for i in range(3)])
    assert unknown > 0.5 * known, (unknown, known)


async def test_registration_is_throttled_per_client(app, clock):
    async with client_from(app, "10.0.0.7") as office, client_from(app, "10.0.0.8") as home:
        for i in range(throttle.REGISTER.free):
            office.cookies.clear()
            answer = await office.post("/api/accounts/register", json={"username": f"newcomer{i}", "password": PASSWORD})
            assert answer.status_code == 201, answer.text
        office.cookies.clear()
        limited = await office.post("/api/accounts/register", json={"username": "one-more", "password": PASSWORD})
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) == 60
        assert (await home.post("/api/accounts/register", json={"username": "one-more", "password": PASSWORD})
                ).status_code == 201


async def test_throttled_sign_in_page_says_how_long_in_chinese(app, clock):
    user = await make_user()
    async with client_from(app, "10.0.0.9") as guesser:
        await guesser.get("/login")
        for _ in range(4):
            page = await guesser.post("/login", data={"username": user["username"], "password": "wrong-guess",
                                                      "_csrf_token": guesser.cookies["tx_csrf"]})
    assert page.status_code == 429
    assert page.headers["retry-after"] == "2"
    assert "请 2 秒后再试" in page.text


@pytest.mark.parametrize("username, code", [
    ("stаff", "username_confusable"),        # Cyrillic а
    ("vol\u200b001", "username_invisible"),  # zero-width space
    ("adm\u202ein", "username_invisible"),   # right-to-left override
    ("li hua", "username_invisible"),
])
async def test_look_alike_and_invisible_usernames_are_refused(client, username, code):
    page = await client.post("/register", data={"username": username, "password": PASSWORD, "role": "volunteer",
                                                "_csrf_token": (await client.get("/api/csrf")) and client.cookies["tx_csrf"]})
    assert page.status_code == 400
    from tongxin.accounts.service import create_user
    from tongxin.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        await create_user(username=username, password=PASSWORD, role="volunteer")
    assert refused.value.code == code


async def test_full_width_username_is_the_same_account(client):
    await make_user(username="vol001")
    assert (await _login(client, "ｖｏｌ００１", PASSWORD)).status_code == 200
    answer = await client.post("/api/accounts/register", json={"username": "ｖｏｌ００１", "password": PASSWORD})
    assert answer.status_code in (400, 409)


async def test_disabled_account_cannot_sign_in(client):
    from tongxin.accounts.tables import User

    user = await make_user()
    await User.update({User.is_active: False}).where(User.id == user["id"])
    answer = await _login(client, user["username"], PASSWORD)
    assert answer.status_code == 401 and answer.json()["error"] == "account_disabled"
    assert (await _login(client, user["username"], "wrong-guess")).json()["error"] == "bad_credentials"


async def test_tries_older_than_a_day_are_forgotten(app, clock):
    from tongxin.accounts.tables import LoginAttempt

    async with client_from(app, "10.0.0.10") as c:
        await _login(c, "nobody", "wrong-guess")
    clock(25 * 3600)
    await throttle.forget_old_attempts(now=throttle._now())
    assert await LoginAttempt.count() == 0
