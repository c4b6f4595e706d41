"""Micro-wish pages: the public list, grid workers' and helpers' work."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.response import Redirect, Template

from tongxin.accounts import service as accounts
from tongxin.errors import DomainError, NotFound
from tongxin.web import i18n
from tongxin.web.pages.common import PAGE, error_for, lang_of, render, require
from tongxin.wishes import service as wishes
from tongxin.wishes.tables import WISH_CATEGORIES, WISH_STATUSES

WISH_PAGE_SORTS = ("needed_by", "urgency", "-created")


@get("/wishes", include_in_schema=False)
async def wishes_page(request: Request, sort: str = "needed_by", offset: int = 0) -> Template:
    """The public listing: redacted text only, soonest needed (or most urgent) first."""
    sort = sort if sort in WISH_PAGE_SORTS else "needed_by"
    page = await wishes.list_public_wishes(sort=sort, limit=PAGE, offset=max(offset, 0))
    return await render(request, "wishes.html", page=page, sort=sort, sorts=WISH_PAGE_SORTS)


@get("/wishes/mine", include_in_schema=False)
async def my_wishes_page(request: Request, status: str = "", sort: str = "-created", offset: int = 0) -> Template:
    """Wishes to work on: staff all, grid workers their grids' wishes, helpers the ones they help with."""
    actor = await require(request)
    status = status if status in WISH_STATUSES else ""
    sort = sort if sort in WISH_PAGE_SORTS else "-created"
    page = await wishes.list_wishes(actor=actor, status=status or None, sort=sort, limit=PAGE, offset=max(offset, 0))
    return await render(request, "my_wishes.html", page=page, status=status, statuses=WISH_STATUSES, sort=sort,
                        sorts=WISH_PAGE_SORTS, query=urlencode({"status": status, "sort": sort}))


async def _wish_form(request: Request, actor, status_code: int = 200, wish_id: int | None = None,
                     **values: Any) -> Template:
    grids = await accounts.grids_named(grid_ids=list(actor.grid_ids))
    return await render(request, "wish_form.html", status_code=status_code, grids=grids,
                        categories=WISH_CATEGORIES, wish_id=wish_id, **values)


FORM_FIELDS = ("household_name", "household_phone", "household_address", "category", "title", "description",
               "needed_by", "urgency")


def _parse(values: dict[str, str], lang: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The service's keyword arguments from the wish form, or the fields to fix (in the user's language)."""
    errors = {k: i18n.translate("required", lang) for k in ("household_name", "title") if not values[k]}
    needed_by = None
    try:
        needed_by = date.fromisoformat(values["needed_by"]) if values["needed_by"] else None
    except ValueError:
        errors["needed_by"] = i18n.translate("required", lang)
    urgency = int(values["urgency"]) if values["urgency"] in ("1", "2", "3") else 2
    fields = {k: values[k] for k in FORM_FIELDS if k not in ("needed_by", "urgency")}
    return {**fields, "needed_by": needed_by, "urgency": urgency, "skills_needed": []}, errors


@get("/wishes/new", include_in_schema=False)
async def wish_form(request: Request) -> Template:
    return await _wish_form(request, await require(request, "grid_worker", "staff"))


@post("/wishes/new", include_in_schema=False)
async def wish_post(request: Request) -> Template | Redirect:
    """A grid worker posts a wish for a household of their grid; staff approve its public text before anyone sees it."""
    actor = await require(request, "grid_worker", "staff")
    form = await request.form()
    values = {k: form.get(k, "").strip() for k in ("grid_id", *FORM_FIELDS)}
    lang = lang_of(request)
    fields, errors = _parse(values, lang)
    if not errors:
        try:
            wish = await wishes.post_wish(actor=actor, grid_id=int(values["grid_id"] or 0), **fields)
        except DomainError as exc:
            errors = error_for(exc, lang)
        else:
            return Redirect(path=f"/wishes/{wish['id']}")
    return await _wish_form(request, actor, status_code=400, errors=errors, values=values)


@get("/wishes/{wish_id:int}/edit", include_in_schema=False)
async def wish_edit_form(request: Request, wish_id: int) -> Template | Redirect:
    """The grid's worker rewrites a wish still waiting for staff (reading the household is audited)."""
    actor = await require(request, "grid_worker", "staff")
    wish = await wishes.get_wish(actor=actor, wish_id=wish_id)
    if wish["status"] != "submitted" or not actor.may_see_grid(wish["grid"]):
        return Redirect(path=f"/wishes/{wish_id}")
    private = await wishes.view_household(actor=actor, wish_id=wish_id)
    household, original = private["household"], private["original"]
    values = {"household_name": household["name"], "household_phone": household["phone"],
              "household_address": household["address"], "category": wish["category"],
              "title": original["title"], "description": original["text"],
              "needed_by": wish["needed_by"].isoformat() if wish["needed_by"] else "", "urgency": str(wish["urgency"])}
    return await _wish_form(request, actor, wish_id=wish_id, values=values)


