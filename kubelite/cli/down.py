"""``kubelite down``: stop the single-node cluster (agent, then server). Its state stays for the next up."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", default="/var/lib/kubelite/server")


def run(args: argparse.Namespace) -> int:
    from kubelite.daemons import cluster

    config = cluster.ClusterConfig(data_dir=Path(args.data_dir), engine_root=Path(args.root))
    stopped = [part for part in reversed(cluster.PARTS) if cluster.stop(config, part)]
    print(f"Stopped: {', '.join(stopped)}" if stopped else "kubelite is not running")
    return 0
