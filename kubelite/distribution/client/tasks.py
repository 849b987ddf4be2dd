"""Run one coroutine per blob together; the first failure cancels the rest and is raised as itself."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


async def run_all(fn: Callable[[T], Awaitable[R]], items: Sequence[T]) -> list[R]:
    """``[await fn(i) for i in items]`` concurrently (callers bound it with a semaphore).

    A TaskGroup reports failures as an ExceptionGroup; callers and users want the failure itself
    (a digest mismatch, an auth error), so the first one is unwrapped.
    """
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_call(fn, item)) for item in items]
    except BaseExceptionGroup as err:
        first = err.exceptions[0]
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    return [t.result() for t in tasks]


async def _call(fn: Callable[[T], Awaitable[R]], item: T) -> R:
    return await fn(item)
