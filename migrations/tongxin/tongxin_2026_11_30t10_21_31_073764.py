from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Real
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T10:21:31:073764"
VERSION = "1.38.0"
DESCRIPTION = "Volunteer weekly and daily hour limits (issue 11)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="tongxin", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Volunteer",
        tablename="volunteer",
        column_name="max_hours_day",
        db_column_name="max_hours_day",
        column_class_name="Real",
        column_class=Real,
        params={
            "default": 10.0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Volunteer",
        tablename="volunteer",
        column_name="max_hours_week",
        db_column_name="max_hours_week",
        column_class_name="Real",
        column_class=Real,
        params={
            "default": 20.0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
