"""Starting safely (secret key, public URL), quiet logs for bad input, and slow clients cut off."""

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tongxin.settings import MissingSetting, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_production_refuses_to_start_without_a_secret_key_or_public_url():
    with pytest.raises(MissingSetting) as refused:
        Settings(development=False, public_url="https://tongxin.example.cn").ready_to_serve()
    assert "TONGXIN_SECRET_KEY" in str(refused.value)
    with pytest.raises(MissingSetting) as refused:
        Settings(development=False, secret_key="k" * 32).ready_to_serve()
    assert "TONGXIN_PUBLIC_URL" in str(refused.value)
    ready = Settings(development=False, secret_key="k" * 32, public_url="https://tongxin.example.cn")
    assert ready.ready_to_serve().secret_key == "k" * 32


def test_development_fills_in_a_random_secret():
    assert len(Settings(development=True).ready_to_serve().secret_key) >= 32


def test_serve_command_says_what_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGXIN_")}
    env.update(PYTHONPATH=str(ROOT / "platform"), TONGXIN_DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    result = subprocess.run([sys.executable, "-m", "tongxin.cli", "serve", "--port", "1"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "TONGXIN_SECRET_KEY" in result.stderr and "TONGXIN_PUBLIC_URL" in result.stderr


@pytest.mark.anyio
async def test_bad_input_logs_one_escaped_line_without_traceback(client, caplog):
    caplog.set_level(logging.INFO, logger="tongxin")
    await client.get("/api/no-such%0Athing")
    await client.post("/api/accounts/login", json={"username": "x\nFAKE LOG LINE", "password": "y"})
    await client.get("/api/accounts/me")
    lines = [r for r in caplog.records if r.name == "tongxin"]
    assert len(lines) == 3
    for record in lines:
        assert record.exc_info is None
        assert "\n" not in record.getMessage()
    assert "\\n" in lines[0].getMessage()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _response(sock: socket.socket) -> bytes:
    """One whole /health answer (headers and the JSON body)."""
    data = b""
    while not data.endswith(b"}"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_slow_client_is_cut_off_and_idle_connections_live_past_a_proxy_timeout(tmp_path):
    """A real `tongxin serve`: a request trickled past the client timeout is dropped; uvicorn keeps an idle
    keep-alive connection for TONGXIN_KEEPALIVE_SECONDS."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "platform"), "TONGXIN_DEVELOPMENT": "1",
           "TONGXIN_RUN_SCHEDULER": "0", "TONGXIN_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
           "TONGXIN_CLIENT_TIMEOUT_SECONDS": "2", "TONGXIN_KEEPALIVE_SECONDS": "9"}
    subprocess.run([sys.executable, "-m", "tongxin.cli", "migrate"], env=env, cwd=tmp_path, check=True,
                   capture_output=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "tongxin.cli", "serve", "--port", str(port)], env=env,
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(150):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        # slowloris: half a request line, then nothing
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        slow.settimeout(6)
        started = time.monotonic()
        assert slow.recv(100) == b""  # closed by the server
        assert 1.5 < time.monotonic() - started < 5
        slow.close()
        # a body trickled too slowly: headers promise 100 bytes, 10 come
        dribble = socket.create_connection(("127.0.0.1", port))
        dribble.sendall(b"POST /api/accounts/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 100\r\n\r\n{\"username")
        dribble.settimeout(6)
        started = time.monotonic()
        while dribble.recv(4096):  # it may answer first (the CSRF check needs no body), then it closes
            pass
        assert time.monotonic() - started < 5
        dribble.close()
        # an idle keep-alive connection outlives uvicorn's default 5 s (proxies keep theirs for 60 s)
        idle = socket.create_connection(("127.0.0.1", port))
        idle.settimeout(5)
        request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        idle.sendall(request)
        assert _response(idle).startswith(b"HTTP/1.1 200")
        time.sleep(6)
        idle.sendall(request)
        assert _response(idle).startswith(b"HTTP/1.1 200")
        idle.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
