"""Shared flags and runner of the standalone control-plane components (controller-manager, scheduler)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from kubelite.cli.errors import CLIError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG", str(Path.home() / ".kube/config")),
                        help="how to reach the API server")
    parser.add_argument("--leader-elect", action=argparse.BooleanOptionalAction, default=True,
                        help="act only while holding the component's Lease (default on)")
    parser.add_argument("--identity", default="", help="leader election identity (default hostname_pid)")
    parser.add_argument("--workers", type=int, default=2)


def _ipam_options(args: argparse.Namespace) -> dict[str, Any]:
    """The controller manager's node-ipam flags (absent for the scheduler), checked here so a bad CIDR
    is one line, not a traceback from inside the controller."""
    if not getattr(args, "allocate_node_cidrs", False):
        return {}
    from kubelite.controllers.nodeipam.cidrs import CidrError, check

    try:
        check(args.cluster_cidr, args.node_cidr_mask_size)
    except CidrError as err:
        raise CLIError(str(err)) from None
    return {"allocate_node_cidrs": True, "cluster_cidr": args.cluster_cidr,
            "node_cidr_mask_size": args.node_cidr_mask_size}


def run(args: argparse.Namespace, component: Callable[[Any, Any], Coroutine[Any, Any, None]]) -> int:
    import asyncio

    from kubelite.client.rest import Client
    from kubelite.daemons.components import ComponentConfig, LeadershipLost

    if not Path(args.kubeconfig).exists():
        raise CLIError(f"kubeconfig not found: {args.kubeconfig} (pass --kubeconfig, or start kubelite server)")
    config = ComponentConfig(leader_elect=args.leader_elect, identity=args.identity, workers=args.workers,
                             **_ipam_options(args))

    async def main() -> None:
        async with Client.from_kubeconfig(args.kubeconfig) as client:
            await component(client, config)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        return 0
    except LeadershipLost as err:
        raise CLIError(str(err)) from None
    return 0
