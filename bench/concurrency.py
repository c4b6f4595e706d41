"""Concurrency proof for the sign-up state machine: several web instances, one PostgreSQL, over HTTP.

`python -m bench.concurrency` (or `make bench-concurrency`) creates its own PostgreSQL database
(default admin URL postgresql://postgres@127.0.0.1:5432/postgres, trust auth), migrates it, starts
`--instances` web instances (`tongxin serve` subprocesses, no scheduler, one secret key) and drives them
with httpx, each request going to the next instance in turn:

- each round: `--people` distinct volunteers sign up at the same moment for one fresh occurrence with
  `--capacity` places; then `--cancels` confirmed and `--cancels` waitlisted people cancel at once;
- the same sign-up submitted `--duplicates` times at once;
- one person signing up for two overlapping occurrences at the same moment.

After each step it checks the database and the answers (no over-booking, `taken` equals the rows holding
a place, nobody holds a place after their cancel answered 200, the waitlist promoted in queue order with
unique positions, no 5xx) and prints latency p50/p99, and for each round's sign-ups the CPU the web
instances and this database's PostgreSQL backends spent per sign-up (from /proc: what a sign-up costs,
whatever else runs on the machine). Exits 1 when any check fails. The database is
dropped at the end (`--keep` keeps it and the server logs for a post-mortem).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-42"
FAILURES: list[str] = []


def check(ok: bool, what: str) -> bool:
    """Print one check; remember it when it fails."""
    print(f"    {'ok  ' if ok else 'FAIL'} {what}", flush=True)
    if not ok:
        FAILURES.append(what)
    return ok


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ms(values: list[float]) -> str:
    if not values:
        return "-"
    a = np.array(values) * 1000
    return f"p50 {np.percentile(a, 50):6.0f} ms  p99 {np.percentile(a, 99):6.0f} ms  max {a.max():6.0f} ms"


# ---- database ---------------------------------------------------------------------------------------

async def admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def deadlocks(url: str) -> int:
    """Deadlocks PostgreSQL has detected in this database so far (its statistics may lag by a second)."""
    import asyncpg

    conn = await asyncpg.connect(url, timeout=10)
    try:
        await asyncio.sleep(1)
        return int(await conn.fetchval("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"))
    finally:
        await conn.close()


@dataclass
class District:
    """What the bench set up in its database: a place, an organization and the people."""

    community: int
    grid: int
    organization: int
    people: list[dict] = field(default_factory=list)  # {"username", "user", "volunteer"}


async def build_district(people: int) -> District:
    """One community, an approved organization and `people` adult volunteers with accounts."""
    from argon2 import PasswordHasher

    from tongxin.accounts.tables import Community, Grid, User
    from tongxin.organizations.tables import Organization
    from tongxin.volunteers.tables import Volunteer

    community = (await Community.insert(Community(code="bench", name="明日社区", lat=33.9, lon=118.3))
                 .returning(Community.id))[0]["id"]
    grid = (await Grid.insert(Grid(community=community, code="bench-g1", name="第一网格", lat=33.91, lon=118.31))
            .returning(Grid.id))[0]["id"]
    org = (await Organization.insert(Organization(name="同心社工服务中心", kind="social_organization",
                                                  status="approved")).returning(Organization.id))[0]["id"]
    # One cheap hash for everyone (verification reads its parameters from the hash): the sign-in at
    # set-up is not what is measured, and full-strength Argon2 costs ~0.5 s a login on a busy machine.
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    born = datetime.now(timezone.utc).date().replace(year=datetime.now(timezone.utc).year - 30, day=1)
    district = District(community=community, grid=grid, organization=org)
    users = await User.insert(*[User(username=f"bench{n:04d}", password_hash=hashed, role="volunteer",
                                     display_name=f"志愿者{n}") for n in range(people)]).returning(User.id, User.username)
    volunteers = await Volunteer.insert(*[Volunteer(user=u["id"], real_name=f"志愿者{n}", birth_date=born,
                                                    community=community, grid=grid, lat=33.91, lon=118.31,
                                                    max_hours_month=200)
                                          for n, u in enumerate(users)]).returning(Volunteer.id, Volunteer.user)
    by_user = {v["user"]: v["id"] for v in volunteers}
    district.people = [{"username": u["username"], "user": u["id"], "volunteer": by_user[u["id"]]} for u in users]
    return district


async def new_occurrence(district: District, *, capacity: int, start: datetime, minutes: int = 60,
                         title: str = "吾爱邻便民志愿服务日") -> int:
    """An approved one-off activity with its one open occurrence."""
    from tongxin.activities.tables import Activity, Occurrence

    activity = (await Activity.insert(Activity(
        organization=district.organization, title=title, kind="service_day", status="approved", starts_at=start,
        duration_minutes=minutes, capacity=capacity, community=district.community, grid=district.grid,
        lat=33.91, lon=118.31, min_age=18, max_age=70)).returning(Activity.id))[0]["id"]
    return (await Occurrence.insert(Occurrence(
        activity=activity, starts_at=start, ends_at=start + timedelta(minutes=minutes),
        signup_deadline=start - timedelta(hours=1), capacity=capacity, taken=0, status="open",
        community=district.community, grid=district.grid, lat=33.91, lon=118.31, address="明日社区广场",
    )).returning(Occurrence.id))[0]["id"]


async def sign_ups_of(occurrence_id: int) -> list[dict]:
    from tongxin.activities.tables import SignUp

    return await SignUp.select(SignUp.id, SignUp.volunteer, SignUp.status, SignUp.queue_seq).where(
        SignUp.occurrence == occurrence_id)


async def told_of_promotion(occurrence_id: int) -> set[int]:
    """The users told they got a place from the waitlist (one message per person and occurrence)."""
    from tongxin.notifications.tables import Notification

    rows = await Notification.select(Notification.recipient).where(
        (Notification.kind == "waitlist_promoted") & (Notification.target_key == f"occurrence:{occurrence_id}"))
    return {r["recipient"] for r in rows}


async def taken_of(occurrence_id: int) -> int:
    from tongxin.activities.tables import Occurrence

    return (await Occurrence.select(Occurrence.taken).where(Occurrence.id == occurrence_id).first())["taken"]


# ---- CPU spent ----------------------------------------------------------------------------------------

def cpu_of(pids) -> dict[int, float]:
    """CPU seconds (user + system) each process has used so far, from /proc (Linux; {} elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        except (OSError, ValueError, IndexError):
            pass
    return found


class CPUMeter:
    """The CPU the web instances and this database's PostgreSQL backends spend on a step, whatever else
    runs on the machine: what a step costs, where wall times only say how busy the machine was."""

    def __init__(self, instances: "Instances", database_url: str | None):
        self.instances = instances
        self.database_url = database_url

    async def _backends(self) -> list[int]:
        if self.database_url is None:
            return []
        import asyncpg

        conn = await asyncpg.connect(self.database_url, timeout=10)
        try:
            return [r["pid"] for r in await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
        finally:
            await conn.close()

    async def read(self) -> tuple[dict[int, float], dict[int, float]]:
        return cpu_of(p.pid for p in self.instances.processes), cpu_of(await self._backends())

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


# ---- web instances ----------------------------------------------------------------------------------

class Instances:
    """`count` `tongxin serve` processes on free ports; `next()` gives the next base URL in turn."""

    def __init__(self, count: int, database_url: str, logs: Path):
        self.count = count
        self.database_url = database_url
        self.logs = logs
        self.processes: list[subprocess.Popen] = []
        self.bases: list[str] = []
        self._turn = 0

    def start(self) -> None:
        env = {**os.environ, "TONGXIN_DATABASE_URL": self.database_url, "TONGXIN_RUN_SCHEDULER": "0",
               "TONGXIN_DEVELOPMENT": "1", "TONGXIN_SECRET_KEY": "bench-concurrency-" + uuid.uuid4().hex,
               # Every simulated phone signs in from 127.0.0.1: the per-client sign-in allowance is for one phone.
               "TONGXIN_LOGIN_FREE_PER_CLIENT": "100000",
               "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)])}
        for n in range(self.count):
            port = free_port()
            log = open(self.logs / f"instance-{n}.log", "wb")
            self.processes.append(subprocess.Popen(
                [sys.executable, "-m", "tongxin.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                 "--no-scheduler"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
            self.bases.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        for base, process in zip(self.bases, self.processes):
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"an instance exited at start; see {self.logs}")
                try:
                    if httpx.get(base + "/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"an instance did not start in 60 s; see {self.logs}")
                time.sleep(0.2)

    def next(self) -> str:
        self._turn += 1
        return self.bases[self._turn % self.count]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    def errors_logged(self) -> int:
        """Answers 5xx and unhandled errors in the instances' logs (handled 4xx are logged too)."""
        count = 0
        for path in self.logs.glob("instance-*.log"):
            for line in path.read_text(errors="replace").splitlines():
                count += ('HTTP/1.1" 5' in line) or ("unhandled error" in line)
        return count


@dataclass
class Answer:
    status: int
    body: dict
    seconds: float


class Person:
    """One volunteer's browser: a cookie jar shared by every instance (one host, sessions in the database)."""

    def __init__(self, instances: Instances, who: dict):
        self.instances = instances
        self.who = who
        # Cookies are per host, not per port: the session and CSRF token go to every instance.
        # Idle connections expire before uvicorn's 5 s keep-alive closes them under us.
        self.client = httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=4, keepalive_expiry=2))

    async def send(self, method: str, path: str, **kwargs) -> Answer:
        if method != "GET":
            if self.client.cookies.get("tx_csrf") is None:
                await self.client.get(self.instances.next() + "/api/csrf")
            kwargs["headers"] = {"x-csrftoken": self.client.cookies.get("tx_csrf") or ""}
        started = time.perf_counter()
        try:
            response = await self.client.request(method, self.instances.next() + path, **kwargs)
        except httpx.TransportError as exc:  # counted as an answer that never came (status 0)
            return Answer(0, {"error": repr(exc)}, time.perf_counter() - started)
        seconds = time.perf_counter() - started
        try:
            body = response.json()
        except ValueError:
            body = {"text": response.text[:200]}
        return Answer(response.status_code, body if isinstance(body, dict) else {"items": body}, seconds)

    async def login(self) -> None:
        answer = await self.send("POST", "/api/accounts/login", json={"username": self.who["username"],
                                                                    "password": PASSWORD})
        if answer.status != 200:
            raise RuntimeError(f"login of {self.who['username']} answered {answer.status}: {answer.body}")

    async def sign_up(self, occurrence_id: int) -> Answer:
        return await self.send("POST", f"/api/occurrences/{occurrence_id}/sign-ups", json={})

    async def cancel(self, sign_up_id: int) -> Answer:
        return await self.send("DELETE", f"/api/sign-ups/{sign_up_id}")


async def at_once(calls) -> list[Answer]:
    """Start every call at the same moment (each waits on one event) and gather the answers."""
    go = asyncio.Event()

    async def one(call):
        await go.wait()
        return await call()

    tasks = [asyncio.ensure_future(one(c)) for c in calls]
    await asyncio.sleep(0.05)
    go.set()
    return await asyncio.gather(*tasks)


def no_5xx(answers: list[Answer], what: str) -> None:
    bad = [a for a in answers if a.status >= 500 or a.status == 0]
    check(not bad, f"{what}: no answer 5xx or lost ({len(bad)} of {len(answers)}"
                   + (f"; first: {bad[0].status} {bad[0].body}" if bad else "") + ")")


# ---- the scenarios ----------------------------------------------------------------------------------

@dataclass
class RoundFigures:
    sign_up_seconds: list[float] = field(default_factory=list)
    sign_up_cpu: tuple[float, float] = (0.0, 0.0)  # seconds of CPU per sign-up: web instances, database
    cancel_seconds: list[float] = field(default_factory=list)
    again_seconds: list[float] = field(default_factory=list)
    mixed_seconds: list[float] = field(default_factory=list)


async def one_round(number: int, district: District, people: list[Person], *, capacity: int, cancels: int,
                    rng: random.Random, newcomers: list[Person] = (), meter: CPUMeter | None = None) -> RoundFigures:
    """Everyone signs up at once for a fresh occurrence; then confirmed and waitlisted people cancel at once."""
    figures = RoundFigures()
    start = (datetime.now(timezone.utc) + timedelta(days=3 + number)).replace(hour=1, minute=0, second=0,
                                                                              microsecond=0)
    occurrence = await new_occurrence(district, capacity=capacity, start=start)
    print(f"  round {number}: {len(people)} sign-ups at once for {capacity} places (occurrence {occurrence})",
          flush=True)
    before = await meter.read() if meter else None
    answers = await at_once([lambda p=p: p.sign_up(occurrence) for p in people])
    figures.sign_up_seconds = [a.seconds for a in answers]
    if meter:
        after = await meter.read()
        figures.sign_up_cpu = (meter.spent(before[0], after[0]) / len(people),
                               meter.spent(before[1], after[1]) / len(people))
    no_5xx(answers, "sign-ups")
    check(all(a.status == 201 for a in answers),
          f"every sign-up answered 201 ({sorted({a.status for a in answers})})")
    rows = await sign_ups_of(occurrence)
    confirmed = [r for r in rows if r["status"] == "confirmed"]
    waitlisted = sorted((r for r in rows if r["status"] == "waitlisted"), key=lambda r: r["queue_seq"])
    taken = await taken_of(occurrence)
    said_confirmed = sum(1 for a in answers if a.body.get("status") == "confirmed")
    check(len(confirmed) <= capacity, f"no over-booking: {len(confirmed)} confirmed for {capacity} places")
    check(len(confirmed) == min(capacity, len(people)), f"every place is taken ({len(confirmed)})")
    check(taken == len(confirmed), f"taken ({taken}) equals the confirmed rows ({len(confirmed)})")
    check(said_confirmed == len(confirmed), f"answers saying confirmed ({said_confirmed}) match the rows")
    answered = {p.who["volunteer"] for p, a in zip(people, answers) if a.status == 201}
    check({r["volunteer"] for r in rows} == answered,
          f"a sign-up row exactly for each answer 201 ({len(rows)} rows, {len(answered)} answered 201)")
    seqs = [r["queue_seq"] for r in waitlisted]
    check(len(set(seqs)) == len(seqs) and None not in seqs, f"{len(seqs)} waitlist queue numbers, all unique")
    positions = sorted(a.body.get("waitlist_position") for a in answers if a.body.get("status") == "waitlisted")
    check(positions == list(range(1, len(waitlisted) + 1)),
          f"waitlist positions answered are 1..{len(waitlisted)}, each once")

    # Cancel: some confirmed and some waitlisted (anywhere in the queue) at the same moment.
    by_volunteer = {p.who["volunteer"]: p for p in people}
    leaving_confirmed = rng.sample(confirmed, min(cancels, len(confirmed)))
    leaving_waitlisted = rng.sample(waitlisted, min(cancels, len(waitlisted)))
    leaving = leaving_confirmed + leaving_waitlisted
    print(f"  round {number}: {len(leaving_confirmed)} confirmed and {len(leaving_waitlisted)} waitlisted "
          f"cancel at once", flush=True)
    answers = await at_once([lambda r=r: by_volunteer[r["volunteer"]].cancel(r["id"]) for r in leaving])
    figures.cancel_seconds = [a.seconds for a in answers]
    no_5xx(answers, "cancels")
    check(all(a.status == 200 for a in answers), f"every cancel answered 200 ({sorted({a.status for a in answers})})")
    after = {r["id"]: r for r in await sign_ups_of(occurrence)}
    still_in = [r["id"] for r, a in zip(leaving, answers) if a.status == 200 and after[r["id"]]["status"] != "cancelled"]
    check(not still_in, f"nobody whose cancel answered 200 is still in play ({len(still_in)})")
    gone_anyway = [r["id"] for r, a in zip(leaving, answers) if a.status != 200 and after[r["id"]]["status"] == "cancelled"]
    check(not gone_anyway, f"no cancel answered otherwise went through ({len(gone_anyway)})")
    confirmed_after = {i for i, r in after.items() if r["status"] == "confirmed"}
    taken = await taken_of(occurrence)
    check(len(confirmed_after) <= capacity, f"no over-booking after the cancels: {len(confirmed_after)} confirmed")
    check(taken == len(confirmed_after), f"taken ({taken}) equals the confirmed rows ({len(confirmed_after)})")
    # The places freed go to the first in the queue who did not leave, in queue order.
    gone = {r["id"] for r in leaving}
    stayed = [r["id"] for r in confirmed if r["id"] not in gone]
    freed = capacity - len(stayed)
    expected = [r["id"] for r in waitlisted if r["id"] not in gone][:freed]
    promoted = confirmed_after - set(stayed)
    check(promoted == set(expected), f"the waitlist moved up in queue order ({len(promoted)} promoted, "
                                     f"{len(promoted - set(expected))} out of order)")
    remaining = sorted((r for r in after.values() if r["status"] == "waitlisted"), key=lambda r: r["queue_seq"])
    seqs = [r["queue_seq"] for r in remaining]
    check(len(set(seqs)) == len(seqs), f"{len(seqs)} people still waiting, queue numbers unique")
    # A waitlisted person promoted a moment before their own cancel ran gives the place on again.
    named = [i for a in answers for i in a.body.get("promoted", [])]
    check(len(named) == len(set(named)) and promoted <= set(named) and set(named) - promoted <= gone,
          f"cancel answers name each promotion once ({len(named)} named, {len(set(named) - promoted)} of them "
          f"promoted and then left)")
    users = {p.who["volunteer"]: p.who["user"] for p in people}
    told = await told_of_promotion(occurrence)
    check(told == {users[after[i]["volunteer"]] for i in named},
          f"each person promoted is told once ({len(told)} told)")

    # The people who left sign up again at once: each goes to the end of the queue, positions unique.
    answers = await at_once([lambda r=r: by_volunteer[r["volunteer"]].sign_up(occurrence) for r in leaving])
    figures.again_seconds = [a.seconds for a in answers]
    no_5xx(answers, "sign-ups again")
    rows = await sign_ups_of(occurrence)
    waiting = sorted((r for r in rows if r["status"] == "waitlisted"), key=lambda r: r["queue_seq"])
    back = {r["id"] for r in leaving}
    check({r["id"] for r in waiting[-len(back):]} == back,
          f"the {len(back)} who came back wait at the end of the queue")
    positions = sorted(a.body.get("waitlist_position") or 0 for a in answers)
    first = len(waiting) - len(back) + 1
    check(positions == list(range(first, len(waiting) + 1)),
          f"their positions answered are {first}..{len(waiting)}, each once")
    confirmed_now = sum(r["status"] == "confirmed" for r in rows)
    check(confirmed_now == capacity == await taken_of(occurrence),
          f"still {confirmed_now} confirmed, taken equal to it")
    if newcomers:
        await cancels_meet_newcomers(number, occurrence, people, newcomers, capacity=capacity, cancels=cancels,
                                     rng=rng, figures=figures)
    return figures


async def cancels_meet_newcomers(number: int, occurrence: int, people: list[Person], newcomers: list[Person], *,
                                 capacity: int, cancels: int, rng: random.Random, figures: RoundFigures) -> None:
    """Confirmed people cancel while newcomers sign up, all at the same moment: the freed places go to
    the people already waiting, in queue order; no newcomer jumps the queue."""
    rows = await sign_ups_of(occurrence)
    confirmed = [r for r in rows if r["status"] == "confirmed"]
    queue = [r["id"] for r in sorted((r for r in rows if r["status"] == "waitlisted"), key=lambda r: r["queue_seq"])]
    last_seq = max((r["queue_seq"] or 0) for r in rows)
    by_volunteer = {p.who["volunteer"]: p for p in people}
    leaving = rng.sample(confirmed, min(cancels, len(confirmed)))
    print(f"  round {number}: {len(leaving)} confirmed cancel while {len(newcomers)} newcomers sign up, at once",
          flush=True)
    answers = await at_once([lambda r=r: by_volunteer[r["volunteer"]].cancel(r["id"]) for r in leaving]
                            + [lambda p=p: p.sign_up(occurrence) for p in newcomers])
    figures.mixed_seconds = [a.seconds for a in answers]
    no_5xx(answers, "cancels and newcomers' sign-ups")
    check(sorted({a.status for a in answers[:len(leaving)]}) == [200]
          and sorted({a.status for a in answers[len(leaving):]}) == [201],
          "every cancel answered 200 and every newcomer 201")
    after = await sign_ups_of(occurrence)
    confirmed_after = {r["id"] for r in after if r["status"] == "confirmed"}
    taken = await taken_of(occurrence)
    check(len(confirmed_after) <= capacity and taken == len(confirmed_after),
          f"no over-booking ({len(confirmed_after)} confirmed), taken ({taken}) equals the rows")
    promoted = confirmed_after - {r["id"] for r in confirmed}
    freed = capacity - (len(confirmed) - len(leaving))
    check(promoted & set(queue) == set(queue[:freed]),
          f"the places went to the first {min(freed, len(queue))} already waiting, in queue order "
          f"({len((promoted & set(queue)) - set(queue[:freed]))} out of order)")
    mine = {p.who["volunteer"] for p in newcomers}
    arrived = [r for r in after if r["volunteer"] in mine]
    places_left = max(freed - len(queue), 0)  # only when the queue ran dry may a newcomer get a place
    check(len(arrived) == len(mine) and sum(r["status"] == "confirmed" for r in arrived) == places_left
          and all(r["queue_seq"] > last_seq for r in arrived if r["status"] == "waitlisted"),
          f"the {len(mine)} newcomers wait at the end of the queue")
    seqs = [r["queue_seq"] for r in after if r["status"] == "waitlisted"]
    check(len(seqs) == len(set(seqs)), f"{len(seqs)} waiting, queue numbers unique")


async def duplicates(district: District, person: Person, *, times: int, start: datetime) -> list[float]:
    """The same sign-up submitted `times` times at once: one 201, the rest 409, never 5xx; the same with
    its cancel."""
    occurrence = await new_occurrence(district, capacity=5, start=start, title="重复提交")
    answers = await at_once([lambda: person.sign_up(occurrence) for _ in range(times)])
    no_5xx(answers, f"the same sign-up {times} times")
    codes = sorted(a.status for a in answers)
    check(codes == [201] + [409] * (times - 1), f"one 201 and {times - 1} × 409 (got {codes_summary(codes)})")
    rows = await sign_ups_of(occurrence)
    check(len(rows) == 1 and await taken_of(occurrence) == 1, f"one sign-up row, taken 1 ({len(rows)} rows)")
    sign_up = next(a.body["id"] for a in answers if a.status == 201)
    cancels = await at_once([lambda: person.cancel(sign_up) for _ in range(times)])
    no_5xx(cancels, f"the same cancel {times} times")
    codes = sorted(a.status for a in cancels)
    check(codes == [200] + [409] * (times - 1), f"one 200 and {times - 1} × 409 (got {codes_summary(codes)})")
    check(await taken_of(occurrence) == 0, "taken back to 0")
    return [a.seconds for a in answers + cancels]


async def overlapping(district: District, person: Person, *, start: datetime) -> None:
    """One person signs up for two overlapping occurrences at the same moment: at most one confirms."""
    first = await new_occurrence(district, capacity=5, start=start, minutes=120, title="重叠一")
    second = await new_occurrence(district, capacity=5, start=start + timedelta(minutes=30), minutes=120,
                                  title="重叠二")
    answers = await at_once([lambda: person.sign_up(first), lambda: person.sign_up(second)])
    no_5xx(answers, "two overlapping sign-ups")
    rows = [r for o in (first, second) for r in await sign_ups_of(o) if r["status"] == "confirmed"]
    check(len(rows) == 1, f"one of two overlapping occurrences confirmed ({len(rows)}; answers "
                          f"{[a.status for a in answers]} {[a.body.get('error') for a in answers]})")


def codes_summary(codes: list[int]) -> str:
    return ", ".join(f"{c}×{codes.count(c)}" for c in sorted(set(codes)))


async def run(args) -> int:
    from tongxin.db import connection_pool, migrate, use_database

    FAILURES.clear()
    admin_url = args.postgres
    logs = Path(tempfile.mkdtemp(prefix="tongxin-concurrency-"))
    if args.sqlite:
        name = str(logs / "bench.sqlite3")
        url = f"sqlite:///{name}"
    else:
        name = f"tongxin_bench_{uuid.uuid4().hex[:10]}"
        url = admin_url.rsplit("/", 1)[0] + "/" + name
        await admin(admin_url, f'CREATE DATABASE "{name}"')
    print(f"database {name}, {args.instances} instance(s), logs in {logs}", flush=True)
    instances = Instances(args.instances, url, logs)
    people: list[Person] = []
    try:
        engine = use_database(url)
        async with connection_pool(engine):
            started = time.perf_counter()
            await migrate(quiet=True)
            district = await build_district(args.people + args.newcomers + 1 + args.overlaps)
            instances.start()
            print(f"  set-up: database and {args.instances} instance(s) ready in {time.perf_counter() - started:.1f} s",
                  flush=True)
            people = [Person(instances, who) for who in district.people]
            gate = asyncio.Semaphore(16)

            async def login(p: Person) -> None:
                async with gate:
                    await p.login()

            await asyncio.gather(*[login(p) for p in people])
            print(f"  set-up: {len(people)} volunteers signed in on {args.instances} instances in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
            crowd, newcomers = people[:args.people], people[args.people:args.people + args.newcomers]
            spare = people[args.people + args.newcomers:]
            rng = random.Random(args.seed)
            meter = CPUMeter(instances, None if args.sqlite else url)
            table = []
            for number in range(1, args.rounds + 1):
                figures = await one_round(number, district, crowd, capacity=args.capacity, cancels=args.cancels,
                                          rng=rng, newcomers=newcomers, meter=meter)
                print(f"    sign-ups       {ms(figures.sign_up_seconds)}   CPU per sign-up: web "
                      f"{figures.sign_up_cpu[0] * 1000:.1f} ms, database {figures.sign_up_cpu[1] * 1000:.1f} ms\n"
                      f"    cancels        {ms(figures.cancel_seconds)}\n"
                      f"    sign-ups again {ms(figures.again_seconds)}\n"
                      f"    with newcomers {ms(figures.mixed_seconds)}", flush=True)
                table.append(figures)
            base = (datetime.now(timezone.utc) + timedelta(days=20)).replace(hour=1, minute=0, second=0,
                                                                           microsecond=0)
            print(f"  the same sign-up {args.duplicates} times at once", flush=True)
            dup = await duplicates(district, spare[0], times=args.duplicates, start=base)
            print(f"    {ms(dup)}", flush=True)
            print(f"  {args.overlaps} people each sign up for two overlapping occurrences at once", flush=True)
            for n, person in enumerate(spare[1:1 + args.overlaps]):
                await overlapping(district, person, start=base + timedelta(days=1 + n))
            check(instances.errors_logged() == 0, f"no 5xx or unhandled error in the instances' logs "
                                                 f"({instances.errors_logged()})")
            every_sign_up = [s for f in table for s in f.sign_up_seconds]
            every_cancel = [s for f in table for s in f.cancel_seconds]
            web_cpu = np.mean([f.sign_up_cpu[0] for f in table]) * 1000
            db_cpu = np.mean([f.sign_up_cpu[1] for f in table]) * 1000
            print(f"\n  all rounds: sign-ups {ms(every_sign_up)}\n              cancels  {ms(every_cancel)}\n"
                  f"              CPU per sign-up ({args.people} at once): web instances {web_cpu:.1f} ms, database {db_cpu:.1f} ms")
            if not args.sqlite:  # each one cost a transaction PostgreSQL's deadlock_timeout (1 s) and a retry
                print(f"              deadlocks {await deadlocks(url)}")
            print(f"              load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        for p in people:
            await p.client.aclose()
        instances.stop()
        if args.keep:
            print(f"  kept database {name} and logs {logs}")
        else:
            if not args.sqlite:
                await admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not FAILURES:
                shutil.rmtree(logs, ignore_errors=True)
    if FAILURES:
        print(f"\n{len(FAILURES)} check(s) FAILED" + ("" if args.keep else f"; server logs in {logs}"))
        for failure in FAILURES:
            print("  -", failure)
        return 1
    print("\nall checks passed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", default=os.environ.get(
        "TONGXIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="URL of the maintenance database; the bench creates and drops its own beside it")
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--capacity", type=int, default=20)
    parser.add_argument("--cancels", type=int, default=20, help="confirmed and as many waitlisted cancel at once")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--newcomers", type=int, default=20,
                        help="people who sign up while as many confirmed cancel, at the end of each round")
    parser.add_argument("--duplicates", type=int, default=20)
    parser.add_argument("--overlaps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sqlite", action="store_true",
                        help="a SQLite file instead of PostgreSQL (one machine; use --instances 1 for the embedded setup)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    args = parser.parse_args(argv)
    sys.path[:0] = [str(ROOT / "platform")]
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
