"""Notifications: the outbox, reading one's own messages, and the senders of each channel.

Below every domain that tells people things (organizations, volunteers, activities, wishes, matches),
so any of them may call `notify`; the scheduler's `send_outbox` job delivers the queued rows.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Protocol

from piccolo.utils.encoding import dump_json

from tongxin.accounts.tables import User
from tongxin.db import current_engine
from tongxin.errors import NotFound
from tongxin.language import language_of
from tongxin.memory import BriefMemory
from tongxin.notifications.tables import Notification
from tongxin.paging import page_bounds

log = logging.getLogger("tongxin.notifications")
MAX_SEND_ATTEMPTS = 8


def _now() -> datetime:
    return datetime.now(timezone.utc)


# A message in each language the pages speak: {"zh-CN": "...", "en": "..."}; plain text is one language.
Text = str | dict[str, str]


def in_language(text: Text, locale: str) -> str:
    """The reader's half of a two-language text (Chinese when the reader's language is missing)."""
    if isinstance(text, str):
        return text
    return text.get(locale) or text.get("zh-CN") or next(iter(text.values()), "")


async def notify(
    *, recipient_id: int, kind: str, target_key: str, title: Text, body: Text = "",
    payload: dict[str, Any] | None = None, locale: str | None = None,
) -> bool:
    """Queue one message in the recipient's own language; the same (recipient, kind, target) is queued once.
    `locale`: the recipient's language setting when the caller has read it already. True if queued now."""
    language = "zh-CN"
    if not (isinstance(title, str) and isinstance(body, str)):
        if locale is None:
            row = await User.select(User.locale).where(User.id == recipient_id).first()
            locale = row["locale"] if row else None
        language = language_of(locale) if locale is not None else language
    rows = await Notification.raw(
        "INSERT INTO notification (recipient, kind, target_key, channel, title, body, payload, attempts, created_at, "
        "sent_at, read_at) VALUES ({}, {}, {}, 'in_app', {}, {}, {}, 0, {}, NULL, NULL) ON CONFLICT DO NOTHING "
        "RETURNING id", recipient_id, kind, target_key, in_language(title, language)[:200], in_language(body, language),
        dump_json(payload or {}), _now())
    return bool(rows)


async def list_notifications(*, recipient_id: int, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """A person's in-app messages, newest first."""
    return await Notification.select(
        Notification.id, Notification.kind, Notification.title, Notification.body,
        Notification.created_at, Notification.sent_at, Notification.read_at,
    ).where(Notification.recipient == recipient_id).order_by(
        Notification.id, ascending=False).limit(limit).offset(offset)


async def notifications_page(*, recipient_id: int, limit: int = 20, offset: int = 0,
                             unread_only: bool = False) -> dict[str, Any]:
    """A page of a person's in-app messages, newest first, with the total and the unread count."""
    limit, offset = page_bounds(limit, offset)
    where = Notification.recipient == recipient_id
    if unread_only:
        where = where & Notification.read_at.is_null()
    items = await Notification.select(
        Notification.id, Notification.kind, Notification.target_key, Notification.title,
        Notification.body, Notification.payload, Notification.created_at, Notification.sent_at,
        Notification.read_at,
    ).where(where).order_by(Notification.id, ascending=False).limit(limit).offset(offset).output(load_json=True)
    total = await Notification.count().where(where)
    unread = await Notification.count().where(
        (Notification.recipient == recipient_id) & Notification.read_at.is_null())
    return {"items": items, "total": total, "unread": unread, "limit": limit, "offset": offset}


async def mark_read(*, notification_id: int, recipient_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Mark one of your own messages read (the first reading time stays); others' are NotFound."""
    row = await Notification.select(Notification.id, Notification.read_at).where(
        (Notification.id == notification_id) & (Notification.recipient == recipient_id)).first()
    if row is None:
        raise NotFound("notification not found")
    read_at = row["read_at"]
    if read_at is None:
        read_at = now or _now()
        await Notification.update({Notification.read_at: read_at}).where(
            (Notification.id == notification_id) & Notification.read_at.is_null())
    return {"id": notification_id, "read_at": read_at}


class Sender(Protocol):
    """Delivers one notification over a channel; raising means "failed, try again later"."""

    channel: str

    async def send(self, notification: dict[str, Any]) -> None: ...


class InAppSender:
    """In-app messages are the outbox rows themselves: delivering one is marking it sent."""

    channel = "in_app"

    async def send(self, notification: dict[str, Any]) -> None:
        return None


SENDERS: dict[str, Sender] = {"in_app": InAppSender()}


async def send_outbox(*, now: datetime, senders: dict[str, Sender] | None = None,
                      batch: int = 500) -> dict[str, int]:
    """Send unsent messages; each try is claimed by bumping `attempts`, failures wait for the next run."""
    senders = SENDERS if senders is None else senders
    rows = await Notification.select().where(
        Notification.sent_at.is_null() & (Notification.attempts < MAX_SEND_ATTEMPTS)
    ).order_by(Notification.id).limit(batch).output(load_json=True)
    sent = failed = 0
    for row in rows:
        # Conditional on the attempts we read: a second scheduler sending the same row gets nothing.
        claimed = await Notification.update({Notification.attempts: Notification.attempts + 1}).where(
            (Notification.id == row["id"]) & Notification.sent_at.is_null()
            & (Notification.attempts == row["attempts"])).returning(Notification.id)
        if not claimed:
            continue
        sender = senders.get(row["channel"])
        try:
            if sender is None:
                raise LookupError(f"no sender for channel {row['channel']!r}")
            await sender.send(row)
        except Exception as exc:  # any channel failure: counted, retried on a later run
            failed += 1
            log.warning("notification %s via %s failed (try %s): %s", row["id"], row["channel"],
                        row["attempts"] + 1, exc)
            continue
        await Notification.update({Notification.sent_at: now}).where(Notification.id == row["id"])
        sent += 1
    return {"sent": sent, "failed": failed}


_UNREAD = BriefMemory("reads")


async def unread_count(*, recipient_id: int) -> int:
    """How many of a person's messages are unread (the header's badge); a page header repeats it from
    memory until anything is written, in this process or (heard through the change feed) another."""
    return await _UNREAD.recall((id(current_engine()), recipient_id), lambda: Notification.count().where(
        (Notification.recipient == recipient_id) & Notification.read_at.is_null()).run())
