"""Replicated workloads (deployments, replicasets, statefulsets, replicationcontrollers, jobs...):
the autoscaling/v1 Scale subresource and generation on spec changes."""

from __future__ import annotations

from typing import Any

from kubelite.apiserver.strategies.base import Obj, Strategy


def selector_string(selector: Any) -> str:
    """A label selector (map or LabelSelector) as the ``k=v,k2 in (a,b)`` string Scale status carries."""
    if not isinstance(selector, dict):
        return ""
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(sorted(values))})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(sorted(values))})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


class WorkloadStrategy(Strategy):
    def scale_of(self, obj: Obj) -> Obj:
        meta = obj.get("metadata", {})
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        scale_meta = {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                      if k in meta}
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": scale_meta,
            "spec": {"replicas": int(spec.get("replicas", 1 if "replicas" not in spec else 0) or 0)},
            "status": {"replicas": int(status.get("replicas", 0) or 0),
                       "selector": selector_string(spec.get("selector"))},
        }

    def apply_scale(self, obj: Obj, replicas: int) -> None:
        obj.setdefault("spec", {})["replicas"] = replicas
