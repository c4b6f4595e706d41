"""Service certificates (志愿服务证明): confirmed hours for a period, issued free of charge, checkable by anyone.

The services and totals are frozen when issued, so a serial always shows what was certified. A volunteer (or
guardian) asks for their own record: all their organizations' services (issued by the district platform) or
one organization's. An organization issues for its own services; staff for the whole district. Services with
an open suspicious-hours flag are left out until staff have looked. The PDF carries the serial and a QR code
pointing at the public verification page, which shows the totals and validity and no contact details.
"""

from __future__ import annotations

import io
import secrets
from datetime import date, datetime, timezone
from typing import Any

from tongxin.accounts.service import record_audit
from tongxin.activities.tables import SignUp
from tongxin.dates import hours_text, local_date, long_day
from tongxin.db import in_write_transaction
from tongxin.errors import Conflict, InvalidInput, NotFound
from tongxin.hours import flags
from tongxin.hours.tables import ServiceCertificate
from tongxin.organizations.tables import Organization
from tongxin.volunteers.tables import LedgerEntry, Volunteer, YouthMember

DISTRICT_ISSUER = "同心志愿服务平台"
MAX_PERIOD_DAYS = 366 * 10
FONT = "STSong-Light"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def date_text(day: date) -> str:
    """A day on the certificate, which is written in Chinese ("2026年3月1日")."""
    return long_day(day, "zh-CN")


def masked_name(name: str) -> str:
    """A name as a stranger checking a certificate sees it: 张志远 → 张*远, 李安 → 李*."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


async def services_of(*, volunteer_id: int, date_from: date, date_to: date,
                      organization_id: int | None = None, include_flagged: bool = False) -> list[dict[str, Any]]:
    """A volunteer's credited (confirmed) services whose local date falls in the period, oldest first."""
    entries = {e["sign_up"]: e["minutes"] for e in await LedgerEntry.select(LedgerEntry.sign_up, LedgerEntry.minutes)
               .where((LedgerEntry.volunteer == volunteer_id) & LedgerEntry.sign_up.is_not_null())}
    query = SignUp.select(
        SignUp.id, SignUp.occurrence.starts_at.as_alias("starts_at"), SignUp.occurrence.ends_at.as_alias("ends_at"),
        SignUp.occurrence.address.as_alias("address"), SignUp.occurrence.activity.address.as_alias("activity_address"),
        SignUp.occurrence.community.name.as_alias("community"), SignUp.occurrence.activity.title.as_alias("title"),
        SignUp.occurrence.activity.organization.as_alias("organization_id"),
        SignUp.occurrence.activity.organization.name.as_alias("organization"),
    ).where(SignUp.id.is_in(list(entries) or [-1]))
    if organization_id is not None:
        query = query.where(SignUp.occurrence.activity.organization == organization_id)
    rows = [r for r in await query if date_from <= local_date(r["starts_at"]) <= date_to]
    held = set() if include_flagged else await flags.flagged_sign_ups(sign_up_ids=[r["id"] for r in rows])
    rows.sort(key=lambda r: (r["starts_at"], r["id"]))
    return [{"sign_up": r["id"], "date": local_date(r["starts_at"]).isoformat(), "title": r["title"],
             "organization": r["organization"], "organization_id": r["organization_id"],
             "place": r["address"] or r["activity_address"] or r["community"] or "",
             "minutes": entries[r["id"]]} for r in rows if r["id"] not in held]


async def _may_issue_for(actor, volunteer_id: int) -> bool:
    if actor.is_staff or actor.volunteer_id == volunteer_id:
        return True
    return actor.role == "guardian" and await YouthMember.exists().where(
        (YouthMember.volunteer == volunteer_id) & (YouthMember.guardian == actor.id))


