"""The hours pages in Chinese: check-in from the schedule, the code screen, confirmation, flags, certificates."""

import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest

from tongxin.hours import codes

from tests.conftest import make_client
from tests.factories import login
from tests.hours.factories import (
    PLACE,
    SECRET,
    make_occurrence,
    make_org,
    make_volunteer,
    service_day,
    sign_up,
    staff_actor,
)

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}
# Words a zh-CN page may show in Latin letters: the brand, the language switch and file formats.
ALLOWED_LATIN = {"Tongxin", "English", "PDF", "CSV", "xlsx", "Excel"}


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|svg|noscript)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def assert_reads_in_chinese(html: str) -> None:
    text = visible_text(html)
    words = set(re.findall(r"[A-Za-z_]{2,}", text)) - ALLOWED_LATIN
    assert not words, f"English or raw codes on a zh-CN page: {sorted(words)}"
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d", text), "an ISO timestamp on a zh-CN page"


async def a_running_occurrence():
    now = datetime.now(timezone.utc).replace(microsecond=0)
    org, member = await make_org("明日社工服务中心")
    occurrence = await make_occurrence(org, starts=now - timedelta(minutes=20))
    volunteer, me = await make_volunteer()
    mine = await sign_up(occurrence, volunteer)
    return occurrence, member, me, mine


async def test_volunteer_checks_in_and_out_by_typing_the_code_on_the_check_in_page(app):
    occurrence, _, me, mine = await a_running_occurrence()
    async with make_client(app) as phone:
        await login(phone, me.username)
        schedule = await phone.get("/me/sign-ups", headers=HTML)
        assert 'href="/me/check-in"' in schedule.text
        page = await phone.get("/me/check-in", headers=HTML)
        assert page.status_code == 200 and f'action="/me/check-in/{mine}"' in page.text
        assert '<script src="/static/checkin.js" defer></script>' in page.text and "onsubmit" not in page.text
        assert phone.cookies.get("tx_device"), "the phone gets its own device id"
        assert_reads_in_chinese(page.text)
        wrong = await phone.post(f"/me/check-in/{mine}", data={"code": "abc"}, headers=HTML)
        assert wrong.status_code == 400 and "签到码不正确" in wrong.text
        assert_reads_in_chinese(wrong.text)
        code = codes.occurrence_code(secret_key=SECRET, occurrence_id=occurrence,
                                     now=datetime.now(timezone.utc))["short_code"]
        came = await phone.post(f"/me/check-in/{mine}", data={"code": code, "lat": str(PLACE[0]),
                                                                "lon": str(PLACE[1])}, headers=HTML)
        assert came.status_code in (302, 303)
        after = await phone.get(came.headers["location"], headers=HTML)
        assert "张志远 签到成功" in after.text and "已签到" in after.text and "签退" in after.text
        assert_reads_in_chinese(after.text)
        went = await phone.post(f"/me/check-in/{mine}", data={"code": code}, headers=HTML)
        done = await phone.get(went.headers["location"], headers=HTML)
        assert "签退成功" in done.text and "待组织确认" in done.text


async def test_the_qr_link_opens_the_check_in_page_with_the_code_filled_in(app):
    occurrence, _, me, mine = await a_running_occurrence()
    token = codes.occurrence_code(secret_key=SECRET, occurrence_id=occurrence, now=datetime.now(timezone.utc))["token"]
    async with make_client(app) as phone:
        anonymous = await phone.get(f"/hours/scan?c={token}", headers=HTML)
        assert anonymous.status_code in (302, 303) and anonymous.headers["location"].startswith("/login")
        await login(phone, me.username)
        page = await phone.get(f"/hours/scan?c={token}", headers=HTML)
        assert f'name="code" value="{token}"' in page.text
        stale = await phone.get(f"/hours/scan?c={occurrence}.{int(token.split('.')[1]) - 5}.{token.split('.')[2]}",
                                headers=HTML)
        assert stale.status_code == 400 and "签到码不正确" in stale.text


async def test_organizer_shows_a_rotating_code_that_keeps_the_screen_awake(app):
    occurrence, member, _, _ = await a_running_occurrence()
    async with make_client(app) as organizer, make_client(app) as stranger:
        await login(organizer, member.username)
        page = await organizer.get(f"/org/occurrences/{occurrence}/code", headers=HTML)
        assert page.status_code == 200
        assert '<script src="/static/showcode.js" defer></script>' in page.text
        assert re.search(r'<div class="short-code" id="short-code"[^>]*>\d{6}</div>', page.text)
        assert "<svg" in page.text and "<script>" not in page.text, "no inline script: CSP is coming"
        assert_reads_in_chinese(page.text)
        script = await organizer.get("/static/showcode.js")
        assert "wakeLock" in script.text and "visibilitychange" in script.text
        _, outsider = await make_org("别的组织")
        await login(stranger, outsider.username)
        assert (await stranger.get(f"/org/occurrences/{occurrence}/code", headers=HTML)).status_code == 404


