"""Hours endpoints: rotating codes, check-in and check-out, confirmation, flags, certificates and exports."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.di import Provide

from tongxin.accounts.guards import provide_actor, role_in, signed_in
from tongxin.accounts.service import Actor
from tongxin.errors import InvalidInput, NotFound
from tongxin.hours import certificates, checkin, codes, exports, flags
from tongxin.language import language_of, translate
from tongxin.hours.schemas import (
    CertificateIn,
    CheckInIn,
    ClearIn,
    ConfirmIn,
    CorrectIn,
    PersonalCodeIn,
    RadiusIn,
    RevokeIn,
    ScanIn,
)
from tongxin.paging import Limit, Offset

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def secret_of(request: Request) -> str:
    return request.app.state.settings.secret_key


def site_link(request: Request, path: str) -> str:
    """An absolute link for a QR code or a PDF: the site's public address (TONGXIN_PUBLIC_URL)."""
    return request.app.state.settings.link(path, request_base=str(request.base_url))


def scan_url(request: Request, token: str) -> str:
    """The link the QR holds: opened by a phone's camera app, it lands on the check-in page."""
    return site_link(request, f"/hours/scan?c={token}")


def verify_url(request: Request, serial: str) -> str:
    return site_link(request, f"/verify/{serial}")


async def code_payload(request: Request, actor: Actor, occurrence_id: int) -> dict[str, Any]:
    screen = await checkin.code_screen(actor=actor, occurrence_id=occurrence_id, secret_key=secret_of(request))
    link = scan_url(request, screen["token"])
    return {"occurrence": occurrence_id, "short_code": screen["short_code"], "token": screen["token"],
            "scan_url": link, "qr_svg": codes.qr_svg(link, translate("check_in_qr", language_of(request.cookies.get("tx_lang")))), "seconds_left": screen["seconds_left"],
            "expected": screen["expected"], "checked_in": screen["checked_in"], "checked_out": screen["checked_out"]}


