"""What every page shares: the layout context, rendering, error pages and form helpers."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from tongxin.accounts.guards import _ACTOR_KEY, actor_of
from tongxin.dates import hours_2dp, hours_text
from tongxin.errors import DomainError, NotAuthenticated, NotFound
from tongxin.notifications import service as notifications
from tongxin.volunteers.service import lookups
from tongxin.web import i18n
from tongxin.web import service as web
from tongxin.web.service import local_time

LANG_COOKIE = "tx_lang"
PAGE = 20
DONE_MESSAGES = {"signed_up", "waitlisted", "welcome", "invitation_yes", "invitation_no", "all_attended",
                 "leader_asked"}


def lang_of(request: Request) -> str:
    return i18n.language_of(request.cookies.get(LANG_COOKIE))


async def context(request: Request, **values: Any) -> dict[str, Any]:
    """What every page template gets: language, translator, the signed-in actor, a flash line."""
    lang = lang_of(request)
    actor = await actor_of(request)
    flash = ""
    done = request.query_params.get("done")
    if done in DONE_MESSAGES:
        flash = i18n.translate(done, lang, n=request.query_params.get("n", ""),
                               name=actor.display_name if actor else "")
    unread = 0
    if actor is not None:
        unread = await notifications.unread_count(recipient_id=actor.id)
    return {"lang": lang, "t": lambda key, **kw: i18n.translate(key, lang, **kw), "actor": actor,
            "label": lambda code: i18n.label(code, lang), "unread": unread, "when": lambda value: local_time(value, lang), "hours": lambda minutes: i18n.number(hours_2dp(minutes), lang),
            "rule_text": lambda rule: web.rrule_text(rule, lang), "bi": lambda text: i18n.both(text, lang),
            "request_path": request.url.path, "here": here(request), "flash": flash, "errors": {}, "values": {}, **values}


async def render(request: Request, name: str, status_code: int = 200, **values: Any) -> Template:
    return Template(template_name=name, context=await context(request, **values), status_code=status_code)


def here(request: Request) -> str:
    """This page's path with its query (filters, page), to come back to after a language switch or sign-in."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _known_actor(request: Request):
    """The signed-in actor if this request already read it (a handler that failed after checking who asks),
    so an error page keeps the person's own header instead of looking signed out."""
    return request.scope.get("state", {}).get(_ACTOR_KEY)


def _bare_context(request: Request, lang: str) -> dict[str, Any]:
    """The layout's context without a database read (exception handlers are synchronous)."""
    return {"lang": lang, "t": lambda key, **kw: i18n.translate(key, lang, **kw), "actor": _known_actor(request),
            "label": lambda code: i18n.label(code, lang), "unread": 0, "when": lambda value: local_time(value, lang), "hours": lambda minutes: i18n.number(hours_2dp(minutes), lang),
            "bi": lambda text: i18n.both(text, lang), "rule_text": lambda rule: web.rrule_text(rule, lang),
            "request_path": request.url.path, "here": here(request), "flash": "", "errors": {}, "values": {}}


def not_found_page(request: Request) -> Template:
    """The 404 page."""
    return Template(template_name="404.html", status_code=404, context=_bare_context(request, lang_of(request)))


def error_page(request: Request, status_code: int, *, code: str = "", message: str = "") -> Template:
    """Any other failure of a page request, said in the user's language with a way back."""
    lang = lang_of(request)
    if status_code == 403:
        text = i18n.translate("page_expired", lang)
    elif status_code >= 500:
        text = i18n.translate("server_error", lang)
    elif code:
        text = i18n.error_text(code, message, lang)
    else:
        text = i18n.translate("invalid_input", lang)
    return Template(template_name="error.html", status_code=status_code,
                    context={**_bare_context(request, lang), "status": status_code, "message": text})


async def require(request: Request, *roles: str):
    actor = await actor_of(request)
    if actor is None:
        raise NotAuthenticated("please sign in first")
    if roles and actor.role not in roles and not (actor.is_staff and "staff" in roles):
        raise NotFound("page not found")
    return actor


def texts(form, names) -> dict[str, str]:
    """The named single-line fields of a form, trimmed ("" when missing)."""
    return {name: form.get(name, "").strip() for name in names}


def place_choice(value: str) -> tuple[int | None, int | None]:
    """A "community:grid" choice of the place selects, as ids (None where empty or malformed)."""
    community, _, grid = value.partition(":")
    return (int(community) if community.isdigit() else None, int(grid) if grid.isdigit() else None)


def ticked(form, name: str) -> list[str]:
    """Every value of a repeated form field (ticked checkboxes); none ticked is an empty list."""
    return list(form.getall(name, []))


def error_for(exc: DomainError, lang: str) -> dict[str, str]:
    return {exc.field or "_form": i18n.error_text(exc.code, exc.message, lang)}


async def code_names(lang: str) -> dict[str, Any]:
    """Skill and certificate codes → names in `lang` (to say what is needed or missing), and the communities."""
    found = await lookups()
    pick = (lambda r: r["name_zh"]) if lang == "zh-CN" else (lambda r: r["name_en"] or r["name_zh"])
    return {"skills": {r["code"]: pick(r) for r in found["skills"]},
            "certificates": {r["code"]: pick(r) for r in found["certificate_kinds"]},
            "communities": found["communities"]}
