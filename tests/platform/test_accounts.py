"""Registration, login and sessions as a user of the API meets them."""

import pytest

from tests.conftest import make_client
from tests.factories import PASSWORD, login, make_user

pytestmark = pytest.mark.anyio


async def test_volunteer_registers_and_is_signed_in(client):
    response = await client.post("/api/accounts/register",
                                 json={"username": "lihua", "password": "long-enough-1", "role": "volunteer"})
    assert response.status_code == 201, response.text
    me = await client.get("/api/accounts/me")
    assert me.json()["username"] == "lihua"
    assert me.json()["role"] == "volunteer"


async def test_short_password_is_refused_with_the_field_and_reason(client):
    response = await client.post("/api/accounts/register",
                                 json={"username": "lihua", "password": "short", "role": "volunteer"})
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert any(f["field"] == "password" and "8" in f["reason"] for f in fields)


async def test_nobody_registers_themselves_as_staff(client):
    response = await client.post("/api/accounts/register",
                                 json={"username": "sneaky", "password": "long-enough-1", "role": "staff"})
    assert response.status_code == 400
    assert (await client.get("/api/accounts/me")).status_code == 401


async def test_taken_username_is_a_conflict_and_nothing_is_written(client):
    await make_user("volunteer", username="wang")
    response = await client.post("/api/accounts/register",
                                 json={"username": "wang", "password": "long-enough-1"})
    assert response.status_code == 409
    assert response.json()["field"] == "username"


async def test_login_issues_a_new_session_id_even_with_a_planted_one(app, client):
    user = await make_user()
    await client.get("/api/csrf")
    client.cookies.set("tx_session", "planted-by-attacker")
    response = await login(client, user["username"])
    issued = [v for v in response.headers.get_list("set-cookie") if v.startswith("tx_session=")]
    assert issued and not issued[0].startswith("tx_session=planted-by-attacker;")
    async with make_client(app) as attacker:
        attacker.cookies.set("tx_session", "planted-by-attacker")
        assert (await attacker.get("/api/accounts/me")).status_code == 401


async def test_wrong_password_then_rate_limit(client, monkeypatch):
    from datetime import datetime, timezone

    from tongxin.accounts import throttle

    frozen = datetime.now(timezone.utc)  # a loaded machine must not let the 2 s delay run out mid-test
    monkeypatch.setattr(throttle, "_now", lambda: frozen)
    user = await make_user()
    for _ in range(3):
        bad = await client.post("/api/accounts/login", json={"username": user["username"], "password": "nope-nope"})
        assert bad.status_code == 401
    limited = await client.post("/api/accounts/login", json={"username": user["username"], "password": PASSWORD})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0


async def test_writes_without_csrf_token_are_refused(app):
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as raw:
        response = await raw.post("/api/accounts/login", json={"username": "x", "password": "y"})
    assert response.status_code == 403


async def test_logout_ends_the_session(client):
    await login(client, (await make_user())["username"])
    assert (await client.post("/api/accounts/logout")).status_code == 204
    assert (await client.get("/api/accounts/me")).status_code == 401


async def test_production_cookies_are_secure_httponly_samesite(database_url, tmp_path):
    from tongxin.app import create_app
    from tongxin.settings import Settings

    app = create_app(Settings(database_url=database_url, secret_key="s" * 32, development=False,
                              public_url="https://testserver",
                              run_scheduler=False))
    async with app.lifespan():
        user = await make_user()
        async with make_client(app, base_url="https://testserver") as c:
            csrf = await c.get("/api/csrf")
            assert "secure" in csrf.headers["set-cookie"].lower()
            response = await login(c, user["username"])
            cookie = [v for v in response.headers.get_list("set-cookie") if v.startswith("tx_session=")][0]
    lowered = cookie.lower()
    assert "secure" in lowered and "httponly" in lowered and "samesite=lax" in lowered


async def test_health_reports_the_database(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


async def test_openapi_schema_is_served(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert "/api/accounts/login" in response.json()["paths"]
