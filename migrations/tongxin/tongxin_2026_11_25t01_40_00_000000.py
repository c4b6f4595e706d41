"""Composite unique indexes, written as raw SQL so SQLite and PostgreSQL both enforce them.

Piccolo's composite Unique/Check constraints fail on SQLite, and SQLite cannot add a
CHECK to an existing table; capacity is kept by a conditional UPDATE instead
(see `tongxin.activities.service.reserve_place`).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-25T01:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite unique indexes"

INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS grid_assignment_user_grid ON grid_assignment (\"user\", grid)",
    "CREATE UNIQUE INDEX IF NOT EXISTS volunteer_skill_pair ON volunteer_skill (volunteer, skill)",
    "CREATE UNIQUE INDEX IF NOT EXISTS youth_assessment_kind ON youth_assessment (youth, kind)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ledger_entry_sign_up ON ledger_entry (sign_up)",
    "CREATE UNIQUE INDEX IF NOT EXISTS occurrence_activity_start ON occurrence (activity, starts_at)",
    "CREATE UNIQUE INDEX IF NOT EXISTS sign_up_pair ON sign_up (occurrence, volunteer)",
    "CREATE UNIQUE INDEX IF NOT EXISTS proposal_open_pair ON proposal "
    "(target_type, target_id, candidate_type, candidate_id) WHERE status = 'proposed'",
    "CREATE UNIQUE INDEX IF NOT EXISTS job_run_firing ON job_run (job, scheduled_for)",
    "CREATE UNIQUE INDEX IF NOT EXISTS notification_once ON notification (recipient, kind, target_key)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tongxin", description=DESCRIPTION)

    async def create_indexes():
        from piccolo.engine import engine_finder

        engine = engine_finder()
        for statement in INDEXES:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
