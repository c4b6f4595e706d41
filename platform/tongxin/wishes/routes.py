"""Micro-wish endpoints: a public redacted listing, the grid workers' and helpers' work, audited contact reads."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, get, post, put
from litestar.di import Provide

from tongxin.accounts.guards import (
    provide_actor,
    provide_optional_actor,
    role_in,
    signed_in,
)
from tongxin.accounts.service import Actor
from tongxin.errors import NotFound
from tongxin.paging import Limit, Offset
from tongxin.wishes import schemas, service
from tongxin.wishes.schemas import Category, WishStatus

Sort = Literal["needed_by", "-needed_by", "urgency", "-urgency", "created", "-created"]
ACTOR = {"actor": Provide(provide_actor)}
MAYBE_ACTOR = {"actor": Provide(provide_optional_actor)}
GRID = [role_in("staff", "grid_worker")]
STAFF = [role_in("staff")]
HELPER = [role_in("volunteer", "org_member")]


def _wish(row: dict) -> schemas.WishOut:
    return msgspec.convert(row, schemas.WishOut)


def _fields(data: schemas.WishEditIn) -> dict:
    return {"household_name": data.household_name, "household_phone": data.household_phone,
            "household_address": data.household_address, "category": data.category, "title": data.title,
            "description": data.description, "needed_by": data.needed_by, "urgency": data.urgency,
            "skills_needed": data.skills_needed}


class PublicWishController(Controller):
    path = "/api/wishes/public"
    tags = ["wishes"]

    @get("/")
    async def list_public(
        self, category: Category | None = None, community_id: int | None = None,
        status: Literal["open", "matched"] | None = None, sort: Sort = "needed_by",
        limit: Limit = 20, offset: Offset = 0,
    ) -> schemas.PublicWishPage:
        """Open and matched wishes for anyone (no sign-in): redacted fields only."""
        page = await service.list_public_wishes(category=category, community_id=community_id, status=status,
                                                sort=sort, limit=limit, offset=offset)
        return msgspec.convert(page, schemas.PublicWishPage)

    @get("/{wish_id:int}")
    async def get_public(self, wish_id: int) -> schemas.PublicWishOut:
        return msgspec.convert(await service.get_public_wish(wish_id=wish_id), schemas.PublicWishOut)


class WishController(Controller):
    path = "/api/wishes"
    tags = ["wishes"]

    @post("/", guards=GRID, dependencies=ACTOR, status_code=201)
    async def post_wish(self, actor: Actor, data: schemas.WishIn) -> schemas.WishOut:
        """A grid worker posts a wish for a household of their grid; it waits for staff to approve its public text.

        The answer's `title` and `public_text` are the proposed public text: the household's details hidden.
        """
        return _wish(await service.post_wish(actor=actor, grid_id=data.grid_id, **_fields(data)))

    @put("/{wish_id:int}", guards=GRID, dependencies=ACTOR)
    async def edit_wish(self, actor: Actor, wish_id: int, data: schemas.WishEditIn) -> schemas.WishOut:
        """The grid's worker rewrites a wish until staff verify it (then 409); the public text is proposed anew."""
        return _wish(await service.edit_wish(actor=actor, wish_id=wish_id, **_fields(data)))

    @get("/", guards=[signed_in], dependencies=ACTOR)
    async def list_wishes(
        self, actor: Actor, status: WishStatus | None = None, grid_id: int | None = None,
        category: Category | None = None, sort: Sort = "-created", limit: Limit = 20, offset: Offset = 0,
    ) -> schemas.WishPage:
        """Staff: every wish. Grid workers: their grids'. Volunteers and organizations: the wishes they help."""
        page = await service.list_wishes(actor=actor, status=status, grid_id=grid_id, category=category,
                                         sort=sort, limit=limit, offset=offset)
        return msgspec.convert(page, schemas.WishPage)

    @get("/{wish_id:int}", dependencies=MAYBE_ACTOR)
    async def get_wish(self, actor: Actor | None, wish_id: int) -> schemas.WishOut:
        """The working view (no household) for staff, the grid's workers and the helper; else 404."""
        if actor is None:
            raise NotFound("wish not found")
        return _wish(await service.get_wish(actor=actor, wish_id=wish_id))

    @get("/{wish_id:int}/household", dependencies=MAYBE_ACTOR)
    async def household(self, actor: Actor | None, wish_id: int) -> schemas.WishWithHouseholdOut:
        """The household's contact and the original text: staff, the grid's workers, the matched helper; audited."""
        if actor is None:
            raise NotFound("wish not found")
        return msgspec.convert(await service.view_household(actor=actor, wish_id=wish_id),
                               schemas.WishWithHouseholdOut)

    @post("/{wish_id:int}/verify", guards=STAFF, dependencies=ACTOR, status_code=200)
    async def verify(self, actor: Actor, wish_id: int, data: schemas.VerifyIn | None = None) -> schemas.WishOut:
        """Staff approve the public title and text (edited, or as proposed when left out): the wish opens.

        A text that still shows the household's own name, phone or address is refused (400).
        """
        data = data or schemas.VerifyIn()
        return _wish(await service.verify_wish(actor=actor, wish_id=wish_id, title=data.title,
                                               public_text=data.public_text))

    @post("/{wish_id:int}/start", guards=HELPER, dependencies=ACTOR, status_code=200)
    async def start(self, actor: Actor, wish_id: int) -> schemas.WishOut:
        """The helper starts work."""
        return _wish(await service.start_wish(actor=actor, wish_id=wish_id))

    @post("/{wish_id:int}/fulfil", guards=HELPER, dependencies=ACTOR, status_code=200)
    async def fulfil(self, actor: Actor, wish_id: int) -> schemas.WishOut:
        """The helper marks the wish fulfilled; the grid worker is asked to confirm."""
        return _wish(await service.fulfil_wish(actor=actor, wish_id=wish_id))

    @post("/{wish_id:int}/confirm", guards=GRID, dependencies=ACTOR, status_code=200)
    async def confirm(self, actor: Actor, wish_id: int, data: schemas.ConfirmIn) -> schemas.WishOut:
        """The grid worker confirms for the resident with a rating (1-5) and a comment."""
        return _wish(await service.confirm_wish(actor=actor, wish_id=wish_id, rating=data.rating,
                                                comment=data.comment))

    @post("/{wish_id:int}/cancel", guards=GRID, dependencies=ACTOR, status_code=200)
    async def cancel(self, actor: Actor, wish_id: int, data: schemas.CancelIn) -> schemas.WishOut:
        """Cancel an unfinished wish, saying why."""
        return _wish(await service.cancel_wish(actor=actor, wish_id=wish_id, reason=data.reason))


ROUTES = [PublicWishController, WishController]
