"""Settings read from the environment, one place for every knob."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/tongxin.sqlite3"
MIN_SECRET_LENGTH = 16


class MissingSetting(RuntimeError):
    """The server may not start without this setting."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to start; `from_env` reads `TONGXIN_*` variables."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    development: bool = False
    debug: bool = False
    run_scheduler: bool = True
    max_body_bytes: int = 2 * 1024 * 1024
    session_max_age: int = 14 * 24 * 3600
    timezone: str = "Asia/Shanghai"
    sqlite_busy_seconds: float = 5.0
    matching_cache_seconds: float = 0.0
    # Database connections per process: PostgreSQL's pool, or SQLite's open read connections (0 = default:
    # 10 on PostgreSQL, 4 on SQLite). Keep workers × instances × pool under PostgreSQL's max_connections.
    pool_size: int = 0
    # How long a process may reuse a signed-in person's session and account facts before reading them
    # again; its own sign-outs and changes take effect at once, other instances' within this time.
    session_cache_seconds: float = 0.0
    # How long a process may answer the same list or page to the same person from memory; anything written,
    # here or (heard through the change feed, tongxin.feed.change_feed) elsewhere, makes it read again.
    read_cache_seconds: float = 0.0
    # Where people reach the site (https://tongxin.example.cn): links that leave the site, like the calendar
    # feed, are built from it and never from the request's Host header, which a client chooses.
    public_url: str = ""
    # Longer than any proxy's idle timeout in front (nginx 60 s, most load balancers 60 s), so the proxy
    # never reuses a connection we are closing; slow clients get `client_timeout_seconds` per request.
    keepalive_seconds: int = 75
    client_timeout_seconds: int = 30

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Build settings from `TONGXIN_*` environment variables, then apply overrides."""
        values = dict(
            database_url=os.environ.get("TONGXIN_DATABASE_URL", DEFAULT_DATABASE_URL),
            secret_key=os.environ.get("TONGXIN_SECRET_KEY", ""),
            development=_env_bool("TONGXIN_DEVELOPMENT", False),
            debug=_env_bool("TONGXIN_DEBUG", False),
            run_scheduler=_env_bool("TONGXIN_RUN_SCHEDULER", True),
            max_body_bytes=int(os.environ.get("TONGXIN_MAX_BODY_BYTES", 2 * 1024 * 1024)),
            sqlite_busy_seconds=float(os.environ.get("TONGXIN_SQLITE_BUSY_SECONDS", 5.0)),
            matching_cache_seconds=float(os.environ.get("TONGXIN_MATCHING_CACHE_SECONDS", 30.0)),
            pool_size=int(os.environ.get("TONGXIN_POOL_SIZE", 0)),
            session_cache_seconds=float(os.environ.get("TONGXIN_SESSION_CACHE_SECONDS", 2.0)),
            read_cache_seconds=float(os.environ.get("TONGXIN_READ_CACHE_SECONDS", 30.0)),
            public_url=os.environ.get("TONGXIN_PUBLIC_URL", "").strip().rstrip("/"),
            keepalive_seconds=int(os.environ.get("TONGXIN_KEEPALIVE_SECONDS", 75)),
            client_timeout_seconds=int(os.environ.get("TONGXIN_CLIENT_TIMEOUT_SECONDS", 30)),
        )
        values.update(overrides)
        return cls(**values)

    def ready_to_serve(self) -> "Settings":
        """These settings checked for serving: outside development a secret key and the public URL are
        required (a random key per process would break every calendar link and form on each restart and
        differ between instances); in development the missing ones are filled in."""
        problems = []
        if not self.development:
            if len(self.secret_key) < MIN_SECRET_LENGTH:
                problems.append(f"TONGXIN_SECRET_KEY must be set (at least {MIN_SECRET_LENGTH} characters)")
            if not self.public_url.startswith(("https://", "http://")):
                problems.append("TONGXIN_PUBLIC_URL must be set to the site's address, e.g. https://tongxin.example.cn")
        if problems:
            raise MissingSetting("; ".join(problems) + " (or set TONGXIN_DEVELOPMENT=1 for local work)")
        if self.secret_key:
            return self
        return replace(self, secret_key=secrets.token_hex(32))

    def link(self, path: str, *, request_base: str) -> str:
        """An absolute link to `path` for use outside the site (development falls back to the request's base)."""
        base = self.public_url or (request_base if self.development else "")
        return base.rstrip("/") + path

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path:
        """The file behind a `sqlite:///relative` or `sqlite:////absolute` URL."""
        return Path(self.database_url.split("sqlite:///", 1)[1])
