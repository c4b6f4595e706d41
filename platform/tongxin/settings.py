"""Settings read from the environment, one place for every knob."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/tongxin.sqlite3"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to start; `from_env` reads `TONGXIN_*` variables."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    development: bool = False
    debug: bool = False
    run_scheduler: bool = True
    max_body_bytes: int = 2 * 1024 * 1024
    session_max_age: int = 14 * 24 * 3600
    timezone: str = "Asia/Shanghai"
    sqlite_busy_seconds: float = 5.0
    matching_cache_seconds: float = 0.0

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Build settings from `TONGXIN_*` environment variables, then apply overrides."""
        values = dict(
            database_url=os.environ.get("TONGXIN_DATABASE_URL", DEFAULT_DATABASE_URL),
            secret_key=os.environ.get("TONGXIN_SECRET_KEY") or secrets.token_hex(32),
            development=_env_bool("TONGXIN_DEVELOPMENT", False),
            debug=_env_bool("TONGXIN_DEBUG", False),
            run_scheduler=_env_bool("TONGXIN_RUN_SCHEDULER", True),
            max_body_bytes=int(os.environ.get("TONGXIN_MAX_BODY_BYTES", 2 * 1024 * 1024)),
            sqlite_busy_seconds=float(os.environ.get("TONGXIN_SQLITE_BUSY_SECONDS", 5.0)),
            matching_cache_seconds=float(os.environ.get("TONGXIN_MATCHING_CACHE_SECONDS", 30.0)),
        )
        values.update(overrides)
        return cls(**values)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path:
        """The file behind a `sqlite:///relative` or `sqlite:////absolute` URL."""
        return Path(self.database_url.split("sqlite:///", 1)[1])
