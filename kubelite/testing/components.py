"""Running components in a test: informers and each part's ``run()`` on one task group, all cancelled on
the way out (even when the test fails), so no watch or worker outlives its test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import Protocol

from kubelite.client.informer import InformerFactory


class Runnable(Protocol):
    def run(self) -> Awaitable[None]: ...


@contextlib.asynccontextmanager
async def running(factory: InformerFactory, *parts: Runnable) -> AsyncIterator[list[asyncio.Task[None]]]:
    """Start ``factory``'s informers and ``parts``; yields the parts' tasks (cancel one to stop a part)."""
    async with asyncio.TaskGroup() as tg:
        informers = factory.start(tg)
        work: list[asyncio.Task[None]] = []
        for part in parts:
            async def run(p: Runnable = part) -> None:
                await p.run()

            work.append(tg.create_task(run(), name=type(part).__name__))
        try:
            yield work
        finally:
            for task in (*work, *informers):
                task.cancel()
