"""Checking in and out with the rotating code in headless Chromium on a phone-sized screen; the certificate."""

import sqlite3
from datetime import UTC, date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from tongxin.dates import LOCAL_TZ, local_date

from tests.browser.conftest import ARTIFACTS, screenshot, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
# The demo district's centre, where the demo activities take place.
PLACE = {"latitude": 33.9, "longitude": 118.3}


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S+00:00")


def _drill_under_way_with_vol001(database_file) -> tuple[int, date]:
    """The blue-sky team's drill started half an hour ago (at midnight if that was yesterday here) and vol001
    holds a place on it; returns the occurrence and the day its hours count for."""
    now = datetime.now(UTC)
    midnight = datetime.combine(local_date(now), time(0), tzinfo=LOCAL_TZ)
    starts = max(now - timedelta(minutes=30), midnight.astimezone(UTC))
    with sqlite3.connect(database_file) as db:
        occurrence = db.execute(
            "SELECT o.id FROM occurrence o JOIN activity a ON a.id = o.activity WHERE a.title = '蓝天救援队应急演练' AND o.status = 'open' "
            "ORDER BY o.starts_at LIMIT 1").fetchone()[0]
        volunteer = db.execute("SELECT v.id FROM volunteer v JOIN tx_user u ON u.id = v.user "
                               "WHERE u.username = 'vol001'").fetchone()[0]
        db.execute("UPDATE occurrence SET starts_at = ?, ends_at = ?, lat = 33.9, lon = 118.3 WHERE id = ?",
                   (_stamp(starts), _stamp(now + timedelta(hours=3)), occurrence))
        # Another journey may have signed vol001 up for this occurrence already.
        db.execute("INSERT OR IGNORE INTO sign_up (occurrence, volunteer, status, is_leader, source, created_at, "
                   "attendance_source) VALUES (?, ?, 'confirmed', 0, 'self', ?, '')",
                   (occurrence, volunteer, _stamp(now)))
        db.execute("UPDATE sign_up SET status = 'confirmed' WHERE occurrence = ? AND volunteer = ?",
                   (occurrence, volunteer))
        db.execute("UPDATE occurrence SET taken = taken + 1 WHERE id = ?", (occurrence,))
    return occurrence, local_date(starts)


def test_volunteer_checks_in_and_out_with_the_rotating_code_and_gets_a_certificate(browser, server, phone,
                                                                                  database_file):
    occurrence, day = _drill_under_way_with_vol001(database_file)
    refused = []

    def watch(page):
        page.on("console", lambda message: refused.append(message.text)
                if "Content Security Policy" in message.text else None)
        return page

    organizer = watch(phone())
    sign_in(organizer, "bluesky")
    organizer.goto(f"/org/occurrences/{occurrence}/code")
    first_code = organizer.inner_text("#short-code")
    assert len(first_code) == 6 and first_code.isdigit()
    assert organizer.locator("#qr svg").count() == 1
    screenshot(organizer, "hours-show-code")

    context = browser.new_context(viewport=PHONE, base_url=server, locale="zh-CN", geolocation=PLACE,
                                  permissions=["geolocation"])
    volunteer = watch(context.new_page())
    sign_in(volunteer, "vol001")
    volunteer.goto("/me/sign-ups")
    volunteer.click("text=签到签退")
    card = volunteer.locator(".card", has_text="蓝天救援队应急演练")
    card.locator("input[name=code]").fill(first_code)
    card.locator("button", has_text="签到").click()
    volunteer.wait_for_selector(".flash")
    assert "签到成功" in volunteer.inner_text(".flash")
    assert volunteer.get_attribute(f"#check-in-{_sign_up_of(database_file, occurrence)} .status",
                                   "data-status") == "checked_in"

    # The organizer's screen turns to a new code by itself within 30 seconds (no reload).
    expect(organizer.locator("#short-code")).not_to_have_text(first_code, timeout=40_000)
    second_code = organizer.inner_text("#short-code")
    assert organizer.inner_text("#checked-in") == "1"
    card = volunteer.locator(".card", has_text="蓝天救援队应急演练")
    card.locator("input[name=code]").fill(second_code)
    with volunteer.expect_navigation():
        card.locator("button", has_text="签退").click()
    assert "签退成功" in volunteer.inner_text(".flash"), volunteer.inner_text("main")
    with sqlite3.connect(database_file) as db:
        distance = db.execute("SELECT in_distance_m FROM check_in WHERE occurrence = ?", (occurrence,)).fetchone()[0]
    assert distance == 0, "the phone's position was attached and compared with the place"

    organizer.goto(f"/org/occurrences/{occurrence}/hours")
    organizer.fill("input[name=minutes]", "45")
    organizer.click("form[action$='/confirm'] button")
    assert "时长已确认" in organizer.inner_text(".flash")

    volunteer.goto("/me/service-certificates")
    # A certificate for the drill's day alone: vol001 also has the demo's year of history.
    volunteer.fill("#date_from", day.isoformat())
    volunteer.fill("#date_to", day.isoformat())
    volunteer.click("form[action='/me/service-certificates'] button[type=submit]")
    assert "证明已出具" in volunteer.inner_text(".flash")
    with volunteer.expect_download() as download:
        volunteer.locator(".certificate a.button").first.click()
    pdf = download.value.path()
    _render_first_page(pdf, "hours-certificate")
    volunteer.locator(".certificate a", has_text="核验页面").first.click()
    assert "此证明真实有效" in volunteer.inner_text(".verification")
    assert volunteer.inner_text("#total-hours").startswith("0.75")
    screenshot(volunteer, "hours-verification")
    context.close()
    assert refused == [], "the hours pages run under the Content-Security-Policy"


def _sign_up_of(database_file, occurrence: int) -> int:
    with sqlite3.connect(database_file) as db:
        return db.execute("SELECT s.id FROM sign_up s JOIN volunteer v ON v.id = s.volunteer JOIN tx_user u "
                          "ON u.id = v.user WHERE u.username = 'vol001' AND s.occurrence = ?",
                          (occurrence,)).fetchone()[0]


def _render_first_page(pdf_path, name: str) -> None:
    """The certificate's first page as a picture beside the screenshots (PDFium, when installed)."""
    try:
        import pypdfium2 as pdfium
    except ImportError:  # the journey itself does not need it
        return
    ARTIFACTS.mkdir(exist_ok=True)
    document = pdfium.PdfDocument(str(pdf_path))
    document[0].render(scale=1.5).to_pil().save(ARTIFACTS / f"{name}.png")
    document.close()
