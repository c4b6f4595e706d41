"""The notification outbox: one row per message, sent by the scheduler, never lost on restart."""

from piccolo.columns import JSON, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from tongxin.accounts.tables import User


class Notification(Table):
    """Outbox row, unique by (recipient, kind, target_key), sent by the scheduler."""

    recipient = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    kind = Varchar(length=32)
    target_key = Varchar(length=64)
    channel = Varchar(length=16, default="in_app")
    title = Varchar(length=200)
    body = Text(default="")
    payload = JSON(default="{}")
    attempts = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    read_at = Timestamptz(null=True, default=None)
