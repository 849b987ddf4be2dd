"""Informers: list then watch one resource into a local indexed :class:`~kubelite.client.store.Store`,
telling event handlers what changed.

Lifecycle: ``Informer(resource, ...)`` starts nothing. ``await informer.run()`` (usually as a
supervised task) lists, fills the store, calls ``on_add`` for everything, marks itself synced
(:meth:`Informer.has_synced` / :meth:`Informer.wait_synced`), then watches from the list's
resourceVersion. The resume logic is :class:`~kubelite.client.watchstate.WatchResume`: stream ends and
broken connections resume from the last version seen (bookmarks included); a 410 Gone/Expired relists
and *replaces* the store, emitting ``on_add`` for new objects, ``on_update(old, new)`` for objects still
present and ``on_delete(DeletedFinalStateUnknown)`` for objects that vanished while the watch was down.
Every ``resync_period`` seconds (0 = never) ``on_update(obj, obj)`` is called for every cached object, so
a controller that dropped a key gets another chance (level-triggered).

Handlers are plain functions called in the informer's task: they must be quick and must not block,
because they hold up the watch. Components use them only to enqueue keys into a
:class:`~kubelite.client.workqueue.WorkQueue`; the work happens in ``sync(key)``.

HAZARD: the objects passed to handlers and returned by the store are the cached ones, shared with every
other reader. Never mutate them: ``copy.deepcopy`` first, then write through the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubelite.base.backoff import Backoff
from kubelite.base.clock import Clock, RealClock
from kubelite.client.errors import ApiError, GoneError, TransportError
from kubelite.client.resource import ResourceClient
from kubelite.client.store import DeletedFinalStateUnknown, IndexFunc, ReplaceResult, Store, meta_namespace_key
from kubelite.client.watch import TRANSIENT_WATCH_ERRORS, default_watch_timeout, watch_events
from kubelite.client.watchstate import Action, Deliver, List, Wait, Watch, WatchEvent, WatchResume

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]
AddHandler = Callable[[JsonDict], None]
UpdateHandler = Callable[[JsonDict, JsonDict], None]
DeleteHandler = Callable[[Any], None]  # the last known object, or a DeletedFinalStateUnknown


@dataclass
class EventHandlers:
    on_add: AddHandler | None = None
    on_update: UpdateHandler | None = None
    on_delete: DeleteHandler | None = None


class Informer:
    """list+watch of one resource (optionally one namespace / selector) into a shared cache."""

    def __init__(self, resource: ResourceClient, *, namespace: str | None = None,
                 label_selector: str | None = None, field_selector: str | None = None,
                 resync_period: float = 0.0, indexers: dict[str, IndexFunc] | None = None,
                 clock: Clock | None = None, page_size: int = 500,
                 watch_timeout_seconds: int | None = None, watch_backoff: Backoff | None = None,
                 transform: Callable[[JsonDict], JsonDict] | None = None) -> None:
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.resync_period = resync_period
        self.clock: Clock = clock or RealClock()
        self.page_size = page_size
        self.watch_timeout_seconds = watch_timeout_seconds
        self.transform = transform
        self.store = Store(meta_namespace_key, indexers)
        self.machine = WatchResume(backoff=watch_backoff) if watch_backoff else WatchResume()
        self._handlers: list[EventHandlers] = []
        self._synced = asyncio.Event()
        self._rng = random.Random()

    def __repr__(self) -> str:
        return f"Informer({self.resource.api_version!r}, {self.resource.plural!r}, namespace={self.namespace!r})"

    # -------------------------------------------------------------------------------- public API

    def add_event_handler(self, on_add: AddHandler | None = None, on_update: UpdateHandler | None = None,
                          on_delete: DeleteHandler | None = None) -> None:
        """Register handlers. Added after the informer synced, ``on_add`` is replayed for the cache at
        once (as client-go does) so a late subscriber misses nothing."""
        handlers = EventHandlers(on_add, on_update, on_delete)
        self._handlers.append(handlers)
        if self.has_synced() and on_add is not None:
            for obj in self.store.list():
                self._call(on_add, obj)

    def has_synced(self) -> bool:
        """Whether the first list has been stored and announced."""
        return self._synced.is_set()

    async def wait_synced(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        """Wait for the first list; False if ``timeout`` passed first (the caller decides what to do)."""
        try:
            async with asyncio.timeout(timeout):
                await self._synced.wait()
        except TimeoutError:
            return False
        return True

    @property
    def last_sync_resource_version(self) -> str:
        return self.machine.resource_version

    def get(self, name: str, namespace: str | None = None) -> JsonDict | None:
        """The cached object (shared: copy before mutating)."""
        return self.store.get_by_key(f"{namespace}/{name}" if namespace else name)

    async def run(self) -> None:
        """Run for ever (cancel to stop): reflector plus the resync timer."""
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._reflect(), name=f"reflector-{self.resource.plural}")
            if self.resync_period > 0:
                tg.create_task(self._resync_loop(), name=f"resync-{self.resource.plural}")

    # -------------------------------------------------------------------------------- reflector

    async def _reflect(self) -> None:
        pending: deque[Action] = deque(self.machine.start())
        while True:
            action = pending.popleft() if pending else List()
            if isinstance(action, Wait):
                await self.clock.sleep(action.seconds)
            elif isinstance(action, List):
                pending.extend(await self._list())
            elif isinstance(action, Watch):
                pending.extend(await self._watch(action.resource_version))
            elif isinstance(action, Deliver):
                self._apply(action.event)

    async def _list(self) -> list[Action]:
        try:
            listing = await self.resource.list_all(self.namespace, label_selector=self.label_selector,
                                                   field_selector=self.field_selector, page_size=self.page_size)
        except (ApiError, TransportError) as err:
            log.warning("list failed", extra={"resource": self.resource.plural, "error": str(err)})
            return self.machine.list_failed()
        items = [self._typed(o) for o in listing.get("items") or []]
        self._announce(self.store.replace(items))
        self._synced.set()
        rv = str((listing.get("metadata") or {}).get("resourceVersion") or "")
        return self.machine.listed(rv)

    async def _watch(self, resource_version: str) -> list[Action]:
        stream = watch_events(self.resource.client, self.resource.path(self.namespace if self.resource.namespaced
                                                                       else None),
                              resource_version=resource_version, label_selector=self.label_selector,
                              field_selector=self.field_selector, allow_bookmarks=True,
                              timeout_seconds=self.watch_timeout_seconds or default_watch_timeout(self._rng))
        try:
            async with contextlib.aclosing(stream) as events:
                async for event in events:
                    actions = self.machine.event(event.type, event.object)
                    rest: list[Action] = []
                    for action in actions:
                        if isinstance(action, Deliver):
                            self._apply(action.event)
                        else:
                            rest.append(action)
                    if rest:
                        if event.type == "ERROR":
                            log.info("watch error event", extra={"resource": self.resource.plural,
                                                                 "reason": event.object.get("reason")})
                        return rest
        except GoneError:
            return self.machine.watch_failed(gone=True)
        except TRANSIENT_WATCH_ERRORS as err:
            log.info("watch broke, resuming", extra={"resource": self.resource.plural, "error": str(err)})
            return self.machine.watch_failed(gone=False)
        except ApiError as err:
            # Forbidden/Unauthorized/BadRequest on a watch: as client-go's reflector, keep the cache and
            # retry with backoff (RBAC may be granted, a token rotated) rather than kill the component.
            log.warning("watch refused, retrying", extra={"resource": self.resource.plural, "error": str(err)})
            return self.machine.watch_failed(gone=False)
        return self.machine.stream_ended()

    def _typed(self, obj: JsonDict) -> JsonDict:
        """List items may lack kind/apiVersion; handlers and recorders want them. Then the caller's
        ``transform`` (e.g. :func:`strip_managed_fields`), before anything is cached."""
        if "kind" not in obj and self.resource.kind:
            obj["kind"] = self.resource.kind
        obj.setdefault("apiVersion", self.resource.api_version)
        return self.transform(obj) if self.transform is not None else obj

    def _apply(self, event: WatchEvent) -> None:
        obj = self._typed(event.object)
        if event.type == "DELETED":
            self.store.delete(obj)
            self._dispatch_delete(obj)  # the final state the server sent
            return
        old = self.store.add(obj)
        if old is None:
            self._dispatch_add(obj)
        else:
            self._dispatch_update(old, obj)

    # ------------------------------------------------------------------------------ dispatching

    def _announce(self, result: ReplaceResult) -> None:
        for key, old in result.deleted:
            self._dispatch_delete(DeletedFinalStateUnknown(key, old))
        for obj in result.added:
            self._dispatch_add(obj)
        for old, new in result.updated:
            self._dispatch_update(old, new)

    def _dispatch_add(self, obj: JsonDict) -> None:
        for h in self._handlers:
            if h.on_add is not None:
                self._call(h.on_add, obj)

    def _dispatch_update(self, old: JsonDict, new: JsonDict) -> None:
        for h in self._handlers:
            if h.on_update is not None:
                self._call(h.on_update, old, new)

    def _dispatch_delete(self, obj: Any) -> None:
        for h in self._handlers:
            if h.on_delete is not None:
                self._call(h.on_delete, obj)

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            # A broken handler must not stop the cache for every other subscriber.
            log.exception("informer event handler failed", extra={"resource": self.resource.plural})

    async def _resync_loop(self) -> None:
        await self._synced.wait()
        while True:
            await self.clock.sleep(self.resync_period)
            for obj in self.store.list():
                self._dispatch_update(obj, obj)


def strip_managed_fields(obj: JsonDict) -> JsonDict:
    """An informer ``transform`` dropping ``metadata.managedFields``: server-side apply bookkeeping that
    controllers never read and that can double an object's size in the cache."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return obj


