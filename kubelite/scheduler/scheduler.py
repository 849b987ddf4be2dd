"""The scheduler's I/O edge: informers feed the cache and queue; each popped pod gets a node or a reason.

Flow per pod: pop a key from the :class:`SchedulingQueue`, re-read the pod from the informer (level-
triggered: a pod deleted or bound meanwhile is dropped), run the pure :class:`Framework` over the
cache's nodes, *assume* the pod onto the chosen node at once so the next cycle counts it, and bind
through ``pods/binding`` in the background (binds run concurrently, bounded, so the API's latency does
not cap throughput). A failed bind forgets the assumption and retries with backoff. When no node fits,
the pod's ``PodScheduled`` condition says why and a FailedScheduling event is recorded; the pod waits
in the queue until a node or pod change could make room.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from kubelite.base.clock import Clock, RealClock
from kubelite.client.errors import ApiError, ConflictError, NotFoundError, TransportError
from kubelite.client.informer import Informer, InformerFactory
from kubelite.client.rest import Client
from kubelite.scheduler.cache import Cache
from kubelite.scheduler.convert import node_info, pod_info, priority
from kubelite.scheduler.framework import FitError, Framework, default_profile
from kubelite.scheduler.queue import SchedulingQueue

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]


class EventSink(Protocol):
    """What records events; :class:`kubelite.client.events.EventRecorder` is the real one."""

    async def event(self, obj: JsonDict, type_: str, reason: str, message: str) -> Any: ...


class LogEvents:
    """An event sink that only logs (for when no recorder is wired in)."""

    async def event(self, obj: JsonDict, type_: str, reason: str, message: str) -> None:
        meta = obj.get("metadata") or {}
        log.info("event", extra={"object": f"{meta.get('namespace')}/{meta.get('name')}", "reason": reason,
                                 "detail": message})


@dataclass
class SchedulerConfig:
    name: str = "default-scheduler"
    percentage_of_nodes_to_score: int = 0
    max_concurrent_binds: int = 64


def _key(obj: JsonDict) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def _wants(pod: JsonDict, name: str) -> bool:
    spec, meta = pod.get("spec") or {}, pod.get("metadata") or {}
    return (not spec.get("nodeName") and not meta.get("deletionTimestamp")
            and (spec.get("schedulerName") or "default-scheduler") == name
            and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"))


class Scheduler:
    def __init__(self, config: SchedulerConfig, *, client: Client, informers: InformerFactory,
                 events: EventSink | None = None, clock: Clock | None = None) -> None:
        self.config = config
        self.client = client
        self.clock = clock or RealClock()
        self.events: EventSink = events or LogEvents()
        self.cache = Cache()
        self.queue = SchedulingQueue(self.clock)
        profile = default_profile()
        profile.percentage_of_nodes_to_score = config.percentage_of_nodes_to_score
        self.framework = Framework(profile)
        self.pods: Informer = informers.informer(
            "v1", "pods", field_selector="status.phase!=Succeeded,status.phase!=Failed")
        self.nodes: Informer = informers.informer("v1", "nodes")
        self.pods.add_event_handler(self._pod_added, self._pod_updated, self._pod_deleted)
        self.nodes.add_event_handler(self._node_added, self._node_updated, self._node_deleted)
        self._binds = asyncio.Semaphore(config.max_concurrent_binds)
        self._tasks: set[asyncio.Task[None]] = set()
        self.scheduled = 0

    # ---------------------------------------------------------------- informer handlers (enqueue only)

    def _pod_added(self, pod: JsonDict) -> None:
        if (pod.get("spec") or {}).get("nodeName"):
            self.cache.add_pod(pod_info(pod))
        elif _wants(pod, self.config.name):
            self.queue.add(_key(pod), priority(pod))

    def _pod_updated(self, old: JsonDict, new: JsonDict) -> None:
        if (new.get("spec") or {}).get("nodeName"):
            self.cache.add_pod(pod_info(new))
            self.queue.delete(_key(new))
        elif _wants(new, self.config.name):
            self.queue.add(_key(new), priority(new))
            self.queue.update(_key(new))
        else:
            self.queue.delete(_key(new))

    def _pod_deleted(self, obj: Any) -> None:
        pod = getattr(obj, "obj", obj) or {}
        key = getattr(obj, "key", None) or _key(pod)
        self.queue.delete(key)
        self.cache.remove_pod(key)
        self.queue.move_all()  # its room may fit a waiting pod

    def _node_added(self, node: JsonDict) -> None:
        self.cache.set_node(node_info(node))
        self.queue.move_all()

    def _node_updated(self, old: JsonDict, new: JsonDict) -> None:
        self.cache.set_node(node_info(new))
        self.queue.move_all()

    def _node_deleted(self, obj: Any) -> None:
        node = getattr(obj, "obj", obj) or {}
        name = (node.get("metadata") or {}).get("name") or str(getattr(obj, "key", ""))
        self.cache.remove_node(name)

    # ---------------------------------------------------------------- the loop

    async def run(self) -> None:
        """Schedule until cancelled. The informers must be started (and synced) by the caller."""
        flusher = asyncio.create_task(self.queue.run_flusher(), name="scheduler-queue-flusher")
        try:
            while True:
                key = await self.queue.pop()
                self.schedule_one(key)
        finally:
            flusher.cancel()
            self.queue.close()
            for task in list(self._tasks):
                task.cancel()

    def schedule_one(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        pod = self.pods.get(name, namespace)
        if pod is None or not _wants(pod, self.config.name):
            self.queue.done(key)
            return
        info = pod_info(pod)
        try:
            result = self.framework.schedule_cached(info, self.cache)
        except FitError as err:
            self.queue.failed(key, unschedulable=True)
            self._spawn(self._unschedulable(pod, err.message))
            return
        self.cache.assume(info, result.node)
        self._spawn(self._bind(pod, key, result.node))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _bind(self, pod: JsonDict, key: str, node: str) -> None:
        namespace, _, name = key.partition("/")
        async with self._binds:
            try:
                await self.client.resource("v1", "pods").bind(name, node, namespace)
            except (NotFoundError, ConflictError):
                self.cache.forget(key)  # deleted, or bound by someone else: nothing to retry
                self.queue.done(key)
                return
            except (ApiError, TransportError) as err:
                log.warning("binding failed: %s", err, extra={"pod": key, "node": node})
                self.cache.forget(key)
                self.queue.failed(key, unschedulable=False)
                return
        self.queue.done(key)
        self.scheduled += 1
        await self.events.event(pod, "Normal", "Scheduled", f"Successfully assigned {key} to {node}")

    async def _unschedulable(self, pod: JsonDict, message: str) -> None:
        await self.events.event(pod, "Warning", "FailedScheduling", message)
        condition = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
                     "lastProbeTime": None, "lastTransitionTime": self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")}
        current = next((c for c in (pod.get("status") or {}).get("conditions") or []
                        if c.get("type") == "PodScheduled"), None)
        if current and current.get("message") == message and current.get("status") == "False":
            return  # already says so
        meta = pod.get("metadata") or {}
        patch = {"status": {"conditions": [copy.deepcopy(condition)]}}
        try:
            await self.client.resource("v1", "pods").patch(meta.get("name", ""), patch, meta.get("namespace"),
                                                             patch_type="strategic", subresource="status")
        except (ApiError, TransportError) as err:
            log.debug("could not record unschedulable condition", extra={"pod": _key(pod), "error": str(err)})
