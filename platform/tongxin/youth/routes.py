"""Youth-roster endpoints: guardians apply and withdraw, staff assess and activate, squads."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, get, post, put
from litestar.di import Provide

from tongxin.accounts.guards import provide_actor, provide_optional_actor, role_in
from tongxin.accounts.service import Actor
from tongxin.errors import NotFound
from tongxin.paging import Limit, Offset
from tongxin.youth import schemas, service
from tongxin.youth.schemas import YouthStatus

ACTOR = {"actor": Provide(provide_actor)}
# Single records answer 404 to anonymous callers too, like to anyone else who may not see them.
MAYBE_ACTOR = {"actor": Provide(provide_optional_actor)}


class YouthController(Controller):
    path = "/api/youth"
    tags = ["youth roster"]

    @get("/consent-text")
    async def consent_text(self) -> schemas.ConsentTextOut:
        """The consent text (zh/en) and its version a guardian agrees to (public)."""
        return msgspec.convert(service.consent_text(), schemas.ConsentTextOut)

    @post("/", guards=[role_in("guardian")], dependencies=ACTOR, status_code=201)
    async def apply(self, actor: Actor, data: schemas.YouthApplicationIn) -> schemas.YouthOut:
        """A guardian applies for a child (8-17) with consent; the child starts as an applicant."""
        row = await service.apply_for_child(
            actor=actor, child_name=data.child_name, birth_date=data.birth_date,
            community_id=data.community_id, grid_id=data.grid_id, relationship=data.relationship,
            consent=data.consent, consent_text_version=data.consent_text_version,
        )
        return msgspec.convert(row, schemas.YouthOut)

    @get("/", guards=[role_in("guardian", "staff")], dependencies=ACTOR)
    async def list_youth(
        self, actor: Actor, status: YouthStatus | None = None, community_id: int | None = None,
        sort: Literal["created", "-created", "name", "status"] = "-created",
        limit: Limit = 20, offset: Offset = 0,
    ) -> schemas.YouthPage:
        """Guardians: their own children. Staff: the whole roster."""
        page = await service.list_youth(actor=actor, status=status, community_id=community_id, sort=sort,
                                        limit=limit, offset=offset)
        return msgspec.convert(page, schemas.YouthPage)

    @get("/squads", guards=[role_in("staff")], dependencies=ACTOR)
    async def squads(self, actor: Actor, limit: Limit = 20, offset: Offset = 0) -> schemas.SquadPage:
        """Every community squad with its active members (staff)."""
        return msgspec.convert(await service.list_squads(actor=actor, limit=limit, offset=offset),
                               schemas.SquadPage)

    @get("/{youth_id:int}", dependencies=MAYBE_ACTOR)
    async def get_youth(self, actor: Actor | None, youth_id: int) -> schemas.YouthOut:
        """A minor's record: the guardian and staff only; anyone else 404."""
        if actor is None:
            raise NotFound("youth member not found")
        return msgspec.convert(await service.get_youth(actor=actor, youth_id=youth_id), schemas.YouthOut)

    @put("/{youth_id:int}/assessments/{kind:str}", guards=[role_in("staff")], dependencies=ACTOR)
    async def record_assessment(self, actor: Actor, youth_id: int, kind: str,
                                data: schemas.AssessmentIn) -> schemas.YouthOut:
        """Record (or re-record) one of the three assessments; all passed → assessed."""
        row = await service.record_assessment(actor=actor, youth_id=youth_id, kind=kind, passed=data.passed,
                                              score=data.score, notes=data.notes)
        return msgspec.convert(row, schemas.YouthOut)

    @post("/{youth_id:int}/activate", guards=[role_in("staff")], dependencies=ACTOR, status_code=200)
    async def activate(self, actor: Actor, youth_id: int) -> schemas.YouthOut:
        """Activate an assessed child into the community squad (created if missing)."""
        return msgspec.convert(await service.activate_youth(actor=actor, youth_id=youth_id), schemas.YouthOut)

    @post("/{youth_id:int}/withdraw", guards=[role_in("guardian")], dependencies=ACTOR, status_code=200)
    async def withdraw(self, actor: Actor, youth_id: int) -> schemas.WithdrawalOut:
        """Withdraw consent: the child leaves every future sign-up and proposal at once."""
        return msgspec.convert(await service.withdraw_consent(actor=actor, youth_id=youth_id),
                               schemas.WithdrawalOut)


ROUTES = [YouthController]
