"""Account endpoints: register, login (new session id), logout, who am I."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.di import Provide

from tongxin.accounts import service
from tongxin.accounts.guards import provide_actor, signed_in
from tongxin.accounts.schemas import LoginRequest, RegisterRequest, UserOut
from tongxin.accounts.sessions import rotate_session


def _user_out(row: dict) -> UserOut:
    return UserOut(id=row["id"], username=row["username"], role=row["role"],
                   display_name=row["display_name"], locale=row["locale"])


def client_of(request: Request) -> str:
    """The client's address (uvicorn puts the proxy's X-Forwarded-For here when it trusts the proxy)."""
    return request.client.host if request.client else ""


def _start_session(request: Request, user: dict) -> None:
    rotate_session(request)
    request.set_session({"user_id": user["id"]})


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
