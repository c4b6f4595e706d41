"""Micro-wishes (微心愿): posted by grid workers for households, kept apart from the household's identity.

Lifecycle: submitted → open (verified) → matched → in_progress → fulfilled → confirmed, or cancelled.
The grid worker's own title and text stay private; the redactor proposes a public title and text, which the
grid worker may change by editing the wish until staff verify it, and which staff edit and approve at
verification. The public sees only that approved text, of open and matched wishes. The household's name,
phone and address, and the original text, are read by staff, grid workers of the wish's grid and the
approved helper, and every such read is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterable

from tongxin.accounts.service import Actor, record_audit
from tongxin.accounts.tables import Grid
from tongxin.dates import LOCAL_TZ
from tongxin.db import write_transaction
from tongxin.errors import Conflict, InvalidInput, NotFound
from tongxin.language import texts
from tongxin.matches.withdrawal import withdraw_target_proposals
from tongxin.notifications.service import notify
from tongxin.organizations.tables import Organization, OrganizationMember, ResourceOffer
from tongxin.volunteers.tables import Skill, Volunteer
from tongxin.wishes import redaction
from tongxin.wishes.tables import WISH_CATEGORIES, Household, Wish

PUBLIC_STATUSES = ("open", "matched")
HELPER_STATUSES = ("matched", "in_progress", "fulfilled")  # when the helper may read the household
FINAL_STATUSES = ("confirmed", "cancelled")
WISH_SORTS = {
    "needed_by": (Wish.needed_by, True), "-needed_by": (Wish.needed_by, False),
    "urgency": (Wish.urgency, False), "-urgency": (Wish.urgency, True),  # "urgency": most urgent first
    "created": (Wish.created_at, True), "-created": (Wish.created_at, False),
}

def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def _page(items: list, total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


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


@dataclass(frozen=True)
class _Fields:
    """What a grid worker writes about a wish and its household, posted or edited (all of it private)."""

    household_name: str
    category: str
    title: str
    description: str = ""
    household_phone: str = ""
    household_address: str = ""
    needed_by: date | None = None
    urgency: int = 2
    skills_needed: tuple[str, ...] = ()


async def _checked(fields: _Fields, today: date | None) -> tuple[_Fields, str, str]:
    """The fields trimmed and checked, with the proposed public title and text; `InvalidInput` says what to fix."""
    if fields.category not in WISH_CATEGORIES:
        raise InvalidInput(f"category is one of {', '.join(WISH_CATEGORIES)}", field="category", code="unknown_code")
    if not 1 <= fields.urgency <= 3:
        raise InvalidInput("urgency runs from 1 (can wait) to 3 (urgent)", field="urgency", code="unknown_code")
    today = today or datetime.now(LOCAL_TZ).date()
    if fields.needed_by is not None and fields.needed_by < today:
        raise InvalidInput("the needed-by date has passed", field="needed_by", code="needed_by_passed")
    fields = _Fields(
        household_name=fields.household_name.strip(), category=fields.category, title=fields.title.strip(),
        description=fields.description.strip(), household_phone=fields.household_phone.strip(),
        household_address=fields.household_address.strip(), needed_by=fields.needed_by, urgency=fields.urgency,
        skills_needed=tuple(dict.fromkeys(fields.skills_needed)))
    if not fields.household_name:
        raise InvalidInput("the household's name is required", field="household_name", code="required")
    if not fields.title:
        raise InvalidInput("the title is required", field="title", code="required")
    if fields.skills_needed:
        known = {r["code"] for r in await Skill.select(Skill.code).where(Skill.code.is_in(list(fields.skills_needed)))}
        unknown = [s for s in fields.skills_needed if s not in known]
        if unknown:
            raise InvalidInput(f"unknown skill(s): {', '.join(unknown)}", field="skills_needed")
    facts = _facts(fields.household_name, fields.household_phone, fields.household_address)
    public_title = redaction.redact(fields.title, facts)
    if not _says_something(public_title):
        raise InvalidInput("the title may not consist of the household's details: say what is needed",
                           field="title", code="title_only_household")
    if len(public_title) > 100:
        raise InvalidInput("shorten the title: with the household's details hidden it is over 100 characters",
                           field="title", code="too_long")
    return fields, public_title, redaction.redact(fields.description, facts)


def _facts(name: str, phone: str, address: str) -> redaction.HouseholdFacts:
    return redaction.HouseholdFacts(name=name, phone=phone, address=address)


def _says_something(text: str) -> bool:
    """Whether anything is left once the placeholders (某某, 〔电话已隐去〕...) and punctuation are gone."""
    return bool(re.sub(r"〔[^〕]*〕|某|[\s\W_]", "", text))


async def post_wish(
    *, actor: Actor, grid_id: int, household_name: str, household_phone: str = "", household_address: str = "",
    category: str, title: str, description: str = "", needed_by: date | None = None, urgency: int = 2,
    skills_needed: Iterable[str] = (), today: date | None = None,
) -> dict[str, Any]:
    """A grid worker posts a wish for a household of their grid; it waits for staff with a proposed public text."""
    fields = _Fields(household_name=household_name, household_phone=household_phone,
                     household_address=household_address, category=category, title=title, description=description,
                     needed_by=needed_by, urgency=urgency, skills_needed=tuple(skills_needed))
    grid = await Grid.select(Grid.id, Grid.community, Grid.lat, Grid.lon).where(Grid.id == grid_id).first()
    if grid is None or not actor.may_see_grid(grid_id):
        raise InvalidInput("you can post wishes only for households of your own grids", field="grid_id")
    fields, public_title, public_text = await _checked(fields, today)
    async with write_transaction():
        household = await Household.insert(Household(
            grid=grid_id, name=fields.household_name, phone=fields.household_phone,
            address=fields.household_address, created_by=actor.id,
        )).returning(Household.id)
        rows = await Wish.insert(Wish(
            household=household[0]["id"], grid=grid_id, community=grid["community"], posted_by=actor.id,
            category=fields.category, title=public_title, public_text=public_text,
            original_title=fields.title, original_text=fields.description, needed_by=fields.needed_by,
            urgency=fields.urgency, skills_needed=list(fields.skills_needed), status="submitted",
            lat=grid["lat"], lon=grid["lon"],
        )).returning(Wish.id)
        await record_audit(actor_id=actor.id, action="wish_post", target_type="wish", target_id=rows[0]["id"])
    return await _detail(rows[0]["id"])


async def edit_wish(
    *, actor: Actor, wish_id: int, household_name: str, household_phone: str = "", household_address: str = "",
    category: str, title: str, description: str = "", needed_by: date | None = None, urgency: int = 2,
    skills_needed: Iterable[str] = (), today: date | None = None,
) -> dict[str, Any]:
    """The grid's worker (or staff) rewrites a wish before staff verify it; the public text is proposed anew."""
    fields = _Fields(household_name=household_name, household_phone=household_phone,
                     household_address=household_address, category=category, title=title, description=description,
                     needed_by=needed_by, urgency=urgency, skills_needed=tuple(skills_needed))
    fields, public_title, public_text = await _checked(fields, today)
    async with write_transaction():
        wish = await _managed_wish(actor=actor, wish_id=wish_id)
        rows = await Wish.update({
            Wish.category: fields.category, Wish.title: public_title, Wish.public_text: public_text,
            Wish.original_title: fields.title, Wish.original_text: fields.description,
            Wish.needed_by: fields.needed_by, Wish.urgency: fields.urgency,
            Wish.skills_needed: list(fields.skills_needed),
        }).where((Wish.id == wish_id) & (Wish.status == "submitted")).returning(Wish.id)
        if not rows:
            raise Conflict("only a submitted wish can be edited: staff have verified or cancelled it",
                           code="not_editable")
        await Household.update({
            Household.name: fields.household_name, Household.phone: fields.household_phone,
            Household.address: fields.household_address,
        }).where(Household.id == wish["household"])
        await record_audit(actor_id=actor.id, action="wish_edit", target_type="wish", target_id=wish_id)
    return await _detail(wish_id)


