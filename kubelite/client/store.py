"""The informer's local cache: objects by key, plus secondary indexes (client-go's ``cache.Indexer``).

Keys are ``namespace/name`` for namespaced objects and ``name`` for cluster-scoped ones
(:func:`meta_namespace_key`). An index is a function from an object to the values it is filed under;
:meth:`Store.by_index` answers "which objects have this value" without scanning. Two indexes are always
present: :data:`NAMESPACE_INDEX` (by namespace) and :data:`LABEL_INDEX` (one ``key=value`` entry per
label, so ``by_index(LABEL_INDEX, "app=web")`` finds every object labelled ``app=web``).

HAZARD: the objects handed out are the cached ones, shared with every other reader and with the
informer that will replace them. Never mutate them: ``copy.deepcopy`` first, then write through the API.

Concurrency: mutations come from one informer task and are never interleaved with an ``await``; a
re-entrant lock also makes reads from worker threads (e.g. ``asyncio.to_thread``) consistent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kubelite.api.selectors import LabelSelector, parse_label_selector

JsonDict = dict[str, Any]
KeyFunc = Callable[[JsonDict], str]
IndexFunc = Callable[[JsonDict], list[str]]
Objects = list[JsonDict]
Keys = list[str]

NAMESPACE_INDEX = "namespace"
LABEL_INDEX = "labels"


def meta_namespace_key(obj: JsonDict) -> str:
    """``namespace/name``, or ``name`` for cluster-scoped objects (``MetaNamespaceKeyFunc``)."""
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace") or ""
    name = meta.get("name") or ""
    return f"{ns}/{name}" if ns else str(name)


def split_key(key: str) -> tuple[str, str]:
    """``("ns", "name")`` from ``ns/name``; ``("", "name")`` for a cluster-scoped key."""
    ns, sep, name = key.partition("/")
    return (ns, name) if sep else ("", ns)


def namespace_index(obj: JsonDict) -> list[str]:
    return [str((obj.get("metadata") or {}).get("namespace") or "")]


def label_index(obj: JsonDict) -> list[str]:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return [f"{k}={v}" for k, v in labels.items()]


def deletion_key(obj: JsonDict | DeletedFinalStateUnknown) -> str:
    """The key of what a delete handler received, tombstone or object."""
    if isinstance(obj, DeletedFinalStateUnknown):
        return obj.key
    return meta_namespace_key(obj)


@dataclass(frozen=True, slots=True)
class DeletedFinalStateUnknown:
    """Handed to delete handlers when an object vanished while the watch was down (found on relist):
    ``obj`` is the last state the cache knew, which may be stale."""

    key: str
    obj: JsonDict


@dataclass
class ReplaceResult:
    """What :meth:`Store.replace` changed: the deltas an informer turns into handler calls."""

    added: list[JsonDict] = field(default_factory=list)
    updated: list[tuple[JsonDict, JsonDict]] = field(default_factory=list)  # (old, new)
    deleted: list[tuple[str, JsonDict]] = field(default_factory=list)  # (key, last known)


class Store:
    """Objects by key with secondary indexes. See the module docstring for the sharing hazard."""

    def __init__(self, key_func: KeyFunc = meta_namespace_key,
                 indexers: dict[str, IndexFunc] | None = None) -> None:
        self.key_func = key_func
        self._items: dict[str, JsonDict] = {}
        self._indexers: dict[str, IndexFunc] = {NAMESPACE_INDEX: namespace_index, LABEL_INDEX: label_index}
        self._indices: dict[str, dict[str, set[str]]] = {NAMESPACE_INDEX: {}, LABEL_INDEX: {}}
        self._lock = threading.RLock()
        if indexers:
            self.add_indexers(indexers)

    # ------------------------------------------------------------------------------------ writes

    def add_indexers(self, indexers: dict[str, IndexFunc]) -> None:
        """Register more indexes; existing objects are filed under them at once."""
        with self._lock:
            for name, fn in indexers.items():
                self._indexers[name] = fn
                index: dict[str, set[str]] = {}
                self._indices[name] = index
                for key, obj in self._items.items():
                    for value in fn(obj):
                        index.setdefault(value, set()).add(key)

    def add(self, obj: JsonDict) -> JsonDict | None:
        """Insert or replace ``obj``; returns the previous object under its key, if any."""
        key = self.key_func(obj)
        with self._lock:
            old = self._items.get(key)
            self._items[key] = obj
            self._reindex(key, old, obj)
            return old

    update = add

    def delete(self, obj: JsonDict) -> JsonDict | None:
        return self.delete_key(self.key_func(obj))

    def delete_key(self, key: str) -> JsonDict | None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._reindex(key, old, None)
            return old

    def replace(self, objs: Iterable[JsonDict]) -> ReplaceResult:
        """Make the store hold exactly ``objs`` (a relist) and report the deltas.

        Objects present before and after count as updated even when unchanged, as client-go's
        ``Replaced`` deltas do: a relist is a full resync, and handlers compare resourceVersions if
        they care.
        """
        result = ReplaceResult()
        with self._lock:
            fresh: dict[str, JsonDict] = {self.key_func(o): o for o in objs}
            for key in [k for k in self._items if k not in fresh]:
                old = self._items.pop(key)
                self._reindex(key, old, None)
                result.deleted.append((key, old))
            for key, obj in fresh.items():
                prev = self._items.get(key)
                self._items[key] = obj
                self._reindex(key, prev, obj)
                if prev is None:
                    result.added.append(obj)
                else:
                    result.updated.append((prev, obj))
        return result

    def _reindex(self, key: str, old: JsonDict | None, new: JsonDict | None) -> None:
        for name, fn in self._indexers.items():
            index = self._indices[name]
            old_values = set(fn(old)) if old is not None else set()
            new_values = set(fn(new)) if new is not None else set()
            for value in old_values - new_values:
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]
            for value in new_values - old_values:
                index.setdefault(value, set()).add(key)

    # ------------------------------------------------------------------------------------- reads

    def get(self, obj: JsonDict) -> JsonDict | None:
        return self.get_by_key(self.key_func(obj))

    def get_by_key(self, key: str) -> JsonDict | None:
        """The cached object (shared: copy before mutating), or None."""
        with self._lock:
            return self._items.get(key)

    def list(self) -> Objects:
        with self._lock:
            return list(self._items.values())

    def list_keys(self) -> Keys:
        with self._lock:
            return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def index_keys(self, index_name: str, value: str) -> Keys:
        with self._lock:
            index = self._indices.get(index_name)
            if index is None:
                raise KeyError(f"index {index_name!r} does not exist")
            return sorted(index.get(value, ()))

    def by_index(self, index_name: str, value: str) -> Objects:
        """Objects filed under ``value`` in ``index_name`` (shared: copy before mutating)."""
        with self._lock:
            return [self._items[k] for k in self.index_keys(index_name, value)]

    def index_values(self, index_name: str) -> Keys:
        with self._lock:
            return sorted(self._indices.get(index_name, {}))

    def select(self, selector: LabelSelector | str | None = None,
               namespace: str | None = None) -> Objects:
        """Objects in ``namespace`` (all when None) whose labels match ``selector`` (all when None)."""
        sel = parse_label_selector(selector) if isinstance(selector, str) else selector
        with self._lock:
            pool = self.by_index(NAMESPACE_INDEX, namespace) if namespace is not None else self.list()
        if sel is None:
            return pool
        return [o for o in pool if sel.matches((o.get("metadata") or {}).get("labels") or {})]
