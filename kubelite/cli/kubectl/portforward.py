"""``port-forward (pod/NAME|NAME|svc/NAME|deploy/NAME) [LOCAL:]REMOTE...``: local ports carried to a
pod's ports through the API server, one WebSocket per accepted local connection.

As kubectl: a service resolves to a running pod behind its selector and each service port to its
targetPort (a named targetPort to the pod's container port of that name); a workload resolves to a
running pod of its selector. We print kubectl's ``Forwarding from 127.0.0.1:L -> R`` lines (and the
``[::1]`` ones when IPv6 loopback is there), ``Handling connection for L`` per connection, and serve
until Ctrl-C (SIGINT) or SIGTERM, which end it with status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from dataclasses import dataclass
from typing import Any

from kubelite.cli.errors import CLIError
from kubelite.cli.kubectl.common import kubeconfig_path, run_async

JsonDict = dict[str, Any]
WORKLOADS = {"deployment": ("apps/v1", "deployments"), "deploy": ("apps/v1", "deployments"),
             "deployments": ("apps/v1", "deployments"), "replicaset": ("apps/v1", "replicasets"),
             "rs": ("apps/v1", "replicasets"), "replicasets": ("apps/v1", "replicasets"),
             "statefulset": ("apps/v1", "statefulsets"), "sts": ("apps/v1", "statefulsets"),
             "replicationcontroller": ("v1", "replicationcontrollers"), "rc": ("v1", "replicationcontrollers"),
             "replicationcontrollers": ("v1", "replicationcontrollers")}
SERVICES = ("svc", "service", "services")
PODS = ("pod", "pods", "po")


@dataclass(frozen=True)
class PortSpec:
    local: int  # 0: any free port
    remote: str  # a number, or a port name to resolve


def parse_ports(specs: list[str]) -> list[PortSpec]:
    """``8080``, ``8080:80``, ``:80`` (any local port). Pure."""
    if not specs:
        raise CLIError("at least 1 PORT is required for port-forward")
    out: list[PortSpec] = []
    for spec in specs:
        local_text, sep, remote = spec.rpartition(":")
        if not sep:
            local_text, remote = spec, spec
        try:
            local = int(local_text) if local_text else 0
        except ValueError:
            raise CLIError(f"{spec}: the local port must be a number") from None
        if not 0 <= local < 65536 or not remote:
            raise CLIError(f"{spec}: ports are [LOCAL:]REMOTE with LOCAL in 0-65535")
        out.append(PortSpec(local, remote))
    return out


def container_port(pod: JsonDict, name: str) -> int:
    """A port number, or the pod's container port of that name. Pure."""
    if name.isdigit():
        port = int(name)
        if not 0 < port < 65536:
            raise CLIError(f"port {port} is out of range 1-65535")
        return port
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == name:
                return int(p["containerPort"])
    raise CLIError(f"Pod '{pod['metadata']['name']}' does not have a named port '{name}'")


def service_target(service: JsonDict, pod: JsonDict, remote: str) -> int:
    """The pod port behind a service port (by number or name), as kubectl maps it. Pure."""
    name = service["metadata"]["name"]
    for p in (service.get("spec") or {}).get("ports") or []:
        if str(p.get("port")) == remote or (p.get("name") and p.get("name") == remote):
            target = p.get("targetPort", p.get("port"))
            return container_port(pod, str(target))
    raise CLIError(f"Service {name} does not have a service port {remote}")


def pick_pod(pods: list[JsonDict]) -> JsonDict | None:
    """A running pod, ready ones first, then the oldest. Pure."""
    def ready(pod: JsonDict) -> bool:
        conds = (pod.get("status") or {}).get("conditions") or []
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)

    running = [p for p in pods if (p.get("status") or {}).get("phase") == "Running"
               and not p["metadata"].get("deletionTimestamp")]
    running.sort(key=lambda p: (not ready(p), p["metadata"].get("creationTimestamp") or ""))
    return running[0] if running else None


def selector_string(selector: JsonDict) -> str:
    """``a=b,c=d`` from a label selector, a workload's ``matchLabels`` one or an RC's plain map. Pure."""
    structured = "matchLabels" in selector or "matchExpressions" in selector
    labels = selector.get("matchLabels") or {} if structured else selector
    if structured and selector.get("matchExpressions"):
        raise CLIError("selectors with matchExpressions are not supported by the built-in port-forward")
    return ",".join(f"{k}={v}" for k, v in (labels or {}).items())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="pod/NAME, NAME, svc/NAME or deploy/NAME")
    parser.add_argument("ports", nargs="*", help="[LOCAL:]REMOTE")
    parser.add_argument("--address", default="localhost",
                        help="localhost (127.0.0.1 and ::1, the default) or IP addresses, comma-separated")


