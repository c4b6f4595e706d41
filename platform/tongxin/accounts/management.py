"""Accounts after registration: own password changes, one-time reset links, and admins managing staff
and grid workers (create, disable, grid assignments). Every act here is audited."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from tongxin.accounts.cache import forget_account
from tongxin.accounts import throttle
from tongxin.accounts.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from tongxin.accounts.service import Actor, create_user, record_audit
from tongxin.accounts.tables import Grid, GridAssignment, PasswordReset, User
from tongxin.db import write_transaction
from tongxin.errors import Conflict, InvalidInput, NotFound
from tongxin.paging import page

RESET_LINK_HOURS = 24
MANAGED_ROLES = ("staff", "grid_worker", "admin")  # accounts only an admin creates
STAFF_ROLES = ("staff", "admin")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password needs at least {MIN_PASSWORD_LENGTH} characters", field="new_password",
                           code="password_too_short")


async def _set_password(*, user_id: int, password: str) -> datetime:
    """Store a new password and end every session begun before now; returns that moment."""
    moment = _now()
    await User.update({User.password_hash: await hash_password(password), User.sessions_valid_after: moment}
                      ).where(User.id == user_id)
    forget_account(user_id)
    return moment


async def change_password(*, actor: Actor, current_password: str, new_password: str, client: str) -> datetime:
    """Change your own password after proving the current one (throttled like sign-in); every other
    session of yours ends. Returns the moment from which sessions count (the caller starts a new one)."""
    _check_new_password(new_password)
    attempt_id = await throttle.begin_login(client=client, username=actor.username)
    row = await User.select(User.password_hash).where(User.id == actor.id).first()
    ok = row is not None and await verify_password(row["password_hash"], current_password)
    await throttle.finish_login(attempt_id=attempt_id, succeeded=ok)
    if not ok:
        raise InvalidInput("the current password is not right", field="current_password", code="wrong_password")
    moment = await _set_password(user_id=actor.id, password=new_password)
    await record_audit(actor_id=actor.id, action="account.password_changed", target_type="user", target_id=actor.id)
    return moment


def _may_manage(actor: Actor, role: str) -> bool:
    """Staff look after volunteers', organizations' and guardians' accounts; only an admin after staff ones."""
    if actor.role == "admin":
        return True
    return actor.is_staff and role not in MANAGED_ROLES


async def _managed_user(actor: Actor, user_id: int) -> dict[str, Any]:
    row = await User.select(User.id, User.username, User.role, User.is_active).where(User.id == user_id).first()
    if row is None or not _may_manage(actor, row["role"]):
        raise NotFound("account not found")
    return row


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_reset_link(*, actor: Actor, user_id: int) -> dict[str, Any]:
    """A one-time password reset token for `user_id`, valid 24 hours (staff hand it over in person or by
    phone: no e-mail or SMS is needed). Earlier unused tokens for the account stop working."""
    user = await _managed_user(actor, user_id)
    if user["id"] == actor.id:
        raise InvalidInput("change your own password on the password page", field="user_id", code="own_account")
    token = secrets.token_urlsafe(32)
    expires_at = _now() + timedelta(hours=RESET_LINK_HOURS)
    async with write_transaction():
        await PasswordReset.update({PasswordReset.used_at: _now()}).where(
            (PasswordReset.user == user_id) & PasswordReset.used_at.is_null())
        await PasswordReset.insert(PasswordReset(user=user_id, token_hash=_token_hash(token), issued_by=actor.id,
                                                 expires_at=expires_at))
    await record_audit(actor_id=actor.id, action="account.reset_link_issued", target_type="user", target_id=user_id)
    return {"token": token, "expires_at": expires_at, "username": user["username"]}


async def reset_link_user(*, token: str) -> dict[str, Any]:
    """Whose unused, unexpired reset link this is; `NotFound` otherwise."""
    row = await PasswordReset.select(PasswordReset.user.username.as_alias("username"), PasswordReset.expires_at,
                                     PasswordReset.used_at).where(
        PasswordReset.token_hash == _token_hash(token)).first()
    if row is None or row["used_at"] is not None or _aware(row["expires_at"]) <= _now():
        raise NotFound("this reset link is not valid (used, replaced or expired)", code="reset_link_invalid")
    return row


