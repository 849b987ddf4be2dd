"""``kubelite ps [-a] [-q]``: Docker's columns (CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES)."""

from __future__ import annotations

import argparse

from kubelite.cli.engine_common import engine_errors, open_engine


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-a", "--all", action="store_true", help="show all containers (default: running)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only print container ids")
    parser.add_argument("--no-trunc", action="store_true", help="print full ids")


def run(args: argparse.Namespace) -> int:
    from kubelite.runtime.inspect_json import ps_rows, table

    engine = open_engine(args)
    with engine_errors():
        found = engine.containers(all_containers=args.all)
    if args.quiet:
        for ctr in found:
            print(ctr.id if args.no_trunc else ctr.id[:12])
        return 0
    rows = ps_rows(found)
    if args.no_trunc:
        for row, ctr in zip(rows[1:], found, strict=True):
            row[0] = ctr.id
    print(table(rows))
    return 0