async def test_organization_confirms_hours_on_its_list_and_staff_review_flags(app):
    occurrence, member, me, mine = await a_running_occurrence()
    async with make_client(app) as phone, make_client(app) as organizer, make_client(app) as staff:
        await login(phone, me.username)
        code = codes.occurrence_code(secret_key=SECRET, occurrence_id=occurrence,
                                     now=datetime.now(timezone.utc))["short_code"]
        await phone.post(f"/me/check-in/{mine}", data={"code": code, "lat": str(PLACE[0] + 0.05),
                                                         "lon": str(PLACE[1])}, headers=HTML)
        await phone.post(f"/me/check-in/{mine}", data={"code": code}, headers=HTML)
        await login(organizer, member.username)
        listed = await organizer.get(f"/org/occurrences/{occurrence}/hours", headers=HTML)
        assert "张志远" in listed.text and "超出 500 米的范围" in listed.text and 'id="confirm-all"' in listed.text
        assert_reads_in_chinese(listed.text)
        confirmed = await organizer.post(f"/org/occurrences/{occurrence}/confirm-all", headers=HTML)
        assert confirmed.status_code in (302, 303)
        assert "时长已确认" in (await organizer.get(confirmed.headers["location"], headers=HTML)).text

        staff_user = await staff_actor()
        await login(staff, staff_user.username)
        flags_page = await staff.get("/staff/hours", headers=HTML)
        assert "位置偏远" in flags_page.text and "公里" in flags_page.text
        assert_reads_in_chinese(flags_page.text)
        flag_id = re.search(r'/staff/hours/flags/(\d+)/clear', flags_page.text).group(1)
        empty_note = await staff.post(f"/staff/hours/flags/{flag_id}/clear", data={"note": " "}, headers=HTML)
        assert empty_note.status_code == 400 and "请写明理由" in empty_note.text
        cleared = await staff.post(f"/staff/hours/flags/{flag_id}/clear", data={"note": "临时换了场地"}, headers=HTML)
        assert cleared.status_code in (302, 303)
        assert "没有需要核查的时长" in (await staff.get("/staff/hours", headers=HTML)).text


async def test_volunteer_downloads_a_certificate_and_anyone_verifies_it(app):
    occurrence, member, me, mine = await a_running_occurrence()
    async with make_client(app) as phone, make_client(app) as organizer, make_client(app) as anyone:
        await login(phone, me.username)
        none_yet = await phone.post("/me/service-certificates", data={"date_from": "2026-01-01", "date_to": "2026-12-31"},
                                    headers=HTML)
        assert none_yet.status_code == 409 and "没有已确认的服务时长" in none_yet.text
        code = codes.occurrence_code(secret_key=SECRET, occurrence_id=occurrence,
                                     now=datetime.now(timezone.utc))["short_code"]
        await phone.post(f"/me/check-in/{mine}", data={"code": code}, headers=HTML)
        await phone.post(f"/me/check-in/{mine}", data={"code": code}, headers=HTML)
        await login(organizer, member.username)
        await organizer.post(f"/org/occurrences/{occurrence}/confirm-all", headers=HTML)
        day = await service_day(occurrence)
        issued = await phone.post("/me/service-certificates", data={"date_from": day.replace(day=1).isoformat(),
                                                             "date_to": day.isoformat()}, headers=HTML)
        assert issued.status_code in (302, 303)
        page = await phone.get(issued.headers["location"], headers=HTML)
        assert "证明已出具" in page.text
        assert_reads_in_chinese(page.text)
        serial = re.search(r"/api/hours/certificates/(\d{16})/pdf", page.text).group(1)
        pdf = await phone.get(f"/api/hours/certificates/{serial}/pdf")
        assert pdf.content.startswith(b"%PDF")
        verified = await anyone.get(f"/verify/{serial}", headers=HTML)
        assert "此证明真实有效" in verified.text and "张*远" in verified.text and "13800000000" not in verified.text
        assert_reads_in_chinese(verified.text)
        unknown = await anyone.get("/verify/0000", headers=HTML)
        assert unknown.status_code == 404 and "没有找到这个编号的证明" in unknown.text


