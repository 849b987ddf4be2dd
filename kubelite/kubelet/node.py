"""Node registration, status and Lease heartbeat: how this machine announces itself to the cluster.

The Node's capacity and info are read from the host once per status update (:func:`read_host`, the
I/O edge) and turned into a Node object by :func:`node_status`, which is pure so the conditions
(memory, disk and PID pressure) are unit-tested. As the real kubelet does, liveness is the Lease in
``kube-node-lease`` renewed every ``lease_interval`` seconds (cheap), while the Node's status is
written when it changes or every ``status_interval`` seconds (the node lifecycle controller reads both).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import platform
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from kubelite import KUBERNETES_VERSION, __version__
from kubelite.base.backoff import Backoff
from kubelite.base.clock import Clock, RealClock
from kubelite.client.errors import AlreadyExistsError, ApiError, NotFoundError, TransportError
from kubelite.client.rest import Client

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
LEASE_NAMESPACE = "kube-node-lease"
MAX_PODS = 110
MEMORY_PRESSURE_BYTES = 100 * 1024 * 1024  # the kubelet's default hard eviction: memory.available<100Mi
DISK_PRESSURE_FRACTION = 0.10  # nodefs.available<10%
PID_PRESSURE_FRACTION = 0.05


@dataclass(frozen=True)
class NodeConfig:
    name: str
    root: str = "/var/lib/kubelite"
    pod_cidr: str = ""
    lease_interval: float = 10.0
    status_interval: float = 60.0
    lease_duration: int = 40
    kubelet_port: int = 10250
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HostFacts:
    """What the host says about itself, read at the edge."""

    cpus: int
    memory_bytes: int
    memory_available: int
    disk_bytes: int
    disk_available: int
    pids_max: int
    pids_used: int
    internal_ip: str
    hostname: str
    kernel: str
    os_image: str
    arch: str
    machine_id: str
    boot_id: str


def _read(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _meminfo() -> dict[str, int]:
    out = {}
    for line in _read("/proc/meminfo").splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            out[key] = int(parts[0]) * 1024
    return out


def _os_image() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return "Linux"


def _internal_ip() -> str:
    """The address the host would use towards the outside (no packet is sent by a UDP connect)."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("10.254.254.254", 1))
        addr: str = s.getsockname()[0]
        return addr
    return "127.0.0.1"


def _arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def read_host(root: str) -> HostFacts:
    """The host's facts now (blocking: a few small /proc reads and a statvfs)."""
    mem = _meminfo()
    path = root if os.path.isdir(root) else "/"
    st = os.statvfs(path)
    pids_max = int(_read("/proc/sys/kernel/pid_max") or "32768")
    pids_used = sum(1 for d in os.listdir("/proc") if d.isdigit())
    return HostFacts(
        cpus=os.cpu_count() or 1,
        memory_bytes=mem.get("MemTotal", 0),
        memory_available=mem.get("MemAvailable", mem.get("MemFree", 0)),
        disk_bytes=st.f_blocks * st.f_frsize,
        disk_available=st.f_bavail * st.f_frsize,
        pids_max=pids_max,
        pids_used=pids_used,
        internal_ip=_internal_ip(),
        hostname=socket.gethostname(),
        kernel=os.uname().release,
        os_image=_os_image(),
        arch=_arch(),
        machine_id=_read("/etc/machine-id"),
        boot_id=_read("/proc/sys/kernel/random/boot_id"),
    )


def allocatable(host: HostFacts) -> dict[str, str]:
    """Capacity less what the kubelet keeps back by default: no kube/system reservations, but the hard
    eviction thresholds (memory.available<100Mi, nodefs.available<10%), as ``kubectl describe node``
    shows for a default kubelet."""
    memory = max(0, host.memory_bytes - MEMORY_PRESSURE_BYTES)
    disk = int(host.disk_bytes * (1 - DISK_PRESSURE_FRACTION))
    return {"cpu": str(host.cpus), "memory": f"{memory // 1024}Ki", "ephemeral-storage": str(disk),
            "pods": str(MAX_PODS)}


