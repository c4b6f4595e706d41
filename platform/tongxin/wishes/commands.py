"""`tongxin wishes hide-households`: wishes published before staff reviewed the public text, cleaned once."""

from __future__ import annotations

import argparse
import asyncio


def cmd_hide_households(args: argparse.Namespace) -> int:
    from tongxin.cli import _connect, _with_pool
    from tongxin.wishes.service import hide_households_in_published

    _connect()
    result = asyncio.run(_with_pool(lambda: hide_households_in_published(dry_run=args.dry_run)))
    verb = "would change" if args.dry_run else "changed"
    print(f"checked {result['checked']} published wishes, {verb} {result['changed']}")
    return 0


def register_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("wishes", help="micro-wish maintenance")
    sub = parser.add_subparsers(dest="wishes_command", required=True)
    hide = sub.add_parser("hide-households", help="hide each household's own details left in published wishes")
    hide.add_argument("--dry-run", action="store_true", help="only count the wishes that would change")
    hide.set_defaults(handler=cmd_hide_households)
