"""``kubelite cluster-logs [server|agent]``: the single-node cluster's logs (``-f`` to follow)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("component", nargs="?", default="server", choices=["server", "agent"])
    parser.add_argument("--data-dir", default="/var/lib/kubelite/server")
    parser.add_argument("-n", "--tail", type=int, default=100)
    parser.add_argument("-f", "--follow", action="store_true")


def run(args: argparse.Namespace) -> int:
    import sys
    import time

    from kubelite.cli.errors import CLIError
    from kubelite.daemons import cluster

    config = cluster.ClusterConfig(data_dir=Path(args.data_dir))
    path = config.log_file(args.component)
    if not path.exists():
        raise CLIError(f"no log for {args.component} at {path} (has `kubelite up` run with this --data-dir?)")
    with path.open("r", errors="replace") as f:
        lines = f.readlines()
        sys.stdout.writelines(lines[-args.tail:] if args.tail > 0 else lines)
        sys.stdout.flush()
        while args.follow:
            line = f.readline()
            if line:
                sys.stdout.write(line)
                sys.stdout.flush()
            else:
                time.sleep(0.2)
    return 0