def _condition(kind: str, ok: bool, texts: tuple[str, str, str, str], now: str,
               previous: list[JsonDict]) -> JsonDict:
    """A node condition; ``texts`` are (reason, message) when ``ok`` then when not. Keeps the last
    transition time while the status does not change."""
    good = "True" if kind == "Ready" else "False"
    status = good if ok else ("False" if good == "True" else "True")
    reason, message = (texts[0], texts[1]) if ok else (texts[2], texts[3])
    before = next((c for c in previous if c.get("type") == kind), None)
    since = now if before is None or before.get("status") != status else before.get("lastTransitionTime", now)
    return {"type": kind, "status": status, "reason": reason, "message": message,
            "lastHeartbeatTime": now, "lastTransitionTime": since}


def node_status(host: HostFacts, now: str, previous: list[JsonDict] | None = None, *,
                kubelet_port: int = 10250, not_ready: str = "") -> JsonDict:
    """The Node's ``status`` from the host's facts: capacity, allocatable, conditions, addresses, info.
    ``not_ready`` is why the node cannot run pods (e.g. the container runtime fails), "" when it can."""
    prev = previous or []
    capacity = {"cpu": str(host.cpus), "memory": f"{host.memory_bytes // 1024}Ki",
                "ephemeral-storage": f"{host.disk_bytes // 1024}Ki", "pods": str(MAX_PODS)}
    memory_ok = host.memory_available >= MEMORY_PRESSURE_BYTES
    disk_ok = host.disk_bytes == 0 or host.disk_available >= host.disk_bytes * DISK_PRESSURE_FRACTION
    pid_ok = host.pids_max - host.pids_used >= host.pids_max * PID_PRESSURE_FRACTION
    conditions = [
        _condition("MemoryPressure", memory_ok, ("KubeletHasSufficientMemory", "kubelet has sufficient memory "
                   "available", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available"),
                   now, prev),
        _condition("DiskPressure", disk_ok, ("KubeletHasNoDiskPressure", "kubelet has no disk pressure",
                   "KubeletHasDiskPressure", "kubelet has disk pressure"), now, prev),
        _condition("PIDPressure", pid_ok, ("KubeletHasSufficientPID", "kubelet has sufficient PID available",
                   "KubeletHasInsufficientPID", "kubelet has insufficient PID available"), now, prev),
        _condition("Ready", not not_ready, ("KubeletReady", "kubelet is posting ready status", "KubeletNotReady",
                   not_ready), now, prev),
    ]
    return {
        "capacity": capacity,
        "allocatable": allocatable(host),
        "conditions": conditions,
        "addresses": [{"type": "InternalIP", "address": host.internal_ip},
                      {"type": "Hostname", "address": host.hostname}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": kubelet_port}},
        "nodeInfo": {
            "machineID": host.machine_id, "systemUUID": host.machine_id, "bootID": host.boot_id,
            "kernelVersion": host.kernel, "osImage": host.os_image,
            "containerRuntimeVersion": f"kubelite://{__version__}",
            "kubeletVersion": KUBERNETES_VERSION, "kubeProxyVersion": KUBERNETES_VERSION,
            "operatingSystem": "linux", "architecture": host.arch,
        },
    }


def node_object(config: NodeConfig, host: HostFacts, now: str) -> JsonDict:
    labels = {"kubernetes.io/hostname": config.name, "kubernetes.io/os": "linux",
              "kubernetes.io/arch": host.arch, "beta.kubernetes.io/os": "linux",
              "beta.kubernetes.io/arch": host.arch, **config.labels}
    spec: JsonDict = {}
    if config.pod_cidr:
        spec = {"podCIDR": config.pod_cidr, "podCIDRs": [config.pod_cidr]}
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": config.name, "labels": labels},
            "spec": spec, "status": node_status(host, now, kubelet_port=config.kubelet_port)}


def _ts(clock: Clock) -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro(clock: Clock) -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class NodeAgent:
    """Registers the Node, keeps its Lease renewed and its status current, until cancelled."""

    def __init__(self, config: NodeConfig, *, client: Client, clock: Clock | None = None,
                 health: Callable[[], Awaitable[str]] | None = None) -> None:
        self.config = config
        self.health = health  # "" when the runtime works, else why not (the Ready condition's message)
        self.client = client
        self.clock: Clock = clock or RealClock()
        self.nodes = client.resource("v1", "nodes")
        self.leases = client.resource("coordination.k8s.io/v1", "leases")
        self.registered = asyncio.Event()
        self.host: HostFacts | None = None
        self._last_conditions: list[tuple[str, str]] = []

    async def register(self) -> JsonDict:
        """Create the Node, or adopt the existing one (a restart), and write its status."""
        host = await asyncio.to_thread(read_host, self.config.root)
        self.host = host
        body = node_object(self.config, host, _ts(self.clock))
        try:
            node = await self.nodes.create(body)
        except AlreadyExistsError:
            node = await self.nodes.get(self.config.name)
            labels = node.setdefault("metadata", {}).setdefault("labels", {})
            if any(labels.get(k) != v for k, v in body["metadata"]["labels"].items()):
                labels.update(body["metadata"]["labels"])
                node = await self.nodes.update(node)
        node = await self.update_status(node)
        await self.renew_lease()
        self.registered.set()
        log.info("node registered", extra={"node": self.config.name})
        return node

    async def update_status(self, node: JsonDict | None = None) -> JsonDict:
        host = await asyncio.to_thread(read_host, self.config.root)
        self.host = host
        if node is None:
            node = await self.nodes.get(self.config.name)
        previous = (node.get("status") or {}).get("conditions") or []
        status = node_status(host, _ts(self.clock), previous, kubelet_port=self.config.kubelet_port,
                             not_ready=await self._not_ready())
        node["status"] = {**(node.get("status") or {}), **status}
        written = await self.nodes.update_status(node)
        self._last_conditions = [(c["type"], c["status"]) for c in status["conditions"]]
        return written

    async def renew_lease(self) -> None:
        now = _micro(self.clock)
        name = self.config.name
        try:
            lease = await self.leases.get(name, LEASE_NAMESPACE)
        except NotFoundError:
            await self.leases.create({
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": name, "namespace": LEASE_NAMESPACE},
                "spec": {"holderIdentity": name, "leaseDurationSeconds": self.config.lease_duration,
                         "renewTime": now, "acquireTime": now}}, LEASE_NAMESPACE)
            return
        lease.setdefault("spec", {}).update(renewTime=now, holderIdentity=name)
        await self.leases.update(lease, LEASE_NAMESPACE)

    async def _pressure_changed(self) -> bool:
        """Whether a condition's status differs from the last written one (checked every tick)."""
        host = await asyncio.to_thread(read_host, self.config.root)
        now = [(c["type"], c["status"]) for c in node_status(host, "", not_ready=await self._not_ready())["conditions"]]
        return now != self._last_conditions

    async def _not_ready(self) -> str:
        if self.health is None:
            return ""
        try:
            return await self.health()
        except Exception as err:  # a broken check says so rather than stopping the heartbeat
            return f"node health check failed: {err}"

    async def run(self) -> None:
        """Register (retrying transient failures), then heartbeat for ever.

        The first retries come quickly: ``kubelite up`` starts the agent beside a server that is still
        starting, and the node should register the moment the API answers."""
        retry = Backoff(initial=0.1, maximum=min(self.config.lease_interval, 2.0))
        while not self.registered.is_set():
            try:
                await self.register()
            except (ApiError, TransportError) as err:
                log.warning("node registration failed", extra={"node": self.config.name, "error": str(err)})
                await self.clock.sleep(retry.next_delay())
        since_status = 0.0
        while True:
            await self.clock.sleep(self.config.lease_interval)
            since_status += self.config.lease_interval
            try:
                await self.renew_lease()
                if since_status >= self.config.status_interval or await self._pressure_changed():
                    await self.update_status()
                    since_status = 0.0
            except (ApiError, TransportError) as err:
                log.warning("node heartbeat failed", extra={"node": self.config.name, "error": str(err)})
