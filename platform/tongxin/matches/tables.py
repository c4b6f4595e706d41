"""Model versions, matching runs and the proposals staff decide on."""

from piccolo.columns import (
    JSON,
    Boolean,
    Bytea,
    ForeignKey,
    Integer,
    Real,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from tongxin.accounts.tables import User
from tongxin.volunteers.tables import Volunteer

PROPOSAL_STATUSES = ("proposed", "approved", "rejected", "withdrawn")
INVITATION_STATUSES = ("pending", "accepted", "declined", "expired", "withdrawn")
TARGET_TYPES = ("occurrence", "wish")
CANDIDATE_TYPES = ("volunteer", "organization", "resource", "leader")  # leader: named by the organization


class ModelVersion(Table):
    """A trained scorer (skops bytes) with its held-out metrics and the library versions it was trained
    with (python, numpy, scipy, sklearn, skops: an artifact may not load under others); one is active."""

    version = Varchar(length=64, unique=True)
    kind = Varchar(length=16)
    artifact = Bytea(null=True, default=None)
    metrics = JSON(default="{}")
    libraries = JSON(default="{}")
    n_training = Integer(default=0)
    is_active = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class MatchRun(Table):
    """One matching batch: its scope, seed, model and how many proposals it wrote."""

    scope = Varchar(length=32, default="district")
    community = Integer(null=True, default=None)
    model_version = Varchar(length=64, default="")
    seed = Integer(default=0)
    n_targets = Integer(default=0)
    n_proposals = Integer(default=0)
    utility = Real(default=0.0)
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    started_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)


class Proposal(Table):
    """A candidate for a target; decided once (conditional update on status='proposed')."""

    run = ForeignKey(references=MatchRun, null=True, on_delete=OnDelete.set_null)
    target_type = Varchar(length=16)
    target_id = Integer()
    candidate_type = Varchar(length=16)
    candidate_id = Integer()
    score = Real(default=0.0)
    features = JSON(default="{}")
    explanation = JSON(default="[]")
    model_version = Varchar(length=64, default="")
    status = Varchar(length=16, default="proposed", index=True)
    decided_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    decided_at = Timestamptz(null=True, default=None)
    reason = Text(default="")
    outcome = Varchar(length=16, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Invitation(Table):
    """A staff-approved match put to the person (or a child's guardian): pending → accepted (a sign-up or
    the wish's helper), declined or expired. Nobody is committed without saying yes."""

    proposal = ForeignKey(references=Proposal, null=False, unique=True, on_delete=OnDelete.cascade)
    volunteer = ForeignKey(references=Volunteer, null=False, on_delete=OnDelete.cascade)
    recipient = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    target_type = Varchar(length=16)
    target_id = Integer()
    status = Varchar(length=16, default="pending", index=True)
    expires_at = Timestamptz()
    responded_at = Timestamptz(null=True, default=None)
    reason = Text(default="")
    sign_up = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
