"""The ``scale`` subresource: autoscaling/v1 Scale views of deployments, replicasets, statefulsets and
replication controllers.

Public surface:

- :func:`to_scale(obj) -> dict` - the Scale kube returns for ``GET .../scale``: metadata (name,
  namespace, uid, resourceVersion, creationTimestamp) copied from the object, ``spec.replicas`` and
  ``status.replicas`` plus ``status.selector`` as a string (``app=x``).
- :func:`apply_scale(obj, scale) -> dict` - the object with ``spec.replicas`` taken from a Scale (for
  ``PUT``/``PATCH .../scale``: patch the Scale from :func:`to_scale`, then call this).
"""

from __future__ import annotations

from typing import Any

from kubelite.api.jsonutil import clone
from kubelite.api.selectors import format_label_selector

JsonDict = dict[str, Any]
_META_KEYS = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")


def to_scale(obj: JsonDict) -> JsonDict:
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    if obj.get("kind") == "ReplicationController":
        text = ",".join(f"{k}={v}" for k, v in sorted((selector or {}).items()))
    else:
        text = format_label_selector(selector)
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in _META_KEYS if k in meta},
        "spec": {"replicas": int(spec.get("replicas", 0))},
        "status": {"replicas": int((obj.get("status") or {}).get("replicas", 0)), "selector": text},
    }


def apply_scale(obj: JsonDict, scale: JsonDict) -> JsonDict:
    out = clone(obj)
    replicas = (scale.get("spec") or {}).get("replicas", 0)
    out.setdefault("spec", {})["replicas"] = int(replicas or 0)
    return out
