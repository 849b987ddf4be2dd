"""``version``, ``api-resources``, ``cluster-info`` and ``config view|use-context``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kubelite.cli.errors import CLIError
from kubelite.cli.kubectl.common import kubeconfig_path, run_async


async def _version(args: argparse.Namespace) -> int:
    from kubelite import KUBERNETES_VERSION
    from kubelite.client.rest import Client

    print(f"Client Version: {KUBERNETES_VERSION}-kubelite")
    async with Client.from_kubeconfig(kubeconfig_path(args)) as client:
        info = await client.request("GET", "/version")
    print(f"Server Version: {info.get('gitVersion', '?')}")
    return 0


def version(args: argparse.Namespace) -> int:
    result: int = run_async(_version(args))
    return result


def api_resources(args: argparse.Namespace) -> int:
    from kubelite.api.resources import REGISTRY

    rows = [("NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND")]
    for r in REGISTRY:
        rows.append((r.plural, ",".join(r.short_names), r.api_version, str(r.namespaced).lower(), r.kind))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print("   ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0


async def _cluster_info(args: argparse.Namespace) -> int:
    from kubelite.client.rest import Client

    async with Client.from_kubeconfig(kubeconfig_path(args)) as client:
        server = client.config.server
        print(f"Kubernetes control plane is running at {server}")
        services = (await client.resource("v1", "services").list(
            "kube-system", label_selector="kubernetes.io/cluster-service=true"))["items"]
        for svc in services:
            meta = svc["metadata"]
            label = (meta.get("labels") or {}).get("kubernetes.io/name", meta["name"])
            port = ((svc.get("spec") or {}).get("ports") or [{}])[0].get("name", "")
            print(f"{label} is running at {server}/api/v1/namespaces/kube-system/services/{meta['name']}:{port}/proxy")
    return 0


def cluster_info(args: argparse.Namespace) -> int:
    result: int = run_async(_cluster_info(args))
    return result


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["view", "use-context", "current-context", "get-contexts"])
    parser.add_argument("context", nargs="?")


def config(args: argparse.Namespace) -> int:
    import yaml

    path = Path(kubeconfig_path(args))
    data: dict[str, Any] = yaml.safe_load(path.read_text()) or {}
    if args.action == "view":
        shown = dict(data)
        shown["users"] = [{"name": u.get("name"), "user": {k: ("REDACTED" if k in ("token", "client-key-data")
                                                                  else v) for k, v in (u.get("user") or {}).items()}}
                          for u in data.get("users") or []]
        print(yaml.safe_dump(shown, sort_keys=False).rstrip())
    elif args.action == "current-context":
        print(data.get("current-context", ""))
    elif args.action == "get-contexts":
        print("CURRENT   NAME")
        for ctx in data.get("contexts") or []:
            mark = "*" if ctx.get("name") == data.get("current-context") else " "
            print(f"{mark}         {ctx.get('name')}")
    else:
        names = [c.get("name") for c in data.get("contexts") or []]
        if args.context not in names:
            raise CLIError(f'no context exists with the name: "{args.context}"')
        data["current-context"] = args.context
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        print(f'Switched to context "{args.context}".')
    return 0
