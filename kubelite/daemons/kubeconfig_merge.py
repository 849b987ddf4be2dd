"""Merging the cluster's kubeconfig into the user's ``~/.kube/config`` as a ``kubelite`` context (pure).

The user's other clusters, users and contexts are kept; ours are replaced by name; the current
context becomes ``kubelite``, as ``minikube start`` does with its own.
"""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]
NAME = "kubelite"


def _named(entries: list[JsonDict] | None, name: str, value: JsonDict, key: str) -> list[JsonDict]:
    kept = [e for e in entries or [] if e.get("name") != name]
    return [*kept, {"name": name, key: value}]


def merge(user: JsonDict | None, ours: JsonDict) -> JsonDict:
    """``user`` (may be None or empty) with the first cluster and user of ``ours`` added as ``kubelite``."""
    merged: JsonDict = dict(user or {})
    merged.setdefault("apiVersion", "v1")
    merged.setdefault("kind", "Config")
    merged.setdefault("preferences", {})
    cluster = (ours.get("clusters") or [{}])[0].get("cluster") or {}
    account = (ours.get("users") or [{}])[0].get("user") or {}
    merged["clusters"] = _named(merged.get("clusters"), NAME, cluster, "cluster")
    merged["users"] = _named(merged.get("users"), NAME, account, "user")
    merged["contexts"] = _named(merged.get("contexts"), NAME, {"cluster": NAME, "user": NAME}, "context")
    merged["current-context"] = NAME
    return merged
