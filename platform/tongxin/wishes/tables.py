"""Micro-wishes (微心愿) and the households behind them; identity kept apart from the wish."""

from piccolo.columns import (
    JSON,
    Date,
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

from tongxin.accounts.tables import Community, Grid, User
from tongxin.organizations.tables import Organization, ResourceOffer
from tongxin.volunteers.tables import Volunteer

WISH_STATUSES = (
    "submitted", "verified", "open", "matched", "in_progress", "fulfilled", "confirmed", "cancelled",
)
WISH_CATEGORIES = ("daily_goods", "study", "repair", "companionship", "health", "other")


class Household(Table):
    """A resident household: every column here is sensitive (staff and approved helper only)."""

    grid = ForeignKey(references=Grid, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=64)
    phone = Varchar(length=32, default="")
    address = Varchar(length=200, default="")
    note = Text(default="")
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class Wish(Table):
    """submitted → verified → open → matched → in_progress → fulfilled → confirmed / cancelled."""

    household = ForeignKey(references=Household, null=False, on_delete=OnDelete.restrict)
    grid = ForeignKey(references=Grid, null=False, on_delete=OnDelete.restrict)
    community = ForeignKey(references=Community, null=False, on_delete=OnDelete.restrict)
    posted_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    category = Varchar(length=32)
    title = Varchar(length=100)  # public once staff verify: until then the proposed redaction
    public_text = Text(default="")  # public once staff verify: until then the proposed redaction
    # The grid worker's own words: as sensitive as the household (staff, the grid's workers, the helper).
    original_title = Varchar(length=100, default="")
    original_text = Text(default="")
    needed_by = Date(null=True, default=None)
    urgency = Integer(default=2)
    skills_needed = JSON(default="[]")
    status = Varchar(length=16, default="submitted", index=True)
    lat = DoublePrecision(null=True, default=None)
    lon = DoublePrecision(null=True, default=None)
    verified_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    verified_at = Timestamptz(null=True, default=None)
    helper_volunteer = ForeignKey(references=Volunteer, null=True, on_delete=OnDelete.set_null)
    helper_organization = ForeignKey(references=Organization, null=True, on_delete=OnDelete.set_null)
    helper_resource = ForeignKey(references=ResourceOffer, null=True, on_delete=OnDelete.set_null)
    fulfilled_at = Timestamptz(null=True, default=None)
    confirmed_at = Timestamptz(null=True, default=None)
    rating = Integer(null=True, default=None)
    rating_comment = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
