"""``kubelite rm [-f] CONTAINER...``: remove containers (``-f`` kills a running one first)."""

from __future__ import annotations

import argparse

from kubelite.cli.engine_common import engine_errors, open_engine
from kubelite.cli.errors import CLIError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--force", action="store_true", help="kill and remove a running container")
    parser.add_argument("containers", nargs="+")


def run(args: argparse.Namespace) -> int:
    engine = open_engine(args)
    errors = []
    for name in args.containers:
        try:
            with engine_errors():
                engine.remove(name, force=args.force)
            print(name)
        except CLIError as err:
            errors.append(str(err))
    if errors:
        raise CLIError("; ".join(errors))
    return 0
