"""``kubelite create [run's flags] IMAGE [CMD...]``: create a container without starting it (Docker's)."""

from __future__ import annotations

import argparse

from kubelite.cli.engine_common import engine_errors, open_engine


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from kubelite.cli.run import add_create_arguments

    add_create_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from kubelite.cli.run import create_request

    if args.command and args.command[0] == "--":
        args.command = args.command[1:]
    req = create_request(args)
    engine = open_engine(args)
    with engine_errors():
        ctr = engine.create(req)
    print(ctr.id)
    return 0
