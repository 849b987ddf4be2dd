"""``kubelite start [-a] CONTAINER...``: start created or exited containers (detached unless -a)."""

from __future__ import annotations

import argparse

from kubelite.cli.engine_common import engine_errors, open_engine


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-a", "--attach", action="store_true", help="attach and wait, like run without -d")
    parser.add_argument("containers", nargs="+")


def run(args: argparse.Namespace) -> int:
    from kubelite.cli.run import foreground

    engine = open_engine(args)
    for name in args.containers:
        with engine_errors():
            if args.attach:
                ctr = engine.get(name)
                return foreground(engine, ctr.id, auto_remove=ctr.host_config.auto_remove)
            engine.start(name)
        print(name)
    return 0
