"""Accounts: registration, throttled sign-in, staff creation and the audit log."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from piccolo.utils.encoding import dump_json

from tongxin.accounts import throttle
from tongxin.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    verify_dummy,
    verify_password,
)
from tongxin.accounts.tables import (
    ROLES,
    AuditEntry,
    Community,
    Grid,
    GridAssignment,
    User,
)
from tongxin.accounts.usernames import checked_username, normalize_username
from tongxin.db import write_transaction
from tongxin.errors import Conflict, InvalidInput, NotAuthenticated
from tongxin.organizations.tables import OrganizationMember
from tongxin.volunteers.tables import Volunteer

STAFF_ROLES = frozenset({"admin", "staff"})


@dataclass(frozen=True)
class Actor:
    """The signed-in person as services see them: no request object, just who and what."""

    id: int
    username: str
    role: str
    display_name: str = ""
    locale: str = "zh-CN"
    organization_id: int | None = None
    volunteer_id: int | None = None
    grid_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def may_see_grid(self, grid_id: int | None) -> bool:
        """Staff see every grid; a grid worker only their own."""
        return self.is_staff or (self.role == "grid_worker" and grid_id in self.grid_ids)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


async def create_user(
    *, username: str, password: str, role: str, display_name: str = "", phone: str = "",
    locale: str = "zh-CN", password_hash: str | None = None,
) -> dict[str, Any]:
    """Create an account; `Conflict` if the username is taken, `InvalidInput` for a look-alike name."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}", field="role")
    username = checked_username(username)
    if password_hash is None and len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password needs at least {MIN_PASSWORD_LENGTH} characters", field="password",
                           code="password_too_short")
    if await User.exists().where(User.username == username):
        raise Conflict("this username is already taken", field="username", code="username_taken")
    hashed = password_hash or await hash_password(password)
    rows = await User.insert(
        User(username=username, password_hash=hashed, role=role,
             display_name=display_name or username, phone=phone, locale=locale)
    ).returning(User.id)
    return await get_user(user_id=rows[0]["id"])


async def register(
    *, username: str, password: str, role: str, client: str, display_name: str = "", phone: str = "",
    locale: str = "zh-CN",
) -> dict[str, Any]:
    """Self-service registration: throttled per client, then `create_user`."""
    checked_username(username)  # a refused name does not use up the client's registrations
    await throttle.begin_registration(client=client, username=normalize_username(username))
    return await create_user(username=username, password=password, role=role, display_name=display_name,
                             phone=phone, locale=locale)


async def set_locale(*, user_id: int, locale: str) -> None:
    """Keep the language a person reads the pages in, so messages queued for them later use it too."""
    if locale not in ("zh-CN", "en"):
        raise InvalidInput(f"unknown language {locale!r}", field="locale", code="unknown_code")
    async with write_transaction():
        await User.update({User.locale: locale}).where((User.id == user_id) & (User.locale != locale))


async def get_user(*, user_id: int) -> dict[str, Any]:
    row = await User.select(
        User.id, User.username, User.role, User.display_name, User.locale, User.is_active
    ).where(User.id == user_id).first()
    if row is None:
        raise NotAuthenticated("account not found")
    return row


async def authenticate(*, username: str, password: str, client: str = "") -> dict[str, Any]:
    """Check a sign-in. Wrong guesses make this client wait longer each time (`RateLimited` says how long);
    an unknown username costs the same hashing time as a known one, so timing tells nothing."""
    username = normalize_username(username)
    attempt_id = await throttle.begin_login(client=client, username=username)
    row = await User.select(User.id, User.password_hash, User.is_active).where(
        User.username == username
    ).first()
    if row is None:
        await verify_dummy(password)
        ok = False
    else:
        ok = await verify_password(row["password_hash"], password)
    await throttle.finish_login(attempt_id=attempt_id, succeeded=ok)
    if not ok:
        raise NotAuthenticated("wrong username or password", code="bad_credentials")
    if not row["is_active"]:
        # Said only to someone who knows the password: it reveals nothing to a guesser.
        raise NotAuthenticated("this account has been disabled; ask the community office", code="account_disabled")
    await User.update({User.last_login_at: _now()}).where(User.id == row["id"])
    return await get_user(user_id=row["id"])


