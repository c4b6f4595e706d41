"""The hours API end to end: code screen, check-in and out over HTTP, confirmation, certificate, export."""

import io
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.conftest import make_client
from tests.factories import login
from tests.hours.factories import make_occurrence, make_org, make_volunteer, service_day, sign_up

pytestmark = pytest.mark.anyio


async def test_check_in_and_out_over_http_then_confirm_certify_and_export(app):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    org, member = await make_org("明日社工服务中心")
    occurrence = await make_occurrence(org, starts=now - timedelta(minutes=10))
    volunteer, me = await make_volunteer()
    mine = await sign_up(occurrence, volunteer)
    async with make_client(app) as organizer, make_client(app) as phone, make_client(app) as anyone:
        await login(organizer, member.username)
        await login(phone, me.username)
        screen = (await organizer.get(f"/api/hours/occurrences/{occurrence}/code")).json()
        assert len(screen["short_code"]) == 6 and screen["scan_url"].endswith(screen["token"])
        assert screen["qr_svg"].startswith("<svg") and "<script" not in screen["qr_svg"]
        assert (await phone.get(f"/api/hours/occurrences/{occurrence}/code")).status_code == 404

        forged = await phone.post(f"/api/hours/sign-ups/{mine}/check-in", json={"code": screen["token"][:-1] + ("R" if screen["token"].endswith("Q") else "Q")})
        assert forged.status_code == 400 and forged.json()["field"] == "code"
        old = screen["token"].split(".")
        expired = await phone.post(f"/api/hours/sign-ups/{mine}/check-in",
                                   json={"code": f"{old[0]}.{int(old[1]) - 10}.{old[2]}"})
        assert expired.status_code == 400, "a reused signature with another window is forged, not expired"

        came = await phone.post("/api/hours/scan", json={"token": screen["token"], "lat": 33.9, "lon": 118.3,
                                                         "device": "phone-1"})
        assert came.status_code == 200, came.text
        assert came.json()["action"] == "in"
        went = await phone.post(f"/api/hours/sign-ups/{mine}/check-in", json={"code": screen["short_code"]})
        assert went.status_code == 200 and went.json()["action"] == "out"

        listed = (await organizer.get(f"/api/hours/occurrences/{occurrence}/check-ins")).json()
        assert listed["items"][0]["check_in"]["status"] == "checked_out"
        confirmed = await organizer.post(f"/api/hours/check-ins/{went.json()['id']}/confirm", json={"minutes": 95})
        assert confirmed.status_code == 200 and confirmed.json()["confirmed_minutes"] == 95

        day = await service_day(occurrence)
        issued = await phone.post("/api/hours/certificates", json={"date_from": day.isoformat(),
                                                                   "date_to": day.isoformat()})
        assert issued.status_code == 201, issued.text
        serial = issued.json()["serial"]
        pdf = await phone.get(issued.json()["pdf_url"])
        assert pdf.headers["content-type"] == "application/pdf"
        assert "累计服务时长 1.58 小时" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
        assert (await organizer.get(issued.json()["pdf_url"])).status_code == 404, "issued by the district"
        public = (await anyone.get(f"/api/verify/{serial}")).json()
        assert public["valid"] and public["total_hours"] == "1.58" and "13800000000" not in str(public)

        sheet = await organizer.get("/api/hours/export.xlsx", params={"date_from": day.isoformat(),
                                                                      "date_to": day.isoformat()})
        rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(min_row=2, values_only=True))
        assert [(r[1], r[9]) for r in rows] == [("张志远", 1.58)]
        assert (await phone.get("/api/hours/export.csv", params={"date_from": day.isoformat(),
                                                                 "date_to": day.isoformat()})).status_code == 403
