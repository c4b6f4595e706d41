"""Load benchmark of the web process: each endpoint's rate as a share of a bare Litestar app (issue 13).

`python -m bench.web` (or `make bench-web`) builds the demo district on each engine (a SQLite file in a
temporary folder, then its own PostgreSQL database, dropped at the end), starts `tongxin serve` (no
scheduler) and a bare Litestar plaintext app (`bench/bare_app.py`) the same way, and drives each endpoint
in turn from a bounded async client on loopback (httpx to sign in, then one raw HTTP/1.1 keep-alive
connection per worker, cheaper than httpx so the client is not the ceiling): `--connections` workers
for `--duration` seconds each. It prints requests per second, the share of the bare app's rate
measured in the same run, p50/p99 latency and the answers that were not 2xx. It only measures.

`--scale N` builds the demo with `tongxin demo --scale N` (300 × N volunteers: 167 ≈ 50k); building that
takes minutes, so `--reuse DIR` keeps the databases (a SQLite file in DIR, a PostgreSQL database named
after the scale) and uses them again on the next run. `--only KEY...` measures only some endpoints
(keys: health, occurrences-api, occurrences-page, schedule-api, schedule-page, sign-up-loop, ranked,
ranked-many).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import numpy as np

from bench.concurrency import admin, free_port

ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "tongxin-demo"


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    not_2xx: Counter = field(default_factory=Counter)  # status code -> answers
    errors: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def not_2xx_text(self) -> str:
        return ", ".join(f"{n}×{code}" for code, n in sorted(self.not_2xx.items())) or "0"

    def p(self, q: float) -> float:
        return float(np.percentile(np.array(self.latencies) * 1000, q)) if self.latencies else float("nan")


def serve(command: list[str], env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    """Start a server on a free loopback port and wait for its first answer."""
    port = free_port()
    process = subprocess.Popen([*command, "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                               stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited at start; see {log}")
        try:
            httpx.get(base + "/", timeout=1)
            return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{command} did not start in 90 s; see {log}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


class Raw:
    """A minimal HTTP/1.1 keep-alive connection: a few times cheaper per request than httpx, so that the
    client is not the ceiling it measures. Sends a fixed cookie header taken from a signed-in client."""

    def __init__(self, base: str, cookies: httpx.Cookies | None = None):
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        jar = dict(cookies.items()) if cookies is not None else {}
        self.fixed = f"Host: {host}:{port}\r\n"
        if jar:
            self.fixed += "Cookie: " + "; ".join(f"{k}={v}" for k, v in jar.items()) + "\r\n"
            if "tx_csrf" in jar:
                self.fixed += f"x-csrftoken: {jar['tx_csrf']}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.spent: list[float] = []  # seconds of each request since the caller last cleared it

    async def request(self, method: str, path: str, *, body: bytes = b"", accept: str = "*/*") -> tuple[int, bytes]:
        started = time.perf_counter()
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {path} HTTP/1.1\r\n{self.fixed}Accept: {accept}\r\n"
        if body or method in ("POST", "PUT", "DELETE"):
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        reader = self.reader
        lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if headers.get("transfer-encoding") == "chunked":
            data = b""
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                data += await reader.readexactly(size + 2)
                if size == 0:
                    break
            data = data[:-2]
        else:
            data = await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection") == "close":
            await self.close()
        self.spent.append(time.perf_counter() - started)
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None


def client() -> httpx.AsyncClient:
    # One connection per worker; idle ones expire before uvicorn's 5 s keep-alive closes them.
    return httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=1, keepalive_expiry=2))


async def csrf_headers(c: httpx.AsyncClient, base: str) -> dict[str, str]:
    if c.cookies.get("tx_csrf") is None:
        await c.get(base + "/api/csrf")
    return {"x-csrftoken": c.cookies.get("tx_csrf") or ""}


async def load(name: str, clients: list[Raw], step, seconds: float) -> Result:
    """Every worker repeats `await step(connection)` (which returns the answers' status codes) until the
    deadline; at most one request per worker is ever in flight. Each request's own time is its latency."""
    result = Result(name)

    async def worker(c: Raw) -> None:
        while time.perf_counter() < deadline:
            c.spent.clear()
            try:
                codes = await step(c)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                result.errors += 1
                await c.close()
                continue
            for code, seconds in zip(codes, c.spent):
                result.latencies.append(seconds)
                if not 200 <= code < 300:
                    result.not_2xx[code] += 1

    for c in clients:  # fresh connections: uvicorn closes ones idle for 5 s, mid-request for us
        await c.close()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*[worker(c) for c in clients])
    result.seconds = time.perf_counter() - started
    return result