async def _resolve(client: Any, ns: str, target: str, specs: list[PortSpec]) -> tuple[JsonDict, list[int]]:
    kind, sep, name = target.partition("/")
    if not sep:
        kind, name = "pod", target
    kind = kind.lower()
    pods_api = client.resource("v1", "pods")
    if kind in PODS:
        pod = await pods_api.get(name, ns)
        return pod, [container_port(pod, s.remote) for s in specs]
    if kind in SERVICES:
        owner = await client.resource("v1", "services").get(name, ns)
        selector = (owner.get("spec") or {}).get("selector") or {}
        if not selector:
            raise CLIError(f"invalid service '{name}': Service is defined without a selector")
    elif kind in WORKLOADS:
        owner = await client.resource(*WORKLOADS[kind]).get(name, ns)
        selector = (owner.get("spec") or {}).get("selector") or {}
    else:
        raise CLIError(f"cannot port-forward to {kind}/{name}: use a pod, service or workload")
    listed = await pods_api.list(ns, label_selector=selector_string(selector))
    pod = pick_pod(listed["items"])
    if pod is None:
        raise CLIError(f"timed out waiting for the condition: no running pod for {kind}/{name}")
    if kind in SERVICES:
        return pod, [service_target(owner, pod, s.remote) for s in specs]
    return pod, [container_port(pod, s.remote) for s in specs]


async def _forward(args: argparse.Namespace) -> int:
    from kubelite.client import streams
    from kubelite.client.errors import ApiError, TransportError
    from kubelite.client.rest import Client

    specs = parse_ports(args.ports)
    async with Client.from_kubeconfig(kubeconfig_path(args)) as client:
        ns = args.namespace or client.namespace or "default"
        pod, remotes = await _resolve(client, ns, args.target, specs)
        phase = (pod.get("status") or {}).get("phase")
        if phase != "Running":
            raise CLIError(f"unable to forward port because pod is not running. Current status={phase}")
        pod_name = pod["metadata"]["name"]
        loopback = args.address == "localhost"
        hosts = ["127.0.0.1", "::1"] if loopback else [h.strip() for h in args.address.split(",") if h.strip()]
        servers: list[asyncio.Server] = []
        tasks: set[asyncio.Task[None]] = set()

        def handler(local: int, remote: int) -> Any:
            async def on_error(text: str) -> None:
                print(f"error: an error occurred forwarding {local} -> {remote}: {text}", file=sys.stderr,
                      flush=True)

            async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                print(f"Handling connection for {local}", flush=True)
                try:
                    await streams.forward_connection(client, ns, pod_name, remote, reader=reader, writer=writer,
                                                        on_error=on_error)
                except (ApiError, TransportError, streams.StreamError) as err:
                    await on_error(str(err))
                    writer.close()
                except (ConnectionError, OSError):
                    pass

            async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                task = asyncio.current_task()
                assert task is not None
                tasks.add(task)
                try:
                    await serve(reader, writer)
                finally:
                    tasks.discard(task)
            return tracked

        try:
            for spec, remote in zip(specs, remotes, strict=True):
                local = spec.local
                for host in hosts:
                    try:
                        server = await asyncio.start_server(handler(local, remote), host, local)
                    except OSError as err:
                        if loopback and host == "::1":
                            continue  # no IPv6 loopback here: kubectl also goes on with IPv4 only
                        raise CLIError(f"unable to listen on port {local or remote}: {host}:{local}: "
                                       f"{err.strerror or err}") from None
                    servers.append(server)
                    local = server.sockets[0].getsockname()[1]
                    shown = f"[{host}]" if ":" in host else host
                    print(f"Forwarding from {shown}:{local} -> {remote}", flush=True)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            for server in servers:
                server.close()
            for task in list(tasks):
                task.cancel()
            for task in list(tasks):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
    return 0


def port_forward(args: argparse.Namespace) -> int:
    from kubelite.client.streams import StreamError

    try:
        code: int = run_async(_forward(args))
    except StreamError as err:
        raise CLIError(str(err)) from None
    return code
