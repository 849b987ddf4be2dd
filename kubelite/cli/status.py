"""``kubelite status``: which parts of the single-node cluster run, and whether the API answers."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", default="/var/lib/kubelite/server")
    parser.add_argument("--listen", default="127.0.0.1:6443")


def run(args: argparse.Namespace) -> int:
    from kubelite.daemons import cluster

    config = cluster.ClusterConfig(data_dir=Path(args.data_dir), engine_root=Path(args.root), listen=args.listen)
    up = False
    for part in cluster.PARTS:
        pid = cluster.running_pid(config, part)
        up = up or pid is not None
        print(f"{part:8} {'Running (pid ' + str(pid) + ')' if pid else 'Stopped'}")
    print(f"{'apiserver':8} {'Ready' if cluster.api_ready(config) else 'Not answering'} (https://{config.listen})")
    print(f"{'kubeconfig':8} {config.kubeconfig}")
    return 0 if up else 1