def get(path: str, accept: str = "*/*"):
    async def step(c: Raw) -> list[int]:
        return [(await c.request("GET", path, accept=accept))[0]]

    return step


async def signed_in_volunteers(base: str, count: int, occurrence: int) -> list[httpx.AsyncClient]:
    """`count` demo volunteers signed in, each one who may sign up for `occurrence` (checked by signing
    up and cancelling once)."""
    found: list[httpx.AsyncClient] = []
    n = 0
    gate = asyncio.Semaphore(8)

    async def try_one(number: int) -> httpx.AsyncClient | None:
        async with gate:
            c = client()
            answer = await c.post(base + "/api/accounts/login", headers=await csrf_headers(c, base),
                                  json={"username": f"vol{number:03d}", "password": DEMO_PASSWORD})
            if answer.status_code == 200:
                signed = await c.post(f"{base}/api/occurrences/{occurrence}/sign-ups", json={},
                                      headers=await csrf_headers(c, base))
                if signed.status_code == 201:
                    await c.delete(f"{base}/api/sign-ups/{signed.json()['id']}", headers=await csrf_headers(c, base))
                    return c
            await c.aclose()
            return None

    while len(found) < count and n < 300:
        batch = range(n + 1, n + 1 + count - len(found))
        n += len(batch)
        found += [c for c in await asyncio.gather(*[try_one(i) for i in batch]) if c is not None]
    for extra in found[count:]:
        await extra.aclose()
    return found[:count]


async def bench_occurrence() -> int:
    """A large occurrence far ahead for the sign-up/cancel loop, in the demo district's first organization."""
    from tongxin.activities.tables import Activity, Occurrence
    from tongxin.organizations.tables import Organization

    org = (await Organization.select(Organization.id).where(Organization.status == "approved").first())["id"]
    start = (datetime.now(timezone.utc) + timedelta(days=45)).replace(hour=2, minute=0, second=0, microsecond=0)
    activity = (await Activity.insert(Activity(organization=org, title="压测活动", kind="service_day",
                                               status="approved", starts_at=start, duration_minutes=60,
                                               capacity=10_000, min_age=14, max_age=90)).returning(Activity.id))[0]["id"]
    return (await Occurrence.insert(Occurrence(activity=activity, starts_at=start, ends_at=start + timedelta(hours=1),
                                               signup_deadline=start - timedelta(hours=1), capacity=10_000, taken=0,
                                               status="open", address="明日社区广场")).returning(Occurrence.id))[0]["id"]


async def ranked_targets(count: int = 20) -> list[int]:
    """Future demo occurrences with a place, for staff's ranked candidates (the first is the one target):
    adults' activities first, so the one target has people to rank (a children's one has none at scale)."""
    from tongxin.activities.tables import Occurrence

    rows = await Occurrence.select(Occurrence.id).where(
        (Occurrence.status == "open") & (Occurrence.starts_at > datetime.now(timezone.utc))
        & Occurrence.lat.is_not_null() & (Occurrence.taken < Occurrence.capacity)).order_by(
        Occurrence.activity.max_age, ascending=False).order_by(Occurrence.starts_at).limit(count)
    return [r["id"] for r in rows]


def rotating(paths: list[str]):
    """Each request the next of `paths` (staff going through several targets)."""
    turn = iter(range(10**12))

    async def step(c: Raw) -> list[int]:
        return [(await c.request("GET", paths[next(turn) % len(paths)]))[0]]

    return step


