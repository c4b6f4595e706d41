"""Micro-wishes (微心愿): posted by grid workers for households, kept apart from the household's identity.

Lifecycle: submitted → open (verified) → matched → in_progress → fulfilled → confirmed, or cancelled.
The public sees only redacted fields of open and matched wishes; the household's name, phone and address
are read by staff, grid workers of the wish's grid and the approved helper, and every such read is audited.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any, Iterable

from tongxin.accounts.service import Actor, record_audit
from tongxin.accounts.tables import Grid
from tongxin.activities.service import LOCAL_TZ
from tongxin.db import write_transaction
from tongxin.errors import Conflict, InvalidInput, NotFound
from tongxin.matches.service import withdraw_target_proposals
from tongxin.notifications.service import notify
from tongxin.organizations.tables import Organization, OrganizationMember, ResourceOffer
from tongxin.volunteers.tables import Skill, Volunteer
from tongxin.wishes.tables import WISH_CATEGORIES, Household, Wish

PUBLIC_STATUSES = ("open", "matched")
HELPER_STATUSES = ("matched", "in_progress", "fulfilled")  # when the helper may read the household
FINAL_STATUSES = ("confirmed", "cancelled")
WISH_SORTS = {
    "needed_by": (Wish.needed_by, True), "-needed_by": (Wish.needed_by, False),
    "urgency": (Wish.urgency, False), "-urgency": (Wish.urgency, True),  # "urgency": most urgent first
    "created": (Wish.created_at, True), "-created": (Wish.created_at, False),
}

# ID numbers (18 digits, last may be X; or the old 15 digits), mobile and landline numbers, then any other
# long digit run: a resident's numbers never reach the public text, whatever the grid worker typed.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(?:1[3-9]\d(?:[\s-]?\d{4}){2}|0\d{2,3}[\s-]?\d{7,8})(?!\d)")
_DIGIT_RUN = re.compile(r"(?<!\d)\d{7,}(?!\d)")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def _page(items: list, total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def redact(text: str, *, name: str = "", phone: str = "", address: str = "") -> str:
    """Remove a household's name, phone, address, and any phone-like or ID-number digits from public text."""
    for secret, mask in ((address, "某地址"), (phone, None), (name, "某某")):
        secret = secret.strip()
        if len(secret) >= 2 and secret in text:
            text = text.replace(secret, mask or "*" * len(secret))
    # A phone typed with different spacing than the household's record still goes.
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 7:
        spaced = r"[\s-]?".join(digits)
        text = re.sub(rf"(?<!\d){spaced}(?!\d)", "*" * len(digits), text)
    text = _ID_NUMBER.sub(lambda m: "*" * len(m.group()), text)
    text = _PHONE.sub(lambda m: "*" * len(m.group()), text)
    return _DIGIT_RUN.sub(lambda m: "*" * len(m.group()), text)


# ---------------------------------------------------------------- who may see what


def _is_helper(actor: Actor, wish: dict[str, Any]) -> bool:
    return bool(
        (wish["helper_volunteer"] is not None and wish["helper_volunteer"] == actor.volunteer_id)
        or (wish["helper_organization"] is not None and wish["helper_organization"] == actor.organization_id)
    )


async def _wish_row(wish_id: int) -> dict[str, Any]:
    row = await Wish.select(
        Wish.id, Wish.status, Wish.grid, Wish.household, Wish.posted_by, Wish.helper_volunteer,
        Wish.helper_organization, Wish.helper_resource, Wish.title,
    ).where(Wish.id == wish_id).first()
    if row is None:
        raise NotFound("wish not found")
    return row


async def _managed_wish(*, actor: Actor, wish_id: int) -> dict[str, Any]:
    """The wish if the actor is staff or a grid worker of its grid; otherwise `NotFound`."""
    wish = await _wish_row(wish_id)
    if not actor.may_see_grid(wish["grid"]):
        raise NotFound("wish not found")
    return wish


