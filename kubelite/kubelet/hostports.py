"""A pod's ``hostPort`` declarations as the engine's port mappings.

Seed 001 publishes Redis on the node with ``hostPort: 6379``; the engine DNATs a ready sandbox's
mappings to the pod's address (``kubelite/runtime/publishing.py``). Pure, so it is unit-tested alone.
A ``hostNetwork`` pod already listens on the host: its ports need no mapping, as in Kubernetes.
"""

from __future__ import annotations

from typing import Any

from kubelite.runtime.cri import PortMapping


def host_port_mappings(pod: dict[str, Any]) -> list[PortMapping]:
    """Every container port of ``pod`` that asks for a hostPort, in declaration order."""
    spec = pod.get("spec") or {}
    if spec.get("hostNetwork"):
        return []
    out: list[PortMapping] = []
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for port in container.get("ports") or []:
            host_port = int(port.get("hostPort") or 0)
            if host_port <= 0:
                continue
            out.append(PortMapping(container_port=int(port.get("containerPort") or host_port), host_port=host_port,
                                   protocol=str(port.get("protocol") or "TCP").lower(),
                                   host_ip=str(port.get("hostIP") or "")))
    return out
