"""``kubelite server``: the whole control plane in the foreground, as k3s runs it: the API server, then
(on its readiness) the controller manager, the scheduler and, with ``--cluster-dns``, cluster DNS.

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
                        help="serve cluster DNS there (off by default)")


def run(args: argparse.Namespace) -> int:
    import asyncio

    from kubelite.base.tasks import ChildFailedError
    from kubelite.daemons.apiserver import ServerConfig
    from kubelite.daemons.components import LeadershipLost
    from kubelite.daemons.server import AllInOneConfig, run_server
    from kubelite.dns.server import DNSConfig
    from kubelite.storage.interface import StorageError

    config = apiserver.build_config(args)
    assert isinstance(config, ServerConfig)
    dns = None
    if args.cluster_dns:
        host, port = apiserver.parse_listen(args.cluster_dns)
        dns = DNSConfig(listen=host, port=port)
    everything = AllInOneConfig(config, controllers=not args.disable_controllers,
                                scheduler=not args.disable_scheduler, dns=dns)
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