async def _helped_wish(*, actor: Actor, wish_id: int) -> dict[str, Any]:
    """The wish if the actor is its approved helper; otherwise `NotFound`."""
    wish = await _wish_row(wish_id)
    if not _is_helper(actor, wish):
        raise NotFound("wish not found")
    return wish


def _detail_columns():
    return (
        Wish.id, Wish.category, Wish.title, Wish.public_text, Wish.needed_by, Wish.urgency,
        Wish.skills_needed, Wish.status, Wish.grid, Wish.grid.name.as_alias("grid_name"), Wish.community,
        Wish.community.name.as_alias("community_name"), Wish.posted_by, Wish.verified_by, Wish.verified_at,
        Wish.helper_volunteer, Wish.helper_organization, Wish.helper_resource, Wish.fulfilled_at,
        Wish.confirmed_at, Wish.rating, Wish.rating_comment, Wish.created_at,
    )


def _public_columns():
    return (
        Wish.id, Wish.category, Wish.title, Wish.public_text, Wish.community.name.as_alias("community_name"),
        Wish.needed_by, Wish.urgency, Wish.status,
    )


async def _detail(wish_id: int) -> dict[str, Any]:
    return await Wish.select(*_detail_columns()).where(Wish.id == wish_id).output(load_json=True).first()


# ---------------------------------------------------------------- posting and verifying


async def post_wish(
    *, actor: Actor, grid_id: int, household_name: str, household_phone: str = "", household_address: str = "",
    category: str, title: str, public_text: str = "", needed_by: date | None = None, urgency: int = 2,
    skills_needed: Iterable[str] = (), today: date | None = None,
) -> dict[str, Any]:
    """A grid worker posts a wish for a household of their grid; public title and text are redacted."""
    grid = await Grid.select(Grid.id, Grid.community, Grid.lat, Grid.lon).where(Grid.id == grid_id).first()
    if grid is None or not actor.may_see_grid(grid_id):
        raise InvalidInput("you can post wishes only for households of your own grids", field="grid_id")
    if category not in WISH_CATEGORIES:
        raise InvalidInput(f"category is one of {', '.join(WISH_CATEGORIES)}", field="category")
    if not 1 <= urgency <= 3:
        raise InvalidInput("urgency runs from 1 (can wait) to 3 (urgent)", field="urgency")
    today = today or datetime.now(LOCAL_TZ).date()
    if needed_by is not None and needed_by < today:
        raise InvalidInput("the needed-by date has passed", field="needed_by")
    name = household_name.strip()
    if not name:
        raise InvalidInput("the household's name is required", field="household_name")
    skills = list(dict.fromkeys(skills_needed))
    if skills:
        known = {r["code"] for r in await Skill.select(Skill.code).where(Skill.code.is_in(skills))}
        unknown = [s for s in skills if s not in known]
        if unknown:
            raise InvalidInput(f"unknown skill(s): {', '.join(unknown)}", field="skills_needed")
    secrets = {"name": name, "phone": household_phone, "address": household_address}
    public_title = redact(title.strip(), **secrets)
    if not public_title.strip("*某 "):
        raise InvalidInput("the title may not consist of the household's details", field="title")
    async with write_transaction():
        household = await Household.insert(Household(
            grid=grid_id, name=name, phone=household_phone.strip(), address=household_address.strip(),
            created_by=actor.id,
        )).returning(Household.id)
        rows = await Wish.insert(Wish(
            household=household[0]["id"], grid=grid_id, community=grid["community"], posted_by=actor.id,
            category=category, title=public_title, public_text=redact(public_text.strip(), **secrets),
            needed_by=needed_by, urgency=urgency, skills_needed=skills, status="submitted",
            lat=grid["lat"], lon=grid["lon"],
        )).returning(Wish.id)
        await record_audit(actor_id=actor.id, action="wish_post", target_type="wish", target_id=rows[0]["id"])
    return await _detail(rows[0]["id"])


