"""``kubelite sim nodes``: N nodes that behave like kubelets, minus the containers.

Each node registers with the capacity it is given, renews its Lease in ``kube-node-lease`` every
``heartbeat`` seconds (so the node lifecycle controller sees it alive), marks the pods bound to it
Running and Ready with a pod IP, and completes graceful deletions the way a kubelet does (the final
delete with grace period 0). Everything goes through the API, like a real node.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from dataclasses import dataclass
from typing import Any

from kubelite import KUBERNETES_VERSION
from kubelite.base.clock import Clock, RealClock
from kubelite.client.errors import AlreadyExistsError, ApiError, NotFoundError, TransportError
from kubelite.client.informer import InformerFactory
from kubelite.client.reconciler import Reconciler
from kubelite.client.rest import Client

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
LEASE_NAMESPACE = "kube-node-lease"


@dataclass
class SimConfig:
    count: int = 3
    prefix: str = "sim-node-"
    cpu: str = "32"
    memory: str = "256Gi"
    pods: int = 110
    heartbeat: float = 10.0
    pod_cidr: str = "10.240.0.0/12"
    workers: int = 16


def _ts(clock: Clock) -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro(clock: Clock) -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def node_object(config: SimConfig, name: str, index: int, now: str) -> JsonDict:
    """The Node a simulated kubelet registers: capacity from ``config``, Ready, addresses, node info."""
    capacity = {"cpu": config.cpu, "memory": config.memory, "pods": str(config.pods),
                "ephemeral-storage": "100Gi"}
    conditions = [{"type": t, "status": s, "reason": r, "message": m, "lastHeartbeatTime": now,
                   "lastTransitionTime": now} for t, s, r, m in (
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"))]
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                              "kubernetes.io/arch": "amd64", "type": "kubelite-sim"},
                     "annotations": {"kubelite.io/simulated": "true"}},
        "spec": {},
        "status": {"capacity": capacity, "allocatable": capacity, "conditions": conditions,
                   "addresses": [{"type": "InternalIP", "address": f"10.255.{index // 250}.{index % 250 + 1}"},
                                 {"type": "Hostname", "address": name}],
                   "nodeInfo": {"kubeletVersion": f"{KUBERNETES_VERSION}-sim", "kubeProxyVersion": "",
                                "operatingSystem": "linux", "architecture": "amd64",
                                "containerRuntimeVersion": "sim://0", "osImage": "simulated",
                                "kernelVersion": "", "machineID": "", "systemUUID": "", "bootID": ""}},
    }


class SimulatedNodes:
    def __init__(self, config: SimConfig, *, client: Client, informers: InformerFactory,
                 clock: Clock | None = None) -> None:
        self.config = config
        self.client = client
        self.clock = clock or RealClock()
        self.names = [f"{config.prefix}{i}" for i in range(config.count)]
        self._mine = set(self.names)
        self._network = ipaddress.ip_network(config.pod_cidr)
        self._next_ip = 1
        self._ips: dict[str, str] = {}  # pod uid -> ip
        self.reconciler = Reconciler("sim-pods", self.sync, workers=config.workers, clock=self.clock)
        self.pods = informers.informer("v1", "pods")
        self.pods.add_event_handler(self._enqueue, lambda _old, new: self._enqueue(new), self._forget)
        self.running = 0

    async def register(self) -> None:
        """Create (or refresh) every node and its Lease; concurrent, bounded."""
        nodes = self.client.resource("v1", "nodes")
        gate = asyncio.Semaphore(self.config.workers)

        async def one(index: int, name: str) -> None:
            async with gate:
                body = node_object(self.config, name, index, _ts(self.clock))
                try:
                    created = await nodes.create(body)
                except AlreadyExistsError:
                    created = await nodes.get(name)
                created["status"] = body["status"]
                await nodes.update_status(created)
                await self._renew(name)

        await asyncio.gather(*(one(i, n) for i, n in enumerate(self.names)))

    async def _renew(self, name: str) -> None:
        leases = self.client.resource("coordination.k8s.io/v1", "leases")
        now = _micro(self.clock)
        try:
            lease = await leases.get(name, LEASE_NAMESPACE)
            lease.setdefault("spec", {})["renewTime"] = now
            await leases.update(lease, LEASE_NAMESPACE)
        except NotFoundError:
            await leases.create({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                 "metadata": {"name": name, "namespace": LEASE_NAMESPACE},
                                 "spec": {"holderIdentity": name, "leaseDurationSeconds": 40,
                                          "renewTime": now, "acquireTime": now}}, LEASE_NAMESPACE)

    async def heartbeat(self) -> None:
        gate = asyncio.Semaphore(self.config.workers)

        async def renew(name: str) -> None:
            async with gate:
                try:
                    await self._renew(name)
                except (ApiError, TransportError) as err:
                    log.warning("lease renewal failed: %s", err, extra={"node": name})

        while True:
            await self.clock.sleep(self.config.heartbeat)
            await asyncio.gather(*(renew(n) for n in self.names))

    def _enqueue(self, pod: JsonDict) -> None:
        if (pod.get("spec") or {}).get("nodeName") in self._mine:
            meta = pod.get("metadata") or {}
            self.reconciler.enqueue_key(f"{meta.get('namespace')}/{meta.get('name')}")

    def _forget(self, obj: Any) -> None:
        pod = getattr(obj, "obj", obj) or {}
        self._ips.pop((pod.get("metadata") or {}).get("uid", ""), None)

    def _ip_for(self, uid: str) -> str:
        ip = self._ips.get(uid)
        if ip is None:
            ip = str(self._network.network_address + self._next_ip)
            self._next_ip += 1
            self._ips[uid] = ip
        return ip

    async def run(self) -> None:
        """Register, then heartbeat and run pods until cancelled. Informers are started by the caller."""
        await self.register()
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.heartbeat())
            tg.create_task(self.reconciler.run([self.pods]))

    async def sync(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        pod = self.pods.get(name, namespace)
        if pod is None or (pod.get("spec") or {}).get("nodeName") not in self._mine:
            return
        pods = self.client.resource("v1", "pods")
        meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
        if meta.get("deletionTimestamp"):
            try:
                await pods.delete(name, namespace, grace_period_seconds=0, uid=meta.get("uid"))
            except NotFoundError:
                pass
            return
        if status.get("phase") == "Running" and status.get("podIP"):
            return
        now = _ts(self.clock)
        ip = self._ip_for(meta.get("uid", ""))
        node_index = self.names.index(spec["nodeName"])
        new_status = {
            "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
            "hostIP": f"10.255.{node_index // 250}.{node_index % 250 + 1}", "startTime": now,
            "qosClass": status.get("qosClass", "BestEffort"),
            "conditions": [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
                           for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                                     "PodScheduled")],
            "containerStatuses": [{"name": c.get("name"), "image": c.get("image"), "imageID": f"sim://{c.get('image')}",
                                   "containerID": f"sim://{meta.get('uid')}/{c.get('name')}", "ready": True,
                                   "started": True, "restartCount": 0, "state": {"running": {"startedAt": now}}}
                                  for c in spec.get("containers") or []],
        }
        body = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": namespace, "resourceVersion": meta.get("resourceVersion")},
                "status": new_status}
        await pods.update_status(body, namespace)
        self.running += 1
