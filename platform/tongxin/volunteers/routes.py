"""Volunteer and youth-roster endpoints: parse, authorize by role, call the service, shape the answer."""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.di import Provide

from tongxin.accounts.guards import provide_actor, provide_optional_actor, role_in
from tongxin.accounts.service import Actor
from tongxin.errors import NotFound
from tongxin.paging import Limit, Offset
from tongxin.volunteers import schemas, service

ACTOR = {"actor": Provide(provide_actor)}
# Single records answer 404 to anonymous callers too, like to anyone else who may not see them.
MAYBE_ACTOR = {"actor": Provide(provide_optional_actor)}


class VolunteerController(Controller):
    path = "/api/volunteers"
    tags = ["volunteers"]

    @get("/lookups")
    async def lookups(self) -> schemas.LookupsOut:
        """Skills, certificate kinds and communities with their grids, for the profile forms (public)."""
        return msgspec.convert(await service.lookups(), schemas.LookupsOut, from_attributes=True)

    @get("/me", guards=[role_in("volunteer")], dependencies=ACTOR)
    async def get_profile(self, actor: Actor) -> schemas.VolunteerOut:
        """Your own profile with skills, certificates and availability (404 `no_profile` before the first save)."""
        return msgspec.convert(await service.get_profile(actor=actor), schemas.VolunteerOut)

    @put("/me", guards=[role_in("volunteer")], dependencies=ACTOR)
    async def save_profile(self, actor: Actor, data: schemas.ProfileIn) -> schemas.VolunteerOut:
        """Create or replace your profile."""
        row = await service.save_profile(
            actor=actor, real_name=data.real_name, phone=data.phone, birth_date=data.birth_date,
            community_id=data.community_id, grid_id=data.grid_id, lat=data.lat, lon=data.lon,
            max_hours_month=data.max_hours_month, max_hours_week=data.max_hours_week,
            max_hours_day=data.max_hours_day, preferred_kinds=data.preferred_kinds,
        )
        return msgspec.convert(row, schemas.VolunteerOut)

    @put("/me/skills", guards=[role_in("volunteer")], dependencies=ACTOR)
    async def set_skills(self, actor: Actor, data: schemas.SkillsIn) -> list[str]:
        """Replace your skills with these skill codes."""
        return await service.set_skills(actor=actor, codes=data.codes)

    @get("/me/certificates", guards=[role_in("volunteer")], dependencies=ACTOR)
    async def list_certificates(self, actor: Actor) -> list[schemas.CertificateOut]:
        """Your certificates, each flagged valid / expiring (within 30 days) / expired."""
        profile = await service.get_profile(actor=actor)
        return msgspec.convert(profile["certificates"], list[schemas.CertificateOut])

    @post("/me/certificates", guards=[role_in("volunteer")], dependencies=ACTOR, status_code=201)
    async def add_certificate(self, actor: Actor, data: schemas.CertificateIn) -> schemas.CertificateOut:
        row = await service.add_certificate(actor=actor, kind_code=data.kind, number=data.number,
                                            issued_on=data.issued_on, expires_on=data.expires_on)
        return msgspec.convert(row, schemas.CertificateOut)

    @delete("/me/certificates/{certificate_id:int}", guards=[role_in("volunteer")], dependencies=ACTOR,
            status_code=204)
    async def delete_certificate(self, actor: Actor, certificate_id: int) -> None:
        await service.delete_certificate(actor=actor, certificate_id=certificate_id)

    @get("/me/availability", guards=[role_in("volunteer")], dependencies=ACTOR)
    async def get_availability(self, actor: Actor) -> list[schemas.WindowOut]:
        profile = await service.get_profile(actor=actor)
        return msgspec.convert(profile["availability"], list[schemas.WindowOut])

    @put("/me/availability", guards=[role_in("volunteer")], dependencies=ACTOR)
    async def set_availability(self, actor: Actor, data: schemas.AvailabilityIn) -> list[schemas.WindowOut]:
        """Replace all your weekly windows at once."""
        windows = [msgspec.structs.asdict(w) for w in data.windows]
        return msgspec.convert(await service.set_availability(actor=actor, windows=windows),
                               list[schemas.WindowOut])

    @get("/me/ledger", guards=[role_in("volunteer")], dependencies=ACTOR)
    async def ledger(self, actor: Actor, limit: Limit = 20, offset: Offset = 0) -> schemas.LedgerOut:
        """Your hours and points, with the ledger entries behind them."""
        return msgspec.convert(await service.ledger(actor=actor, limit=limit, offset=offset), schemas.LedgerOut)

    @get("/{volunteer_id:int}", dependencies=MAYBE_ACTOR)
    async def get_volunteer(self, actor: Actor | None, volunteer_id: int) -> schemas.VolunteerOut:
        """A volunteer's profile: the volunteer themself, their guardian, or staff (audited); else 404."""
        if actor is None:
            raise NotFound("volunteer not found")
        return msgspec.convert(await service.get_volunteer(actor=actor, volunteer_id=volunteer_id),
                               schemas.VolunteerOut)


ROUTES = [VolunteerController]