@post("/wishes/{wish_id:int}/edit", include_in_schema=False)
async def wish_edit(request: Request, wish_id: int) -> Template | Redirect:
    """Save the rewritten wish; its public text is proposed anew for staff."""
    actor = await require(request, "grid_worker", "staff")
    form = await request.form()
    values = {k: form.get(k, "").strip() for k in FORM_FIELDS}
    lang = lang_of(request)
    fields, errors = _parse(values, lang)
    if not errors:
        try:
            await wishes.edit_wish(actor=actor, wish_id=wish_id, **fields)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            errors = error_for(exc, lang)
        else:
            return Redirect(path=f"/wishes/{wish_id}")
    return await _wish_form(request, actor, status_code=400, wish_id=wish_id, errors=errors, values=values)


async def _wish_page(request: Request, actor, wish_id: int, status_code: int = 200, **values: Any) -> Template:
    wish = await wishes.get_wish(actor=actor, wish_id=wish_id)
    private = None
    try:
        private = await wishes.view_household(actor=actor, wish_id=wish_id)
    except NotFound:
        pass
    is_helper = (wish["helper_volunteer"] is not None and wish["helper_volunteer"] == actor.volunteer_id) or (
        wish["helper_organization"] is not None and wish["helper_organization"] == actor.organization_id)
    submitted = wish["status"] == "submitted"
    return await render(request, "wish_detail.html", status_code=status_code, wish=wish,
                        household=private and private["household"], original=private and private["original"],
                        is_helper=is_helper, may_confirm=actor.may_see_grid(wish["grid"]),
                        may_verify=submitted and actor.is_staff,
                        may_edit=submitted and actor.may_see_grid(wish["grid"]), **values)


@get("/wishes/{wish_id:int}", include_in_schema=False)
async def wish_detail(request: Request, wish_id: int) -> Template:
    """The working view; for staff, the grid's workers and the approved helper also the private record (audited).

    Staff reviewing a submitted wish edit its proposed public text beside the private record.
    """
    return await _wish_page(request, await require(request), wish_id)


@post("/wishes/{wish_id:int}/verify", include_in_schema=False)
async def wish_verify(request: Request, wish_id: int) -> Template | Redirect:
    """Staff publish the public title and text exactly as they approved them in the form."""
    actor = await require(request, "staff")
    form = await request.form()
    values = {"title": form.get("title", "").strip(), "public_text": form.get("public_text", "").strip()}
    try:
        await wishes.verify_wish(actor=actor, wish_id=wish_id, **values)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _wish_page(request, actor, wish_id, status_code=400, errors=error_for(exc, lang_of(request)),
                                values=values)
    return Redirect(path=f"/wishes/{wish_id}")


@post("/wishes/{wish_id:int}/{step:str}", include_in_schema=False)
async def wish_step(request: Request, wish_id: int, step: str) -> Redirect:
    actor = await require(request)
    if step == "start":
        await wishes.start_wish(actor=actor, wish_id=wish_id)
    elif step == "fulfil":
        await wishes.fulfil_wish(actor=actor, wish_id=wish_id)
    elif step == "confirm":
        form = await request.form()
        await wishes.confirm_wish(actor=actor, wish_id=wish_id, rating=int(form.get("rating", 5)),
                                  comment=form.get("comment", "").strip())
    else:
        raise NotFound("page not found")
    return Redirect(path=f"/wishes/{wish_id}")