class HoursController(Controller):
    path = "/api/hours"
    tags = ["hours"]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/occurrences/{occurrence_id:int}/code", guards=[signed_in])
    async def current_code(self, request: Request, actor: Actor, occurrence_id: int) -> dict[str, Any]:
        """The organizer's screen: the code now (QR link, SVG and six digits), rotating every 30 seconds."""
        return await code_payload(request, actor, occurrence_id)

    @get("/check-ins/now", guards=[signed_in])
    async def checkable_now(self, actor: Actor, occurrence_id: int | None = None) -> dict[str, Any]:
        """Sign-ups the signed-in person may check in or out around now (own, children's, led children's)."""
        items = await checkin.checkable(actor=actor, occurrence_id=occurrence_id)
        return {"items": items, "total": len(items), "limit": len(items), "offset": 0}

    @post("/sign-ups/{sign_up_id:int}/check-in", guards=[signed_in], status_code=200)
    async def check_in(self, request: Request, actor: Actor, sign_up_id: int, data: CheckInIn) -> dict[str, Any]:
        """Check in (then out) with the code on the organizer's screen; expired or forged codes are refused."""
        return await checkin.check_in_or_out(actor=actor, sign_up_id=sign_up_id, code=data.code,
                                             secret_key=secret_of(request), lat=data.lat, lon=data.lon,
                                             device=data.device, action=data.action)

    @post("/scan", guards=[signed_in], status_code=200)
    async def scan(self, request: Request, actor: Actor, data: ScanIn) -> dict[str, Any]:
        """What the QR's link does: check the signed-in person (or the chosen child) in or out."""
        return await checkin.scan(actor=actor, token=data.token, secret_key=secret_of(request),
                                  sign_up_id=data.sign_up_id, lat=data.lat, lon=data.lon, device=data.device)

    @get("/me/personal-code", guards=[signed_in])
    async def personal_code(self, request: Request, actor: Actor) -> dict[str, Any]:
        """The volunteer's own six digits for the organizer to type when the phone cannot scan."""
        if actor.volunteer_id is None:
            raise NotFound("no volunteer profile")
        from datetime import datetime, timezone

        now = datetime.now(timezone.utc)
        return {"code": codes.personal_code(secret_key=secret_of(request), volunteer_id=actor.volunteer_id, now=now),
                "seconds_left": codes.ROTATE_SECONDS - int(now.timestamp()) % codes.ROTATE_SECONDS}

    @post("/occurrences/{occurrence_id:int}/personal-code", guards=[role_in("org_member", "staff")], status_code=200)
    async def by_personal_code(self, request: Request, actor: Actor, occurrence_id: int,
                               data: PersonalCodeIn) -> dict[str, Any]:
        return await checkin.check_in_by_personal_code(actor=actor, occurrence_id=occurrence_id, code=data.code,
                                                       secret_key=secret_of(request))

    @get("/occurrences/{occurrence_id:int}/check-ins", guards=[role_in("org_member", "staff")])
    async def confirmation_list(self, actor: Actor, occurrence_id: int) -> dict[str, Any]:
        """The organization's confirmation list: everyone on the roster with check-in, hours and flags."""
        return await checkin.confirmation_list(actor=actor, occurrence_id=occurrence_id)

    @post("/check-ins/{check_in_id:int}/confirm", guards=[role_in("org_member", "staff")], status_code=200)
    async def confirm(self, actor: Actor, check_in_id: int, data: ConfirmIn) -> dict[str, Any]:
        """Confirm one person's hours (or enter them, within the correction window): they reach the ledger."""
        return await checkin.confirm_hours(actor=actor, check_in_id=check_in_id, minutes=data.minutes)

    @post("/occurrences/{occurrence_id:int}/confirm-all", guards=[role_in("org_member", "staff")], status_code=200)
    async def confirm_all(self, actor: Actor, occurrence_id: int) -> dict[str, Any]:
        return await checkin.confirm_all(actor=actor, occurrence_id=occurrence_id)

    @put("/activities/{activity_id:int}/radius", guards=[role_in("org_member", "staff")])
    async def radius(self, actor: Actor, activity_id: int, data: RadiusIn) -> dict[str, Any]:
        """How far from the place (metres) a check-in may be before it is flagged; 500 by default."""
        return await checkin.set_radius(actor=actor, activity_id=activity_id, metres=data.metres)

    @get("/flags", guards=[role_in("staff")])
    async def list_flags(self, actor: Actor, status: str = "open", rule: str | None = None, sort: str = "-created",
                         limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        """Suspicious hours for staff, each with its reason in words."""
        return await flags.list_flags(actor=actor, status=status, rule=rule, sort=sort, limit=limit, offset=offset)

    @post("/flags/{flag_id:int}/clear", guards=[role_in("staff")], status_code=200)
    async def clear_flag(self, actor: Actor, flag_id: int, data: ClearIn) -> dict[str, Any]:
        from datetime import datetime, timezone

        return await flags.clear(actor=actor, flag_id=flag_id, note=data.note, now=datetime.now(timezone.utc))

    @post("/check-ins/{check_in_id:int}/correct", guards=[role_in("staff")], status_code=200)
    async def correct(self, actor: Actor, check_in_id: int, data: CorrectIn) -> dict[str, Any]:
        """Staff set the hours after looking at a flag; the ledger follows and the flags close, audited."""
        return await checkin.correct_hours(actor=actor, check_in_id=check_in_id, minutes=data.minutes,
                                           note=data.note)

    @post("/certificates", guards=[signed_in], status_code=201)
    async def issue_certificate(self, request: Request, actor: Actor, data: CertificateIn) -> dict[str, Any]:
        """Issue a 志愿服务证明 for a period; the answer links the PDF and the public verification page."""
        volunteer_id = data.volunteer_id or actor.volunteer_id
        if volunteer_id is None:
            raise InvalidInput("say whose certificate", field="volunteer_id")
        issued = await certificates.issue(actor=actor, volunteer_id=volunteer_id, date_from=data.date_from,
                                          date_to=data.date_to, organization_id=data.organization_id)
        return {**certificates_summary(issued), "pdf_url": f"/api/hours/certificates/{issued['serial']}/pdf",
                "verify_url": verify_url(request, issued["serial"])}

    @get("/certificates", guards=[signed_in])
    async def list_certificates(self, actor: Actor, volunteer_id: int | None = None, limit: Limit = 20,
                                offset: Offset = 0) -> dict[str, Any]:
        return await certificates.list_certificates(actor=actor, volunteer_id=volunteer_id, limit=limit,
                                                    offset=offset)

    @get("/certificates/{serial:str}/pdf", guards=[signed_in])
    async def certificate_pdf(self, request: Request, actor: Actor, serial: str) -> Response:
        found = await certificates.get_certificate(actor=actor, serial=serial)
        pdf = certificates.render_pdf(found, verify_url=verify_url(request, serial))
        return Response(pdf, media_type="application/pdf",
                        headers={"content-disposition": f'attachment; filename="certificate-{serial}.pdf"'})

    @post("/certificates/{serial:str}/revoke", guards=[role_in("org_member", "staff")], status_code=200)
    async def revoke_certificate(self, actor: Actor, serial: str, data: RevokeIn) -> dict[str, Any]:
        return await certificates.revoke(actor=actor, serial=serial, reason=data.reason)

    @get("/export.xlsx", guards=[role_in("org_member", "staff")])
    async def export_xlsx(self, actor: Actor, date_from: date, date_to: date, organization_id: int | None = None,
                          include_unconfirmed: bool = False, include_flagged: bool = False) -> Response:
        """Service records for the national system's batch import: one row per person and service."""
        rows = await exports.service_records(actor=actor, date_from=date_from, date_to=date_to,
                                             organization_id=organization_id, include_unconfirmed=include_unconfirmed,
                                             include_flagged=include_flagged)
        return Response(exports.to_xlsx(rows), media_type=XLSX, headers={
            "content-disposition": f'attachment; filename="service-records-{date_from}-{date_to}.xlsx"'})

    @get("/export.csv", guards=[role_in("org_member", "staff")])
    async def export_csv(self, actor: Actor, date_from: date, date_to: date, organization_id: int | None = None,
                         include_unconfirmed: bool = False, include_flagged: bool = False) -> Response:
        """The same records as CSV for the district's archive."""
        rows = await exports.service_records(actor=actor, date_from=date_from, date_to=date_to,
                                             organization_id=organization_id, include_unconfirmed=include_unconfirmed,
                                             include_flagged=include_flagged)
        return Response(exports.to_csv(rows), media_type="text/csv; charset=utf-8", headers={
            "content-disposition": f'attachment; filename="service-records-{date_from}-{date_to}.csv"'})


def certificates_summary(found: dict[str, Any]) -> dict[str, Any]:
    return {"serial": found["serial"], "holder_name": found["holder_name"], "issuer_name": found["issuer_name"],
            "period_from": found["period_from"], "period_to": found["period_to"], "services": found["services"],
            "total_minutes": found["total_minutes"], "entries": found["entries"], "issued_at": found["issued_at"]}


@get("/api/verify/{serial:str}", tags=["hours"])
async def verify_certificate(serial: str) -> dict[str, Any]:
    """Public: a certificate's totals and validity, no contact details."""
    return await certificates.verify(serial=serial)


ROUTES = [HoursController, verify_certificate]
