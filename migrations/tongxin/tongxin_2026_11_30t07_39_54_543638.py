from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T07:39:54:543638"
VERSION = "1.38.0"
DESCRIPTION = "model_version.libraries: the library versions each model was trained with"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="tongxin", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="ModelVersion",
        tablename="model_version",
        column_name="libraries",
        db_column_name="libraries",
        column_class_name="JSON",
        column_class=JSON,
        params={
            "default": "{}",
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
