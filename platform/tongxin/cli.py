"""The `tongxin` command: serve, migrate, demo, create-staff, scheduler, matching train."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib
import os
import sys
from typing import Callable, Sequence

from tongxin.settings import Settings

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(fn: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = fn
        return fn

    return register


def _connect() -> Settings:
    from tongxin.db import use_database

    settings = Settings.from_env()
    use_database(settings.database_url)
    return settings


async def _with_pool(coro_fn):
    from tongxin.db import connection_pool, current_engine

    async with connection_pool(current_engine()):
        return await coro_fn()


@command("migrate")
def cmd_migrate(args: argparse.Namespace) -> int:
    from tongxin.db import migrate

    settings = _connect()
    print(f"migrating {settings.database_url.split('@')[-1]} ...", flush=True)
    applied = asyncio.run(migrate(quiet=True))
    print(f"applied {len(applied)} migration(s)" if applied else "nothing to apply: database is up to date")
    return 0


@command("demo")
def cmd_demo(args: argparse.Namespace) -> int:
    from tongxin.demo.loader import is_loaded, load_demo, reset_demo

    _connect()
    if args.reset and not args.yes:
        if not sys.stdin.isatty():
            print("--reset deletes every row of every table: add --yes to confirm", file=sys.stderr)
            return 2
        if input("--reset deletes every row of every table in this database. Type yes to go on: ").strip() != "yes":
            print("nothing deleted")
            return 1

    async def run() -> None:
        if args.reset:
            await reset_demo(progress=print)
        elif await is_loaded(scale=args.scale):
            print("demo district already loaded: skipping (`tongxin demo --reset --yes` reloads it)")
            return
        await load_demo(scale=args.scale, progress=lambda message: print(message, flush=True))

    asyncio.run(_with_pool(run))
    return 0


@command("create-staff")
def cmd_create_staff(args: argparse.Namespace) -> int:
    from tongxin.accounts.service import create_user
    from tongxin.errors import DomainError

    _connect()
    password = args.password or os.environ.get("TONGXIN_STAFF_PASSWORD") or getpass.getpass("password: ")
    try:
        user = asyncio.run(_with_pool(lambda: create_user(
            username=args.username, password=password, role="admin" if args.admin else "staff",
            display_name=args.display_name or args.username)))
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(f"created {user['role']} {user['username']} (id {user['id']})")
    return 0


@command("serve")
def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from tongxin import serving
    from tongxin.settings import MissingSetting

    if args.no_scheduler:
        os.environ["TONGXIN_RUN_SCHEDULER"] = "0"
    try:
        settings = Settings.from_env().ready_to_serve()
    except MissingSetting as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.prepare:  # `make run`: one process migrates, loads a missing demo and serves (a second run starts fast)
        for step in (cmd_migrate, cmd_demo):
            if step(argparse.Namespace(reset=False, yes=False, scale=1)):
                return 1
    print(f"serving Tongxin on http://{args.host}:{args.port}", flush=True)
    uvicorn.run("tongxin.app:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="info", proxy_headers=True,
                http=serving.http_protocol(), loop="auto", timeout_keep_alive=settings.keepalive_seconds,
                # A shutdown waits this long for requests in flight, then closes what is left.
                timeout_graceful_shutdown=settings.client_timeout_seconds)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tongxin", description="Tongxin 同心 volunteer matching platform")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations")
    demo = sub.add_parser("demo", help="load the demo district with a year of history (skipped when loaded)")
    demo.add_argument("--scale", type=int, default=1, help="multiply the population (benchmarks; no history)")
    demo.add_argument("--reset", action="store_true", help="delete every row first, then load the demo again")
    demo.add_argument("--yes", action="store_true", help="confirm --reset without asking")
    staff = sub.add_parser("create-staff", help="create a staff account")
    staff.add_argument("--username", required=True)
    staff.add_argument("--password", help="default: $TONGXIN_STAFF_PASSWORD or a prompt")
    staff.add_argument("--display-name", default="")
    staff.add_argument("--admin", action="store_true", help="staff with user management")
    serve = sub.add_parser("serve", help="serve the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--prepare", action="store_true",
                       help="first apply migrations and load the demo district if it is missing (what `make run` does)")
    serve.add_argument("--no-scheduler", action="store_true",
                       help="do not run jobs in this process (run `tongxin scheduler` beside it)")
    for module_name in EXTENSION_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register_commands(sub)
    return parser


# Domains add sub-commands (`scheduler`, `matching train`) in a `commands.py` of their own:
# `register_commands(subparsers)` adds parsers whose `handler` default runs them.
EXTENSION_MODULES = ("tongxin.scheduling.commands", "tongxin.matches.commands", "tongxin.wishes.commands")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = COMMANDS.get(args.command) or getattr(args, "handler", None)
    return handler(args) or 0


if __name__ == "__main__":
    sys.exit(main())
