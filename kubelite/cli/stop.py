"""``kubelite stop [-t SECS] CONTAINER...``: the image's STOPSIGNAL, then SIGKILL after the grace period."""

from __future__ import annotations

import argparse

from kubelite.cli.engine_common import engine_errors, open_engine
from kubelite.cli.errors import CLIError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-t", "--time", type=int, default=None, help="seconds to wait before killing (default 10)")
    parser.add_argument("containers", nargs="+")


def run(args: argparse.Namespace) -> int:
    if args.time is not None and args.time < 0:
        raise CLIError("-t must be zero or more seconds")
    engine = open_engine(args)
    failed = 0
    for name in args.containers:
        try:
            with engine_errors():
                engine.stop(name, args.time)
            print(name)
        except CLIError as err:
            print(f"Error: {err}", flush=True)
            failed += 1
    return 1 if failed else 0