async def verify_wish(*, actor: Actor, wish_id: int) -> dict[str, Any]:
    """Staff or a grid worker of the grid verify a submitted wish: it opens for matching."""
    async with write_transaction():
        await _managed_wish(actor=actor, wish_id=wish_id)
        rows = await Wish.update({Wish.status: "open", Wish.verified_by: actor.id, Wish.verified_at: now_utc()}
                                 ).where((Wish.id == wish_id) & (Wish.status == "submitted")).returning(Wish.id)
        if not rows:
            raise Conflict("only a submitted wish can be verified", code="wrong_status")
        await record_audit(actor_id=actor.id, action="wish_verify", target_type="wish", target_id=wish_id)
    return await _detail(wish_id)


# ---------------------------------------------------------------- reading


async def list_public_wishes(
    *, category: str | None = None, community_id: int | None = None, status: str | None = None,
    sort: str = "needed_by", limit: int = 20, offset: int = 0,
) -> dict[str, Any]:
    """Open and matched wishes for anyone: redacted fields only, no household, no grid worker."""
    statuses = [status] if status in PUBLIC_STATUSES else list(PUBLIC_STATUSES)
    condition = Wish.status.is_in(statuses)
    if category:
        condition &= Wish.category == category
    if community_id:
        condition &= Wish.community == community_id
    column, ascending = WISH_SORTS.get(sort, WISH_SORTS["needed_by"])
    items = await Wish.select(*_public_columns()).where(condition).order_by(column, ascending=ascending).order_by(
        Wish.id).limit(limit).offset(offset)
    return _page(items, await Wish.count().where(condition), limit, offset)


async def get_public_wish(*, wish_id: int) -> dict[str, Any]:
    """One open or matched wish, redacted; any other wish is `NotFound` to the public."""
    row = await Wish.select(*_public_columns()).where(
        (Wish.id == wish_id) & Wish.status.is_in(list(PUBLIC_STATUSES))).first()
    if row is None:
        raise NotFound("wish not found")
    return row


async def list_wishes(
    *, actor: Actor, status: str | None = None, grid_id: int | None = None, category: str | None = None,
    sort: str = "-created", limit: int = 20, offset: int = 0,
) -> dict[str, Any]:
    """Wishes to work on: staff all, grid workers their grids, helpers the wishes they were approved for."""
    if actor.is_staff:
        condition = Wish.id > 0
    elif actor.role == "grid_worker":
        condition = Wish.grid.is_in(sorted(actor.grid_ids) or [0])
    else:
        condition = Wish.id < 0  # nothing, unless they help with some wishes
        if actor.volunteer_id is not None:
            condition |= Wish.helper_volunteer == actor.volunteer_id
        if actor.organization_id is not None:
            condition |= Wish.helper_organization == actor.organization_id
    if status:
        condition &= Wish.status == status
    if grid_id:
        condition &= Wish.grid == grid_id
    if category:
        condition &= Wish.category == category
    column, ascending = WISH_SORTS.get(sort, WISH_SORTS["-created"])
    items = await Wish.select(*_detail_columns()).where(condition).order_by(column, ascending=ascending).order_by(
        Wish.id).limit(limit).offset(offset).output(load_json=True)
    return _page(items, await Wish.count().where(condition), limit, offset)


async def get_wish(*, actor: Actor, wish_id: int) -> dict[str, Any]:
    """The working view of a wish (no household) for staff, its grid's workers and its helper; else 404."""
    wish = await _wish_row(wish_id)
    if not (actor.may_see_grid(wish["grid"]) or _is_helper(actor, wish)):
        raise NotFound("wish not found")
    return await _detail(wish_id)


