"""A real server on a free port over a fresh demo district, and headless Chromium from Debian's package."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    folder = tmp_path_factory.mktemp("browser")
    env = {**os.environ, "TONGXIN_DATABASE_URL": f"sqlite:///{folder / 'tongxin.sqlite3'}",
           "TONGXIN_DEVELOPMENT": "1", "TONGXIN_RUN_SCHEDULER": "0", "TONGXIN_SECRET_KEY": "browser-tests-" + "x" * 20,
           "PYTHONPATH": str(ROOT / "platform")}
    for command in (["migrate"], ["demo"]):
        subprocess.run([sys.executable, "-m", "tongxin.cli", *command], env=env, cwd=folder, check=True,
                       capture_output=True, timeout=180)
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "tongxin.cli", "serve", "--port", str(port)], env=env,
                               cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the server did not start")
    yield base
    process.terminate()
    process.wait(timeout=10)


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



