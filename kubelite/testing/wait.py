"""Waiting in tests: poll a condition until a deadline, never a fixed sleep."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable


class ConditionTimeout(AssertionError):
    """The condition did not hold before the deadline."""


async def eventually(check: Callable[[], bool | Awaitable[bool]], what: str = "condition", *,
                     within: float = 15.0, interval: float = 0.05) -> None:
    """Poll ``check`` (plain or async) until it returns true; fail naming ``what`` after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise ConditionTimeout(f"timed out after {within:g}s waiting for {what}")
        await asyncio.sleep(interval)
