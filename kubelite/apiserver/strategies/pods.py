"""Pods: status starts Pending, binding assigns a node once, and deletion is graceful.

Graceful deletion (Kubernetes' ``CheckGracefulDelete``): a pod bound to a node gets ``deletionTimestamp``
= now + grace and stays until the kubelet confirms with a grace-0 delete; an unbound pod, or one that
already terminated, or ``gracePeriodSeconds=0``, goes at once.
"""

from __future__ import annotations

from kubelite.apiserver.strategies.base import Obj, Strategy

DEFAULT_GRACE = 30


class PodStrategy(Strategy):
    def grace_period(self, obj: Obj, requested: int | None) -> int:
        spec = obj.get("spec") or {}
        if requested is not None:
            grace = max(0, requested)
        else:
            grace = int(spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE) or 0)
        if not spec.get("nodeName"):
            return 0
        if (obj.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return 0
        return grace

