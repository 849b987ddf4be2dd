"""The ``kube-dns`` Service: how pods find cluster DNS.

Kubernetes runs CoreDNS as pods behind ``kube-system/kube-dns`` at the tenth address of the service
range. kubelite serves DNS from the server process instead, so the Service has no selector: the server
writes its Endpoints and an EndpointSlice itself, pointing at the address and port DNS really listens on
(a kernel-picked port is fine). Every node's proxy then DNATs ``10.96.0.10:53`` there, and pods keep the
usual ``nameserver 10.96.0.10``. No container, no image, and DNS is up as soon as the server is.

:func:`ensure` is idempotent (create what is missing, update what differs) and is re-run periodically
by the server, so a deleted Service or a server restart on a new port converges.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from kubelite.client.errors import AlreadyExistsError, NotFoundError
from kubelite.client.rest import Client

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
NAME = "kube-dns"
NAMESPACE = "kube-system"
SLICE_NAME = "kube-dns-server"
MANAGED_BY = "kubelite-server"
DEFAULT_SERVICE_IP = "10.96.0.10"


@dataclass(frozen=True)
class KubeDNS:
    service_ip: str  # the Service's cluster IP: what pods' resolv.conf names
    address: str  # where DNS listens (an address other nodes can route to)
    port: int


def service(cfg: KubeDNS) -> JsonDict:
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": NAME, "namespace": NAMESPACE,
                     "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                "kubernetes.io/name": "KubeDNS"}},
        "spec": {"type": "ClusterIP", "clusterIP": cfg.service_ip, "clusterIPs": [cfg.service_ip],
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                           {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}]},
    }


def endpoint_subsets(cfg: KubeDNS) -> list[JsonDict]:
    return [{"addresses": [{"ip": cfg.address}],
             "ports": [{"name": "dns", "port": cfg.port, "protocol": "UDP"},
                       {"name": "dns-tcp", "port": cfg.port, "protocol": "TCP"}]}]


def endpoint_slice(cfg: KubeDNS, owner: JsonDict) -> JsonDict:
    meta = owner.get("metadata") or {}
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": SLICE_NAME, "namespace": NAMESPACE,
                     "labels": {"kubernetes.io/service-name": NAME,
                                "endpointslice.kubernetes.io/managed-by": MANAGED_BY},
                     "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": NAME,
                                          "uid": meta.get("uid", ""), "controller": True,
                                          "blockOwnerDeletion": True}]},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [cfg.address],
                       "conditions": {"ready": True, "serving": True, "terminating": False}}],
        "ports": [{"name": "dns", "port": cfg.port, "protocol": "UDP"},
                  {"name": "dns-tcp", "port": cfg.port, "protocol": "TCP"}],
    }


async def _get(api: Any, name: str) -> JsonDict | None:
    try:
        obj: JsonDict = await api.get(name, NAMESPACE)
        return obj
    except NotFoundError:
        return None


async def ensure(client: Client, cfg: KubeDNS) -> JsonDict:
    """Make the Service, its Endpoints and its EndpointSlice say ``cfg``; returns the Service."""
    services = client.resource("v1", "services")
    svc = await _get(services, NAME)
    if svc is None:
        try:
            svc = await services.create(service(cfg), NAMESPACE)
        except AlreadyExistsError:
            svc = await services.get(NAME, NAMESPACE)
    if (svc.get("spec") or {}).get("clusterIP") != cfg.service_ip:
        # clusterIP is immutable: someone made kube-dns first. Say so once; pods' resolv.conf will not
        # match it, but we do not delete a Service we did not create.
        log.warning("kube-dns exists with another cluster IP",
                    extra={"clusterIP": (svc.get("spec") or {}).get("clusterIP"), "want": cfg.service_ip})
    await _ensure_endpoints(client, cfg)
    await _ensure_slice(client, cfg, svc)
    return svc


async def _ensure_endpoints(client: Client, cfg: KubeDNS) -> None:
    api = client.resource("v1", "endpoints")
    current = await _get(api, NAME)
    subsets = endpoint_subsets(cfg)
    # We write the EndpointSlice ourselves: no mirrored copy wanted.
    labels = {"k8s-app": "kube-dns", "endpointslice.kubernetes.io/skip-mirror": "true"}
    if current is None:
        body = {"apiVersion": "v1", "kind": "Endpoints",
                "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": labels}, "subsets": subsets}
        try:
            await api.create(body, NAMESPACE)
        except AlreadyExistsError:
            pass  # converges on the next ensure
        return
    have = current["metadata"].get("labels") or {}
    if current.get("subsets") != subsets or any(have.get(k) != v for k, v in labels.items()):
        current["subsets"] = subsets
        current["metadata"]["labels"] = {**have, **labels}
        await api.update(current, NAMESPACE)


async def _ensure_slice(client: Client, cfg: KubeDNS, svc: JsonDict) -> None:
    api = client.resource("discovery.k8s.io/v1", "endpointslices")
    want = endpoint_slice(cfg, svc)
    current = await _get(api, SLICE_NAME)
    if current is None:
        try:
            await api.create(want, NAMESPACE)
        except AlreadyExistsError:
            pass
        return
    fields = ("endpoints", "ports")
    owners = (current.get("metadata") or {}).get("ownerReferences")
    if any(current.get(f) != want[f] for f in fields) or owners != want["metadata"]["ownerReferences"]:
        for f in fields:
            current[f] = want[f]
        current["metadata"]["ownerReferences"] = want["metadata"]["ownerReferences"]
        await api.update(current, NAMESPACE)


def node_address() -> str:
    """The address this host uses towards the outside (a UDP connect sends nothing), else loopback.

    DNS binds this address rather than the wildcard: a UDP reply from a wildcard socket leaves from the
    source address of the route back to the pod (the bridge's), which no longer matches the DNATed
    connection, so the pod would see an answer from the wrong address and drop it.
    """
    import contextlib
    import socket

    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("10.254.254.254", 1))
        addr: str = s.getsockname()[0]
        return addr
    return "127.0.0.1"
