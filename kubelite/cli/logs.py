"""``kubelite logs [-f] [--tail N] [-t] CONTAINER``: the CRI log conmon wrote, as Docker prints it."""

from __future__ import annotations

import argparse
import sys

from kubelite.cli.engine_common import engine_errors, open_engine
from kubelite.cli.errors import CLIError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--follow", action="store_true", help="follow the output until the container exits")
    parser.add_argument("--tail", default="all", help="number of lines to show from the end (default all)")
    parser.add_argument("-t", "--timestamps", action="store_true", help="show timestamps")
    parser.add_argument("container")


def run(args: argparse.Namespace) -> int:
    from kubelite.runtime.logs import follow_log, print_lines

    tail: int | None = None
    if args.tail != "all":
        try:
            tail = int(args.tail)
        except ValueError:
            raise CLIError(f"invalid --tail {args.tail!r}: a number or 'all'") from None
    engine = open_engine(args)
    with engine_errors():
        ctr = engine.get(args.container)
    out = sys.stdout.buffer
    err = sys.stderr.buffer
    path = engine.paths(ctr.id).log
    try:
        if not args.follow:
            print_lines(path, out, err, tail=tail, timestamps=args.timestamps)
            return 0
        follow_log(engine, ctr, out, err, tail=tail, timestamps=args.timestamps)
    except BrokenPipeError:
        return 0
    return 0