async def issue(*, actor, volunteer_id: int, date_from: date, date_to: date, organization_id: int | None = None,
                now: datetime | None = None) -> dict[str, Any]:
    """Issue a certificate of the confirmed hours in a period; an organization member always issues for their
    own organization's services. `Conflict` when the period holds no confirmed hours."""
    now = now or now_utc()
    if actor.role == "org_member":
        if actor.organization_id is None or organization_id not in (None, actor.organization_id):
            raise NotFound("organization not found")
        organization_id = actor.organization_id
        if not await SignUp.exists().where((SignUp.volunteer == volunteer_id)
                                           & (SignUp.occurrence.activity.organization == organization_id)):
            raise NotFound("volunteer not found")
    elif not await _may_issue_for(actor, volunteer_id):
        raise NotFound("volunteer not found")
    if date_from > date_to:
        raise InvalidInput("the period must start before it ends", field="date_from", code="period_order")
    if (date_to - date_from).days > MAX_PERIOD_DAYS:
        raise InvalidInput("a certificate covers at most ten years", field="date_from", code="period_too_long")
    person = await Volunteer.select(Volunteer.real_name).where(Volunteer.id == volunteer_id).first()
    if person is None:
        raise NotFound("volunteer not found")
    issuer = DISTRICT_ISSUER
    if organization_id is not None:
        found = await Organization.select(Organization.name).where(Organization.id == organization_id).first()
        if found is None:
            raise NotFound("organization not found")
        issuer = found["name"]
    entries = await services_of(volunteer_id=volunteer_id, date_from=date_from, date_to=date_to,
                                organization_id=organization_id)
    if not entries:
        raise Conflict("there are no confirmed hours in this period", code="no_confirmed_hours")
    # Digits only: read off paper and typed on a phone's number pad.
    serial = f"{local_date(now):%Y%m%d}{secrets.randbelow(10 ** 8):08d}"

    async def work() -> dict[str, Any]:
        await ServiceCertificate.insert(ServiceCertificate(
            serial=serial, volunteer=volunteer_id, organization=organization_id, holder_name=person["real_name"],
            issuer_name=issuer, period_from=date_from, period_to=date_to, services=len(entries),
            total_minutes=sum(e["minutes"] for e in entries), entries=entries, issued_by=actor.id, issued_at=now))
        await record_audit(actor_id=actor.id, action="issue_certificate", target_type="volunteer",
                           target_id=volunteer_id, detail={"serial": serial, "organization": organization_id})
        return await _load(serial)

    return await in_write_transaction(work)


async def _load(serial: str) -> dict[str, Any] | None:
    return await ServiceCertificate.select().where(ServiceCertificate.serial == serial).output(load_json=True).first()


async def get_certificate(*, actor, serial: str) -> dict[str, Any]:
    """A certificate for its holder, their guardian, the issuing organization and staff."""
    found = await _load(serial)
    if found is None:
        raise NotFound("certificate not found")
    allowed = await _may_issue_for(actor, found["volunteer"]) or (
        found["organization"] is not None and actor.organization_id == found["organization"])
    if not allowed:
        raise NotFound("certificate not found")
    return found


async def list_certificates(*, actor, volunteer_id: int | None = None, limit: int = 20,
                            offset: int = 0) -> dict[str, Any]:
    """Certificates of one volunteer (the actor's own by default), newest first."""
    volunteer_id = volunteer_id or actor.volunteer_id
    if volunteer_id is None or not await _may_issue_for(actor, volunteer_id):
        return {"items": [], "total": 0, "limit": limit, "offset": offset}
    where = ServiceCertificate.volunteer == volunteer_id
    rows = await ServiceCertificate.select(
        ServiceCertificate.serial, ServiceCertificate.issuer_name, ServiceCertificate.period_from,
        ServiceCertificate.period_to, ServiceCertificate.services, ServiceCertificate.total_minutes,
        ServiceCertificate.issued_at, ServiceCertificate.revoked_at).where(where).order_by(
        ServiceCertificate.id, ascending=False).limit(limit).offset(offset)
    return {"items": rows, "total": await ServiceCertificate.count().where(where), "limit": limit, "offset": offset}


async def verify(*, serial: str) -> dict[str, Any]:
    """What anyone holding the paper may check: totals, issuer, period and validity; no contact details."""
    found = await _load(serial.strip().upper())
    if found is None:
        raise NotFound("certificate not found")
    return {"serial": found["serial"], "holder": masked_name(found["holder_name"]), "issuer": found["issuer_name"],
            "period_from": found["period_from"], "period_to": found["period_to"], "services": found["services"],
            "total_minutes": found["total_minutes"], "total_hours": hours_text(found["total_minutes"]),
            "issued_on": local_date(found["issued_at"]), "valid": found["revoked_at"] is None,
            "revoke_reason": found["revoke_reason"]}


async def revoke(*, actor, serial: str, reason: str, now: datetime | None = None) -> dict[str, Any]:
    """Staff (or the issuing organization) withdraw a certificate issued in error; the page then says so."""
    now = now or now_utc()
    found = await _load(serial)
    if found is None or not (actor.is_staff or (found["organization"] is not None
                                                and actor.organization_id == found["organization"])):
        raise NotFound("certificate not found")
    if not reason.strip():
        raise InvalidInput("say why the certificate is withdrawn", field="reason", code="note_required")
    if found["revoked_at"] is not None:
        raise Conflict("this certificate was already withdrawn", code="already_decided")

    async def work() -> dict[str, Any]:
        await ServiceCertificate.update({ServiceCertificate.revoked_at: now,
                                         ServiceCertificate.revoke_reason: reason.strip()}).where(
            ServiceCertificate.serial == serial)
        await record_audit(actor_id=actor.id, action="revoke_certificate", target_type="volunteer",
                           target_id=found["volunteer"], detail={"serial": serial, "reason": reason.strip()})
        return await verify(serial=serial)

    return await in_write_transaction(work)


# ---- the PDF ----------------------------------------------------------------------------------------------