async def verify_wish(*, actor: Actor, wish_id: int, title: str | None = None,
                      public_text: str | None = None) -> dict[str, Any]:
    """Staff approve a submitted wish's public title and text (as proposed, or as they edited them): it opens.

    The approved text may not show the household's own name, phone or address in any form.
    """
    if not actor.is_staff:
        raise NotFound("wish not found")
    async with write_transaction():
        wish = await Wish.select(Wish.status, Wish.title, Wish.public_text, Wish.household.name.as_alias("name"),
                                 Wish.household.phone.as_alias("phone"),
                                 Wish.household.address.as_alias("address")).where(Wish.id == wish_id).first()
        if wish is None:
            raise NotFound("wish not found")
        if wish["status"] != "submitted":
            raise Conflict("only a submitted wish can be verified", code="wrong_status")
        approved = {"title": (wish["title"] if title is None else title).strip(),
                    "public_text": (wish["public_text"] if public_text is None else public_text).strip()}
        if len(approved["title"]) < 2:
            raise InvalidInput("the public title needs at least 2 characters", field="title")
        facts = _facts(wish["name"], wish["phone"], wish["address"])
        for field, text in approved.items():
            kinds = sorted({f.kind for f in redaction.find(text, facts) if f.own})
            if kinds:
                raise InvalidInput(f"the public {field.replace('_', ' ')} still shows the household's "
                                   f"{', '.join(kinds)}: remove it", field=field, code="household_in_public_text")
        rows = await Wish.update({
            Wish.status: "open", Wish.verified_by: actor.id, Wish.verified_at: now_utc(),
            Wish.title: approved["title"], Wish.public_text: approved["public_text"],
        }).where((Wish.id == wish_id) & (Wish.status == "submitted")).returning(Wish.id)
        if not rows:
            raise Conflict("only a submitted wish can be verified", code="wrong_status")
        edited = approved != {"title": wish["title"], "public_text": wish["public_text"]}
        await record_audit(actor_id=actor.id, action="wish_verify", target_type="wish", target_id=wish_id,
                           detail={"edited": edited})
    return await _detail(wish_id)


