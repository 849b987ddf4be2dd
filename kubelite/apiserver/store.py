"""The generic store: Kubernetes object semantics over the revisioned key-value storage.

One :class:`ResourceStore` per resource (Kubernetes' ``genericregistry.Store``): it reads and writes
JSON bytes under ``resource.storage_key(ns, name)``, fills server-owned metadata (uid, timestamps,
generation, resourceVersion from the storage revision), runs the resource's strategy, enforces
optimistic concurrency, finalizers and graceful deletion, and turns the storage error vocabulary into
Status errors. It knows nothing of HTTP.

Stored bytes hold no ``resourceVersion``: it is the key's ``mod_revision``, set on every read, as
kube-apiserver does with etcd.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from kubelite.api import defaults
from kubelite.api import status as st
from kubelite.api.resources import Resource
from kubelite.apiserver import objectmeta as om
from kubelite.apiserver.strategies import Strategy, strategy_for
from kubelite.apiserver.watchcache import CachedObject, WatchCache
from kubelite.base.clock import Clock
from kubelite.storage.interface import (
    CompactedError,
    ConflictError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    Storage,
    TooLargeError,
    UnavailableError,
)

log = logging.getLogger(__name__)

Obj = dict[str, Any]
MAX_UPDATE_RETRIES = 8

Convert = Callable[[Obj], Obj]

Admit = Callable[[Resource, Obj, Obj | None], Awaitable[None]]
"""Admission hook: (resource, new object, old object or None) -> raise ApiError to refuse."""


def decode_kv(kv: KeyValue) -> Obj:
    """The API object stored in ``kv``, with resourceVersion set; ValueError if not an object."""
    obj = orjson.loads(kv.value)
    if not isinstance(obj, dict):
        raise ValueError("stored value is not an object")
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = obj["metadata"] = {}
    meta["resourceVersion"] = str(kv.mod_revision)
    return obj


def encode_for_storage(obj: Obj) -> bytes:
    meta = obj.get("metadata", {})
    if "resourceVersion" in meta:
        meta = {k: v for k, v in meta.items() if k != "resourceVersion"}
        obj = {**obj, "metadata": meta}
    return orjson.dumps(obj)


def translate_storage_error(err: Exception, resource: Resource, name: str) -> st.ApiError:
    if isinstance(err, KeyExistsError):
        return st.already_exists(resource.plural, name, resource.group)
    if isinstance(err, KeyNotFoundError):
        return st.not_found(resource.plural, name, resource.group)
    if isinstance(err, ConflictError):
        return st.conflict(resource.plural, name, group=resource.group)
    if isinstance(err, CompactedError):
        return st.expired(f"too old resource version: {err.requested} ({err.compacted})")
    if isinstance(err, FutureRevisionError):
        return st.timeout("Too large resource version", retry_after_seconds=1)
    if isinstance(err, UnavailableError):
        return st.service_unavailable(f"storage unavailable: {err}")
    if isinstance(err, TooLargeError):
        return st.request_entity_too_large(str(err))
    return st.internal(str(err))


@dataclass(frozen=True, slots=True)
class WriteOptions:
    dry_run: bool = False
    field_manager: str = ""
    track_fields: bool = True  # False for server-side apply, which computes managedFields itself
    subresource: str = ""
    validate: bool = True  # False for server-internal writes kube does not re-validate (binding)


@dataclass(frozen=True, slots=True)
class DeleteOptions:
    grace_period: int | None = None
    precondition_uid: str | None = None
    precondition_rv: str | None = None
    propagation: str = ""
    dry_run: bool = False


class ResourceStore:
    converts = False  # True when objects are stored in another resource's form (ConvertingStore)

    def __init__(self, resource: Resource, storage: Storage, *, clock: Clock,
                 cache: WatchCache | None = None, admit: Admit | None = None) -> None:
        self.resource = resource
        self.storage = storage
        self.clock = clock
        self.cache = cache
        self.strategy: Strategy = strategy_for(resource)
        self._admit = admit

    # ----- helpers

    def decode(self, kv: KeyValue) -> Obj:
        """The API object a stored kv holds (resourceVersion set)."""
        return decode_kv(kv)

    def decode_cached(self, obj: Obj) -> Obj:
        """The API form of a cached (stored-form) object; shared input, never mutated."""
        return obj

    def key(self, namespace: str, name: str) -> str:
        return self.resource.storage_key(namespace or None, name)

    def _error(self, err: Exception, name: str) -> st.ApiError:
        return translate_storage_error(err, self.resource, name)

    async def _read(self, namespace: str, name: str) -> tuple[Obj, KeyValue]:
        try:
            kv = await self.storage.get(self.key(namespace, name))
        except Exception as err:
            if isinstance(err, st.ApiError):
                raise
            raise self._error(err, name) from None
        if kv is None:
            raise st.not_found(self.resource.plural, name, self.resource.group)
        return decode_kv(kv), kv

    # ----- reads

    async def get_cached(self, namespace: str, name: str, *, resource_version: str = "") -> CachedObject | None:
        """The object from the watch cache when that answers the request, else None (read storage).

        ``resourceVersion=0`` takes whatever the cache holds; unset is a consistent read: the cache
        first catches up with storage's current revision (Kubernetes 1.31's consistent reads from
        cache), so a client always reads its own writes.
        """
        cache = self.cache
        if cache is None or not cache.ready.is_set() or resource_version not in ("", "0"):
            return None
        if resource_version == "" and not await cache.wait_for(await self.storage.current_revision(), 1.0):
            return None
        cached = cache.get(self.key(namespace, name))
        if cached is None:
            raise st.not_found(self.resource.plural, name, self.resource.group)
        return cached

    async def get(self, namespace: str, name: str, *, resource_version: str = "") -> Obj:
        """A private copy of the object (callers may mutate it)."""
        cached = await self.get_cached(namespace, name, resource_version=resource_version)
        if cached is not None:
            obj: Obj = orjson.loads(cached.raw)
            return obj
        obj, _ = await self._read(namespace, name)
        return obj

    async def get_from_storage(self, namespace: str, name: str) -> Obj:
        """The object as storage holds it now, bypassing the cache."""
        obj, _ = await self._read(namespace, name)
        return self.decode_cached(obj)

    # ----- create

    async def create(self, namespace: str, obj: Obj, opts: WriteOptions) -> Obj:
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise st.bad_request("metadata must be an object")
        if self.resource.namespaced:
            if meta.get("namespace") not in (None, "", namespace):
                raise st.bad_request("the namespace of the provided object does not match the namespace "
                                     "sent on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if meta.get("resourceVersion"):
            raise st.bad_request("resourceVersion should not be set on objects to be created")
        om.validate_meta(self.resource, obj)
        obj = om.fill_create_meta(self.resource, obj, self.clock)
        obj = defaults.apply_defaults(obj)
        obj = self.strategy.prepare_for_create(obj)
        if opts.track_fields:
            obj = om.track_fields(None, obj, opts.field_manager, self.clock, subresource=opts.subresource)
        meta = obj["metadata"]
        name = meta["name"]
        try:
            if self._admit is not None:
                await self._admit(self.resource, obj, None)
            if opts.dry_run:
                self.strategy.on_deleted(obj)  # a dry run holds nothing (service IPs, ports)
                meta["resourceVersion"] = ""
                return obj
            kv = await self.storage.create(self.key(namespace, name), encode_for_storage(obj))
        except Exception as err:
            if not opts.dry_run:
                self.strategy.on_deleted(obj)  # release what prepare_for_create took
            if isinstance(err, st.ApiError):
                raise
            raise self._error(err, name) from None
        meta["resourceVersion"] = str(kv.mod_revision)
        return obj

    # ----- update (read-modify-write with optimistic concurrency)

    async def guaranteed_update(
        self,
        namespace: str,
        name: str,
        mutate: Callable[[Obj], Obj],
        opts: WriteOptions,
        *,
        create_missing: Callable[[], Obj] | None = None,
    ) -> tuple[Obj, bool]:
        """Read, ``mutate(copy)`` -> new object, write back guarded by the read revision; retry on a
        conflict unless the new object pins a resourceVersion. Returns (object, created)."""
        for _ in range(MAX_UPDATE_RETRIES):
            try:
                old, kv = await self._read(namespace, name)
            except st.ApiError as err:
                if err.code == 404 and create_missing is not None:
                    return await self.create(namespace, create_missing(), opts), True
                raise
            new = mutate(decode_kv(kv))  # a second private copy: cheaper than a deep copy
            pinned = str(new.get("metadata", {}).get("resourceVersion") or "")
            if pinned and pinned != str(kv.mod_revision):
                raise st.conflict(self.resource.plural, name, group=self.resource.group)
            try:
                return await self._write_update(namespace, name, new, old, kv=kv, opts=opts), False
            except st.ApiError as err:
                if err.reason == "Conflict" and not pinned and err.status.get("_retry"):
                    continue
                raise
        raise st.conflict(self.resource.plural, name, group=self.resource.group)

    async def _write_update(self, namespace: str, name: str, new: Obj, old: Obj, *, kv: KeyValue,
                            opts: WriteOptions) -> Obj:
        meta = new.get("metadata")
        if not isinstance(meta, dict):
            raise st.bad_request("metadata must be an object")
        om.check_update_meta(self.resource, new, old)
        new = defaults.apply_defaults(new)
        if om.same_ignoring_managed_fields(new, old):
            return old  # no-op updates do not bump the revision, as in Kubernetes
        if opts.track_fields:
            new = om.track_fields(old, new, opts.field_manager, self.clock, subresource=opts.subresource)
        if self._admit is not None and opts.validate:
            await self._admit(self.resource, new, old)
        if om.finalized_deletion(new):
            # The last finalizer of an object being deleted is gone: delete it for real.
            if opts.dry_run:
                return new
            try:
                deleted = await self.storage.delete(self.key(namespace, name),
                                                    expected_revision=kv.mod_revision)
            except ConflictError:
                err = st.conflict(self.resource.plural, name, group=self.resource.group)
                err.status["_retry"] = True
                raise err from None
            except Exception as exc:
                raise self._error(exc, name) from None
            new["metadata"]["resourceVersion"] = str(deleted.mod_revision)
            self.strategy.on_deleted(new)
            return new
        if opts.dry_run:
            return new
        try:
            stored = await self.storage.update(self.key(namespace, name), encode_for_storage(new),
                                               expected_revision=kv.mod_revision)
        except ConflictError:
            err = st.conflict(self.resource.plural, name, group=self.resource.group)
            err.status["_retry"] = True
            raise err from None
        except Exception as exc:
            raise self._error(exc, name) from None
        new["metadata"]["resourceVersion"] = str(stored.mod_revision)
        return new

    async def update(self, namespace: str, name: str, body: Obj, opts: WriteOptions) -> tuple[Obj, bool]:
        """PUT of the main resource."""
        def mutate(old: Obj) -> Obj:
            new = body
            new_meta = new.setdefault("metadata", {})
            om.carry_server_meta(new_meta, old["metadata"])
            self.strategy.prepare_for_update(new, old)
            return new

        def create() -> Obj:
            body.get("metadata", {}).pop("resourceVersion", None)
            return body

        return await self.guaranteed_update(
            namespace, name, mutate, opts,
            create_missing=create if self.strategy.allow_create_on_update else None)

    async def update_status(self, namespace: str, name: str, body: Obj, opts: WriteOptions) -> Obj:
        def mutate(old: Obj) -> Obj:
            return self.strategy.prepare_for_status_update(body, old)

        obj, _ = await self.guaranteed_update(namespace, name, mutate, opts)
        return obj

    # ----- delete

    async def delete(self, namespace: str, name: str, opts: DeleteOptions) -> tuple[Obj, bool]:
        """Returns (object, gone): gone is False when the object lives on (graceful or finalizers)."""
        for _ in range(MAX_UPDATE_RETRIES):
            old, kv = await self._read(namespace, name)
            meta = old["metadata"]
            if opts.precondition_uid and opts.precondition_uid != meta.get("uid"):
                raise st.conflict(self.resource.plural, name,
                                  f"Precondition failed: UID in precondition: {opts.precondition_uid}, "
                                  f"UID in object meta: {meta.get('uid', '')}", self.resource.group)
            if opts.precondition_rv and opts.precondition_rv != str(kv.mod_revision):
                raise st.conflict(self.resource.plural, name,
                                  f"Precondition failed: ResourceVersion in precondition: "
                                  f"{opts.precondition_rv}, ResourceVersion in object meta: "
                                  f"{kv.mod_revision}", self.resource.group)
            new = self._deletion_state(om.deep_copy(old), opts)
            try:
                if new is None:
                    if opts.dry_run:
                        return old, True
                    deleted = await self.storage.delete(self.key(namespace, name),
                                                        expected_revision=kv.mod_revision)
                    old["metadata"]["resourceVersion"] = str(deleted.mod_revision)
                    self.strategy.on_deleted(old)
                    return old, True
                if new == old or opts.dry_run:
                    return new, False
                stored = await self.storage.update(self.key(namespace, name), encode_for_storage(new),
                                                   expected_revision=kv.mod_revision)
                new["metadata"]["resourceVersion"] = str(stored.mod_revision)
                return new, False
            except ConflictError:
                continue
            except KeyNotFoundError:
                raise st.not_found(self.resource.plural, name, self.resource.group) from None
            except Exception as err:
                raise self._error(err, name) from None
        raise st.conflict(self.resource.plural, name, group=self.resource.group)

    def _deletion_state(self, obj: Obj, opts: DeleteOptions) -> Obj | None:
        """The object as it should be after this delete request, or None to remove it now."""
        meta = obj["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if opts.propagation == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        elif opts.propagation == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        grace = self.strategy.grace_period(obj, opts.grace_period)
        if self.resource.plural == "namespaces" and not self.resource.group:
            spec_finalizers = (obj.get("spec") or {}).get("finalizers") or []
            if spec_finalizers or finalizers:
                obj.setdefault("status", {})["phase"] = "Terminating"
                meta.setdefault("deletionTimestamp", om.timestamp(self.clock))
                meta.setdefault("deletionGracePeriodSeconds", 0)
                if finalizers:
                    meta["finalizers"] = finalizers
                return obj
            return None
        if not finalizers and grace == 0:
            return None
        now = self.clock.now()
        if "deletionTimestamp" not in meta or grace < int(meta.get("deletionGracePeriodSeconds") or 0):
            meta["deletionTimestamp"] = om.timestamp(self.clock, now_offset=grace)
            meta["deletionGracePeriodSeconds"] = grace
            if "generation" in meta:
                meta["generation"] = int(meta["generation"]) + 1
        del now
        if finalizers:
            meta["finalizers"] = finalizers
        return obj

    async def finalize_namespace(self, name: str, body: Obj, opts: WriteOptions) -> Obj:
        from kubelite.apiserver.strategies.namespaces import NamespaceStrategy

        strategy = self.strategy
        assert isinstance(strategy, NamespaceStrategy)

        def mutate(old: Obj) -> Obj:
            return strategy.finalize(body, old)

        # Emptying spec.finalizers of a terminating namespace removes it (see finalized_deletion).
        obj, _ = await self.guaranteed_update("", name, mutate, opts)
        return obj


class ConvertingStore(ResourceStore):
    """A resource kept in storage in another resource's form (events.k8s.io/v1 Events are stored as
    core/v1 Events, as in Kubernetes): every object is converted on its way in and out, so the
    strategy, defaults, validation and the shared watch cache all see the stored form.

    Objects never come from the cache's bytes here (they would be in the stored form).
    """

    converts = True

    def __init__(self, resource: Resource, storage: Storage, *, clock: Clock, to_api: Convert,
                 to_storage: Convert, cache: WatchCache | None = None, admit: Admit | None = None) -> None:
        super().__init__(resource, storage, clock=clock, cache=cache, admit=admit)
        self.to_api = to_api
        self.to_storage = to_storage

    def decode(self, kv: KeyValue) -> Obj:
        return self.to_api(decode_kv(kv))

    def decode_cached(self, obj: Obj) -> Obj:
        return self.to_api(obj)

    async def get_cached(self, namespace: str, name: str, *, resource_version: str = "") -> CachedObject | None:
        return None

    async def get(self, namespace: str, name: str, *, resource_version: str = "") -> Obj:
        return self.to_api(await super().get(namespace, name, resource_version=resource_version))

    async def create(self, namespace: str, obj: Obj, opts: WriteOptions) -> Obj:
        return self.to_api(await super().create(namespace, self.to_storage(obj), opts))

    async def guaranteed_update(
        self,
        namespace: str,
        name: str,
        mutate: Callable[[Obj], Obj],
        opts: WriteOptions,
        *,
        create_missing: Callable[[], Obj] | None = None,
    ) -> tuple[Obj, bool]:
        def mutate_stored(old: Obj) -> Obj:
            return self.to_storage(mutate(self.to_api(old)))

        def create_stored() -> Obj:
            assert create_missing is not None
            return self.to_storage(create_missing())

        obj, created = await super().guaranteed_update(
            namespace, name, mutate_stored, opts, create_missing=create_stored if create_missing else None)
        # super().guaranteed_update creates through self.create, which already converted back.
        return (obj if created else self.to_api(obj)), created

    async def delete(self, namespace: str, name: str, opts: DeleteOptions) -> tuple[Obj, bool]:
        obj, gone = await super().delete(namespace, name, opts)
        return self.to_api(obj), gone
