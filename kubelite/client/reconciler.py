"""A small reconciler framework: informers feed keys into a workqueue, workers call ``sync(key)``.

Level-triggered, as architecture.md habit 1 asks: event handlers only enqueue keys
(:meth:`Reconciler.enqueue`); ``sync(key)`` re-reads the current state from the informer caches,
computes desired vs actual, acts through the API, and writes status. A missing object means "clean up
and return". Because the workqueue collapses duplicate keys and never runs one key on two workers, a
burst of events costs one sync, and syncs of one object never race.

Failures, said explicitly:

- any exception from ``sync`` is *transient*: the key is requeued with per-key exponential backoff
  (5 ms doubling to 1000 s) and retried for ever, as Kubernetes controllers do;
- :class:`PermanentError` is *permanent*: logged once, the key forgotten (the caller records an Event
  before raising it). The next change to the object enqueues it again.

Lifecycle: ``Reconciler(name, sync, ...)`` starts nothing; ``await run(informers)`` waits for the caches
to sync (a controller acting on a partial cache would create duplicates), starts ``workers`` workers, and
on cancellation shuts the queue down, letting in-flight syncs finish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from kubelite.base.clock import Clock, RealClock
from kubelite.client.informer import Informer
from kubelite.client.store import DeletedFinalStateUnknown, meta_namespace_key
from kubelite.client.workqueue import ShutDownError, WorkQueue

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]
SyncFn = Callable[[str], Awaitable[None]]


class PermanentError(Exception):
    """A sync failure that retrying cannot fix (invalid spec, forbidden): do not requeue."""


def object_key(obj: JsonDict | DeletedFinalStateUnknown) -> str:
    """The workqueue key of an object or of a delete tombstone."""
    if isinstance(obj, DeletedFinalStateUnknown):
        return obj.key
    return meta_namespace_key(obj)


class Reconciler:
    """Runs one ``sync(key)`` function over a workqueue. See the module docstring."""

    def __init__(self, name: str, sync: SyncFn, *, workers: int = 2, clock: Clock | None = None,
                 queue: WorkQueue | None = None) -> None:
        self.name = name
        self.sync = sync
        self.workers = workers
        self.clock: Clock = clock or RealClock()
        self.queue = queue or WorkQueue(name, clock=self.clock)
        self.syncs = 0  # completed sync calls, for tests and metrics

    # ----------------------------------------------------------------------------- enqueueing

    def enqueue(self, obj: JsonDict | DeletedFinalStateUnknown) -> None:
        self.queue.add(object_key(obj))

    def enqueue_key(self, key: str) -> None:
        self.queue.add(key)

    def enqueue_after(self, key: str, delay: float) -> None:
        self.queue.add_after(key, delay)

    def watch(self, informer: Informer) -> None:
        """Enqueue the object's own key on every add/update/delete of ``informer``."""
        informer.add_event_handler(self.enqueue, lambda _old, new: self.enqueue(new), self.enqueue)

    # -------------------------------------------------------------------------------- running

    async def run(self, informers: Iterable[Informer] = (), *, sync_timeout: float | None = None) -> None:
        """Wait for ``informers`` to sync, then process keys until cancelled."""
        for inf in informers:
            if not await inf.wait_synced(sync_timeout):
                raise TimeoutError(f"{self.name}: cache of {inf!r} did not sync")
        log.info("controller started", extra={"controller": self.name, "workers": self.workers})
        try:
            async with asyncio.TaskGroup() as tg:
                for i in range(self.workers):
                    tg.create_task(self._worker(), name=f"{self.name}-worker-{i}")
        finally:
            self.queue.shut_down()

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except ShutDownError:
                return
            try:
                await self.sync(key)
            except PermanentError as err:
                log.warning("sync failed permanently", extra={"controller": self.name, "key": key,
                                                              "error": str(err)})
                self.queue.forget(key)
            except Exception as err:
                retries = self.queue.num_requeues(key)
                log.log(logging.INFO if retries < 5 else logging.WARNING, "sync failed, requeueing",
                        extra={"controller": self.name, "key": key, "error": f"{type(err).__name__}: {err}",
                               "retries": retries})
                self.queue.add_rate_limited(key)
            else:
                self.queue.forget(key)
            finally:
                self.syncs += 1
                self.queue.done(key)
