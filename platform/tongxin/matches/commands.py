"""`tongxin matching run` and `tongxin matching train`."""

from __future__ import annotations

import argparse
import asyncio


def _run(coro_factory) -> int:
    from tongxin.cli import _connect, _with_pool

    _connect()
    result = asyncio.run(_with_pool(coro_factory))
    print(result)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from tongxin.matches.service import run_matching_batch

    return _run(lambda: run_matching_batch(community_id=args.community, fairness=args.fairness, progress=print))


def cmd_train(args: argparse.Namespace) -> int:
    from tongxin.matches.service import train_and_maybe_activate

    return _run(lambda: train_and_maybe_activate(progress=print))


def register_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("matching", help="matching batches and model training")
    sub = parser.add_subparsers(dest="matching_command", required=True)
    run = sub.add_parser("run", help="propose volunteers for open occurrences and wishes")
    run.add_argument("--community", type=int, default=None, help="one community's id (default: the district)")
    run.add_argument("--fairness", type=float, default=0.05)
    run.set_defaults(handler=cmd_run)
    train = sub.add_parser("train", help="retrain from staff decisions; activates only if better")
    train.set_defaults(handler=cmd_train)
