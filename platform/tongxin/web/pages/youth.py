"""Guardians and the youth roster; staff assessments and squads."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template

from tongxin.errors import DomainError
from tongxin.volunteers import service as volunteers
from tongxin.web import i18n
from tongxin.web.pages.common import (
    PAGE,
    error_for,
    lang_of,
    place_choice,
    render,
    require,
    texts,
)
from tongxin.youth import service as roster


async def _youth_page(request: Request, actor, status_code: int = 200, **values: Any) -> Template:
    children = (await roster.list_youth(actor=actor, limit=50))["items"]
    return await render(request, "youth.html", status_code=status_code, children=children,
                        communities=(await volunteers.lookups())["communities"], consent=roster.consent_text(),
                        **values)


@get("/youth", include_in_schema=False)
async def youth_page(request: Request) -> Template:
    return await _youth_page(request, await require(request, "guardian"))


@post("/youth", include_in_schema=False)
async def youth_apply(request: Request) -> Template | Redirect:
    """A guardian applies for a child; the consent is recorded with the text version they saw."""
    actor = await require(request, "guardian")
    form = await request.form()
    values = texts(form, ("child_name", "birth_date", "grid_id", "consent_text_version"))
    lang = lang_of(request)
    errors: dict[str, str] = {}
    if not values["child_name"]:
        errors["child_name"] = i18n.translate("required", lang)
    try:
        birth = date.fromisoformat(values["birth_date"])
    except ValueError:
        errors["birth_date"] = i18n.translate("required", lang)
    if form.get("consent") != "true":
        errors["consent"] = i18n.translate("请阅读并勾选同意", lang)
    community_id, grid_id = place_choice(values["grid_id"])
    if grid_id is None:
        errors["grid_id"] = i18n.translate("required", lang)
    if not errors:
        try:
            await roster.apply_for_child(actor=actor, child_name=values["child_name"], birth_date=birth,
                                             community_id=community_id, grid_id=grid_id, relationship="parent",
                                             consent=True, consent_text_version=values["consent_text_version"])
        except DomainError as exc:
            errors = error_for(exc, lang)
        else:
            return Redirect(path="/youth")
    return await _youth_page(request, actor, status_code=400, errors=errors, values=values)


@get("/youth/{youth_id:int}", include_in_schema=False)
async def youth_detail(request: Request, youth_id: int) -> Template:
    actor = await require(request, "guardian", "staff")
    return await render(request, "youth_detail.html", youth=await roster.get_youth(actor=actor, youth_id=youth_id))


@post("/youth/{youth_id:int}/assessments", include_in_schema=False)
async def youth_assess(request: Request, youth_id: int) -> Template | Redirect:
    """Staff record the three assessments with an optional score (0-100) and notes; any bad score saves none."""
    actor = await require(request, "staff")
    form = await request.form()
    kinds = ("fitness", "self_rescue", "personality")
    values = {k: form.get(k) == "true" for k in kinds} | texts(form, [f"{k}_{x}" for k in kinds for x in ("score", "notes")])
    errors: dict[str, str] = {}
    scores: dict[str, float | None] = {}
    for kind in kinds:
        text = values[f"{kind}_score"]
        try:
            scores[kind] = float(text) if text else None
            if scores[kind] is not None and not 0 <= scores[kind] <= 100:
                raise ValueError
        except ValueError:
            errors[f"{kind}_score"] = "0–100"
    if errors:
        youth = await roster.get_youth(actor=actor, youth_id=youth_id)
        return await render(request, "youth_detail.html", status_code=400, youth=youth, errors=errors, values=values)
    for kind in kinds:
        await roster.record_assessment(actor=actor, youth_id=youth_id, kind=kind, passed=values[kind],
                                           score=scores[kind], notes=values[f"{kind}_notes"])
    return Redirect(path=f"/youth/{youth_id}")


@get("/staff/squads", include_in_schema=False)
async def squads_page(request: Request, offset: int = 0) -> Template:
    """Staff: each community's squad of little safety officers with its active members."""
    actor = await require(request, "staff")
    page = await roster.list_squads(actor=actor, limit=PAGE, offset=max(offset, 0))
    return await render(request, "squads.html", page=page)


@post("/youth/{youth_id:int}/activate", include_in_schema=False)
async def youth_activate(request: Request, youth_id: int) -> Redirect:
    actor = await require(request, "staff")
    await roster.activate_youth(actor=actor, youth_id=youth_id)
    return Redirect(path=f"/youth/{youth_id}")


@get("/youth/{youth_id:int}/withdraw", include_in_schema=False)
async def youth_withdraw_confirm(request: Request, youth_id: int) -> Template:
    """Withdrawing consent is destructive: ask first."""
    actor = await require(request, "guardian")
    youth = await roster.get_youth(actor=actor, youth_id=youth_id)
    lang = lang_of(request)
    return await render(request, "confirm.html", title=i18n.translate("撤回同意", lang),
                        question=i18n.translate("撤回后，{name}将立即退出所有未来的活动报名和匹配。确定吗？", lang,
                                                name=youth["child_name"]),
                        action=f"/youth/{youth_id}/withdraw", confirm_label=i18n.translate("确定撤回", lang),
                        back=f"/youth/{youth_id}")


@post("/youth/{youth_id:int}/withdraw", include_in_schema=False)
async def youth_withdraw(request: Request, youth_id: int) -> Redirect:
    actor = await require(request, "guardian")
    await roster.withdraw_consent(actor=actor, youth_id=youth_id)
    return Redirect(path=f"/youth/{youth_id}")
