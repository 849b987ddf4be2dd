"""``kubelite controller-manager``: the replication, deployment and endpoints controllers."""

from __future__ import annotations

import argparse

from kubelite.cli import _component


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _component.add_arguments(parser)
    parser.add_argument("--allocate-node-cidrs", action="store_true",
                        help="give each Node a pod CIDR from --cluster-cidr (the node-ipam controller)")
    parser.add_argument("--cluster-cidr", default="10.244.0.0/16", help="the pods' address range")
    parser.add_argument("--node-cidr-mask-size", type=int, default=24, help="prefix length of each node's pod CIDR")


def run(args: argparse.Namespace) -> int:
    from kubelite.daemons.components import controller_manager

    return _component.run(args, controller_manager)
