"""Hours become exact minutes: copy the float hours into the integer columns, then drop the floats.
Also the waitlist's order is unique per occurrence (raw SQL: a partial index both engines enforce).

Raw steps run before Piccolo's column operations in a migration, so the copy comes first and the old
columns go after it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-30T03:52:46:000000"
VERSION = "1.38.0"
DESCRIPTION = "hours to exact minutes; unique waitlist order"

STATEMENTS = (
    "UPDATE volunteer SET minutes_total = CAST(ROUND(hours_total * 60) AS INTEGER)",
    "UPDATE ledger_entry SET minutes = CAST(ROUND(hours * 60) AS INTEGER)",
    "UPDATE activity SET credit_minutes = CAST(ROUND(hours_credit * 60) AS INTEGER) WHERE hours_credit IS NOT NULL",
    "UPDATE sign_up SET status = 'confirmed' WHERE status = 'applied'",
    "UPDATE sign_up SET status = 'cancelled' WHERE status = 'rejected'",
    "CREATE UNIQUE INDEX IF NOT EXISTS sign_up_queue ON sign_up (occurrence, queue_seq) WHERE queue_seq IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS invitation_recipient ON invitation (recipient, status)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tongxin", description=DESCRIPTION)

    async def copy_hours():
        from piccolo.engine import engine_finder

        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(copy_hours)

    manager.drop_column(
        table_class_name="Volunteer",
        tablename="volunteer",
        column_name="hours_total",
        db_column_name="hours_total",
        schema=None,
    )

    manager.drop_column(
        table_class_name="LedgerEntry",
        tablename="ledger_entry",
        column_name="hours",
        db_column_name="hours",
        schema=None,
    )

    manager.drop_column(
        table_class_name="Activity",
        tablename="activity",
        column_name="hours_credit",
        db_column_name="hours_credit",
        schema=None,
    )

    return manager
