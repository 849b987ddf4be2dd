"""``kubelite agent``: run this machine as a worker node of a cluster (the kubelet)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from kubelite.cli.errors import CLIError

if TYPE_CHECKING:
    from kubelite.client.kubeconfig import ClientConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG", str(Path.home() / ".kube/config")),
                        help="how to reach the API server")
    parser.add_argument("--server", default="", help="the API server's URL (instead of --kubeconfig, with --token)")
    parser.add_argument("--token", default="", help="bearer token for --server")
    parser.add_argument("--certificate-authority", default="",
                        help="the cluster CA for --server (also how the kubelet endpoint knows the API server)")
    parser.add_argument("--insecure-skip-tls-verify", action="store_true",
                        help="with --server and no CA: do not verify the API server's certificate")
    parser.add_argument("--node-name", default="", help="the Node's name (default: the hostname)")
    parser.add_argument("--pod-cidr", default="",
                        help="the node's pod CIDR, recorded on the Node; pods get their addresses from it")
    parser.add_argument("--cluster-cidr", default="",
                        help="join the cluster's pod network (e.g. 10.244.0.0/16): take the Node's pod CIDR "
                             "(node-ipam) unless --pod-cidr, route to the other nodes' pod CIDRs")
    parser.add_argument("--network-backend", choices=("host-gw", "vxlan"), default="host-gw",
                        help="how pod traffic reaches other nodes: routes via their addresses (one L2 "
                             "segment) or a VXLAN overlay (nodes behind routers)")
    parser.add_argument("--cluster-dns", action="append", default=[],
                        help="nameserver for ClusterFirst pods (repeatable; default: the host's resolv.conf)")
    parser.add_argument("--cluster-domain", default="cluster.local")
    parser.add_argument("--workers", type=int, default=4, help="pods synced at once")
    parser.add_argument("--kubelet-port", type=int, default=10250,
                        help="HTTPS port of the kubelet endpoint the API server proxies logs through")
    parser.add_argument("--kubelet-address", default="0.0.0.0", help="address of that endpoint")
    parser.add_argument("--disable-proxy", action="store_true",
                        help="do not run the service proxy (Services then reach no pod from this node)")
    parser.add_argument("--proxy-mode", choices=("auto", "nftables", "userspace"), default="auto",
                        help="how Services are forwarded: nftables rules, or relayed by the agent (auto: "
                             "nftables when nft is installed)")


def _cidr(value: str, flag: str) -> str:
    """An IPv4 network or "", else one line naming the flag."""
    if not value:
        return ""
    from ipaddress import IPv4Network

    try:
        return IPv4Network(value).with_prefixlen
    except ValueError as err:
        raise CLIError(f"{flag}: {err}") from None


def client_config(args: argparse.Namespace) -> ClientConfig | None:
    """``--server``/``--token`` as a client config, or None to use ``--kubeconfig``; bad combinations
    are one line naming the flag."""
    from kubelite.client.kubeconfig import ClientConfig

    if not args.server:
        if args.token or args.certificate_authority:
            raise CLIError("--token and --certificate-authority go with --server")
        return None
    if not args.server.startswith(("https://", "http://")):
        raise CLIError(f"--server: {args.server!r} is not an http(s) URL")
    if not args.token:
        raise CLIError("--server needs --token (or use --kubeconfig)")
    ca = None
    if args.certificate_authority:
        try:
            ca = Path(args.certificate_authority).read_bytes()
        except OSError as err:
            raise CLIError(f"--certificate-authority: {err.strerror}: {args.certificate_authority}") from None
    elif args.server.startswith("https://") and not args.insecure_skip_tls_verify:
        raise CLIError("--server over https needs --certificate-authority (or --insecure-skip-tls-verify)")
    return ClientConfig(server=args.server.rstrip("/"), token=args.token, ca_data=ca,
                        insecure_skip_tls_verify=bool(args.insecure_skip_tls_verify))


def run(args: argparse.Namespace) -> int:
    import asyncio
    import signal

    from kubelite.base.log import setup_logging
    from kubelite.client.rest import Client
    from kubelite.daemons.agent import AgentConfig, run_agent

    direct = client_config(args)
    if direct is None and not Path(args.kubeconfig).exists():
        raise CLIError(f"kubeconfig not found: {args.kubeconfig} (pass --kubeconfig, or --server and --token)")
    if os.geteuid() != 0:
        raise CLIError("kubelite agent runs containers: it must run as root")
    setup_logging(debug=bool(getattr(args, "debug", False)))
    config = AgentConfig(root=args.root, node_name=args.node_name, pod_cidr=_cidr(args.pod_cidr, "--pod-cidr"),
                         cluster_dns=tuple(args.cluster_dns), cluster_domain=args.cluster_domain,
                         workers=args.workers, kubelet_port=args.kubelet_port,
                         kubelet_address=args.kubelet_address, proxy=not args.disable_proxy,
                         proxy_mode=args.proxy_mode,
                         cluster_cidr=_cidr(args.cluster_cidr, "--cluster-cidr"),
                         network_backend=args.network_backend)
    if config.pod_cidr:
        from kubelite.runtime.container_errors import InvalidArgument
        from kubelite.runtime.network.subnet import check_subnet

        try:
            check_subnet(config.pod_cidr, config.cluster_cidr)
        except InvalidArgument as err:
            raise CLIError(f"--pod-cidr: {err}") from None

    async def main() -> None:
        # SIGTERM (``kubelite down``) stops the agent as SIGINT does, so its parts clean up on the way out.
        task = asyncio.current_task()
        if task is not None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        async with (Client(direct) if direct is not None else Client.from_kubeconfig(args.kubeconfig)) as client:
            await run_agent(client, config)

    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        return 0
    except BaseExceptionGroup as group:
        _raise_pod_network_error(group)
        raise
    return 0


def _raise_pod_network_error(group: BaseExceptionGroup[BaseException]) -> None:
    """The engine refusing the node's pod CIDR (live containers on another subnet) is the operator's
    to fix: one line, not a traceback."""
    from kubelite.runtime.container_errors import InvalidArgument

    found: BaseException | None = group.subgroup(InvalidArgument)
    while isinstance(found, BaseExceptionGroup):
        found = found.exceptions[0]
    if found is not None:
        raise CLIError(f"pod network: {found}") from None
