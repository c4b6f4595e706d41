"""Under the Content-Security-Policy the pages' own scripts still work and nothing is refused."""

import sqlite3
from datetime import UTC, datetime

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def _confirmed_sign_up(database_file, username: str) -> None:
    """Test set-up: a confirmed sign-up on a future open occurrence, written straight into the database."""
    with sqlite3.connect(database_file) as db:
        volunteer = db.execute("SELECT v.id FROM volunteer v JOIN tx_user u ON u.id = v.user WHERE u.username = ?",
                               (username,)).fetchone()[0]
        occurrence = db.execute("SELECT id FROM occurrence WHERE status = 'open' AND starts_at > ? AND id NOT IN "
                                "(SELECT occurrence FROM sign_up WHERE volunteer = ?) ORDER BY starts_at LIMIT 1",
                                (datetime.now(UTC).isoformat(), volunteer)).fetchone()[0]
        db.execute("INSERT INTO sign_up (occurrence, volunteer, status, is_leader, source, created_at, attendance_source) "
                   "VALUES (?, ?, 'confirmed', 0, 'self', ?, '')", (occurrence, volunteer, datetime.now(UTC).isoformat()))


def test_pages_run_without_csp_violations_and_cancelling_asks_first(phone, server, database_file):
    page = phone()
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    sign_in(page, "vol001")
    for path in ("/", "/occurrences", "/wishes", "/me/profile", "/me/password"):
        page.goto(path)
    page.goto("/me/sign-ups")
    if page.locator("form[data-confirm] button").count() == 0:
        _confirmed_sign_up(database_file, "vol001")
        # Written by another process: the server's change feed hears it within FEED_POLL_SECONDS.
        page.wait_for_timeout(500)
        page.goto("/me/sign-ups")
    link = page.locator("input[data-select-on-click]")
    assert link.count() == 1
    link.click()
    assert page.evaluate("window.getSelection().toString() || document.activeElement.selectionEnd") not in ("", 0)
    cancel = page.locator("form[data-confirm] button")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    cancel.first.click()
    page.wait_for_timeout(300)
    assert asked, "cancelling asks for confirmation"
    assert page.locator("form[data-confirm] button").count() == cancel.count(), "dismissing cancels nothing"
    page.goto("/occurrences/999999999/sign-up-nothing-here")
    assert refused == []
