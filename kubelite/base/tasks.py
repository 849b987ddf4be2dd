"""Supervised concurrency and readiness as events.

Components start in order of readiness, never by sleeping: storage sets a :class:`Ready`, the API
server awaits it and sets its own, controllers await that. A :class:`Supervisor` runs named children
on an :class:`asyncio.TaskGroup`; a child that fails (or returns while it was meant to run for ever)
either restarts with backoff, if its policy allows, or cancels its siblings and fails the whole group
loudly with the child's name, as k3s's ready channels and trio's nurseries do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType

from kubelite.base.backoff import Backoff
from kubelite.base.clock import Clock, RealClock

log = logging.getLogger(__name__)


class Ready:
    """A named, one-shot readiness signal."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    async def wait(self) -> None:
        await self._event.wait()

    def __repr__(self) -> str:
        return f"Ready({self.name!r}, {'set' if self.is_set() else 'pending'})"


class NotReadyError(TimeoutError):
    """Some readiness signals did not fire before the deadline; ``pending`` names them."""

    def __init__(self, pending: list[str], timeout: float) -> None:
        super().__init__(f"not ready after {timeout:g}s: {', '.join(pending)}")
        self.pending = pending


async def wait_ready(readies: Iterable[Ready], timeout: float) -> None:  # noqa: ASYNC109
    """Wait until every signal is set, or raise :class:`NotReadyError` naming those still pending.

    It takes the timeout itself (rather than leaving it to ``asyncio.timeout`` around the call) so
    that the error can name the components that never became ready.
    """
    items = list(readies)
    try:
        async with asyncio.timeout(timeout):
            for ready in items:
                await ready.wait()
    except TimeoutError:
        raise NotReadyError([r.name for r in items if not r.is_set()], timeout) from None


class ChildExitedError(RuntimeError):
    """A child meant to run for ever returned."""


class ChildFailedError(RuntimeError):
    """A supervised child failed for good; ``child`` names it and ``__cause__`` is its error."""

    def __init__(self, supervisor: str, child: str, error: BaseException) -> None:
        super().__init__(f"{supervisor}/{child} failed: {error!r}")
        self.child = child


@dataclass
class RestartPolicy:
    """How a failed child is restarted: at most ``max_restarts`` times in a row, with backoff."""

    max_restarts: int = 5
    backoff: Backoff = field(default_factory=lambda: Backoff(initial=0.1, maximum=10.0))
    healthy_after: float = 60.0  # seconds of running that reset the restart count


class Supervisor:
    """Runs named children; use as ``async with Supervisor("server") as sup: sup.start(...)``.

    Leaving the block waits for the children. :meth:`stop` cancels them all (a clean shutdown). A child
    failure that its policy does not absorb cancels the others and is raised as
    :class:`ChildFailedError` (unwrapped from the task group's ExceptionGroup).
    """

    def __init__(self, name: str, *, clock: Clock | None = None) -> None:
        self.name = name
        self._clock = clock or RealClock()
        self._group = asyncio.TaskGroup()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping = False

    async def __aenter__(self) -> Supervisor:
        await self._group.__aenter__()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self._group.__aexit__(et, exc, tb)
        except BaseExceptionGroup as eg:
            failures = [e for e in eg.exceptions if isinstance(e, ChildFailedError)]
            raise (failures[0] if failures else eg.exceptions[0]) from None

    def start(
        self,
        name: str,
        factory: Callable[[], Awaitable[None]],
        *,
        restart: RestartPolicy | None = None,
        forever: bool = True,
    ) -> asyncio.Task[None]:
        """Start child ``name`` running ``factory()``.

        ``forever``: the child is a service, so returning counts as a failure. ``restart``: restart it
        on failure with that policy instead of failing the group.
        """
        if name in self._tasks and not self._tasks[name].done():
            raise ValueError(f"child {name!r} already running")
        task = self._group.create_task(self._run_child(name, factory, restart, forever), name=name)
        self._tasks[name] = task
        return task

    def stop(self) -> None:
        """Cancel every child; leaving the ``async with`` block then returns normally."""
        self._stopping = True
        for task in self._tasks.values():
            task.cancel()

    async def stop_all_but(self, *last: str) -> None:
        """Cancel and await every child except ``last``, then cancel those too: dependents go first
        (components release their Leases through the API server before it stops)."""
        self._stopping = True
        first = [t for n, t in self._tasks.items() if n not in last]
        for task in first:
            task.cancel()
        await asyncio.gather(*first, return_exceptions=True)
        self.stop()

    @property
    def children(self) -> list[str]:
        return [n for n, t in self._tasks.items() if not t.done()]

    async def _run_child(
        self,
        name: str,
        factory: Callable[[], Awaitable[None]],
        restart: RestartPolicy | None,
        forever: bool,
    ) -> None:
        restarts = 0
        while True:
            started = self._clock.monotonic()
            try:
                await factory()
                if not forever or self._stopping:
                    return
                error: BaseException = ChildExitedError(f"{name} returned")
            except asyncio.CancelledError:
                if self._stopping:
                    return
                raise
            except Exception as err:
                error = err
            if restart is None:
                fields = {"supervisor": self.name, "child": name, "error": repr(error)}
                log.error("child failed", extra=fields)
                raise ChildFailedError(self.name, name, error) from error
            if self._clock.monotonic() - started >= restart.healthy_after:
                restarts = 0
                restart.backoff.reset()
            restarts += 1
            if restarts > restart.max_restarts:
                log.error("child failed too often", extra={"supervisor": self.name, "child": name})
                raise ChildFailedError(self.name, name, error) from error
            delay = restart.backoff.next_delay()
            log.warning(
                "child failed, restarting",
                extra={"supervisor": self.name, "child": name, "error": repr(error), "in": f"{delay:.2f}s"},
            )
            await self._clock.sleep(delay)