async def hide_households_in_published(*, dry_run: bool = False) -> dict[str, int]:
    """Wishes approved before this review whose public title or text still shows their own household: hidden.

    Only the household's own name, phone and address go; the rest of what staff approved stays as it is.
    """
    rows = await Wish.select(
        Wish.id, Wish.title, Wish.public_text, Wish.household.name.as_alias("name"),
        Wish.household.phone.as_alias("phone"), Wish.household.address.as_alias("address"),
    ).where(Wish.status != "submitted")
    changed = 0
    for row in rows:
        facts = _facts(row["name"], row["phone"], row["address"])
        hidden = {"title": redaction.redact(row["title"], facts, only_own=True),
                  "public_text": redaction.redact(row["public_text"], facts, only_own=True)}
        if hidden == {"title": row["title"], "public_text": row["public_text"]}:
            continue
        changed += 1
        if dry_run:
            continue
        async with write_transaction():
            await Wish.update({Wish.title: hidden["title"][:100], Wish.public_text: hidden["public_text"]}).where(
                (Wish.id == row["id"]) & (Wish.title == row["title"]) & (Wish.public_text == row["public_text"]))
            await record_audit(actor_id=None, action="wish_hide_household", target_type="wish", target_id=row["id"])
    return {"checked": len(rows), "changed": changed}


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
    """The household's name, phone and address, and the wish's original text; each read is audited.

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
    original = await Wish.select(Wish.original_title.as_alias("title"), Wish.original_text.as_alias("text")).where(
        Wish.id == wish_id).first()
    await record_audit(actor_id=actor.id, action="view_household", target_type="household",
                       target_id=household["id"], detail={"wish": wish_id, "as_helper": as_helper})
    return {"wish": await _detail(wish_id), "household": household, "original": original}


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
    resource_id: int | None = None, accepted_invitation: bool = False,
) -> dict[str, Any]:
    """The open wish is matched to its helper, who is notified: staff approved an organization's resource,
    or a volunteer accepted the invitation staff approved (`accepted_invitation`).

    Give a volunteer, or an organization, or a resource offer (its organization becomes the helper).
    Call inside the caller's transaction if the proposal's approval is written there too.
    """
    if not (actor.is_staff or accepted_invitation):
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
                         title=texts("notify_wish_matched", title=rows[0]["title"]),
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
                         title=texts("notify_wish_fulfilled", title=wish["title"]),
                         payload={"wish_id": wish_id})
    return await _detail(wish_id)


async def confirm_wish(*, actor: Actor, wish_id: int, rating: int, comment: str = "") -> dict[str, Any]:
    """The grid worker confirms for the resident, with a 1-5 rating and a short comment."""
    if not 1 <= rating <= 5:
        raise InvalidInput("rating runs from 1 to 5", field="rating", code="out_of_range")
    async with write_transaction():
        wish = await _managed_wish(actor=actor, wish_id=wish_id)
        await _move(actor=actor, wish=wish, to="confirmed", allowed_from=("fulfilled",),
                    values={Wish.confirmed_at: now_utc(), Wish.rating: rating, Wish.rating_comment: comment.strip()},
                    audit="wish_confirm", detail={"rating": rating})
        for user_id in await _helper_users(volunteer_id=wish["helper_volunteer"],
                                           organization_id=wish["helper_organization"]):
            await notify(recipient_id=user_id, kind="wish_confirmed", target_key=f"wish:{wish_id}",
                         title=texts("notify_wish_confirmed", title=wish["title"]),
                         payload={"wish_id": wish_id, "rating": rating})
    return await _detail(wish_id)


async def cancel_wish(*, actor: Actor, wish_id: int, reason: str) -> dict[str, Any]:
    """Staff or the grid's worker cancel an unfinished wish with a reason (kept in the audit log)."""
    if not reason.strip():
        raise InvalidInput("say why the wish is cancelled", field="reason", code="reason_required")
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
                         title=texts("notify_wish_cancelled", title=wish["title"]), body=reason.strip(),
                         payload={"wish_id": wish_id})
    return await _detail(wish_id)
