"""The journeys in headless Chromium on a phone-sized screen, against a real server and demo district."""

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_organization_registers_publishes_and_marks_attendance(phone, database_file):
    org = phone()
    org.goto("/register")
    org.fill("#username", "linli_org")
    org.fill("#password", "linli-org-2026")
    org.fill("#display_name", "邻里互助会")
    org.select_option("#role", "org_member")
    org.click("button[type=submit]")
    org.goto("/org")
    org.fill("#name", "邻里互助会")
    org.click("button[type=submit]")
    assert org.inner_text("#org-status") == "pending"

    staff = phone()
    sign_in(staff, "staff")
    staff.goto("/staff/queue")
    card = staff.locator(".card", has_text="邻里互助会")
    card.locator("button[value=approve]").click()
    assert staff.locator(".card", has_text="邻里互助会").count() == 0

    org.goto("/org/activities/new")
    org.fill("#title", "邻里便民服务日")
    start = (datetime.now() + timedelta(days=20)).strftime("%Y-%m-%dT09:00")
    org.fill("#starts_at", start)
    org.select_option("#repeat", "FREQ=MONTHLY;BYDAY=+3SA")
    org.fill("#address", "明日社区广场")
    org.fill("#capacity", "3")
    org.click("button[type=submit]")
    org.locator(".card", has_text="邻里便民服务日").locator("button").click()
    staff.goto("/staff/queue")
    staff.locator(".card", has_text="邻里便民服务日").locator("button[value=approve]").click()

    volunteer = phone()
    sign_in(volunteer, "vol001")
    volunteer.goto("/occurrences")
    volunteer.locator(".card", has_text="邻里便民服务日").first.locator("button").click()
    assert "报名成功" in volunteer.inner_text(".flash")

    # The day has come: the occurrence started an hour ago.
    with sqlite3.connect(database_file) as db:
        begun = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S+00:00")
        db.execute("UPDATE occurrence SET starts_at = ? WHERE id = (SELECT occurrence FROM sign_up "
                   "JOIN occurrence o ON o.id = sign_up.occurrence JOIN activity a ON a.id = o.activity "
                   "WHERE a.title = '邻里便民服务日' LIMIT 1)", (begun,))
    org.goto("/org")
    org.locator(".card", has_text="邻里便民服务日").locator("a").click()
    row = org.locator("tr", has_text="confirmed").first
    row.locator("button", has_text="到场").click()
    org.wait_for_selector("td.status:text('attended')")
    screenshot(org, "organization-journey")


def test_volunteer_browses_signs_up_sees_schedule_and_cancels(phone):
    page = phone()
    sign_in(page, "vol002")
    page.goto("/occurrences")
    assert page.locator(".card").count() > 0
    page.locator(".card", has_text="吾爱邻便民志愿服务日").first.locator("button").click()
    page.wait_for_url("**/me/sign-ups**")
    assert page.locator(".card", has_text="confirmed").count() == 1
    assert "iCalendar" in page.inner_text("main")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator(".card", has_text="confirmed").locator("button").click()
    page.wait_for_selector(".card:has-text('cancelled')")
    screenshot(page, "volunteer-journey")


def test_staff_run_matching_read_the_explanation_approve_and_see_the_dashboard(phone):
    page = phone()
    sign_in(page, "admin")
    page.goto("/staff/queue")
    page.click("form[action='/staff/matching'] button")
    proposal = page.locator("[id^=proposal-]").first
    assert "匹配分" in proposal.inner_text()
    proposal.locator("button[value=approve]").click()
    page.goto("/staff/dashboard")
    assert page.locator("svg").count() >= 4
    page.goto("/language?to=en&next=/staff/dashboard")
    assert "Dashboard" in page.inner_text("h1")
    screenshot(page, "staff-journey")
