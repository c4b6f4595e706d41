"""Home, language, sign-in, registration and sign-out pages."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from tongxin.accounts import service as accounts
from tongxin.accounts.guards import actor_of
from tongxin.accounts.sessions import start_session
from tongxin.accounts.routes import client_of
from tongxin.accounts.throttle import wait_words
from tongxin.errors import DomainError, RateLimited
from tongxin.web import i18n
from tongxin.web.pages.common import LANG_COOKIE, error_for, lang_of, render, texts


@get("/", include_in_schema=False)
async def home(request: Request) -> Template:
    return await render(request, "home.html")


@get("/language", include_in_schema=False)
async def language(request: Request, to: str = "zh-CN", next: str = "/") -> Redirect:
    """Switch the pages' language (a cookie; for a signed-in person also their account's language, which
    their messages are written in), then go back where the person was."""
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = Redirect(path=target)
    chosen = i18n.language_of(to)
    actor = await actor_of(request)
    if actor is not None:
        await accounts.set_locale(user_id=actor.id, locale=chosen)
    response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax")
    return response


@get("/login", include_in_schema=False)
async def login_form(request: Request, next: str = "/") -> Template:
    return await render(request, "login.html", next=next)


@post("/login", include_in_schema=False)
async def login_submit(request: Request) -> Template | Redirect:
    form = await request.form()
    username, password = form.get("username", "").strip(), form.get("password", "")
    lang = lang_of(request)
    errors = {}
    if not username:
        errors["username"] = i18n.translate("required", lang)
    if not password:
        errors["password"] = i18n.translate("required", lang)
    if not errors:
        try:
            user = await accounts.authenticate(username=username, password=password, client=client_of(request))
        except RateLimited as exc:
            page = await render(request, "login.html", status_code=429, values={"username": username},
                                next=form.get("next", "/"), errors={"_form": i18n.translate(
                                    "rate_limited_wait", lang, wait=wait_words(exc.retry_after, lang))})
            page.headers["Retry-After"] = str(exc.retry_after)
            return page
        except DomainError as exc:
            errors = {"_form": i18n.error_text(exc.code, exc.message, lang)}
        else:
            start_session(request, user_id=user["id"])
            target = form.get("next", "/")
            return Redirect(path=target if target.startswith("/") and not target.startswith("//") else "/")
    return await render(request, "login.html", status_code=400, errors=errors, values={"username": username},
                        next=form.get("next", "/"))


@get("/register", include_in_schema=False)
async def register_form(request: Request) -> Template:
    return await render(request, "register.html")


@post("/register", include_in_schema=False)
async def register_submit(request: Request) -> Template | Redirect:
    form = await request.form()
    values = texts(form, ("username", "display_name", "role"))
    password = form.get("password", "")
    lang = lang_of(request)
    errors = {}
    if len(values["username"]) < 3:
        errors["username"] = i18n.translate("too_short", lang) + " (≥3)"
    if len(password) < 8:
        errors["password"] = i18n.translate("too_short", lang) + " (≥8)"
    if values["role"] not in ("volunteer", "org_member", "guardian"):
        errors["role"] = i18n.translate("required", lang)
    if not errors:
        try:
            user = await accounts.register(username=values["username"], password=password, role=values["role"],
                                           display_name=values["display_name"], locale=lang,
                                           client=client_of(request))
        except RateLimited as exc:
            page = await render(request, "register.html", status_code=429, values=values, errors={
                "_form": i18n.translate("registration_wait", lang, wait=wait_words(exc.retry_after, lang))})
            page.headers["Retry-After"] = str(exc.retry_after)
            return page
        except DomainError as exc:
            errors = error_for(exc, lang)
        else:
            start_session(request, user_id=user["id"])
            return Redirect(path="/?done=welcome")
    return await render(request, "register.html", status_code=400, errors=errors, values=values)


@post("/logout", include_in_schema=False)
async def logout(request: Request) -> Redirect:
    request.clear_session()
    return Redirect(path="/")
