"""Wishes posted before the original text was kept: their only text is the one already stored.

Piccolo runs a migration's raw steps before its new columns, so this fills them in its own migration.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-30T03:56:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "wish: earlier wishes keep their stored text as the original"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tongxin", description=DESCRIPTION)

    async def copy_text():
        from piccolo.engine import engine_finder

        await engine_finder().run_ddl(
            "UPDATE wish SET original_title = title, original_text = public_text "
            "WHERE original_title = '' AND original_text = ''")

    manager.add_raw(copy_text)
    return manager
