"""Calls into the (synchronous) runtime from the event loop, on a small pool of threads.

The engine guards its records with flocks that exclude threads of one process as they exclude processes
(``kubelite.runtime.lock``), so several pods can be set up at once: a sandbox's ``ip`` and ``unshare``
calls and a container's conmon/runc start are mostly waiting on subprocesses, and the pool overlaps
them. The graceful stop, which mostly waits for a process to exit (SIGTERM, up to the grace period,
SIGKILL), runs on threads of its own so one pod's 30 s grace period does not take a setup thread.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from kubelite.runtime.cri import RuntimeService

T = TypeVar("T")


class RuntimeCalls:
    """``generation`` counts finished mutations (anything but the read-only calls), so a cached listing
    can tell whether something changed since it was taken."""

    READS = frozenset({"list_pod_sandboxes", "pod_sandbox_status", "list_containers", "container_status",
                       "read_logs", "image_status", "list_images", "exec_sync"})

    def __init__(self, runtime: RuntimeService, *, threads: int = 4) -> None:
        self.runtime = runtime
        self.generation = 0
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kubelet-runtime")
        self._stops = ThreadPoolExecutor(max_workers=8, thread_name_prefix="kubelet-stop")

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, functools.partial(fn, *args))
        finally:
            if getattr(fn, "__name__", "") not in self.READS:
                self.generation += 1

    async def stop(self, container_id: str, grace: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._stops, self.runtime.stop_container, container_id, grace)
        finally:
            self.generation += 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._stops.shutdown(wait=False, cancel_futures=True)
