"""Notification request and response structs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class NotificationOut(msgspec.Struct):
    id: int
    kind: str
    target_key: str
    title: str
    body: str
    payload: dict[str, Any]
    created_at: datetime
    sent_at: datetime | None = None
    read_at: datetime | None = None


class NotificationPage(msgspec.Struct):
    items: list[NotificationOut]
    total: int
    unread: int
    limit: int
    offset: int


class ReadOut(msgspec.Struct):
    id: int
    read_at: datetime