# One statement per request for who is asking: the account, its organization, volunteer row and grids
# (one row per grid assignment, or one row with none).
_ACTOR_SQL = """
SELECT u.id, u.username, u.role, u.display_name, u.locale, u.is_active, u.sessions_valid_after,
       (SELECT m.organization FROM organization_member m WHERE m."user" = u.id ORDER BY m.id LIMIT 1)
           AS organization_id,
       (SELECT v.id FROM volunteer v WHERE v."user" = u.id ORDER BY v.id LIMIT 1) AS volunteer_id,
       g.grid AS grid_id
FROM tx_user u LEFT JOIN grid_assignment g ON g."user" = u.id
WHERE u.id = {}
"""


async def load_actor(*, user_id: int, session_since: float | None = None) -> Actor | None:
    """Build the `Actor` for a session's user id, with their organization, volunteer row and grids.

    None for a disabled account, and for a session begun (`session_since`, a timestamp) before the
    account's password last changed: a password change or reset ends every other session."""
    rows = await User.raw(_ACTOR_SQL, user_id)
    if not rows or not rows[0]["is_active"]:
        return None
    row = rows[0]
    valid_after = row["sessions_valid_after"]
    if isinstance(valid_after, str):  # SQLite hands a raw statement's timestamps back as text
        valid_after = datetime.fromisoformat(valid_after)
    if valid_after is not None and (session_since is None or session_since < _aware(valid_after).timestamp()):
        return None
    return Actor(
        id=row["id"], username=row["username"], role=row["role"],
        display_name=row["display_name"], locale=row["locale"],
        organization_id=row["organization_id"], volunteer_id=row["volunteer_id"],
        grid_ids=frozenset(r["grid_id"] for r in rows if r["grid_id"] is not None),
    )


async def record_audit(
    *, actor_id: int | None, action: str, target_type: str, target_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one audit entry: every approval and every read of sensitive fields comes here."""
    await AuditEntry.raw("INSERT INTO audit_entry (actor, action, target_type, target_id, detail, at) "
                         "VALUES ({}, {}, {}, {}, {}, {})", actor_id, action, target_type, target_id,
                         dump_json(detail or {}), _now())


async def list_audit(*, limit: int = 50, offset: int = 0, action: str | None = None) -> list[dict[str, Any]]:
    query = AuditEntry.select(
        AuditEntry.id, AuditEntry.actor.username.as_alias("actor"), AuditEntry.action,
        AuditEntry.target_type, AuditEntry.target_id, AuditEntry.detail, AuditEntry.at,
    ).order_by(AuditEntry.id, ascending=False).limit(limit).offset(offset)
    if action:
        query = query.where(AuditEntry.action == action)
    return await query


# A place more than this far from every community's centre is not in the district.
DISTRICT_REACH_KM = 15.0


async def inside_district(*, lat: float, lon: float) -> bool:
    """Whether a point lies within reach of one of the district's communities."""
    centres = await Community.select(Community.lat, Community.lon).where(Community.lat.is_not_null())
    if not centres:
        return True  # a district without mapped communities cannot tell
    return any(haversine_km(lat, lon, c["lat"], c["lon"]) <= DISTRICT_REACH_KM for c in centres)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


async def grids_named(*, grid_ids: list[int]) -> list[dict[str, Any]]:
    """Ids and names of these grids (a grid worker's own, for their forms)."""
    return await Grid.select(Grid.id, Grid.name, Grid.community).where(Grid.id.is_in(grid_ids or [-1])).order_by(
        Grid.code)
