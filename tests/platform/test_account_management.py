"""Own password changes, one-time reset links, and admins managing staff and grid workers."""

import pytest
from tongxin.accounts.tables import Community, Grid

from tests.conftest import make_client
from tests.factories import PASSWORD, login, make_user, signed_in_as

pytestmark = pytest.mark.anyio
NEW = "brand-new-secret-9"


async def _grid() -> int:
    community = await Community.insert(Community(code="c-sec", name="明日社区")).returning(Community.id)
    grid = await Grid.insert(Grid(community=community[0]["id"], code="g-sec", name="第1网格")).returning(Grid.id)
    return grid[0]["id"]


async def test_changing_the_password_ends_the_other_sessions_but_not_this_one(app, client):
    user = await signed_in_as(client, "volunteer")
    async with make_client(app) as other_phone:
        await login(other_phone, user["username"])
        changed = await client.post("/api/accounts/password", json={"current_password": PASSWORD, "new_password": NEW})
        assert changed.status_code == 204, changed.text
        assert (await other_phone.get("/api/accounts/me")).status_code == 401
    assert (await client.get("/api/accounts/me")).status_code == 200
    async with make_client(app) as fresh:
        assert (await fresh.post("/api/accounts/login", json={"username": user["username"], "password": PASSWORD})
                ).status_code == 401
        await login(fresh, user["username"], NEW)


async def test_wrong_current_password_changes_nothing(client):
    user = await signed_in_as(client, "volunteer")
    answer = await client.post("/api/accounts/password", json={"current_password": "not-it-at-all", "new_password": NEW})
    assert answer.status_code == 400 and answer.json()["field"] == "current_password"
    await client.post("/api/accounts/logout")
    await login(client, user["username"])


async def test_staff_reset_link_works_once_and_signs_the_person_out_everywhere(app, client):
    volunteer = await make_user("volunteer")
    async with make_client(app) as phone:
        await login(phone, volunteer["username"])
        await signed_in_as(client, "staff")
        issued = await client.post(f"/api/accounts/users/{volunteer['id']}/reset-link")
        assert issued.status_code == 201, issued.text
        token = issued.json()["url"].rsplit("/", 1)[1]
        assert issued.json()["url"].startswith("http://testserver/reset-password/")
        async with make_client(app) as anyone:
            used = await anyone.post("/api/accounts/password-reset", json={"token": token, "new_password": NEW})
            assert used.status_code == 204
            again = await anyone.post("/api/accounts/password-reset", json={"token": token, "new_password": NEW + "x"})
            assert again.status_code == 404
        assert (await phone.get("/api/accounts/me")).status_code == 401
        await login(phone, volunteer["username"], NEW)


async def test_reset_page_sets_a_new_password(app, client):
    volunteer = await make_user("volunteer")
    await signed_in_as(client, "staff")
    token = (await client.post(f"/api/accounts/users/{volunteer['id']}/reset-link")).json()["url"].rsplit("/", 1)[1]
    async with make_client(app) as person:
        page = await person.get(f"/reset-password/{token}", headers={"accept": "text/html"})
        assert page.status_code == 200 and volunteer["username"] in page.text
        done = await person.post(f"/reset-password/{token}", data={"new_password": NEW,
                                                                  "_csrf_token": person.cookies["tx_csrf"]})
        assert done.status_code in (200, 302, 303)
        await login(person, volunteer["username"], NEW)


async def test_staff_cannot_reset_or_disable_other_staff_but_an_admin_can(app, client):
    colleague = await make_user("staff")
    await signed_in_as(client, "staff")
    assert (await client.post(f"/api/accounts/users/{colleague['id']}/reset-link")).status_code == 404
    assert (await client.patch(f"/api/accounts/users/{colleague['id']}", json={"is_active": False})).status_code == 404
    async with make_client(app) as admin:
        await signed_in_as(admin, "admin")
        assert (await admin.patch(f"/api/accounts/users/{colleague['id']}", json={"is_active": False})
                ).status_code == 200


