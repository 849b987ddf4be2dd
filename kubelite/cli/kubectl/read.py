"""``get``, ``describe`` and ``logs``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kubelite.cli.errors import CLIError
from kubelite.cli.kubectl import printing
from kubelite.cli.kubectl.common import kubeconfig_path, namespace_of, run_async, split_target

JsonDict = dict[str, Any]


def add_get(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", nargs="+", help="TYPE [NAME...] or TYPE/NAME...")
    parser.add_argument("-o", "--output", default="", choices=["", "wide", "yaml", "json", "name"])
    parser.add_argument("-l", "--selector", default="")
    parser.add_argument("-A", "--all-namespaces", action="store_true")
    parser.add_argument("--show-labels", action="store_true")
    parser.add_argument("-w", "--watch", action="store_true")


async def _get(args: argparse.Namespace) -> int:
    from kubelite.client.rest import Client

    async with Client.from_kubeconfig(kubeconfig_path(args)) as client:
        for resource, name in split_target(args.target):
            api = client.resource(resource.api_version, resource.plural)
            ns = None if args.all_namespaces else namespace_of(args, resource, client)
            fields = f"metadata.name={name}" if name else None
            if name:
                objects = [await api.get(name, ns)]
                version = str(objects[0]["metadata"].get("resourceVersion", ""))
            else:
                listed = await api.list(ns, label_selector=args.selector or None)
                version = str(listed["metadata"].get("resourceVersion", ""))
                objects = listed["items"]
                for obj in objects:
                    obj.setdefault("kind", resource.kind)
                    obj.setdefault("apiVersion", resource.api_version)
            if not objects:
                where = "" if args.all_namespaces or ns is None else f" in {ns} namespace"
                print(f"No resources found{where}.", file=sys.stderr, flush=True)
                if args.watch:  # as kubectl: nothing yet, so the header comes with the first event
                    await _watch(api, resource, ns, args, version=version, fields=fields, header=True)
                continue
            if args.output in ("yaml", "json", "name"):
                print(printing.output(resource, objects, args.output, single=bool(name)))
            else:
                print(printing.table(resource, objects, wide=args.output == "wide",
                                     all_namespaces=args.all_namespaces, show_labels=args.show_labels), flush=True)
            if args.watch:
                await _watch(api, resource, ns, args, version=version, fields=fields)
    return 0


async def _watch(api: Any, resource: Any, ns: str | None, args: argparse.Namespace, *, version: str,
                 fields: str | None, header: bool = False) -> None:
    """Follow changes after the listing at ``version`` (one object by name: a field selector, as kubectl):
    one table row per event, the ``header`` first when nothing was listed, as kubectl's ``get -w``."""
    async for event in api.watch(ns, resource_version=version, label_selector=args.selector or None,
                                 field_selector=fields):
        obj = event.object if hasattr(event, "object") else event["object"]
        table = printing.table(resource, [obj], wide=args.output == "wide", all_namespaces=args.all_namespaces,
                               show_labels=args.show_labels)
        lines = table.splitlines()
        print("\n".join(lines if header else lines[-1:]), flush=True)
        header = False


def get(args: argparse.Namespace) -> int:
    result: int = run_async(_get(args))
    return result


def add_describe(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", nargs="+")


async def _describe(args: argparse.Namespace) -> int:
    from kubelite.client.rest import Client

    async with Client.from_kubeconfig(kubeconfig_path(args)) as client:
        for resource, name in split_target(args.target):
            if not name:
                raise CLIError("describe needs a name: TYPE NAME")
            ns = namespace_of(args, resource, client)
            obj = await client.resource(resource.api_version, resource.plural).get(name, ns)
            meta = obj.get("metadata", {})
            print(f"Name:         {meta.get('name')}")
            if ns:
                print(f"Namespace:    {ns}")
            labels = ",".join(f"{k}={v}" for k, v in (meta.get("labels") or {}).items()) or "<none>"
            print(f"Labels:       {labels}")
            print(f"Created:      {meta.get('creationTimestamp')}")
            for key in ("spec", "status"):
                if obj.get(key):
                    print(f"{key.capitalize()}:")
                    print("  " + printing.as_yaml(obj[key]).rstrip().replace("\n", "\n  "))
            selector = f"involvedObject.name={name},involvedObject.uid={meta.get('uid')}"
            events = (await client.resource("v1", "events").list(ns, field_selector=selector))["items"]
            print("Events:" + ("" if events else "       <none>"))
            for e in events:
                print(f"  {e.get('type', ''):8} {e.get('reason', ''):20} {e.get('message', '')}")
    return 0


def describe(args: argparse.Namespace) -> int:
    result: int = run_async(_describe(args))
    return result


def add_logs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pod")
    parser.add_argument("-c", "--container", default=None)
    parser.add_argument("-f", "--follow", action="store_true")
    parser.add_argument("--tail", type=int, default=None)


async def _logs(args: argparse.Namespace) -> int:
    from kubelite.client.rest import Client

    async with Client.from_kubeconfig(kubeconfig_path(args)) as client:
        pods = client.resource("v1", "pods")
        ns = args.namespace or client.namespace or "default"
        async for line in pods.log(args.pod, ns, container=args.container, follow=args.follow,
                                   tail_lines=args.tail):
            sys.stdout.write(line.decode(errors="replace") + "\n")
            sys.stdout.flush()
    return 0


def logs(args: argparse.Namespace) -> int:
    result: int = run_async(_logs(args))
    return result
