from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-11-30T07:36:26:609859"
VERSION = "1.38.0"
DESCRIPTION = "sign_up.status holds waiting_for_leader (18 characters) on PostgreSQL"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="tongxin", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="SignUp",
        tablename="sign_up",
        column_name="status",
        db_column_name="status",
        params={"length": 32},
        old_params={"length": 16},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
