"""Accounts: registration, login with rate limiting, staff creation and the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from tongxin.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    verify_password,
)
from tongxin.accounts.tables import (
    ROLES,
    AuditEntry,
    GridAssignment,
    LoginAttempt,
    User,
)
from tongxin.errors import Conflict, InvalidInput, NotAuthenticated, RateLimited

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


async def create_user(
    *, username: str, password: str, role: str, display_name: str = "", phone: str = "",
    locale: str = "zh-CN", password_hash: str | None = None,
) -> dict[str, Any]:
    """Create an account; `Conflict` if the username is taken."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}", field="role")
    if password_hash is None and len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password needs at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if await User.exists().where(User.username == username):
        raise Conflict("this username is already taken", field="username", code="username_taken")
    hashed = password_hash or await hash_password(password)
    rows = await User.insert(
        User(username=username, password_hash=hashed, role=role,
             display_name=display_name or username, phone=phone, locale=locale)
    ).returning(User.id)
    return await get_user(user_id=rows[0]["id"])


async def get_user(*, user_id: int) -> dict[str, Any]:
    row = await User.select(
        User.id, User.username, User.role, User.display_name, User.locale, User.is_active
    ).where(User.id == user_id).first()
    if row is None:
        raise NotAuthenticated("account not found")
    return row


async def authenticate(
    *, username: str, password: str, client: str = "", max_failures: int = 5, window_seconds: int = 900,
) -> dict[str, Any]:
    """Check a login; after `max_failures` failures in the window the account waits (429)."""
    since = _now() - timedelta(seconds=window_seconds)
    failures = await LoginAttempt.count().where(
        (LoginAttempt.username == username) & (LoginAttempt.succeeded == False)  # noqa: E712
        & (LoginAttempt.at > since)
    )
    if failures >= max_failures:
        raise RateLimited("too many failed logins; try again later", retry_after=window_seconds)
    row = await User.select(User.id, User.password_hash, User.is_active).where(
        User.username == username
    ).first()
    ok = row is not None and row["is_active"] and await verify_password(row["password_hash"], password)
    await LoginAttempt.insert(LoginAttempt(username=username, client=client[:64], succeeded=ok))
    if not ok:
        raise NotAuthenticated("wrong username or password", code="bad_credentials")
    await User.update({User.last_login_at: _now()}).where(User.id == row["id"])
    return await get_user(user_id=row["id"])


async def load_actor(*, user_id: int) -> Actor | None:
    """Build the `Actor` for a session's user id, with their organization, volunteer row and grids."""
    from tongxin.organizations.tables import OrganizationMember
    from tongxin.volunteers.tables import Volunteer

    row = await User.select(
        User.id, User.username, User.role, User.display_name, User.locale, User.is_active
    ).where(User.id == user_id).first()
    if row is None or not row["is_active"]:
        return None
    member = await OrganizationMember.select(OrganizationMember.organization).where(
        OrganizationMember.user == user_id
    ).first()
    volunteer = await Volunteer.select(Volunteer.id).where(Volunteer.user == user_id).first()
    grids = await GridAssignment.select(GridAssignment.grid).where(GridAssignment.user == user_id)
    return Actor(
        id=row["id"], username=row["username"], role=row["role"],
        display_name=row["display_name"], locale=row["locale"],
        organization_id=member["organization"] if member else None,
        volunteer_id=volunteer["id"] if volunteer else None,
        grid_ids=frozenset(g["grid"] for g in grids),
    )


async def record_audit(
    *, actor_id: int | None, action: str, target_type: str, target_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one audit entry: every approval and every read of sensitive fields comes here."""
    await AuditEntry.insert(AuditEntry(
        actor=actor_id, action=action, target_type=target_type, target_id=target_id,
        detail=detail or {},
    ))


async def list_audit(*, limit: int = 50, offset: int = 0, action: str | None = None) -> list[dict[str, Any]]:
    query = AuditEntry.select(
        AuditEntry.id, AuditEntry.actor.username.as_alias("actor"), AuditEntry.action,
        AuditEntry.target_type, AuditEntry.target_id, AuditEntry.detail, AuditEntry.at,
    ).order_by(AuditEntry.id, ascending=False).limit(limit).offset(offset)
    if action:
        query = query.where(AuditEntry.action == action)
    return await query