class InformerFactory:
    """One informer per (resource, namespace, selectors), shared by every component of a process, so
    the controller manager keeps one cache and one watch per resource however many controllers read it.

    ``informer(...)`` before ``start`` registers; ``start`` runs them all on a :class:`asyncio.TaskGroup`
    owned by the caller; ``wait_synced`` waits for every first list.
    """

    def __init__(self, client: Any, *, resync_period: float = 0.0, clock: Clock | None = None,
                 namespace: str | None = None,
                 transform: Callable[[JsonDict], JsonDict] | None = strip_managed_fields) -> None:
        self.client = client
        self.transform = transform  # by default managedFields are dropped, as kube-controller-manager does
        self.resync_period = resync_period
        self.clock = clock
        self.namespace = namespace
        self._informers: dict[tuple[str, str, str | None, str | None, str | None], Informer] = {}
        self._started: set[int] = set()

    def informer(self, api_version: str, plural: str, *, label_selector: str | None = None,
                 field_selector: str | None = None, indexers: dict[str, IndexFunc] | None = None) -> Informer:
        key = (api_version, plural, self.namespace, label_selector, field_selector)
        inf = self._informers.get(key)
        if inf is None:
            inf = Informer(self.client.resource(api_version, plural), namespace=self.namespace,
                           label_selector=label_selector, field_selector=field_selector,
                           resync_period=self.resync_period, indexers=indexers, clock=self.clock,
                           transform=self.transform)
            self._informers[key] = inf
        elif indexers:
            inf.store.add_indexers(indexers)
        return inf

    def start(self, tg: asyncio.TaskGroup) -> list[asyncio.Task[None]]:
        """Start every informer not yet running as a task of ``tg``; returns the new tasks (cancel them
        to stop those informers)."""
        tasks = []
        for inf in self._informers.values():
            if id(inf) not in self._started:
                self._started.add(id(inf))
                tasks.append(tg.create_task(inf.run(), name=repr(inf)))
        return tasks

    async def wait_synced(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        results = await asyncio.gather(*(i.wait_synced(timeout) for i in self._informers.values()))
        return all(results)