ENDPOINTS = ("health", "occurrences-api", "occurrences-page", "schedule-api", "schedule-page", "sign-up-loop",
             "ranked", "ranked-many")


async def engine_run(engine: str, url: str, args, bare: str, logs: Path) -> list[tuple[Result, Result]]:
    """Build the demo district on `url`, serve it and measure each endpoint (with the bare app just before)."""
    from tongxin.db import connection_pool, use_database

    env = {**os.environ, "TONGXIN_DATABASE_URL": url, "TONGXIN_RUN_SCHEDULER": "0", "TONGXIN_DEVELOPMENT": "1",
           "TONGXIN_SECRET_KEY": "bench-web-" + uuid.uuid4().hex, "TONGXIN_LOGIN_FREE_PER_CLIENT": "100000",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)])}
    started = time.perf_counter()
    for command in (["migrate"], ["demo", "--scale", str(args.scale)]):
        subprocess.run([sys.executable, "-m", "tongxin.cli", *command], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, timeout=3600)
    engine_obj = use_database(url)
    async with connection_pool(engine_obj):
        from tongxin.volunteers.tables import Volunteer

        occurrence = await bench_occurrence()
        targets = await ranked_targets()
        target = targets[0]
        people = await Volunteer.count().where(Volunteer.status == "active")
    print(f"  {engine}: demo district (scale {args.scale}: {people} active volunteers) ready in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    process, base = serve([sys.executable, "-m", "tongxin.cli", "serve", "--no-scheduler"], env,
                          logs / f"{engine}.log")
    rows: list[tuple[Result, Result]] = []
    wanted = set(args.only or ENDPOINTS)
    try:
        need_volunteers = wanted & {"occurrences-api", "occurrences-page", "schedule-api", "schedule-page",
                                    "sign-up-loop"}
        signed_in = await signed_in_volunteers(base, args.connections, occurrence) if need_volunteers else []
        if need_volunteers and len(signed_in) < args.connections:
            print(f"  only {len(signed_in)} demo volunteers may sign up; using them", flush=True)
        volunteers = [Raw(base, c.cookies) for c in signed_in]
        for c in signed_in:
            await c.aclose()
        anonymous = [Raw(base) for _ in range(args.connections)]
        async with client() as c:
            answer = await c.post(base + "/api/accounts/login", headers=await csrf_headers(c, base),
                                  json={"username": "staff", "password": DEMO_PASSWORD})
            answer.raise_for_status()
            staff = [Raw(base, c.cookies) for _ in range(args.connections)]

        async def sign_up_and_cancel(c: Raw) -> list[int]:
            status, body = await c.request("POST", f"/api/occurrences/{occurrence}/sign-ups", body=b"{}")
            if status != 201:
                return [status]
            cancelled, _ = await c.request("DELETE", f"/api/sign-ups/{json.loads(body)['id']}")
            return [status, cancelled]

        ranked = "/api/matching/candidates?target_type=occurrence&target_id={}"
        endpoints = [(name, clients, step) for key, name, clients, step in [
            ("health", "/health", anonymous, get("/health")),
            ("occurrences-api", "occurrences, API (volunteer)", volunteers, get("/api/occurrences")),
            ("occurrences-page", "occurrences, page (volunteer)", volunteers, get("/occurrences", "text/html")),
            ("schedule-api", "volunteer's schedule, API", volunteers, get("/api/volunteers/me/sign-ups")),
            ("schedule-page", "volunteer's schedule, page", volunteers, get("/me/sign-ups", "text/html")),
            ("sign-up-loop", "sign-up/cancel loop", volunteers, sign_up_and_cancel),
            ("ranked", "staff's ranked candidates", staff, get(ranked.format(target))),
            ("ranked-many", f"ranked candidates, {len(targets)} targets", staff,
             rotating([ranked.format(t) for t in targets])),
        ] if key in wanted]
        bare_clients = [Raw(bare) for _ in range(args.connections)]
        for name, clients, step in endpoints:
            # Steady state is measured: one answer first (a process's first ranking waits for its first read
            # of the district, seconds at 50k people).
            with contextlib.suppress(Exception):
                await asyncio.wait_for(step(clients[0]), 120)
            # The bare app right before each endpoint: the ceiling under the same machine load.
            ceiling = await load("bare", bare_clients, get("/"), args.duration)
            result = await load(name, clients, step, args.duration)
            rows.append((result, ceiling))
            print(f"  {engine:<10} {name:<32} {result.rate:8.0f}/s  share {result.rate / ceiling.rate:5.3f}  "
                  f"p50 {result.p(50):6.0f} ms  p99 {result.p(99):6.0f} ms  non-2xx {result.not_2xx_text()}"
                  f"  errors {result.errors}   (bare {ceiling.rate:.0f}/s, p99 {ceiling.p(99):.0f} ms)", flush=True)
        for c in [*volunteers, *anonymous, *staff, *bare_clients]:
            await c.close()
    finally:
        stop(process)
    return rows


