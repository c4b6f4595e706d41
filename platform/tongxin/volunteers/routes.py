"""Volunteer and youth-roster endpoints: parse, authorize by role, call the service, shape the answer."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import Provide

from tongxin.accounts.guards import provide_actor, provide_optional_actor, role_in
from tongxin.accounts.service import Actor
from tongxin.errors import NotFound
from tongxin.paging import Limit, Offset
from tongxin.volunteers import schemas, service
from tongxin.volunteers.schemas import YouthStatus

ACTOR = {"actor": Provide(provide_actor)}
# Single records answer 404 to anonymous callers too, like to anyone else who may not see them.
MAYBE_ACTOR = {"actor": Provide(provide_optional_actor)}


def _secret(request: Request) -> str:
    return request.app.state.settings.secret_key


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
            max_hours_month=data.max_hours_month, preferred_kinds=data.preferred_kinds,
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

    @get("/me/sign-ups", guards=[role_in("volunteer")], dependencies=ACTOR)
    async def sign_ups(
        self, actor: Actor, status: Literal["applied", "confirmed", "waitlisted", "attended", "no_show",
                                            "cancelled", "rejected"] | None = None,
        upcoming: bool | None = None, sort: Literal["starts_at", "-starts_at"] = "starts_at",
        limit: Limit = 20, offset: Offset = 0,
    ) -> schemas.SignUpPage:
        """Your sign-ups, filtered by status and upcoming/past, sorted by start."""
        page = await service.own_sign_ups(actor=actor, status=status, upcoming=upcoming, sort=sort,
                                          limit=limit, offset=offset)
        return msgspec.convert(page, schemas.SignUpPage)

    @get("/me/calendar", guards=[role_in("volunteer")], dependencies=ACTOR)
    async def calendar_link(self, request: Request, actor: Actor) -> schemas.CalendarLinkOut:
        """Your secret calendar feed address; anyone holding it can read your sign-ups, so keep it private."""
        token = await service.own_calendar_token(actor=actor, secret_key=_secret(request))
        return schemas.CalendarLinkOut(token=token, url=str(request.url_for("volunteer_calendar",
                                                                            filename=f"{token}.ics")))

    @get("/calendar/{filename:str}", name="volunteer_calendar", media_type="text/calendar")
    async def calendar(self, request: Request, filename: str) -> Response[bytes]:
        """The iCalendar feed behind a secret token (no sign-in: calendar apps fetch it); wrong token 404."""
        token = filename.removesuffix(".ics")
        volunteer_id = service.volunteer_of_calendar_token(
            token=token if filename.endswith(".ics") else "", secret_key=_secret(request))
        body = await service.calendar_ics(volunteer_id=volunteer_id)
        return Response(body, media_type="text/calendar; charset=utf-8",
                        headers={"Cache-Control": "private, max-age=300"})

    @get("/{volunteer_id:int}", dependencies=MAYBE_ACTOR)
    async def get_volunteer(self, actor: Actor | None, volunteer_id: int) -> schemas.VolunteerOut:
        """A volunteer's profile: the volunteer themself, their guardian, or staff (audited); else 404."""
        if actor is None:
            raise NotFound("volunteer not found")
        return msgspec.convert(await service.get_volunteer(actor=actor, volunteer_id=volunteer_id),
                               schemas.VolunteerOut)


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


ROUTES = [VolunteerController, YouthController]
