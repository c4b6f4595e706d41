"""A real server on a free port over a fresh demo district, and headless Chromium from Debian's package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.demo_server import demo_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("TONGXIN_TEST_BROWSER") == "required":
            pytest.fail(f"{CHROMIUM} is missing (apt-get install -y chromium)")
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser journeys")
    return CHROMIUM


@pytest.fixture(scope="session")
def server(tmp_path_factory, chromium_path) -> str:
    """`tongxin serve` (no scheduler) over a migrated SQLite file with the demo district."""
    with demo_server(tmp_path_factory.mktemp("browser"), secret="browser-tests-") as base:
        yield base


@pytest.fixture(scope="session")
def database_file(server, tmp_path_factory) -> Path:
    return next(tmp_path_factory.getbasetemp().glob("browser*/tongxin.sqlite3"))


@pytest.fixture(scope="module")
def browser(chromium_path):
    """Chromium for one test module: Playwright's sync API holds an event loop in this thread while it
    runs, so it must be gone before other modules' anyio tests start their own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def phone(browser, server):
    """A fresh phone-sized browser context (its own cookies), opening pages on the server."""
    contexts = []

    def open_phone():
        context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=server, locale="zh-CN")
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    """The journey's last page, kept as a test artifact (not in the repository)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, username: str, password: str = "tongxin-demo") -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)



