"""What the garbage collector should do, from a snapshot of objects and their ownerReferences (pure).

Kubernetes' rules:
- **Background** (the usual ``kubectl delete``): the owner goes at once; then any object whose every
  owner is gone is deleted, and an object that keeps at least one owner only loses the dangling
  references. An owner counts as present only if an object with that uid exists (in the dependent's
  namespace for namespaced owners); references to kinds the collector does not watch are left alone.
- **Foreground**: the API server marks the owner deleted and adds the ``foregroundDeletion``
  finalizer; the collector deletes its dependents (in foreground themselves, so the chain is waited
  for) and removes the finalizer once no dependent with ``blockOwnerDeletion`` remains.
- **Orphan**: the owner carries the ``orphan`` finalizer; the collector strips references to it from
  every dependent, then removes the finalizer, and the dependents live on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


@dataclass(frozen=True)
class Ref:
    """An object in the snapshot: enough to act on it through the API."""

    api_version: str
    kind: str
    namespace: str
    name: str
    uid: str


@dataclass
class GCPlan:
    delete: list[tuple[Ref, str]] = field(default_factory=list)  # (object, propagation policy)
    remove_owner_refs: list[tuple[Ref, list[str]]] = field(default_factory=list)  # (dependent, owner uids)
    remove_finalizer: list[tuple[Ref, str]] = field(default_factory=list)


def ref_of(obj: JsonDict) -> Ref:
    meta = obj.get("metadata") or {}
    return Ref(obj.get("apiVersion", ""), obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", ""),
               meta.get("uid", ""))


def plan(objects: Iterable[JsonDict], watched_kinds: set[str]) -> GCPlan:
    objs = list(objects)
    by_uid = {(o.get("metadata") or {}).get("uid"): o for o in objs}
    dependents: dict[str, list[JsonDict]] = defaultdict(list)
    for o in objs:
        for owner in (o.get("metadata") or {}).get("ownerReferences") or []:
            dependents[owner.get("uid", "")].append(o)
    out = GCPlan()
    handled: set[str] = set()

    for owner in objs:
        meta = owner.get("metadata") or {}
        if not meta.get("deletionTimestamp"):
            continue
        finalizers = meta.get("finalizers") or []
        uid = meta.get("uid", "")
        deps = dependents.get(uid, [])
        if ORPHAN in finalizers:
            for dep in deps:
                out.remove_owner_refs.append((ref_of(dep), [uid]))
                handled.add((dep.get("metadata") or {}).get("uid", ""))
            out.remove_finalizer.append((ref_of(owner), ORPHAN))
        elif FOREGROUND in finalizers:
            blocking = False
            for dep in deps:
                dep_meta = dep.get("metadata") or {}
                handled.add(dep_meta.get("uid", ""))
                refs = [r for r in dep_meta.get("ownerReferences") or [] if r.get("uid") == uid]
                if any(r.get("blockOwnerDeletion") for r in refs):
                    blocking = True
                if not dep_meta.get("deletionTimestamp"):
                    out.delete.append((ref_of(dep), "Foreground"))
            if not blocking:
                out.remove_finalizer.append((ref_of(owner), FOREGROUND))

    for dep in objs:
        meta = dep.get("metadata") or {}
        if meta.get("uid") in handled or meta.get("deletionTimestamp"):
            continue
        refs = meta.get("ownerReferences") or []
        if not refs:
            continue
        dangling = [r for r in refs if _absent(r, dep, by_uid, watched_kinds)]
        if not dangling:
            continue
        if len(dangling) == len(refs):
            out.delete.append((ref_of(dep), "Background"))
        else:
            out.remove_owner_refs.append((ref_of(dep), [r.get("uid", "") for r in dangling]))
    return out


def _absent(ref: JsonDict, dependent: JsonDict, by_uid: dict[Any, JsonDict], watched: set[str]) -> bool:
    if ref.get("kind") not in watched:
        return False  # we cannot see that kind: never assume it is gone
    owner = by_uid.get(ref.get("uid"))
    if owner is None:
        return True
    owner_ns = (owner.get("metadata") or {}).get("namespace", "")
    dep_ns = (dependent.get("metadata") or {}).get("namespace", "")
    # A namespaced owner must live in the dependent's namespace; cluster-scoped owners anywhere.
    return bool(owner_ns) and owner_ns != dep_ns
