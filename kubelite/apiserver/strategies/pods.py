"""Pods: status starts Pending, binding assigns a node once, and deletion is graceful.

Graceful deletion (Kubernetes' ``CheckGracefulDelete``): a pod bound to a node gets ``deletionTimestamp``
= now + grace and stays until the kubelet confirms with a grace-0 delete; an unbound pod, or one that
already terminated, or ``gracePeriodSeconds=0``, goes at once.
"""

from __future__ import annotations

from kubelite.apiserver.strategies.base import Obj, Strategy

DEFAULT_GRACE = 30


class PodStrategy(Strategy):
    def prepare_for_create(self, obj: Obj) -> None:
        obj["status"] = {"phase": "Pending", "qosClass": _qos_class(obj)}

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


def _qos_class(pod: Obj) -> str:
    containers = (pod.get("spec") or {}).get("containers") or []
    requests_any = limits_any = False
    guaranteed = bool(containers)
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        requests_any |= bool(req)
        limits_any |= bool(lim)
        for r in ("cpu", "memory"):
            if r not in lim or (r in req and req[r] != lim[r]):
                guaranteed = False
    if guaranteed:
        return "Guaranteed"
    if requests_any or limits_any:
        return "Burstable"
    return "BestEffort"
