"""Social organizations, their members and what they offer."""

from piccolo.columns import (
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from tongxin.accounts.tables import Community, User

ORGANIZATION_KINDS = ("social_organization", "rescue_team", "enterprise_group", "charity")
ORGANIZATION_STATUSES = ("pending", "approved", "rejected", "suspended")


class Organization(Table):
    """pending → approved → suspended (or rejected)."""

    name = Varchar(length=120, unique=True)
    kind = Varchar(length=32)
    status = Varchar(length=16, default="pending", index=True)
    description = Text(default="")
    contact_name = Varchar(length=64, default="")
    contact_phone = Varchar(length=32, default="")
    community = ForeignKey(references=Community, null=True, on_delete=OnDelete.set_null)
    lat = DoublePrecision(null=True, default=None)
    lon = DoublePrecision(null=True, default=None)
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)
    decision_reason = Text(default="")


class OrganizationMember(Table):
    """A user belongs to at most one organization (unique user)."""

    organization = ForeignKey(references=Organization, null=False, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, null=False, unique=True, on_delete=OnDelete.cascade)
    is_manager = Boolean(default=True)


class ResourceOffer(Table):
    """Goods, money or services an organization offers; can fulfil wishes."""

    organization = ForeignKey(references=Organization, null=False, on_delete=OnDelete.cascade)
    title = Varchar(length=120)
    category = Varchar(length=32)
    kind = Varchar(length=16, default="goods")
    quantity = Integer(default=1)
    remaining = Integer(default=1)
    description = Text(default="")
    status = Varchar(length=16, default="open")
    created_at = Timestamptz(default=TimestamptzNow())
