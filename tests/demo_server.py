"""A real `tongxin serve` (no scheduler) on a free port over a migrated SQLite file with the demo district,
for the tests that talk to a server over HTTP (the browser journeys, the API contract)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def demo_server(folder: Path, *, secret: str) -> Iterator[str]:
    """Migrate, load the demo district, serve; yields the base URL and always stops the server (its log is
    `folder/server.log`)."""
    env = {**os.environ, "TONGXIN_DATABASE_URL": f"sqlite:///{folder / 'tongxin.sqlite3'}",
           "TONGXIN_DEVELOPMENT": "1", "TONGXIN_RUN_SCHEDULER": "0", "TONGXIN_SECRET_KEY": secret + "x" * 20,
           "PYTHONPATH": str(ROOT / "platform")}
    for command in (["migrate"], ["demo"]):
        subprocess.run([sys.executable, "-m", "tongxin.cli", *command], env=env, cwd=folder, check=True,
                       capture_output=True, timeout=180)
    port = free_port()
    with open(folder / "server.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "tongxin.cli", "serve", "--port", str(port)], env=env,
                                   cwd=folder, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    if httpx.get(base + "/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            else:
                pytest.fail("the server did not start")
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
