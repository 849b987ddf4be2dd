"""``kubelite sim nodes --count N``: register N simulated nodes and run them until interrupted."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", required=True)
    nodes = sub.add_parser("nodes", help="run simulated nodes (kwok-like) against a cluster")
    nodes.add_argument("--count", type=int, default=3)
    nodes.add_argument("--prefix", default="sim-node-")
    nodes.add_argument("--cpu", default="32")
    nodes.add_argument("--memory", default="256Gi")
    nodes.add_argument("--pods", type=int, default=110)
    nodes.add_argument("--heartbeat", type=float, default=10.0, help="seconds between Lease renewals")
    nodes.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG", str(Path.home() / ".kube/config")))


def run(args: argparse.Namespace) -> int:
    import asyncio

    from kubelite.cli.errors import CLIError

    if args.count < 1:
        raise CLIError("--count must be at least 1")
    if not Path(args.kubeconfig).exists():
        raise CLIError(f"kubeconfig not found: {args.kubeconfig} (start a cluster, or pass --kubeconfig)")
    try:
        asyncio.run(_run(args))
    except KeyboardInterrupt:
        return 0
    return 0


async def _run(args: argparse.Namespace) -> None:
    import asyncio

    from kubelite.client.informer import InformerFactory
    from kubelite.client.rest import Client
    from kubelite.sim.nodes import SimConfig, SimulatedNodes

    config = SimConfig(count=args.count, prefix=args.prefix, cpu=args.cpu, memory=args.memory, pods=args.pods,
                       heartbeat=args.heartbeat)
    async with Client.from_kubeconfig(args.kubeconfig) as client:
        factory = InformerFactory(client)
        sim = SimulatedNodes(config, client=client, informers=factory)
        async with asyncio.TaskGroup() as tg:
            factory.start(tg)
            print(f"running {args.count} simulated nodes ({args.prefix}0..{args.prefix}{args.count - 1}); "
                  "Ctrl-C to stop", flush=True)
            tg.create_task(sim.run())
