"""``kubelite server``: the whole control plane in the foreground, as k3s runs it: the API server, then
(on its readiness) the controller manager, the scheduler and, with ``--cluster-dns``, cluster DNS
published as the ``kube-dns`` Service at ``--cluster-dns-ip``.

``kubelite apiserver`` runs the API server alone; ``--disable-controllers`` and ``--disable-scheduler``
leave those parts to standalone ``kubelite controller-manager`` / ``kubelite scheduler`` processes.
"""

from __future__ import annotations

import argparse

from kubelite.cli import apiserver
from kubelite.cli.errors import CLIError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    apiserver.add_arguments(parser)
    parser.add_argument("--disable-controllers", action="store_true", help="do not run the controller manager")
    parser.add_argument("--disable-scheduler", action="store_true", help="do not run the scheduler")
    parser.add_argument("--cluster-dns", default="", metavar="ADDR:PORT",
                        help="serve cluster DNS there (off by default; 0.0.0.0 means this host's address, "
                             "port 0 a free one) and publish it as the kube-dns Service")
    parser.add_argument("--cluster-dns-ip", default="10.96.0.10", metavar="IP",
                        help="the kube-dns Service's cluster IP, what pods' resolv.conf names ('' for no Service)")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import ipaddress

    from kubelite.base.tasks import ChildFailedError
    from kubelite.daemons.apiserver import ServerConfig
    from kubelite.daemons.components import LeadershipLost
    from kubelite.daemons.server import AllInOneConfig, run_server
    from kubelite.dns.kube_dns import node_address
    from kubelite.dns.server import DNSConfig
    from kubelite.storage.interface import StorageError

    config = apiserver.build_config(args)
    assert isinstance(config, ServerConfig)
    dns = None
    if args.cluster_dns:
        host, port = apiserver.parse_listen(args.cluster_dns)
        if host in ("0.0.0.0", ""):
            host = node_address()  # a specific address: see node_address for why not the wildcard
        dns = DNSConfig(listen=host, port=port)
    if args.cluster_dns_ip:
        try:
            ipaddress.IPv4Address(args.cluster_dns_ip)
        except ValueError:
            raise CLIError(f"--cluster-dns-ip must be an IPv4 address, not {args.cluster_dns_ip!r}") from None
    everything = AllInOneConfig(config, controllers=not args.disable_controllers,
                                scheduler=not args.disable_scheduler, dns=dns, dns_service_ip=args.cluster_dns_ip)
    try:
        asyncio.run(run_server(everything))
    except (ValueError, StorageError) as err:
        raise CLIError(str(err)) from None
    except ChildFailedError as err:
        cause: BaseException = err
        while isinstance(cause, ChildFailedError) and cause.__cause__ is not None:
            cause = cause.__cause__
        if isinstance(cause, OSError) and cause.errno == 98:
            raise CLIError(f"cannot serve on {args.listen}: address already in use") from None
        if isinstance(cause, LeadershipLost):
            raise CLIError(str(cause)) from None
        raise CLIError(f"the control plane stopped: {err.child} failed: {cause}") from None
    except OSError as err:
        raise CLIError(f"cannot serve on {args.listen}: {err.strerror or err}") from None
    return 0
