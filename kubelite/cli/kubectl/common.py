"""What every built-in kubectl verb needs: the kubeconfig, a client, resource names, manifests."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kubelite.cli.errors import CLIError

JsonDict = dict[str, Any]
DEFAULT_KUBECONFIG = "/var/lib/kubelite/server/kubeconfig"


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", default="")
    parser.add_argument("-n", "--namespace", default="")


def kubeconfig_path(args: argparse.Namespace) -> str:
    if getattr(args, "kubeconfig", ""):
        return str(args.kubeconfig)
    env = os.environ.get("KUBECONFIG", "")
    for candidate in [*env.split(":"), str(Path.home() / ".kube/config"), DEFAULT_KUBECONFIG]:
        if candidate and Path(candidate).exists():
            return candidate
    raise CLIError("no kubeconfig found: run `kubelite up`, set KUBECONFIG, or pass --kubeconfig")


def resource_for(name: str) -> Any:
    from kubelite.api.resources import REGISTRY

    resource = REGISTRY.resolve(name.lower())
    if resource is None:
        raise CLIError(f'the server doesn\'t have a resource type "{name}"')
    return resource


def split_target(args: list[str]) -> list[tuple[Any, str | None]]:
    """``pod web``, ``pods``, ``deploy/web``, ``pod/a pod/b``: (resource, name or None) pairs."""
    if not args:
        raise CLIError("you must specify the type of resource")
    if "/" in args[0]:
        out: list[tuple[Any, str | None]] = []
        for item in args:
            kind, _, name = item.partition("/")
            out.append((resource_for(kind), name))
        return out
    resource = resource_for(args[0])
    return [(resource, n) for n in args[1:]] or [(resource, None)]


def namespace_of(args: argparse.Namespace, resource: Any, client: Any) -> str | None:
    if not resource.namespaced:
        return None
    return str(args.namespace or client.namespace or "default")


def load_manifests(path: str) -> Iterator[JsonDict]:
    """The objects of a YAML/JSON file (``-`` for stdin), with the file and line in errors."""
    import sys

    import yaml

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
    except OSError as err:
        raise CLIError(f"{path}: {err.strerror or err}") from None
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        raise CLIError(f"{where}: invalid YAML: {getattr(err, 'problem', err)}") from None
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
            raise CLIError(f"{path}: every object needs apiVersion and kind")
        if doc["kind"].endswith("List") and isinstance(doc.get("items"), list):
            yield from doc["items"]
        else:
            yield doc


def resource_of_object(obj: JsonDict) -> Any:
    from kubelite.api.resources import REGISTRY

    resource = REGISTRY.by_api_version_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
    if resource is None:
        raise CLIError(f'no matches for kind "{obj.get("kind")}" in version "{obj.get("apiVersion")}"')
    return resource


def run_async(coro: Any) -> Any:
    """Run one verb's coroutine, turning API errors into one clear line as kubectl prints them."""
    import asyncio

    from kubelite.client.errors import ApiError, TransportError

    try:
        return asyncio.run(coro)
    except ApiError as err:
        reason = (getattr(err, "status", None) or {}).get("reason") or type(err).__name__
        raise CLIError(f"Error from server ({reason}): {err}") from None
    except TransportError as err:
        raise CLIError(f"the server could not be reached: {err}") from None