async def use_reset_link(*, token: str, new_password: str) -> dict[str, Any]:
    """Set a new password with a reset link; the link works once, and every session of the account ends."""
    _check_new_password(new_password)
    now = _now()
    claimed = await PasswordReset.update({PasswordReset.used_at: now}).where(
        (PasswordReset.token_hash == _token_hash(token)) & PasswordReset.used_at.is_null()
        & (PasswordReset.expires_at > now)
    ).returning(PasswordReset.user)
    if not claimed:
        raise NotFound("this reset link is not valid (used, replaced or expired)", code="reset_link_invalid")
    user_id = claimed[0]["user"]
    await _set_password(user_id=user_id, password=new_password)
    await record_audit(actor_id=user_id, action="account.password_reset", target_type="user", target_id=user_id)
    return await User.select(User.id, User.username, User.is_active).where(User.id == user_id).first()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


async def list_accounts(*, actor: Actor, role: str | None = None, query: str = "", limit: int = 20,
                        offset: int = 0) -> dict[str, Any]:
    """Accounts the actor looks after, with grid assignments; filtered by role or a username prefix."""
    roles = [r for r in ("admin", "staff", "grid_worker", "org_member", "volunteer", "guardian")
             if _may_manage(actor, r)]
    if role:
        roles = [r for r in roles if r == role]
    condition = User.role.is_in(roles or ["-"])
    if query:
        condition &= User.username.like(query.replace("%", "")[:64] + "%")
    items = await User.select(User.id, User.username, User.display_name, User.role, User.is_active,
                              User.last_login_at).where(condition).order_by(User.role).order_by(
        User.username).limit(limit).offset(offset)
    total = await User.count().where(condition)
    grids = await GridAssignment.select(GridAssignment.user, GridAssignment.grid, GridAssignment.grid.name.as_alias(
        "grid_name")).where(GridAssignment.user.is_in([i["id"] for i in items] or [-1]))
    for item in items:
        item["grid_ids"] = [g["grid"] for g in grids if g["user"] == item["id"]]
        item["grid_names"] = [g["grid_name"] for g in grids if g["user"] == item["id"]]
    return page(items, total, limit, offset)


async def _check_grids(grid_ids: list[int]) -> list[int]:
    wanted = sorted(set(grid_ids))
    found = {g["id"] for g in await Grid.select(Grid.id).where(Grid.id.is_in(wanted or [-1]))}
    if set(wanted) - found:
        raise InvalidInput("no such grid", field="grid_ids", code="unknown_grid")
    return wanted


async def create_account(*, actor: Actor, username: str, password: str, role: str, display_name: str = "",
                         grid_ids: list[int] | None = None) -> dict[str, Any]:
    """An admin creates a staff, admin or grid-worker account (grid workers with their grids)."""
    if actor.role != "admin":
        raise NotFound("page not found")
    if role not in MANAGED_ROLES:
        raise InvalidInput("an admin creates staff and grid-worker accounts", field="role", code="managed_role")
    grids = await _check_grids(grid_ids or []) if role == "grid_worker" else []
    user = await create_user(username=username, password=password, role=role, display_name=display_name)
    if grids:
        await GridAssignment.insert(*[GridAssignment(user=user["id"], grid=g) for g in grids])
    await record_audit(actor_id=actor.id, action="account.created", target_type="user", target_id=user["id"],
                       detail={"role": role, "grid_ids": grids})
    return user


async def update_account(*, actor: Actor, user_id: int, is_active: bool | None = None,
                         grid_ids: list[int] | None = None) -> dict[str, Any]:
    """Disable or enable an account (a disabled one is signed out everywhere and cannot sign in), or set a
    grid worker's grids."""
    user = await _managed_user(actor, user_id)
    detail: dict[str, Any] = {}
    if is_active is not None and is_active != user["is_active"]:
        if user["id"] == actor.id:
            raise Conflict("you cannot disable your own account", field="is_active", code="own_account")
        await User.update({User.is_active: is_active}).where(User.id == user_id)
        detail["is_active"] = is_active
    if grid_ids is not None:
        if user["role"] != "grid_worker":
            raise InvalidInput("only grid workers have grids", field="grid_ids", code="not_grid_worker")
        grids = await _check_grids(grid_ids)
        async with write_transaction():
            await GridAssignment.delete().where(GridAssignment.user == user_id)
            if grids:
                await GridAssignment.insert(*[GridAssignment(user=user_id, grid=g) for g in grids])
        detail["grid_ids"] = grids
    if detail:
        forget_account(user_id)
        await record_audit(actor_id=actor.id, action="account.updated", target_type="user", target_id=user_id,
                           detail=detail)
    return await User.select(User.id, User.username, User.role, User.is_active).where(User.id == user_id).first()

