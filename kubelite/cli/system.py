"""``kubelite system prune [-f]``: remove stopped containers and interrupted leftovers."""

from __future__ import annotations

import argparse

from kubelite.cli.engine_common import engine_errors, open_engine
from kubelite.cli.errors import CLIError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("prune",), help="prune: remove stopped containers")
    parser.add_argument("-f", "--force", action="store_true", help="do not ask (we never ask)")
    parser.add_argument("-a", "--all", action="store_true", help="accepted for docker compatibility")


def run(args: argparse.Namespace) -> int:
    if args.action != "prune":
        raise CLIError(f"unknown system action {args.action!r}")
    engine = open_engine(args)
    with engine_errors():
        removed = engine.prune()
    print("Deleted Containers:" if removed else "Total reclaimed: 0 containers")
    for cid in removed:
        print(cid)
    return 0
