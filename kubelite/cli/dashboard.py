"""``kubelite dashboard``: serve the web UI for the cluster and print its login URL (opened in a
browser unless ``--no-open``). The dashboard reaches the cluster only through the API server with the
kubeconfig's credentials; the browser logs in with the token in the printed URL."""

from __future__ import annotations

import argparse
from typing import Any

from kubelite.cli.errors import CLIError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", default="", help="kubeconfig of the cluster (default: as kubectl finds it, "
                        "then /var/lib/kubelite/server/kubeconfig)")
    parser.add_argument("--context", default=None, help="kubeconfig context (default: current-context)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--no-open", action="store_true", help="do not open a browser, only print the URL")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import sys

    from kubelite.cli.kubectl.common import kubeconfig_path
    from kubelite.client.kubeconfig import KubeconfigError
    from kubelite.client.rest import Client
    from kubelite.dashboard.app import serve
    from kubelite.dashboard.config import DashboardConfig

    if not 0 <= args.port <= 65535:
        raise CLIError(f"--port {args.port}: not a port number")
    try:
        client = Client.from_kubeconfig(kubeconfig_path(args), context=args.context)
    except KubeconfigError as err:
        raise CLIError(str(err)) from None
    config = DashboardConfig(address=args.address, port=args.port)

    def ready(url: str) -> None:
        print(f"kubelite dashboard: {url}", flush=True)
        print("  (the token in the URL logs a browser in; stop with Ctrl-C)", file=sys.stderr, flush=True)
        if not args.no_open:
            import webbrowser

            webbrowser.open(url)

    async def main() -> None:
        async with client:
            await _check_reachable(client)
            await serve(config, client, on_ready=ready)

    try:
        asyncio.run(main())
    except OSError as err:
        raise CLIError(f"cannot serve on {args.address}:{args.port}: {err.strerror or err}") from None
    return 0


async def _check_reachable(client: Any) -> None:
    """Say at once when the API server does not answer; the dashboard still serves (the cluster may be
    starting) and its pages show the failure until it answers."""
    import asyncio
    import sys

    from kubelite.client.errors import ApiError, TransportError

    try:
        # The client retries a refused connection for a while; the first seconds tell enough.
        await asyncio.wait_for(client.request("GET", "/version", request_timeout=5), 5)
    except TimeoutError:
        print(f"warning: the API server at {client.config.server} does not answer yet", file=sys.stderr, flush=True)
    except (ApiError, TransportError) as err:
        print(f"warning: the API server at {client.config.server} does not answer yet: {err}", file=sys.stderr,
              flush=True)
