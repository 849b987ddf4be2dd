"""Commands that change objects: create, apply, delete, label, annotate, scale, set image, run, expose.

Each prints kubectl's confirmation line (``pod/web created``, ``deployment.apps/web scaled``).
``apply`` uses server-side apply (field manager ``kubectl``) instead of kubectl's default client-side
three-way merge; the result on the server is the same for the seeds' manifests (see docs/kubectl.md).
"""

from __future__ import annotations

import argparse
from typing import Any

from kubelite.cli.errors import CLIError
from kubelite.cli.kubectl.common import (
    kubeconfig_path,
    load_manifests,
    namespace_of,
    resource_for,
    resource_of_object,
    run_async,
    split_target,
)

JsonDict = dict[str, Any]


def _line(resource: Any, name: str, verb: str) -> str:
    group = f".{resource.group}" if resource.group else ""
    return f"{resource.singular}{group}/{name} {verb}"


def add_files(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--filename", required=True, action="append")


async def _write_files(args: argparse.Namespace, mode: str) -> int:
    from kubelite.client.errors import NotFoundError
    from kubelite.client.rest import Client

    async with Client.from_kubeconfig(kubeconfig_path(args)) as client:
        for path in args.filename:
            for obj in load_manifests(path):
                resource = resource_of_object(obj)
                api = client.resource(resource.api_version, resource.plural)
                ns = (obj.get("metadata", {}).get("namespace") or namespace_of(args, resource, client)
                      if resource.namespaced else None)
                name = obj.get("metadata", {}).get("name", "")
                if mode == "create":
                    created = await api.create(obj, ns, field_manager="kubectl-create")
                    print(_line(resource, created["metadata"]["name"], "created"))
                elif mode == "apply":
                    try:
                        before = await api.get(name, ns)
                    except NotFoundError:
                        before = None
                    after = await api.apply(obj, ns, field_manager="kubectl", force=False)
                    verb = "created" if before is None else (
                        "unchanged" if before["metadata"].get("resourceVersion")
                        == after["metadata"].get("resourceVersion") else "configured")
                    print(_line(resource, name, verb))
                else:
                    await api.delete(name, ns, propagation_policy="Background")
                    print(f'{resource.singular} "{name}" deleted')
    return 0


def create(args: argparse.Namespace) -> int:
    result: int = run_async(_write_files(args, "create"))
    return result


def apply(args: argparse.Namespace) -> int:
    result: int = run_async(_write_files(args, "apply"))
    return result


def add_delete(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", nargs="*")
    parser.add_argument("-f", "--filename", action="append", default=[])
    parser.add_argument("-l", "--selector", default="")


async def _delete(args: argparse.Namespace) -> int:
    from kubelite.client.rest import Client

    if args.filename:
        return int(await _write_files(args, "delete"))
    async with Client.from_kubeconfig(kubeconfig_path(args)) as client:
        for resource, name in split_target(args.target):
            api = client.resource(resource.api_version, resource.plural)
            ns = namespace_of(args, resource, client)
            names = [name] if name else [o["metadata"]["name"] for o in (
                await api.list(ns, label_selector=args.selector or None))["items"]] if args.selector else []
            if not names:
                raise CLIError("resource(s) were provided, but no name was specified")
            for n in names:
                await api.delete(n, ns, propagation_policy="Background")
                print(f'{resource.singular} "{n}" deleted')
    return 0


def delete(args: argparse.Namespace) -> int:
    result: int = run_async(_delete(args))
    return result


def add_meta(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target")
    parser.add_argument("name")
    parser.add_argument("pairs", nargs="+", help="key=value to set, key- to remove")
    parser.add_argument("--overwrite", action="store_true")


async def _meta(args: argparse.Namespace, field: str) -> int:
    from kubelite.client.rest import Client

    resource = resource_for(args.target)
    changes: dict[str, str | None] = {}
    for pair in args.pairs:
        if pair.endswith("-"):
            changes[pair[:-1]] = None
        elif "=" in pair:
            key, _, value = pair.partition("=")
            changes[key] = value
        else:
            raise CLIError(f"invalid {field[:-1]} spec: {pair!r} (want key=value or key-)")
    async with Client.from_kubeconfig(kubeconfig_path(args)) as client:
        api = client.resource(resource.api_version, resource.plural)
        ns = namespace_of(args, resource, client)
        current = (await api.get(args.name, ns))["metadata"].get(field) or {}
        clash = [k for k, v in changes.items() if v is not None and k in current and current[k] != v]
        if clash and not args.overwrite:
            raise CLIError(f"'{clash[0]}' already has a value ({current[clash[0]]}), and --overwrite is false")
        await api.patch(args.name, {"metadata": {field: changes}}, ns, field_manager=f"kubectl-{field[:-1]}")
    print(_line(resource, args.name, "labeled" if field == "labels" else "annotated"))
    return 0


def label(args: argparse.Namespace) -> int:
    result: int = run_async(_meta(args, "labels"))
    return result


def annotate(args: argparse.Namespace) -> int:
    result: int = run_async(_meta(args, "annotations"))
    return result


def add_scale(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", nargs="+")
    parser.add_argument("--replicas", type=int, required=True)


async def _scale(args: argparse.Namespace) -> int:
    from kubelite.client.rest import Client

    async with Client.from_kubeconfig(kubeconfig_path(args)) as client:
        for resource, name in split_target(args.target):
            if not name:
                raise CLIError("scale needs a name: TYPE NAME or TYPE/NAME")
            await client.resource(resource.api_version, resource.plural).scale(
                name, args.replicas, namespace_of(args, resource, client))
            print(_line(resource, name, "scaled"))
    return 0


def scale(args: argparse.Namespace) -> int:
    result: int = run_async(_scale(args))
    return result


def add_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=["image"])
    parser.add_argument("target")
    parser.add_argument("pairs", nargs="+", help="container=image")


async def _set_image(args: argparse.Namespace) -> int:
    from kubelite.client.rest import Client

    ((resource, name),) = split_target([args.target])
    images = dict(p.split("=", 1) for p in args.pairs if "=" in p)
    if not images or not name:
        raise CLIError("usage: set image TYPE/NAME CONTAINER=IMAGE...")
    async with Client.from_kubeconfig(kubeconfig_path(args)) as client:
        api = client.resource(resource.api_version, resource.plural)
        ns = namespace_of(args, resource, client)
        obj = await api.get(name, ns)
        spec = obj["spec"]["template"]["spec"] if "template" in obj.get("spec", {}) else obj["spec"]
        names = [c["name"] for c in spec.get("containers") or []]
        unknown = [c for c in images if c != "*" and c not in names]
        if unknown:
            raise CLIError(f'unable to find container named "{unknown[0]}"')
        containers = [{"name": c, "image": images.get(c, images.get("*"))} for c in names
                      if c in images or "*" in images]
        patch: JsonDict = {"$setElementOrder/containers": [{"name": c} for c in names], "containers": containers}
        body = {"spec": {"template": {"spec": patch}}} if "template" in obj.get("spec", {}) else {"spec": patch}
        await api.patch(name, body, ns, patch_type="strategic", field_manager="kubectl-set")
    print(_line(resource, name, "image updated"))
    return 0


def set_(args: argparse.Namespace) -> int:
    result: int = run_async(_set_image(args))
    return result


def add_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name")
    parser.add_argument("--image", required=True)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--restart", default="Always", choices=["Always", "OnFailure", "Never"])
    parser.add_argument("-l", "--labels", default="")
    parser.add_argument("--env", action="append", default=[])
    parser.add_argument("command", nargs="*", help="after --: the command")


async def _run(args: argparse.Namespace) -> int:
    from kubelite.client.rest import Client

    labels = dict(p.split("=", 1) for p in args.labels.split(",") if "=" in p) or {"run": args.name}
    container: JsonDict = {"name": args.name, "image": args.image}
    if args.port:
        container["ports"] = [{"containerPort": args.port}]
    if args.env:
        container["env"] = [{"name": e.split("=", 1)[0], "value": e.split("=", 1)[1]} for e in args.env if "=" in e]
    if args.command:
        container["args"] = args.command
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": args.name, "labels": labels},
           "spec": {"containers": [container], "restartPolicy": args.restart}}
    async with Client.from_kubeconfig(kubeconfig_path(args)) as client:
        await client.resource("v1", "pods").create(pod, args.namespace or client.namespace or "default",
                                                   field_manager="kubectl-run")
    print(f"pod/{args.name} created")
    return 0


def run_(args: argparse.Namespace) -> int:
    result: int = run_async(_run(args))
    return result


def add_expose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", nargs="+")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--target-port", default=None)
    parser.add_argument("--type", default="ClusterIP", choices=["ClusterIP", "NodePort", "LoadBalancer"])
    parser.add_argument("--name", default=None)
    parser.add_argument("--protocol", default="TCP")


def _selector_and_port(obj: JsonDict) -> tuple[dict[str, str], int | None]:
    spec = obj.get("spec") or {}
    selector = spec.get("selector") or {}
    if "matchLabels" in selector:
        selector = selector["matchLabels"]
    if obj.get("kind") == "Pod":
        selector = obj.get("metadata", {}).get("labels") or {}
    template = (spec.get("template") or {}).get("spec") or spec
    ports = [p.get("containerPort") for c in template.get("containers") or [] for p in c.get("ports") or []]
    return dict(selector), (ports[0] if ports else None)


async def _expose(args: argparse.Namespace) -> int:
    from kubelite.client.rest import Client

    ((resource, name),) = split_target(args.target)
    if not name:
        raise CLIError("expose needs TYPE NAME or TYPE/NAME")
    async with Client.from_kubeconfig(kubeconfig_path(args)) as client:
        ns = namespace_of(args, resource, client)
        obj = await client.resource(resource.api_version, resource.plural).get(name, ns)
        obj.setdefault("kind", resource.kind)
        selector, container_port = _selector_and_port(obj)
        port = args.port or container_port
        if not port:
            raise CLIError("couldn't find port via --port flag or introspection")
        if not selector:
            raise CLIError("couldn't retrieve selectors via --selector flag or introspection")
        target: Any = args.target_port or port
        if isinstance(target, str) and target.isdigit():
            target = int(target)
        svc = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": args.name or name, "labels": obj.get("metadata", {}).get("labels") or {}},
               "spec": {"ports": [{"port": port, "protocol": args.protocol, "targetPort": target}],
                        "selector": selector, "type": args.type}}
        await client.resource("v1", "services").create(svc, ns, field_manager="kubectl-expose")
    print(f"service/{args.name or name} exposed")
    return 0


def expose(args: argparse.Namespace) -> int:
    result: int = run_async(_expose(args))
    return result


