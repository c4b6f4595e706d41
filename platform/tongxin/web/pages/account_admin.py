"""Account pages: change your password, use a reset link, and staff/admins looking after accounts."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from tongxin.accounts import management
from tongxin.accounts.routes import client_of, reset_url
from tongxin.accounts.sessions import start_session
from tongxin.errors import DomainError, NotFound
from tongxin.web.pages.common import PAGE, error_for, lang_of, render, require

def _errors(exc: DomainError, lang: str) -> dict[str, str]:
    return error_for(exc, lang)


@get("/me/password", include_in_schema=False)
async def password_form(request: Request) -> Template:
    await require(request)
    return await render(request, "password.html")


@post("/me/password", include_in_schema=False)
async def password_change(request: Request) -> Template | Redirect:
    """Change your own password; your other sessions (other phones) end."""
    actor = await require(request)
    form = await request.form()
    try:
        await management.change_password(actor=actor, current_password=form.get("current_password", ""),
                                          new_password=form.get("new_password", ""), client=client_of(request))
    except DomainError as exc:
        return await render(request, "password.html", status_code=400, errors=_errors(exc, lang_of(request)))
    start_session(request, user_id=actor.id)
    return await render(request, "password.html", done=True)


@get("/reset-password/{token:str}", include_in_schema=False)
async def reset_form(request: Request, token: str) -> Template:
    try:
        link = await management.reset_link_user(token=token)
    except NotFound as exc:
        return await render(request, "reset_password.html", status_code=404, invalid=True,
                            errors=_errors(exc, lang_of(request)))
    return await render(request, "reset_password.html", username=link["username"], token=token)


@post("/reset-password/{token:str}", include_in_schema=False)
async def reset_submit(request: Request, token: str) -> Template | Redirect:
    form = await request.form()
    try:
        await management.use_reset_link(token=token, new_password=form.get("new_password", ""))
    except DomainError as exc:
        invalid = isinstance(exc, NotFound)
        return await render(request, "reset_password.html", status_code=404 if invalid else 400, invalid=invalid,
                            token=token, errors=_errors(exc, lang_of(request)))
    return Redirect(path="/login")


@get("/staff/accounts", include_in_schema=False)
async def accounts_page(request: Request, role: str = "", q: str = "", offset: int = 0) -> Template:
    """Staff find an account to reset or disable; an admin also creates staff and grid workers."""
    actor = await require(request, "staff")
    return await _accounts_page(request, actor, role=role, q=q, offset=offset)


async def _accounts_page(request: Request, actor, *, role: str = "", q: str = "", offset: int = 0,
                         status_code: int = 200, **values) -> Template:
    roles = ("admin", "staff", "grid_worker", "org_member", "volunteer", "guardian")
    page = await management.list_accounts(actor=actor, role=role if role in roles else None, query=q[:64],
                                          limit=PAGE, offset=max(offset, 0))
    from tongxin.accounts.tables import Grid

    grids = await Grid.select(Grid.id, Grid.name).order_by(Grid.code) if actor.role == "admin" else []
    return await render(request, "staff_accounts.html", status_code=status_code, page=page, accounts=page["items"],
                        role=role, q=q, grids=grids, **values)


@post("/staff/accounts", include_in_schema=False)
async def account_create(request: Request) -> Template | Redirect:
    actor = await require(request, "staff")
    form = await request.form()
    values = {k: form.get(k, "").strip() for k in ("username", "display_name", "role")}
    try:
        await management.create_account(
            actor=actor, username=values["username"], password=form.get("password", ""), role=values["role"],
            display_name=values["display_name"],
            grid_ids=[int(g) for g in form.getall("grid_ids", []) if str(g).isdigit()])
    except DomainError as exc:
        return await _accounts_page(request, actor, status_code=400, errors=_errors(exc, lang_of(request)),
                                    values=values)
    return Redirect(path=f"/staff/accounts?q={values['username']}")


@post("/staff/accounts/{user_id:int}", include_in_schema=False)
async def account_act(request: Request, user_id: int) -> Template | Redirect:
    """Disable, enable, set grids or issue a reset link for one account."""
    actor = await require(request, "staff")
    form = await request.form()
    action = form.get("action", "")
    reset_link = ""
    try:
        if action in ("disable", "enable"):
            await management.update_account(actor=actor, user_id=user_id, is_active=action == "enable")
        elif action == "grids":
            await management.update_account(actor=actor, user_id=user_id, grid_ids=[
                int(g) for g in form.getall("grid_ids", []) if str(g).isdigit()])
        elif action == "reset":
            issued = await management.issue_reset_link(actor=actor, user_id=user_id)
            reset_link = reset_url(request, issued["token"])
        else:
            raise NotFound("page not found")
    except DomainError as exc:
        return await _accounts_page(request, actor, q=form.get("q", ""), status_code=400,
                                    errors={"_form": next(iter(_errors(exc, lang_of(request)).values()))})
    return await _accounts_page(request, actor, q=form.get("q", ""), reset_link=reset_link,
                                reset_for=user_id if reset_link else None)
