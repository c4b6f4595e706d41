"""The one Piccolo app holding every domain's tables; migrations in `migrations/tongxin/`."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from tongxin.tables import ALL_TABLES


def migrations_folder() -> Path:
    """Source checkout: `<repo>/migrations/tongxin`; installed wheel: `tongxin/migrations/tongxin`."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "migrations" / "tongxin", here.parents[1] / "migrations" / "tongxin"):
        if candidate.is_dir():
            return candidate
    return here.parents[1] / "migrations" / "tongxin"


APP_CONFIG = AppConfig(
    app_name="tongxin",
    migrations_folder_path=str(migrations_folder()),
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)
