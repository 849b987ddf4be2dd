"""Which pods the pod garbage collector removes, as Kubernetes' podgc decides (pure).

- Terminated pods (Succeeded or Failed) beyond ``threshold`` (12,500 by default), oldest first.
- Pods bound to a node that no longer exists (no kubelet will ever finish them).
- Pods being deleted that were never scheduled (nothing else would complete their deletion).
The last two are force-deleted (grace period 0).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

JsonDict = dict[str, Any]
DEFAULT_THRESHOLD = 12500


def _key(pod: JsonDict) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def pods_to_collect(pods: Iterable[JsonDict], nodes: set[str], threshold: int = DEFAULT_THRESHOLD
                    ) -> tuple[list[str], list[str]]:
    """(pods to delete normally, pods to force-delete), as ``namespace/name`` keys."""
    pods = list(pods)
    terminated = [p for p in pods if (p.get("status") or {}).get("phase") in ("Succeeded", "Failed")]
    excess = max(0, len(terminated) - threshold)
    terminated.sort(key=lambda p: (p.get("metadata") or {}).get("creationTimestamp", ""))
    delete = [_key(p) for p in terminated[:excess]]
    force = []
    for pod in pods:
        node = (pod.get("spec") or {}).get("nodeName")
        deleting = bool((pod.get("metadata") or {}).get("deletionTimestamp"))
        if (node and node not in nodes) or (deleting and not node):
            force.append(_key(pod))
    return [k for k in delete if k not in force], force
