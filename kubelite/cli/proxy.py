"""``kubelite proxy``: program this node's kernel so Services reach their pods (nftables).

Rules stay in place when the proxy stops, as kube-proxy's do, so traffic keeps flowing across a
restart; ``--cleanup`` removes kubelite's table and exits.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubelite.proxy.backend import NftBackend


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG", str(Path.home() / ".kube/config")))
    parser.add_argument("--cluster-cidr", default="10.244.0.0/16", help="the pod network (not masqueraded)")
    parser.add_argument("--node-name", default=os.uname().nodename, help="for externalTrafficPolicy Local")
    parser.add_argument("--cleanup", action="store_true", help="remove kubelite's nftables table and exit")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import shutil

    from kubelite.cli.errors import CLIError
    from kubelite.proxy.backend import NftBackend, NftError

    if shutil.which("nft") is None:
        raise CLIError("nft not found: install nftables (apt-get install nftables)")
    backend = NftBackend()
    if args.cleanup:
        try:
            asyncio.run(backend.cleanup())
        except NftError as err:
            raise CLIError(str(err)) from None
        return 0
    if not Path(args.kubeconfig).exists():
        raise CLIError(f"kubeconfig not found: {args.kubeconfig}")
    # Node ports answer on 127.0.0.1 too, as with kube-proxy's iptables mode: allow routing from loopback.
    try:
        Path("/proc/sys/net/ipv4/conf/all/route_localnet").write_text("1")
    except OSError as err:
        raise CLIError(f"cannot enable route_localnet (need root): {err}") from None
    try:
        asyncio.run(_run(args, backend))
    except KeyboardInterrupt:
        return 0
    return 0


async def _run(args: argparse.Namespace, backend: NftBackend) -> None:
    import asyncio

    from kubelite.client.informer import InformerFactory
    from kubelite.client.rest import Client
    from kubelite.proxy.rules import ProxyConfig
    from kubelite.proxy.service import ServiceProxy

    async with Client.from_kubeconfig(args.kubeconfig) as client:
        factory = InformerFactory(client)
        proxy = ServiceProxy(ProxyConfig(cluster_cidr=args.cluster_cidr, node_name=args.node_name),
                             factory=factory, backend=backend)
        async with asyncio.TaskGroup() as tg:
            factory.start(tg)
            tg.create_task(proxy.run())
