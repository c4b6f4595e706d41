"""Account endpoints: register, login (new session id), logout, who am I."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.di import Provide

from tongxin.accounts import management, service
from tongxin.accounts.guards import provide_actor, role_in, signed_in
from tongxin.accounts.schemas import (
    AccountCreate,
    AccountPage,
    AccountUpdate,
    LoginRequest,
    PasswordChange,
    PasswordResetUse,
    RegisterRequest,
    ResetLinkOut,
    UserOut,
)
from tongxin.accounts.sessions import start_session
from tongxin.paging import Limit, Offset


def _user_out(row: dict) -> UserOut:
    return UserOut(id=row["id"], username=row["username"], role=row["role"],
                   display_name=row["display_name"], locale=row["locale"])


def client_of(request: Request) -> str:
    """The client's address (uvicorn puts the proxy's X-Forwarded-For here when it trusts the proxy)."""
    return request.client.host if request.client else ""


def _start_session(request: Request, user: dict) -> None:
    start_session(request, user_id=user["id"])


class AccountController(Controller):
    path = "/api/accounts"
    tags = ["accounts"]

    @post("/register", status_code=201)
    async def register(self, request: Request, data: RegisterRequest) -> UserOut:
        """Create a volunteer, organization-member or guardian account and sign it in."""
        user = await service.register(
            username=data.username, password=data.password, role=data.role, client=client_of(request),
            display_name=data.display_name, phone=data.phone, locale=data.locale,
        )
        _start_session(request, user)
        return _user_out(user)

    @post("/login", status_code=200)
    async def login(self, request: Request, data: LoginRequest) -> UserOut:
        """Sign in; the session id is always new, whatever cookie came with the request."""
        user = await service.authenticate(username=data.username, password=data.password,
                                          client=client_of(request))
        _start_session(request, user)
        return _user_out(user)

    @post("/logout", status_code=204)
    async def logout(self, request: Request) -> None:
        request.clear_session()

    @get("/me", guards=[signed_in], dependencies={"actor": Provide(provide_actor)})
    async def me(self, actor: service.Actor) -> UserOut:
        return UserOut(id=actor.id, username=actor.username, role=actor.role,
                       display_name=actor.display_name, locale=actor.locale)

    @post("/password", status_code=204, guards=[signed_in], dependencies={"actor": Provide(provide_actor)})
    async def change_password(self, request: Request, actor: service.Actor, data: PasswordChange) -> None:
        """Change your password; every other session of yours ends, this one continues under a new id."""
        await management.change_password(actor=actor, current_password=data.current_password,
                                         new_password=data.new_password, client=client_of(request))
        start_session(request, user_id=actor.id)

    @post("/password-reset", status_code=204)
    async def use_reset_link(self, data: PasswordResetUse) -> None:
        """Set a new password with a one-time reset link staff gave you; every session of the account ends."""
        await management.use_reset_link(token=data.token, new_password=data.new_password)

    @get("/users", guards=[role_in("staff")], dependencies={"actor": Provide(provide_actor)})
    async def list_users(self, actor: service.Actor,
                         role: Literal["admin", "staff", "grid_worker", "org_member", "volunteer", "guardian"] | None = None,
                         q: str = "", limit: Limit = 20, offset: Offset = 0) -> AccountPage:
        """Accounts you look after (staff: volunteers, organizations, guardians; admin: everyone)."""
        found = await management.list_accounts(actor=actor, role=role, query=q[:64], limit=limit, offset=offset)
        return msgspec.convert(found, AccountPage)

    @post("/users", status_code=201, guards=[role_in("admin")], dependencies={"actor": Provide(provide_actor)})
    async def create_user(self, actor: service.Actor, data: AccountCreate) -> UserOut:
        """Admin: create a staff, admin or grid-worker account (grid workers with their grids)."""
        user = await management.create_account(actor=actor, username=data.username, password=data.password,
                                               role=data.role, display_name=data.display_name,
                                               grid_ids=data.grid_ids)
        return _user_out(user)

    @patch("/users/{user_id:int}", guards=[role_in("staff")], dependencies={"actor": Provide(provide_actor)})
    async def update_user(self, actor: service.Actor, user_id: int, data: AccountUpdate) -> UserOut:
        """Disable or enable an account, or set a grid worker's grids (staff accounts: admin only)."""
        await management.update_account(actor=actor, user_id=user_id, is_active=data.is_active,
                                        grid_ids=data.grid_ids)
        return _user_out(await service.get_user(user_id=user_id))

    @post("/users/{user_id:int}/reset-link", status_code=201, guards=[role_in("staff")],
          dependencies={"actor": Provide(provide_actor)})
    async def reset_link(self, request: Request, actor: service.Actor, user_id: int) -> ResetLinkOut:
        """A one-time password reset link for the account, valid 24 hours; hand it to the person yourself."""
        issued = await management.issue_reset_link(actor=actor, user_id=user_id)
        return ResetLinkOut(username=issued["username"], url=reset_url(request, issued["token"]),
                            expires_at=issued["expires_at"].isoformat())


def reset_url(request: Request, token: str) -> str:
    """The reset page's address, from TONGXIN_PUBLIC_URL (never the request's Host)."""
    return request.app.state.settings.link(f"/reset-password/{token}", request_base=str(request.base_url))
