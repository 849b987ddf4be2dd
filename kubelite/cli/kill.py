"""``kubelite kill [-s SIGNAL] CONTAINER...``: send a signal (default SIGKILL) to the container's process."""

from __future__ import annotations

import argparse

from kubelite.cli.engine_common import engine_errors, open_engine


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-s", "--signal", default="SIGKILL", help="signal name or number")
    parser.add_argument("containers", nargs="+")


def run(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    for name in args.containers:
        with engine_errors():
            engine.kill(name, args.signal)
        print(name)
    return 0
