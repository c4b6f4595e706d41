"""Invitations as pages: a staff-approved match put to the person (or a child's guardian) to answer."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from tongxin.activities import invitations as accepting
from tongxin.errors import DomainError
from tongxin.matches import invitations
from tongxin.web import i18n
from tongxin.web.pages.common import PAGE, lang_of, render, require
from tongxin.web.service import local_time

INVITATION_FILTERS = ("pending", "accepted", "declined", "expired")


async def _listing(request: Request, status: str, offset: int, error: str = "", status_code: int = 200) -> Template:
    actor = await require(request, "volunteer", "guardian")
    page = await invitations.list_invitations(actor=actor, status=status or None, limit=PAGE, offset=max(offset, 0))
    for item in page["items"]:
        item["local_start"] = local_time(item["starts_at"], lang_of(request)) if item["starts_at"] else ""
        item["local_expires"] = local_time(item["expires_at"], lang_of(request))
    return await render(request, "invitations.html", status_code=status_code, page=page, status=status,
                        filters=INVITATION_FILTERS, error=error)


@get("/me/invitations", include_in_schema=False)
async def invitations_page(request: Request, status: str = "pending", offset: int = 0) -> Template:
    """The invitations the signed-in person answers (their own or their children's): pending first."""
    return await _listing(request, status if status in INVITATION_FILTERS else "", offset)


@post("/me/invitations/{invitation_id:int}/accept", include_in_schema=False)
async def invitation_accept(request: Request, invitation_id: int) -> Template | Redirect:
    """Say yes: the sign-up (or the wish's help) is made now, or the page says why it can't be."""
    actor = await require(request, "volunteer", "guardian")
    try:
        answer = await accepting.accept(actor=actor, invitation_id=invitation_id)
    except DomainError as exc:
        return await _listing(request, "pending", 0, status_code=exc.status,
                              error=i18n.error_text(exc.code, exc.message, lang_of(request)))
    result = answer["result"]
    if isinstance(result, dict) and result.get("status") == "waitlisted":
        return Redirect(path=f"/me/invitations?status=accepted&done=waitlisted&n={result.get('waitlist_position', '')}")
    return Redirect(path="/me/invitations?status=accepted&done=invitation_yes")


@post("/me/invitations/{invitation_id:int}/decline", include_in_schema=False)
async def invitation_decline(request: Request, invitation_id: int) -> Template | Redirect:
    """Say no, with an optional reason; nobody is asked about this pair again."""
    actor = await require(request, "volunteer", "guardian")
    form = await request.form()
    try:
        await invitations.decline(actor=actor, invitation_id=invitation_id, reason=form.get("reason", "").strip())
    except DomainError as exc:
        return await _listing(request, "pending", 0, status_code=exc.status,
                              error=i18n.error_text(exc.code, exc.message, lang_of(request)))
    return Redirect(path="/me/invitations?status=declined&done=invitation_no")
