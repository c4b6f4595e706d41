"""Shared fixtures: every database test runs once on SQLite and once on PostgreSQL.

Each test gets a fresh database copied from a migrated template (a file copy on SQLite,
CREATE DATABASE ... TEMPLATE on PostgreSQL), so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path
from typing import AsyncIterator

import httpx
import pytest

PG_ADMIN_URL = os.environ.get("TONGXIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_MODE = os.environ.get("TONGXIN_TEST_POSTGRES", "auto")  # auto | required | off
ENGINES = ["sqlite", "postgres"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _postgres_available() -> bool:
    try:
        asyncio.run(_pg_admin("SELECT 1"))
        return True
    except Exception:
        return False


async def _migrate(url: str) -> None:
    from tongxin.db import migrate, use_database

    use_database(url)
    await migrate(quiet=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    asyncio.run(_migrate(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template() -> AsyncIterator[str]:
    if PG_MODE == "off":
        pytest.skip("PostgreSQL tests switched off (TONGXIN_TEST_POSTGRES=off)")
    if not _postgres_available():
        if PG_MODE == "required":
            pytest.fail(f"PostgreSQL is required but not reachable at {PG_ADMIN_URL}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    name = f"tongxin_tpl_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    asyncio.run(_migrate(_pg_url(name)))
    yield name
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path) -> AsyncIterator[str]:
    """A fresh, migrated database URL for one test, on each engine in turn."""
    if request.param == "sqlite":
        path = tmp_path / "tongxin.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"tongxin_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _pg_url(name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def settings(database_url, tmp_path):
    from tongxin.settings import Settings

    return Settings(database_url=database_url, secret_key="test-secret-" + "x" * 20,
                    development=True, run_scheduler=False)


@pytest.fixture
async def app(settings):
    """The app with its lifespan running (pools open) on the test's own event loop."""
    from tongxin.app import create_app

    application = create_app(settings)
    async with application.lifespan():
        yield application


class ApiClient(httpx.AsyncClient):
    """An httpx client that fetches and sends the CSRF token like the web pages do."""

    async def request(self, method, url, *args, headers=None, **kwargs):  # type: ignore[override]
        if method.upper() not in {"GET", "HEAD", "OPTIONS"}:
            if self.cookies.get("tx_csrf") is None:
                await super().request("GET", "/api/csrf")
            headers = {**(headers or {}), "x-csrftoken": self.cookies.get("tx_csrf") or ""}
        return await super().request(method, url, *args, headers=headers, **kwargs)


def make_client(app, base_url: str = "http://testserver") -> ApiClient:
    return ApiClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


@pytest.fixture
async def client(app) -> AsyncIterator[ApiClient]:
    async with make_client(app) as c:
        yield c