async def test_admin_creates_a_grid_worker_with_grids_and_disables_them(app, client):
    grid_id = await _grid()
    await signed_in_as(client, "admin")
    created = await client.post("/api/accounts/users", json={"username": "grid99", "password": PASSWORD,
                                                             "role": "grid_worker", "grid_ids": [grid_id]})
    assert created.status_code == 201, created.text
    listed = (await client.get("/api/accounts/users", params={"role": "grid_worker"})).json()
    assert [(i["username"], i["grid_ids"]) for i in listed["items"]] == [("grid99", [grid_id])]
    async with make_client(app) as worker:
        await login(worker, "grid99")
        user_id = created.json()["id"]
        assert (await client.patch(f"/api/accounts/users/{user_id}", json={"is_active": False})).status_code == 200
        assert (await worker.get("/api/accounts/me")).status_code == 401
        refused = await worker.post("/api/accounts/login", json={"username": "grid99", "password": PASSWORD})
        assert refused.status_code == 401 and refused.json()["error"] == "account_disabled"
    from tongxin.accounts.service import list_audit

    actions = [e["action"] for e in await list_audit()]
    assert "account.created" in actions and "account.updated" in actions


async def test_only_an_admin_creates_staff(client):
    await signed_in_as(client, "staff")
    answer = await client.post("/api/accounts/users", json={"username": "newstaff", "password": PASSWORD,
                                                            "role": "staff"})
    assert answer.status_code == 403


async def test_admin_page_creates_a_grid_worker_and_issues_a_reset_link(app, client):
    grid_id = await _grid()
    await signed_in_as(client, "admin")
    html = {"accept": "text/html"}
    page = await client.get("/staff/accounts", headers=html)
    assert page.status_code == 200 and "新建工作人员或网格员账号" in page.text
    csrf = client.cookies["tx_csrf"]
    created = await client.post("/staff/accounts", headers=html, data={
        "username": "grid77", "password": PASSWORD, "role": "grid_worker", "grid_ids": str(grid_id), "_csrf_token": csrf})
    assert created.status_code in (302, 303)
    listed = await client.get("/staff/accounts?q=grid77", headers=html)
    assert "grid77" in listed.text and "第1网格" in listed.text
    user_id = (await client.get("/api/accounts/users", params={"q": "grid77"})).json()["items"][0]["id"]
    reset = await client.post(f"/staff/accounts/{user_id}", headers=html, data={"action": "reset", "_csrf_token": csrf})
    assert reset.status_code == 200 and "/reset-password/" in reset.text
    disabled = await client.post(f"/staff/accounts/{user_id}", headers=html,
                                 data={"action": "disable", "_csrf_token": csrf})
    assert "已停用" in disabled.text


async def test_password_page_changes_the_password(app, client):
    user = await signed_in_as(client, "volunteer")
    html = {"accept": "text/html"}
    await client.get("/me/password", headers=html)
    wrong = await client.post("/me/password", headers=html, data={
        "current_password": "not-it-at-all", "new_password": NEW, "_csrf_token": client.cookies["tx_csrf"]})
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
    done = await client.post("/me/password", headers=html, data={
        "current_password": PASSWORD, "new_password": NEW, "_csrf_token": client.cookies["tx_csrf"]})
    assert done.status_code == 200 and "密码已修改" in done.text
    async with make_client(app) as fresh:
        await login(fresh, user["username"], NEW)


async def test_admin_page_says_what_is_wrong_in_chinese(client):
    await signed_in_as(client, "admin")
    html = {"accept": "text/html"}
    await client.get("/staff/accounts", headers=html)
    refused = await client.post("/staff/accounts", headers=html, data={
        "username": "grid78", "password": "short", "role": "grid_worker", "_csrf_token": client.cookies["tx_csrf"]})
    assert refused.status_code == 400 and "密码至少需要 8 位" in refused.text
    look_alike = await client.post("/staff/accounts", headers=html, data={
        "username": "stаff2", "password": PASSWORD, "role": "staff", "_csrf_token": client.cookies["tx_csrf"]})
    assert look_alike.status_code == 400 and "用户名只能用英文字母" in look_alike.text