async def view_household(*, actor: Actor, wish_id: int) -> dict[str, Any]:
    """The household's name, phone and address behind a wish; each read is audited ("view_household").

    Staff and grid workers of the wish's grid may read it always; the approved helper once the wish is
    matched (until it is confirmed); anyone else gets `NotFound`.
    """
    wish = await _wish_row(wish_id)
    as_helper = _is_helper(actor, wish) and wish["status"] in HELPER_STATUSES
    if not (actor.may_see_grid(wish["grid"]) or as_helper):
        raise NotFound("wish not found")
    household = await Household.select(
        Household.id, Household.name, Household.phone, Household.address, Household.note,
    ).where(Household.id == wish["household"]).first()
    await record_audit(actor_id=actor.id, action="view_household", target_type="household",
                       target_id=household["id"], detail={"wish": wish_id, "as_helper": as_helper})
    return {"wish": await _detail(wish_id), "household": household}


# ---------------------------------------------------------------- helper and fulfilment


async def _helper_users(*, volunteer_id: int | None, organization_id: int | None) -> list[int]:
    users: list[int] = []
    if volunteer_id is not None:
        row = await Volunteer.select(Volunteer.user).where(Volunteer.id == volunteer_id).first()
        if row and row["user"]:
            users.append(row["user"])
    if organization_id is not None:
        users += [r["user"] for r in await OrganizationMember.select(OrganizationMember.user).where(
            OrganizationMember.organization == organization_id)]
    return users


async def assign_helper(
    *, actor: Actor, wish_id: int, volunteer_id: int | None = None, organization_id: int | None = None,
    resource_id: int | None = None,
) -> dict[str, Any]:
    """Staff approved a proposal: the open wish is matched to its helper, who is notified.

    Give a volunteer, or an organization, or a resource offer (its organization becomes the helper).
    Call inside the caller's transaction if the proposal's approval is written there too.
    """
    if not actor.is_staff:
        raise NotFound("wish not found")
    if (volunteer_id is None) == (organization_id is None and resource_id is None):
        raise InvalidInput("name exactly one helper: a volunteer, or an organization / resource offer",
                           field="volunteer_id")
    async with write_transaction():
        if volunteer_id is not None and not await Volunteer.exists().where(
                (Volunteer.id == volunteer_id) & (Volunteer.user.is_not_null())):
            raise InvalidInput("no such volunteer with an account", field="volunteer_id")
        if resource_id is not None:
            offer = await ResourceOffer.select(ResourceOffer.organization).where(ResourceOffer.id == resource_id).first()
            if offer is None:
                raise InvalidInput("no such resource offer", field="resource_id")
            if organization_id is not None and organization_id != offer["organization"]:
                raise InvalidInput("the resource offer belongs to another organization", field="resource_id")
            organization_id = offer["organization"]
        if organization_id is not None and not await Organization.exists().where(
                (Organization.id == organization_id) & (Organization.status == "approved")):
            raise InvalidInput("no such approved organization", field="organization_id")
        rows = await Wish.update({
            Wish.status: "matched", Wish.helper_volunteer: volunteer_id,
            Wish.helper_organization: organization_id, Wish.helper_resource: resource_id,
        }).where((Wish.id == wish_id) & (Wish.status == "open")).returning(Wish.id, Wish.title)
        if not rows:
            await _wish_row(wish_id)  # NotFound if it does not exist
            raise Conflict("only an open wish can be matched to a helper", code="wrong_status")
        await record_audit(actor_id=actor.id, action="wish_assign_helper", target_type="wish", target_id=wish_id,
                           detail={"volunteer": volunteer_id, "organization": organization_id,
                                   "resource": resource_id})
        for user_id in await _helper_users(volunteer_id=volunteer_id, organization_id=organization_id):
            await notify(recipient_id=user_id, kind="wish_matched", target_key=f"wish:{wish_id}",
                         title=f"您已被确认为微心愿“{rows[0]['title']}”的帮助者 / You were matched to a wish",
                         payload={"wish_id": wish_id})
    return await _detail(wish_id)


