"""Migrations build the same schema on both engines and agree with the table definitions."""

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import _pg_admin, _pg_url

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted((ROOT / "migrations" / "tongxin").glob("tongxin_*.py"))


def _run_cli(*args: str, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TONGXIN_DATABASE_URL": url, "PYTHONPATH": str(ROOT / "platform")}
    return subprocess.run([sys.executable, "-m", "tongxin.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def _tables_in(url: str) -> set[str]:
    async def query() -> set[str]:
        from tongxin.db import use_database

        engine = use_database(url)
        if engine.engine_type == "sqlite":
            rows = await engine.run_ddl("SELECT name FROM sqlite_master WHERE type='table'")
        else:
            rows = await engine.run_ddl(
                "SELECT tablename AS name FROM pg_tables WHERE schemaname='public'")
        return {row["name"] for row in rows}

    return asyncio.run(query())


def test_migrate_command_builds_a_fresh_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    first = _run_cli("migrate", url=url)
    assert first.returncode == 0, first.stderr
    assert f"applied {len(MIGRATIONS)} migration" in first.stdout
    second = _run_cli("migrate", url=url)
    assert "nothing to apply" in second.stdout
    assert {"occurrence", "sign_up", "proposal", "wish", "household"} <= _tables_in(url)


def test_migrate_command_builds_a_fresh_postgres_database(postgres_template):
    name = f"tongxin_fresh_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        result = _run_cli("migrate", url=_pg_url(name))
        assert result.returncode == 0, result.stderr
        assert {"occurrence", "sign_up", "proposal", "wish", "household"} <= _tables_in(_pg_url(name))
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_table_definitions_and_migrations_agree(sqlite_template):
    from piccolo.apps.migrations.commands.new import AutoMigrationManager
    from tongxin.db import use_database
    from tongxin.piccolo_app import APP_CONFIG

    use_database(f"sqlite:///{sqlite_template}")
    statements = asyncio.run(AutoMigrationManager().get_alter_statements(app_config=APP_CONFIG))
    pending = [s for group in statements for s in group.statements]
    assert pending == [], "tables changed without a migration: run piccolo migrations new tongxin --auto"


@pytest.mark.anyio
async def test_unique_indexes_hold_on_both_engines(app):
    from tongxin.accounts.tables import Community, Grid, GridAssignment

    from tests.factories import make_user

    community = (await Community.insert(Community(code="c1", name="明日社区")).returning(Community.id))[0]
    grid = (await Grid.insert(Grid(code="g1", name="一网格", community=community["id"])).returning(Grid.id))[0]
    worker = await make_user("grid_worker")
    await GridAssignment.insert(GridAssignment(user=worker["id"], grid=grid["id"]))
    with pytest.raises(Exception) as caught:
        await GridAssignment.insert(GridAssignment(user=worker["id"], grid=grid["id"]))
    assert "unique" in str(caught.value).lower()