async def database_exists(url: str, name: str) -> bool:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=10)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


async def run(args) -> int:
    logs = Path(tempfile.mkdtemp(prefix="tongxin-bench-web-"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)])}
    bare_process, bare = serve([sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--log-level", "info"], env,
                               logs / "bare.log")
    print(f"{args.connections} connections, {args.duration:.0f} s per endpoint, demo scale {args.scale} "
          f"({300 * args.scale} volunteers); logs in {logs}", flush=True)
    table: dict[str, list[tuple[Result, Result]]] = {}
    keep = Path(args.reuse) if args.reuse else None
    try:
        for engine in args.engines:
            if engine == "sqlite":
                folder = keep or logs
                folder.mkdir(parents=True, exist_ok=True)
                table[engine] = await engine_run(engine, f"sqlite:///{folder / f'demo-scale{args.scale}.sqlite3'}",
                                                 args, bare, logs)
            else:
                name = f"tongxin_benchweb_scale{args.scale}" if keep else f"tongxin_benchweb_{uuid.uuid4().hex[:10]}"
                if not keep or not await database_exists(args.postgres, name):
                    await admin(args.postgres, f'CREATE DATABASE "{name}"')
                try:
                    table[engine] = await engine_run(engine, args.postgres.rsplit("/", 1)[0] + "/" + name, args, bare,
                                                     logs)
                finally:
                    if not keep:
                        await admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        stop(bare_process)
    print(f"\ndemo scale {args.scale} ({300 * args.scale} volunteers)")
    print("\n| endpoint | " + " | ".join(f"{e} share | {e} p50/p99 ms | {e} non-2xx" for e in table) + " |")
    print("|---|" + "---|---|---|" * len(table))
    names = [r.name for r, _ in next(iter(table.values()))]
    for i, name in enumerate(names):
        cells = []
        for rows in table.values():
            result, ceiling = rows[i]
            cells += [f"{result.rate / ceiling.rate:.3f}", f"{result.p(50):.0f} / {result.p(99):.0f}",
                      result.not_2xx_text() + (f", {result.errors} lost" if result.errors else "")]
        print(f"| {name} | " + " | ".join(cells) + " |")
    bare_rates = [c.rate for rows in table.values() for _, c in rows]
    print(f"\nbare Litestar app: {min(bare_rates):.0f}–{max(bare_rates):.0f} requests/s with this client")
    shutil.rmtree(logs, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--postgres", default=os.environ.get(
        "TONGXIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="URL of the maintenance database; the bench creates and drops its own beside it")
    parser.add_argument("--scale", type=int, default=1, help="demo scale: 300 × N volunteers (167 ≈ 50k)")
    parser.add_argument("--reuse", metavar="DIR", help="keep the built databases (SQLite file in DIR, PostgreSQL "
                        "database tongxin_benchweb_scaleN) and use them again next time")
    parser.add_argument("--only", nargs="+", choices=ENDPOINTS, help="measure only these endpoints")
    args = parser.parse_args(argv)
    sys.path[:0] = [str(ROOT / "platform")]
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
