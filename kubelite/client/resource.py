"""A typed handle per resource: the REST verbs and subresources of one group/version/plural.

Objects are plain dicts (decoded by orjson). ``namespace=None`` means "the object's namespace, else the
client's default" for single-object verbs, and "all namespaces" for ``list``/``watch``.

Patch types (``patch_type``): ``"merge"`` (RFC 7386), ``"json"`` (RFC 6902, a list of operations),
``"strategic"`` (Kubernetes' strategic merge patch) and ``"apply"`` (server-side apply; use
:meth:`ResourceClient.apply`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from kubelite.api.resources import REGISTRY
from kubelite.client.errors import GoneError
from kubelite.client.rest import Params, iter_lines
from kubelite.client.watch import watch_events, watch_resuming
from kubelite.client.watchstate import WatchEvent

if TYPE_CHECKING:
    from kubelite.client.rest import Client

JsonDict = dict[str, Any]

PATCH_TYPES = {
    "json": "application/json-patch+json",
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}


def split_api_version(api_version: str) -> tuple[str, str]:
    """``("apps", "v1")`` from ``apps/v1``; ``("", "v1")`` for the core group."""
    group, sep, version = api_version.rpartition("/")
    return (group, version) if sep else ("", api_version)


class ResourceClient:
    """The verbs of one resource. Created by :meth:`kubelite.client.rest.Client.resource`."""

    def __init__(self, client: Client, api_version: str, plural: str, *, namespaced: bool | None = None) -> None:
        self.client = client
        self.api_version = api_version
        self.group, self.version = split_api_version(api_version)
        self.plural = plural
        known = REGISTRY.by_gvr(self.group, self.version, plural)
        if namespaced is None:
            if known is None:
                raise ValueError(f"unknown resource {plural} in {api_version}: pass namespaced=")
            namespaced = known.namespaced
        self.namespaced = namespaced
        self.kind = known.kind if known is not None else ""

    def __repr__(self) -> str:
        return f"ResourceClient({self.api_version!r}, {self.plural!r})"

    # --------------------------------------------------------------------------------------- paths

    def path(self, namespace: str | None = None, name: str | None = None, subresource: str | None = None) -> str:
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        parts = [root]
        if self.namespaced and namespace:
            parts.append(f"namespaces/{namespace}")
        parts.append(self.plural)
        if name is not None:
            if not name:
                raise ValueError(f"{self.plural}: a name is required")
            parts.append(name)
            if subresource:
                parts.append(subresource)
        return "/".join(parts)

    def _ns(self, namespace: str | None, obj: JsonDict | None = None) -> str | None:
        """The namespace for a single-object verb: explicit, else the object's, else the default."""
        if not self.namespaced:
            return None
        if namespace:
            return namespace
        from_obj = ((obj or {}).get("metadata") or {}).get("namespace")
        return str(from_obj) if from_obj else self.client.namespace

    @staticmethod
    def _name(obj: JsonDict) -> str:
        name = (obj.get("metadata") or {}).get("name")
        if not name:
            raise ValueError("the object has no metadata.name")
        return str(name)

    # -------------------------------------------------------------------------------------- reads

    async def get(self, name: str, namespace: str | None = None, *, resource_version: str | None = None
                  ) -> JsonDict:
        result: JsonDict = await self.client.request(
            "GET", self.path(self._ns(namespace), name), params={"resourceVersion": resource_version})
        return result

    async def list(self, namespace: str | None = None, *, label_selector: str | None = None,
                   field_selector: str | None = None, limit: int | None = None, continue_: str | None = None,
                   resource_version: str | None = None, resource_version_match: str | None = None,
                   timeout_seconds: int | None = None) -> JsonDict:
        """One page of the collection (all of it when ``limit`` is None). The page's
        ``metadata.continue`` fetches the next one."""
        params: Params = {
            "labelSelector": label_selector or None, "fieldSelector": field_selector or None,
            "limit": limit, "continue": continue_ or None, "resourceVersion": resource_version,
            "resourceVersionMatch": resource_version_match, "timeoutSeconds": timeout_seconds,
        }
        ns = namespace if self.namespaced else None
        result: JsonDict = await self.client.request("GET", self.path(ns), params=params)
        return result

    async def pages(self, namespace: str | None = None, *, label_selector: str | None = None,
                    field_selector: str | None = None, page_size: int = 500) -> AsyncIterator[JsonDict]:
        """Every page of the collection, following ``continue`` tokens."""
        token: str | None = None
        while True:
            page = await self.list(namespace, label_selector=label_selector, field_selector=field_selector,
                                   limit=page_size, continue_=token)
            yield page
            token = (page.get("metadata") or {}).get("continue") or None
            if not token:
                return

    async def list_all(self, namespace: str | None = None, *, label_selector: str | None = None,
                       field_selector: str | None = None, page_size: int = 500) -> JsonDict:
        """The whole collection as one list object, read in pages; its ``resourceVersion`` is the first
        page's (the consistent snapshot the pages come from). If a continue token expires (410) mid-way,
        the list is read again in one request, as client-go's pager does."""
        items: list[JsonDict] = []
        first: JsonDict | None = None
        try:
            async for page in self.pages(namespace, label_selector=label_selector,
                                         field_selector=field_selector, page_size=page_size):
                first = first or page
                items.extend(page.get("items") or [])
        except GoneError:
            if first is None:
                raise
            return await self.list(namespace, label_selector=label_selector, field_selector=field_selector)
        assert first is not None
        out = dict(first)
        out["items"] = items
        meta = dict(out.get("metadata") or {})
        meta.pop("continue", None)
        meta.pop("remainingItemCount", None)
        out["metadata"] = meta
        return out

    # ------------------------------------------------------------------------------------- writes

    def _write_params(self, dry_run: bool, field_manager: str | None) -> Params:
        return {"dryRun": "All" if dry_run else None, "fieldManager": field_manager}

    async def create(self, obj: JsonDict, namespace: str | None = None, *, dry_run: bool = False,
                     field_manager: str | None = None) -> JsonDict:
        result: JsonDict = await self.client.request(
            "POST", self.path(self._ns(namespace, obj)), body=obj,
            params=self._write_params(dry_run, field_manager))
        return result

    async def update(self, obj: JsonDict, namespace: str | None = None, *, dry_run: bool = False,
                     field_manager: str | None = None) -> JsonDict:
        """PUT the whole object; its ``metadata.resourceVersion`` makes it a compare-and-swap
        (:class:`~kubelite.client.errors.ConflictError` when someone wrote in between)."""
        result: JsonDict = await self.client.request(
            "PUT", self.path(self._ns(namespace, obj), self._name(obj)), body=obj,
            params=self._write_params(dry_run, field_manager))
        return result

    async def update_status(self, obj: JsonDict, namespace: str | None = None, *,
                            field_manager: str | None = None) -> JsonDict:
        """PUT the ``status`` subresource (spec changes in ``obj`` are ignored by the server)."""
        result: JsonDict = await self.client.request(
            "PUT", self.path(self._ns(namespace, obj), self._name(obj), "status"), body=obj,
            params=self._write_params(False, field_manager))
        return result

    async def patch(self, name: str, patch: Any, namespace: str | None = None, *, patch_type: str = "merge",
                    subresource: str | None = None, dry_run: bool = False, field_manager: str | None = None,
                    force: bool | None = None) -> JsonDict:
        content_type = PATCH_TYPES.get(patch_type)
        if content_type is None:
            raise ValueError(f"unknown patch type {patch_type!r}: one of {', '.join(PATCH_TYPES)}")
        params = dict(self._write_params(dry_run, field_manager))
        params["force"] = force
        result: JsonDict = await self.client.request(
            "PATCH", self.path(self._ns(namespace), name, subresource), body=orjson.dumps(patch),
            content_type=content_type, params=params)
        return result

    async def apply(self, obj: JsonDict, namespace: str | None = None, *, field_manager: str,
                    force: bool = False, subresource: str | None = None, dry_run: bool = False) -> JsonDict:
        """Server-side apply of ``obj`` (JSON is YAML) as ``field_manager``."""
        return await self.patch(self._name(obj), obj, self._ns(namespace, obj), patch_type="apply",
                                subresource=subresource, dry_run=dry_run, field_manager=field_manager,
                                force=force)

    async def delete(self, name: str, namespace: str | None = None, *, propagation_policy: str | None = None,
                     grace_period_seconds: int | None = None, uid: str | None = None,
                     resource_version: str | None = None, dry_run: bool = False) -> JsonDict:
        """DELETE with DeleteOptions. ``propagation_policy`` is ``Orphan``, ``Background`` or
        ``Foreground``; ``uid``/``resource_version`` are preconditions (Conflict when they do not
        match). Returns the deleted object, or a ``Status`` for some resources."""
        return await self.client.request(  # type: ignore[no-any-return]
            "DELETE", self.path(self._ns(namespace), name),
            body=self._delete_options(propagation_policy, grace_period_seconds, uid, resource_version, dry_run))

    @staticmethod
    def _delete_options(propagation_policy: str | None, grace_period_seconds: int | None, uid: str | None,
                        resource_version: str | None, dry_run: bool) -> JsonDict:
        opts: JsonDict = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if propagation_policy:
            opts["propagationPolicy"] = propagation_policy
        if grace_period_seconds is not None:
            opts["gracePeriodSeconds"] = grace_period_seconds
        pre = {k: v for k, v in (("uid", uid), ("resourceVersion", resource_version)) if v}
        if pre:
            opts["preconditions"] = pre
        if dry_run:
            opts["dryRun"] = ["All"]
        return opts

    async def delete_collection(self, namespace: str | None = None, *, label_selector: str | None = None,
                                field_selector: str | None = None, propagation_policy: str | None = None
                                ) -> JsonDict:
        ns = namespace if self.namespaced else None
        return await self.client.request(  # type: ignore[no-any-return]
            "DELETE", self.path(ns), params={"labelSelector": label_selector, "fieldSelector": field_selector},
            body=self._delete_options(propagation_policy, None, None, None, False))

    # -------------------------------------------------------------------------------------- watch

    def watch_stream(self, namespace: str | None = None, *, resource_version: str = "",
                     label_selector: str | None = None, field_selector: str | None = None,
                     allow_bookmarks: bool = True, timeout_seconds: int | None = None) -> AsyncIterator[WatchEvent]:
        """One watch request, every event as sent (ERROR and BOOKMARK included); ends with the stream."""
        ns = namespace if self.namespaced else None
        return watch_events(self.client, self.path(ns), resource_version=resource_version,
                            label_selector=label_selector, field_selector=field_selector,
                            allow_bookmarks=allow_bookmarks, timeout_seconds=timeout_seconds)

    def watch(self, namespace: str | None = None, *, resource_version: str = "",
              label_selector: str | None = None, field_selector: str | None = None,
              timeout_seconds: int | None = None) -> AsyncIterator[WatchEvent]:
        """Watch for ever from ``resource_version``: resumes from the last seen version (bookmarks
        included) whenever the stream ends or breaks, and raises :class:`GoneError` when the server no
        longer has that version (the caller must list again). Use an informer for list+watch."""
        ns = namespace if self.namespaced else None
        return watch_resuming(self.client, self.path(ns), resource_version=resource_version,
                              label_selector=label_selector, field_selector=field_selector,
                              timeout_seconds=timeout_seconds)

    # ------------------------------------------------------------------------------- subresources

    async def get_subresource(self, name: str, subresource: str, namespace: str | None = None) -> JsonDict:
        result: JsonDict = await self.client.request("GET", self.path(self._ns(namespace), name, subresource))
        return result

    async def create_subresource(self, name: str, subresource: str, body: JsonDict,
                                 namespace: str | None = None) -> JsonDict:
        result: JsonDict = await self.client.request(
            "POST", self.path(self._ns(namespace), name, subresource), body=body)
        return result

    async def replace_subresource(self, name: str, subresource: str, body: JsonDict,
                                  namespace: str | None = None) -> JsonDict:
        result: JsonDict = await self.client.request(
            "PUT", self.path(self._ns(namespace), name, subresource), body=body)
        return result

    async def get_scale(self, name: str, namespace: str | None = None) -> JsonDict:
        return await self.get_subresource(name, "scale", namespace)

    async def scale(self, name: str, replicas: int, namespace: str | None = None) -> JsonDict:
        """Set ``spec.replicas`` through the ``scale`` subresource (what ``kubectl scale`` does)."""
        return await self.patch(name, {"spec": {"replicas": replicas}}, namespace, subresource="scale")

    async def bind(self, name: str, node_name: str, namespace: str | None = None) -> JsonDict:
        """Bind a pod to a node (``pods/binding``), as the scheduler does."""
        ns = self._ns(namespace)
        body = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name, "namespace": ns},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node_name}}
        return await self.create_subresource(name, "binding", body, ns)

    async def evict(self, name: str, namespace: str | None = None, *,
                    grace_period_seconds: int | None = None) -> JsonDict:
        """Evict a pod (``pods/eviction``): a delete that honours PodDisruptionBudgets."""
        ns = self._ns(namespace)
        body: JsonDict = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": ns}}
        if grace_period_seconds is not None:
            body["deleteOptions"] = {"gracePeriodSeconds": grace_period_seconds}
        return await self.create_subresource(name, "eviction", body, ns)

    async def log(self, name: str, namespace: str | None = None, *, container: str | None = None,
                  follow: bool = False, tail_lines: int | None = None, since_seconds: int | None = None,
                  timestamps: bool = False, previous: bool = False) -> AsyncIterator[bytes]:
        """A pod's log, line by line (``pods/log``); with ``follow`` it streams until the container ends."""
        params: Params = {"container": container, "follow": follow or None, "tailLines": tail_lines,
                          "sinceSeconds": since_seconds, "timestamps": timestamps or None,
                          "previous": previous or None}
        async with self.client.stream("GET", self.path(self._ns(namespace), name, "log"), params=params) as resp:
            async for line in iter_lines(resp, skip_blank=False):
                yield line