def qr_png(url: str) -> bytes:
    """The verification link as a QR code (PNG, border of 2 modules, 8 pixels a module)."""
    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def render_pdf(certificate: dict[str, Any], *, verify_url: str) -> bytes:
    """The certificate as an A4 PDF in Chinese (ReportLab's built-in STSong-Light, nothing to install)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    body = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=18, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=12, wordWrap="CJK")
    title = ParagraphStyle("title", fontName=FONT, fontSize=22, leading=30, alignment=1)
    entries = certificate["entries"]
    total = hours_text(certificate["total_minutes"])
    period = f"{date_text(certificate['period_from'])}至{date_text(certificate['period_to'])}"
    story = [
        Paragraph("志愿服务证明", title), Spacer(1, 8 * mm),
        Paragraph(f"兹证明 {certificate['holder_name']} 于 {period} 期间参加志愿服务 {certificate['services']} 次，"
                  f"累计服务时长 {total} 小时。服务记录如下：", body), Spacer(1, 4 * mm),
    ]
    rows = [[Paragraph(h, cell) for h in ("序号", "服务日期", "服务项目", "组织", "服务地点", "时长（小时）")]]
    for n, e in enumerate(entries, start=1):
        rows.append([Paragraph(str(n), cell), Paragraph(date_text(date.fromisoformat(e["date"])), cell),
                     Paragraph(e["title"], cell), Paragraph(e["organization"], cell), Paragraph(e["place"], cell),
                     Paragraph(hours_text(e["minutes"]), cell)])
    rows.append([Paragraph("合计", cell), "", "", "", Paragraph(f"{certificate['services']} 次", cell),
                 Paragraph(total, cell)])
    table = Table(rows, colWidths=[12 * mm, 28 * mm, 42 * mm, 38 * mm, 42 * mm, 20 * mm], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [table, Spacer(1, 8 * mm),
              Paragraph(f"出具单位：{certificate['issuer_name']}", body),
              Paragraph(f"出具日期：{date_text(local_date(certificate['issued_at']))}", body),
              Paragraph(f"证明编号：{certificate['serial']}", body),
              Paragraph("本证明免费出具。扫描右上角二维码或访问以下网址核验真伪：", body),
              Paragraph(verify_url, body)]
    qr = ImageReader(io.BytesIO(qr_png(verify_url)))

    def first_page(canvas, doc) -> None:
        size = 30 * mm
        x, y = A4[0] - doc.rightMargin - size, A4[1] - 12 * mm - size
        canvas.drawImage(qr, x, y, size, size)
        canvas.linkURL(verify_url, (x, y, x + size, y + size), relative=0)
        canvas.setFont(FONT, 8)
        canvas.drawCentredString(x + size / 2, y - 4 * mm, "扫码核验")

    def later_page(canvas, doc) -> None:
        canvas.setFont(FONT, 8)
        canvas.drawString(doc.leftMargin, 10 * mm, f"证明编号：{certificate['serial']}  第 {doc.page} 页")

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=48 * mm,
                            bottomMargin=18 * mm, title="志愿服务证明", author=certificate["issuer_name"])
    doc.build(story, onFirstPage=first_page, onLaterPages=later_page)
    return out.getvalue()


async def people_for(*, actor) -> list[dict[str, Any]]:
    """Whose certificate the actor may ask for: themself and (as guardian) their children."""
    people = []
    if actor.volunteer_id is not None:
        people.append({"id": actor.volunteer_id, "name": (await Volunteer.select(Volunteer.real_name).where(
            Volunteer.id == actor.volunteer_id).first())["real_name"]})
    for child in await YouthMember.select(YouthMember.volunteer, YouthMember.volunteer.real_name.as_alias("name")
                                          ).where(YouthMember.guardian == actor.id):
        people.append({"id": child["volunteer"], "name": child["name"]})
    return people


async def served_with(*, organization_id: int) -> list[dict[str, Any]]:
    """Volunteers with credited hours at an organization's occurrences (whom it can certify), by name."""
    rows = await SignUp.select(SignUp.volunteer, SignUp.volunteer.real_name.as_alias("name")).where(
        (SignUp.occurrence.activity.organization == organization_id) & (SignUp.status == "attended"))
    unique = {r["volunteer"]: r["name"] for r in rows}
    return sorted(({"id": k, "name": v} for k, v in unique.items()), key=lambda p: (p["name"], p["id"]))


async def find_volunteers(*, actor, name: str, limit: int = 20) -> list[dict[str, Any]]:
    """Staff look a volunteer up by name to certify them: names and communities only, no contact details."""
    if not actor.is_staff:
        raise NotFound("page not found")
    name = name.strip()
    if not name:
        return []
    rows = await Volunteer.select(Volunteer.id, Volunteer.real_name.as_alias("name"),
                                  Volunteer.community.name.as_alias("community")).where(
        Volunteer.real_name.ilike(f"%{name}%")).order_by(Volunteer.real_name).order_by(Volunteer.id).limit(limit)
    return rows
