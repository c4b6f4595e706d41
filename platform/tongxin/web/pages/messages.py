"""The signed-in person's messages."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from tongxin.notifications import service as notifications
from tongxin.web.pages.common import PAGE, lang_of, render, require
from tongxin.web.service import local_time


@get("/me/notifications", include_in_schema=False)
async def notifications_list(request: Request, offset: int = 0) -> Template:
    """The signed-in person's messages, newest first."""
    actor = await require(request)
    page = await notifications.notifications_page(recipient_id=actor.id, limit=PAGE, offset=max(offset, 0))
    for n in page["items"]:
        n["local_created"] = local_time(n["created_at"], lang_of(request))
    return await render(request, "notifications.html", page=page)


@post("/me/notifications/{notification_id:int}/read", include_in_schema=False)
async def notification_read(request: Request, notification_id: int) -> Template | Redirect:
    """Marks one's own message read; HTMX gets the updated item back, a plain form the list."""
    actor = await require(request)
    await notifications.mark_read(notification_id=notification_id, recipient_id=actor.id)
    if request.headers.get("hx-request") != "true":
        return Redirect(path="/me/notifications")
    page = await notifications.notifications_page(recipient_id=actor.id, limit=100)
    item = next((n for n in page["items"] if n["id"] == notification_id), None)
    if item is None:  # older than the first hundred: the whole list is the simplest answer
        return Redirect(path="/me/notifications")
    item["local_created"] = local_time(item["created_at"], lang_of(request))
    return await render(request, "notification_item.html", n=item)
