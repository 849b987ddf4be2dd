"""``kubelite service NAME [-n NS] [--url]``: the URLs a user on this machine can open, as
``minikube service`` prints them.

Node ports are reachable on 127.0.0.1 (the proxy allows routing from loopback), load-balancer
ingress IPs on their port, and the cluster IP from this host through the proxy's rules. ``--url`` prints
only the URLs, one per line, for scripts (``curl $(kubelite service web --url)``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

DEFAULT_KUBECONFIG = "/var/lib/kubelite/server/kubeconfig"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name")
    parser.add_argument("-n", "--namespace", default="default")
    parser.add_argument("--url", action="store_true", help="print only the URLs")
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG", ""))


def service_urls(service: dict[str, Any]) -> list[str]:
    """Node ports on loopback first (what minikube prints), then load-balancer IPs, then cluster IPs."""
    spec = service.get("spec") or {}
    ports = spec.get("ports") or []
    urls = [f"http://127.0.0.1:{p['nodePort']}" for p in ports if p.get("nodePort")]
    ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    urls += [f"http://{i['ip']}:{p['port']}" for i in ingress if i.get("ip") for p in ports]
    if not urls and spec.get("clusterIP") not in (None, "", "None"):
        urls = [f"http://{spec['clusterIP']}:{p['port']}" for p in ports]
    return urls


def run(args: argparse.Namespace) -> int:
    import asyncio

    from kubelite.cli.errors import CLIError
    from kubelite.client.errors import NotFoundError
    from kubelite.client.rest import Client

    candidates = [args.kubeconfig] if args.kubeconfig else [str(Path.home() / ".kube/config"), DEFAULT_KUBECONFIG]
    kubeconfig = next((c for c in candidates if Path(c).exists()), None)
    if kubeconfig is None:
        raise CLIError("no kubeconfig found: run `kubelite up`, or pass --kubeconfig")

    async def fetch() -> dict[str, Any]:
        async with Client.from_kubeconfig(kubeconfig) as client:
            svc: dict[str, Any] = await client.resource("v1", "services").get(args.name, args.namespace)
            return svc

    try:
        service = asyncio.run(fetch())
    except NotFoundError:
        raise CLIError(f'service "{args.name}" not found in namespace "{args.namespace}"') from None
    urls = service_urls(service)
    if not urls:
        raise CLIError(f'service "{args.name}" has no URL to open (headless or ExternalName)')
    if args.url:
        print("\n".join(urls))
        return 0
    spec = service.get("spec") or {}
    print("NAMESPACE\tNAME\tTYPE\tURL")
    for url in urls:
        print(f"{args.namespace}\t{args.name}\t{spec.get('type', 'ClusterIP')}\t{url}")
    return 0
