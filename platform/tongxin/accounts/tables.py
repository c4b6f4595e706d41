"""People, places and the record of who did what."""

from piccolo.columns import (
    JSON,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

ROLES = ("admin", "staff", "grid_worker", "org_member", "volunteer", "guardian")


class Community(Table):
    """A residential community (社区) of the district."""

    code = Varchar(length=32, unique=True)
    name = Varchar(length=100)
    name_en = Varchar(length=100, default="")
    lat = DoublePrecision(null=True, default=None)
    lon = DoublePrecision(null=True, default=None)


class Grid(Table):
    """A third-level grid (网格) inside a community, looked after by grid workers."""

    community = ForeignKey(references=Community, null=False, on_delete=OnDelete.restrict)
    code = Varchar(length=32, unique=True)
    name = Varchar(length=100)
    lat = DoublePrecision(null=True, default=None)
    lon = DoublePrecision(null=True, default=None)


class User(Table, tablename="tx_user"):
    """An account; `role` decides what it may see and do."""

    username = Varchar(length=64, unique=True)
    password_hash = Varchar(length=255)
    display_name = Varchar(length=100, default="")
    phone = Varchar(length=32, default="")
    role = Varchar(length=16, index=True)
    locale = Varchar(length=8, default="zh-CN")
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)
    # Sessions begun before this moment are over (a password change or reset ends the other sessions).
    sessions_valid_after = Timestamptz(null=True, default=None)


class GridAssignment(Table):
    """Which grids a grid worker looks after (unique per user and grid, see migrations)."""

    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    grid = ForeignKey(references=Grid, null=False, on_delete=OnDelete.cascade)


class WebSession(Table):
    """Server-side session store, shared by every web instance."""

    key = Varchar(length=128, unique=True)
    data = Text(default="")
    expires_at = Timestamptz(null=True, default=None, index=True)


class LoginAttempt(Table):
    """Login and registration tries, for throttling per client across every web instance."""

    username = Varchar(length=64, index=True)
    client = Varchar(length=64, default="")
    kind = Varchar(length=16, default="login")  # login | register | check_in (wrong check-in codes)
    succeeded = Boolean(default=False)
    at = Timestamptz(default=TimestamptzNow(), index=True)


class PasswordReset(Table):
    """A one-time reset link staff issued; only the token's SHA-256 is kept."""

    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    token_hash = Varchar(length=64, unique=True)
    issued_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class AuditEntry(Table):
    """Who did what to which record: every approval and every read of sensitive fields."""

    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    action = Varchar(length=64, index=True)
    target_type = Varchar(length=32)
    target_id = Integer(null=True, default=None)
    detail = JSON(default="{}")
    at = Timestamptz(default=TimestamptzNow(), index=True)
