"""``kubelite up``: start a single-node cluster on this machine.

The cluster pieces are being built issue by issue; until the API server, controllers, scheduler and
agent exist, this verb says so plainly rather than pretending to start anything.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", default="/var/lib/kubelite/server")
    parser.add_argument("--no-kubeconfig", action="store_true")


def run(args: argparse.Namespace) -> int:
    print("kubelite up: the single-node cluster is not built yet; the install step is done "
          "(`kubelite --help` lists what works today).", file=sys.stderr)
    return 0
