"""Scheduling: the notification outbox (more jobs arrive with the scheduler)."""

from __future__ import annotations

from typing import Any

from tongxin.scheduling.tables import Notification


async def notify(
    *, recipient_id: int, kind: str, target_key: str, title: str, body: str = "",
    payload: dict[str, Any] | None = None,
) -> bool:
    """Queue one message; the same (recipient, kind, target) is queued once. True if queued now."""
    rows = await Notification.insert(Notification(
        recipient=recipient_id, kind=kind, target_key=target_key, title=title, body=body,
        payload=payload or {},
    )).on_conflict(action="DO NOTHING").returning(Notification.id)
    return bool(rows)


async def list_notifications(*, recipient_id: int, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """A person's in-app messages, newest first."""
    return await Notification.select(
        Notification.id, Notification.kind, Notification.title, Notification.body,
        Notification.created_at, Notification.sent_at, Notification.read_at,
    ).where(Notification.recipient == recipient_id).order_by(
        Notification.id, ascending=False).limit(limit).offset(offset)
