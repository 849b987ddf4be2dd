"""Watch streams: newline-delimited JSON events, and a watch that resumes by itself.

:func:`watch_events` is one request: it yields every event the server sends (``ERROR`` and ``BOOKMARK``
included) and ends when the server closes the stream (``timeoutSeconds``). :func:`watch_resuming`
drives :class:`~kubelite.client.watchstate.WatchResume` over repeated requests: it hides stream ends,
bookmarks and broken connections, and raises :class:`~kubelite.client.errors.GoneError` when the
server no longer has the version to resume from (the caller must list again; an informer does that).
"""

from __future__ import annotations

import contextlib
import random
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from kubelite.client.errors import GoneError, ServerError, TooManyRequestsError, TransportError, from_watch_error
from kubelite.client.rest import iter_lines
from kubelite.client.watchstate import Action, Deliver, List, Wait, Watch, WatchEvent, WatchResume

if TYPE_CHECKING:
    from kubelite.client.rest import Client

JsonDict = dict[str, Any]
# Errors after which a watch is simply re-opened (with backoff) from the last version.
TRANSIENT_WATCH_ERRORS = (TransportError, TooManyRequestsError, ServerError)


def default_watch_timeout(rng: random.Random | None = None) -> int:
    """A server-side watch timeout between 5 and 10 minutes, randomised as client-go does so that many
    watchers do not all reconnect at the same moment."""
    return int(300 * (1 + (rng or random).random()))


async def watch_events(client: Client, path: str, *, resource_version: str = "",
                       label_selector: str | None = None, field_selector: str | None = None,
                       allow_bookmarks: bool = True, timeout_seconds: int | None = None
                       ) -> AsyncGenerator[WatchEvent, None]:
    """One watch request on the collection at ``path``; see the module docstring."""
    params = {
        "watch": True, "resourceVersion": resource_version or None, "allowWatchBookmarks": allow_bookmarks,
        "labelSelector": label_selector or None, "fieldSelector": field_selector or None,
        "timeoutSeconds": timeout_seconds,
    }
    # The read timeout catches a silently dead connection: the server ends the stream by itself after
    # timeoutSeconds, and bookmarks keep a quiet stream alive.
    read_timeout = float(timeout_seconds) + 30.0 if timeout_seconds else None
    async with client.stream("GET", path, params=params, read_timeout=read_timeout) as resp:
        async for line in iter_lines(resp):
            try:
                raw = orjson.loads(line)
            except orjson.JSONDecodeError as err:
                raise TransportError(f"malformed watch event: {err}", sent=True) from err
            if not isinstance(raw, dict):
                raise TransportError("malformed watch event: not an object", sent=True)
            yield WatchEvent(str(raw.get("type") or ""), raw.get("object") or {})


async def watch_resuming(client: Client, path: str, *, resource_version: str = "",
                         label_selector: str | None = None, field_selector: str | None = None,
                         timeout_seconds: int | None = None) -> AsyncIterator[WatchEvent]:
    """ADDED/MODIFIED/DELETED events for ever, resuming across stream ends; see the module docstring.

    Started from ``resource_version=""`` the server first sends the current objects as ADDED, as
    Kubernetes does; a stream that ends before any version was seen is re-opened the same way.
    """
    machine = WatchResume(resource_version=resource_version)
    pending: deque[Action] = deque([Watch(resource_version)])
    last_error: JsonDict | None = None
    while pending:
        action = pending.popleft()
        if isinstance(action, Wait):
            await client.clock.sleep(action.seconds)
            continue
        if isinstance(action, List):
            if last_error is None:  # no version seen yet: not a 410, just start over from "now"
                pending.append(Watch(""))
                continue
            err = from_watch_error(last_error)
            raise err if isinstance(err, GoneError) else GoneError(last_error)
        if isinstance(action, Deliver):
            yield action.event
            continue
        last_error = None
        try:
            stream = watch_events(client, path, resource_version=action.resource_version,
                                  label_selector=label_selector, field_selector=field_selector,
                                  timeout_seconds=timeout_seconds or default_watch_timeout())
            async with contextlib.aclosing(stream) as events:
                async for event in events:
                    actions = machine.event(event.type, event.object)
                    if event.type == "ERROR":
                        last_error = event.object
                    pending.extend(actions)
                    if any(not isinstance(a, Deliver) for a in actions):
                        break
                    while pending:  # deliver before reading on, so the consumer sees events promptly
                        act = pending.popleft()
                        assert isinstance(act, Deliver)
                        yield act.event
                else:
                    pending.extend(machine.stream_ended() if machine.resource_version else [Watch("")])
        except GoneError as err:
            last_error = err.status
            pending.extend(machine.watch_failed(gone=True))
        except TRANSIENT_WATCH_ERRORS:
            if machine.resource_version:
                pending.extend(machine.watch_failed(gone=False))
            else:
                pending.extend([Wait(machine.backoff.next_delay()), Watch("")])
