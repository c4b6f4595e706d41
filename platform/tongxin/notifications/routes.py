"""Everyone reads their own in-app messages and marks them read."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.di import Provide

from tongxin.accounts.guards import provide_actor, signed_in
from tongxin.accounts.service import Actor
from tongxin.notifications import schemas, service
from tongxin.paging import Limit, Offset


class NotificationController(Controller):
    path = "/api/notifications"
    tags = ["notifications"]
    guards = [signed_in]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/")
    async def list_notifications(self, actor: Actor, limit: Limit = 20, offset: Offset = 0,
                                 unread: bool = False) -> schemas.NotificationPage:
        """Your own in-app messages, newest first, with the unread count."""
        page = await service.notifications_page(recipient_id=actor.id, limit=limit, offset=offset,
                                                unread_only=unread)
        return msgspec.convert(page, schemas.NotificationPage)

    @post("/{notification_id:int}/read", status_code=200)
    async def mark_read(self, actor: Actor, notification_id: int) -> schemas.ReadOut:
        """Mark one of your messages read (404 for anyone else's)."""
        return msgspec.convert(await service.mark_read(notification_id=notification_id, recipient_id=actor.id),
                               schemas.ReadOut)


ROUTES = [NotificationController]
