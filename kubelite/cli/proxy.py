"""``kubelite proxy``: program this node's kernel so Services reach their pods (nftables).

The same proxy ``kubelite agent`` runs (see ``daemons/agent_proxy.py``), for an agent started with
``--disable-proxy`` or a node assembled part by part. Its table, pod network and bridge subnet come from
the engine's network under ``--root``, as the agent's do. Rules stay in place when the proxy stops, as
kube-proxy's do, so traffic keeps flowing across a restart; ``--cleanup`` removes the table and exits.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the verb imports its dependencies lazily (fast --help)
    from kubelite.proxy.rules import ProxyConfig
    from kubelite.proxy.userspace import UserspaceBackend


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG", str(Path.home() / ".kube/config")))
    parser.add_argument("--cluster-cidr", default="",
                        help="the pod network, not masqueraded (default: the engine's, from --root)")
    parser.add_argument("--node-name", default=os.uname().nodename, help="for externalTrafficPolicy Local")
    parser.add_argument("--table", default="", help="the nftables table (default: the node's, from --root)")
    parser.add_argument("--mode", choices=("auto", "nftables", "userspace"), default="auto",
                        help="nftables rules, or relay connections in this process (auto: nftables if nft is there)")
    parser.add_argument("--cleanup", action="store_true", help="remove kubelite's nftables table and exit")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import shutil
    from dataclasses import replace

    from kubelite.cli.errors import CLIError
    from kubelite.client.informer import InformerFactory
    from kubelite.client.rest import Client
    from kubelite.daemons.agent_proxy import (
        choose_mode,
        proxy_config,
        proxy_table_for,
        set_sysctls,
        userspace_link_for,
    )
    from kubelite.proxy.backend import NftBackend, NftError
    from kubelite.proxy.service import ServiceProxy
    from kubelite.proxy.userspace import UserspaceBackend
    from kubelite.runtime.container_errors import InvalidArgument
    from kubelite.runtime.network.ipam import load_conf

    mode = choose_mode(args.mode)
    if mode == "nftables" and shutil.which("nft") is None:
        raise CLIError("nft not found: install nftables (apt-get install nftables), or use --mode userspace")
    try:
        net = load_conf(args.root)
    except InvalidArgument as err:
        raise CLIError(str(err)) from None
    if mode == "userspace":
        if args.cleanup:
            raise CLIError("--cleanup removes nftables rules; the userspace mode leaves none behind")
        return _userspace(args, UserspaceBackend(dummy=userspace_link_for(net)), proxy_config(net, args.node_name))
    backend = NftBackend(table=args.table or proxy_table_for(net.table))
    if args.cleanup:
        try:
            asyncio.run(backend.cleanup())
        except NftError as err:
            raise CLIError(str(err)) from None
        return 0
    if not Path(args.kubeconfig).exists():
        raise CLIError(f"kubeconfig not found: {args.kubeconfig}")
    if os.geteuid() != 0:
        raise CLIError("kubelite proxy programs the kernel's packet filter: it must run as root")
    config = proxy_config(net, args.node_name)
    if args.cluster_cidr:
        config = replace(config, cluster_cidr=args.cluster_cidr)

    async def main() -> None:
        set_sysctls()  # route_localnet for node ports on 127.0.0.1, ip_forward
        async with Client.from_kubeconfig(args.kubeconfig) as client:
            factory = InformerFactory(client)
            proxy = ServiceProxy(config, factory=factory, backend=backend)
            async with asyncio.TaskGroup() as tg:
                factory.start(tg)
                tg.create_task(proxy.run())

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        return 0
    return 0


def _userspace(args: argparse.Namespace, backend: UserspaceBackend, config: ProxyConfig) -> int:
    """Relay in this process until interrupted; listeners and cluster-IP addresses go away on exit."""
    import asyncio

    from kubelite.cli.errors import CLIError
    from kubelite.client.informer import InformerFactory
    from kubelite.client.rest import Client
    from kubelite.proxy.service import ServiceProxy

    if not Path(args.kubeconfig).exists():
        raise CLIError(f"kubeconfig not found: {args.kubeconfig}")

    async def main() -> None:
        async with Client.from_kubeconfig(args.kubeconfig) as client:
            factory = InformerFactory(client)
            proxy = ServiceProxy(config, factory=factory, backend=backend, render=lambda ports, _cfg: ports)
            try:
                async with asyncio.TaskGroup() as tg:
                    factory.start(tg)
                    tg.create_task(proxy.run())
            finally:
                await backend.cleanup()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        return 0
    return 0