async def test_an_organization_certifies_a_volunteer_who_served_with_it(app):
    occurrence, member, me, mine = await a_running_occurrence()
    async with make_client(app) as phone, make_client(app) as organizer:
        await login(phone, me.username)
        code = codes.occurrence_code(secret_key=SECRET, occurrence_id=occurrence,
                                     now=datetime.now(timezone.utc))["short_code"]
        await phone.post(f"/me/check-in/{mine}", data={"code": code}, headers=HTML)
        await phone.post(f"/me/check-in/{mine}", data={"code": code}, headers=HTML)
        await login(organizer, member.username)
        await organizer.post(f"/org/occurrences/{occurrence}/confirm-all", headers=HTML)
        page = await organizer.get("/org/service-certificates", headers=HTML)
        assert "张志远" in page.text
        assert_reads_in_chinese(page.text)
        volunteer_id = re.search(r'<option value="(\d+)"', page.text).group(1)
        day = await service_day(occurrence)
        issued = await organizer.post("/org/service-certificates", headers=HTML, data={
            "volunteer_id": volunteer_id, "date_from": day.replace(day=1).isoformat(), "date_to": day.isoformat()})
        assert issued.status_code == 200 and "证明已出具" in issued.text and "明日社工服务中心" in issued.text
        backwards = await organizer.post("/org/service-certificates", headers=HTML, data={
            "volunteer_id": volunteer_id, "date_from": day.isoformat(), "date_to": "2020-01-01"})
        assert backwards.status_code == 400 and "开始日期不能晚于结束日期" in backwards.text


async def test_the_check_in_page_reads_in_english_when_switched(app):
    _, _, me, _ = await a_running_occurrence()
    async with make_client(app) as phone:
        await login(phone, me.username)
        await phone.get("/language", params={"to": "en", "next": "/me/check-in"}, headers=HTML)
        page = await phone.get("/me/check-in", headers=HTML)
        assert "Check in" in page.text and "签到码" not in page.text


async def test_the_organization_widens_the_check_in_radius_and_a_bad_value_says_so(app):
    occurrence, member, _, _ = await a_running_occurrence()
    async with make_client(app) as organizer:
        await login(organizer, member.username)
        bad = await organizer.post(f"/org/occurrences/{occurrence}/radius", data={"metres": "5"}, headers=HTML)
        assert bad.status_code == 400 and "范围须在 50 到 50000 米之间" in bad.text
        saved = await organizer.post(f"/org/occurrences/{occurrence}/radius", data={"metres": "2000"}, headers=HTML)
        assert saved.status_code in (302, 303)
        page = await organizer.get(saved.headers["location"], headers=HTML)
        assert "签到范围 2000 米" in page.text and 'value="2000"' in page.text


async def test_staff_find_a_volunteer_by_name_and_certify_the_district_hours(app):
    occurrence, member, me, mine = await a_running_occurrence()
    async with make_client(app) as phone, make_client(app) as organizer, make_client(app) as staff:
        await login(phone, me.username)
        code = codes.occurrence_code(secret_key=SECRET, occurrence_id=occurrence,
                                     now=datetime.now(timezone.utc))["short_code"]
        await phone.post(f"/me/check-in/{mine}", data={"code": code}, headers=HTML)
        await phone.post(f"/me/check-in/{mine}", data={"code": code}, headers=HTML)
        await login(organizer, member.username)
        await organizer.post(f"/org/occurrences/{occurrence}/confirm-all", headers=HTML)
        await login(staff, (await staff_actor()).username)
        nobody = await staff.get("/staff/service-certificates", params={"name": "查无此人"}, headers=HTML)
        assert "没有找到这个姓名的志愿者" in nobody.text
        found = await staff.get("/staff/service-certificates", params={"name": "志远"}, headers=HTML)
        assert "张志远" in found.text and "13800000000" not in found.text
        assert_reads_in_chinese(found.text)
        volunteer_id = re.search(r'<option value="(\d+)"', found.text).group(1)
        day = await service_day(occurrence)
        issued = await staff.post("/staff/service-certificates", headers=HTML, data={
            "volunteer_id": volunteer_id, "name": "志远", "date_from": day.replace(day=1).isoformat(),
            "date_to": day.isoformat()})
        assert issued.status_code == 200 and "证明已出具" in issued.text and "同心志愿服务平台" in issued.text
        assert (await phone.get("/staff/service-certificates", headers=HTML)).status_code == 404
