"""Micro-wish pages: the public list, grid workers' and helpers' work."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.response import Redirect, Template

from tongxin.errors import DomainError, NotFound
from tongxin.web import i18n
from tongxin.web.pages.common import PAGE, error_for, lang_of, render, require
from tongxin.wishes import service as wishes

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
    from tongxin.wishes.tables import WISH_STATUSES

    actor = await require(request)
    status = status if status in WISH_STATUSES else ""
    sort = sort if sort in WISH_PAGE_SORTS else "-created"
    page = await wishes.list_wishes(actor=actor, status=status or None, sort=sort, limit=PAGE, offset=max(offset, 0))
    return await render(request, "my_wishes.html", page=page, status=status, statuses=WISH_STATUSES, sort=sort,
                        sorts=WISH_PAGE_SORTS, query=urlencode({"status": status, "sort": sort}))


async def _wish_form(request: Request, actor, status_code: int = 200, **values: Any) -> Template:
    from tongxin.accounts.tables import Grid
    from tongxin.wishes.tables import WISH_CATEGORIES

    grids = await Grid.select(Grid.id, Grid.name).where(Grid.id.is_in(list(actor.grid_ids) or [-1]))
    return await render(request, "wish_form.html", status_code=status_code, grids=grids,
                        categories=WISH_CATEGORIES, **values)


@get("/wishes/new", include_in_schema=False)
async def wish_form(request: Request) -> Template:
    return await _wish_form(request, await require(request, "grid_worker", "staff"))


@post("/wishes/new", include_in_schema=False)
async def wish_post(request: Request) -> Template | Redirect:
    """A grid worker posts a wish for a household of their grid (identity kept apart, text redacted)."""
    actor = await require(request, "grid_worker", "staff")
    form = await request.form()
    names = ("grid_id", "household_name", "household_phone", "household_address", "category", "title",
             "public_text", "needed_by", "urgency")
    values = {k: form.get(k, "").strip() for k in names}
    lang = lang_of(request)
    errors = {k: i18n.translate("required", lang) for k in ("household_name", "title") if not values[k]}
    try:
        needed_by = date.fromisoformat(values["needed_by"]) if values["needed_by"] else None
    except ValueError:
        errors["needed_by"] = i18n.translate("required", lang)
    if not errors:
        try:
            wish = await wishes.post_wish(
                actor=actor, grid_id=int(values["grid_id"] or 0), household_name=values["household_name"],
                household_phone=values["household_phone"], household_address=values["household_address"],
                category=values["category"], title=values["title"], public_text=values["public_text"],
                needed_by=needed_by, urgency=int(values["urgency"] or 2), skills_needed=[])
        except DomainError as exc:
            errors = error_for(exc, lang)
        else:
            return Redirect(path=f"/wishes/{wish['id']}")
    return await _wish_form(request, actor, status_code=400, errors=errors, values=values)


@get("/wishes/{wish_id:int}", include_in_schema=False)
async def wish_detail(request: Request, wish_id: int) -> Template:
    """The working view; the household's contact for staff, the grid's workers and the approved helper (audited)."""
    actor = await require(request)
    wish = await wishes.get_wish(actor=actor, wish_id=wish_id)
    household = None
    try:
        household = (await wishes.view_household(actor=actor, wish_id=wish_id))["household"]
    except NotFound:
        pass
    is_helper = (wish["helper_volunteer"] is not None and wish["helper_volunteer"] == actor.volunteer_id) or (
        wish["helper_organization"] is not None and wish["helper_organization"] == actor.organization_id)
    return await render(request, "wish_detail.html", wish=wish, household=household, is_helper=is_helper,
                        may_confirm=actor.may_see_grid(wish["grid"]))


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