async def _move(*, actor: Actor, wish: dict[str, Any], to: str, allowed_from: tuple[str, ...],
                values: dict | None = None, audit: str, detail: dict | None = None) -> None:
    rows = await Wish.update({Wish.status: to, **(values or {})}).where(
        (Wish.id == wish["id"]) & Wish.status.is_in(list(allowed_from))).returning(Wish.id)
    if not rows:
        raise Conflict(f"a {wish['status']} wish cannot become {to}", code="wrong_status")
    await record_audit(actor_id=actor.id, action=audit, target_type="wish", target_id=wish["id"],
                       detail={"from": wish["status"], **(detail or {})})


async def start_wish(*, actor: Actor, wish_id: int) -> dict[str, Any]:
    """The helper starts work on a matched wish (in_progress)."""
    async with write_transaction():
        wish = await _helped_wish(actor=actor, wish_id=wish_id)
        await _move(actor=actor, wish=wish, to="in_progress", allowed_from=("matched",), audit="wish_start")
    return await _detail(wish_id)


async def fulfil_wish(*, actor: Actor, wish_id: int) -> dict[str, Any]:
    """The helper marks the wish fulfilled; the grid worker who posted it is asked to confirm."""
    async with write_transaction():
        wish = await _helped_wish(actor=actor, wish_id=wish_id)
        await _move(actor=actor, wish=wish, to="fulfilled", allowed_from=("matched", "in_progress"),
                    values={Wish.fulfilled_at: now_utc()}, audit="wish_fulfil")
        if wish["posted_by"]:
            await notify(recipient_id=wish["posted_by"], kind="wish_fulfilled", target_key=f"wish:{wish_id}",
                         title=f"微心愿“{wish['title']}”已完成，请与居民确认 / Please confirm with the resident",
                         payload={"wish_id": wish_id})
    return await _detail(wish_id)


async def confirm_wish(*, actor: Actor, wish_id: int, rating: int, comment: str = "") -> dict[str, Any]:
    """The grid worker confirms for the resident, with a 1-5 rating and a short comment."""
    if not 1 <= rating <= 5:
        raise InvalidInput("rating runs from 1 to 5", field="rating")
    async with write_transaction():
        wish = await _managed_wish(actor=actor, wish_id=wish_id)
        await _move(actor=actor, wish=wish, to="confirmed", allowed_from=("fulfilled",),
                    values={Wish.confirmed_at: now_utc(), Wish.rating: rating, Wish.rating_comment: comment.strip()},
                    audit="wish_confirm", detail={"rating": rating})
        for user_id in await _helper_users(volunteer_id=wish["helper_volunteer"],
                                           organization_id=wish["helper_organization"]):
            await notify(recipient_id=user_id, kind="wish_confirmed", target_key=f"wish:{wish_id}",
                         title=f"居民确认了微心愿“{wish['title']}”，谢谢您 / The resident confirmed, thank you",
                         payload={"wish_id": wish_id, "rating": rating})
    return await _detail(wish_id)


async def cancel_wish(*, actor: Actor, wish_id: int, reason: str) -> dict[str, Any]:
    """Staff or the grid's worker cancel an unfinished wish with a reason (kept in the audit log)."""
    if not reason.strip():
        raise InvalidInput("say why the wish is cancelled", field="reason")
    async with write_transaction():
        wish = await _managed_wish(actor=actor, wish_id=wish_id)
        await _move(actor=actor, wish=wish, to="cancelled",
                    allowed_from=tuple(s for s in ("submitted", "verified", "open", "matched", "in_progress",
                                                   "fulfilled")),
                    audit="wish_cancel", detail={"reason": reason.strip()})
        await withdraw_target_proposals(target_type="wish", target_id=wish_id, reason="wish cancelled")
        for user_id in await _helper_users(volunteer_id=wish["helper_volunteer"],
                                           organization_id=wish["helper_organization"]):
            await notify(recipient_id=user_id, kind="wish_cancelled", target_key=f"wish:{wish_id}",
                         title=f"微心愿“{wish['title']}”已取消 / The wish was cancelled", body=reason.strip(),
                         payload={"wish_id": wish_id})
    return await _detail(wish_id)
