"""The list-then-watch resume logic as a pure state machine: ``handle(input) -> actions``.

Why a state machine: every reflector bug in the wild (missed events, relist storms, resuming from a
stale version) hides in this logic, and here it is tested without an event loop, a socket or a clock.

Lifecycle (what the driver, e.g. :class:`kubelite.client.informer.Reflector`, does with each action)::

    start() -------------------------------> [List]            (or [Watch(rv)] if started from an rv)
    listed(rv) ----------------------------> [Watch(rv)]
    list_failed() -------------------------> [Wait(d), List]   (d grows per consecutive failure)
    event(ADDED|MODIFIED|DELETED, obj) ----> [Deliver(event)]  rv := obj's resourceVersion
    event(BOOKMARK, obj) ------------------> []                rv := bookmark's resourceVersion
    event(ERROR, Status 410) --------------> [List]            relist: rv is forgotten
    event(ERROR, other Status) ------------> [Wait(d), Watch(rv)]
    stream_ended() ------------------------> [Watch(rv)]       a normal server timeout: resume at once
    watch_failed(gone=True) ---------------> [List]            HTTP 410 when opening the watch
    watch_failed(gone=False) --------------> [Wait(d), Watch(rv)]   connection trouble: back off, resume

Terms: *rv* is the last resourceVersion this machine has seen (from the list, an event or a bookmark);
resuming from it never replays an event already delivered and never skips one. A relist is needed only
when the server says the rv has left its history (410 Gone/Expired). Backoff resets once a list succeeds
or an event arrives, so a flapping connection does not escalate forever.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubelite.base.backoff import Backoff

JsonDict = dict[str, Any]

EVENT_TYPES = frozenset({"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"})


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One line of a watch stream. ``object`` is shared with whoever receives it: copy before mutating."""

    type: str
    object: JsonDict

    @property
    def resource_version(self) -> str:
        return str((self.object.get("metadata") or {}).get("resourceVersion") or "")


@dataclass(frozen=True, slots=True)
class List:
    """List everything (paged), replace the local state with it, then call ``listed(rv)``."""


@dataclass(frozen=True, slots=True)
class Watch:
    """Open a watch from ``resource_version`` with bookmarks on."""

    resource_version: str


@dataclass(frozen=True, slots=True)
class Deliver:
    """Hand the event to the consumer (store, handlers)."""

    event: WatchEvent


@dataclass(frozen=True, slots=True)
class Wait:
    """Back off this many seconds before performing the next action."""

    seconds: float


Action = List | Watch | Deliver | Wait


def is_gone_status(obj: Any) -> bool:
    """Whether a watch ERROR object (a ``Status``) means "your resourceVersion is too old"."""
    if not isinstance(obj, dict):
        return False
    return obj.get("code") == 410 or obj.get("reason") in ("Gone", "Expired")


@dataclass
class WatchResume:
    """The resume state of one list+watch loop. Pure: no I/O, no clock (delays come from ``backoff``)."""

    resource_version: str = ""
    backoff: Backoff = field(default_factory=lambda: Backoff(initial=0.8, maximum=30.0, jitter=0.0))
    relists: int = 0
    listed_once: bool = False
    errors: list[JsonDict] = field(default_factory=list)

    def start(self) -> list[Action]:
        """The first action: list, unless the caller resumes from a known resourceVersion."""
        if self.resource_version:
            return [Watch(self.resource_version)]
        return [List()]

    def listed(self, resource_version: str) -> list[Action]:
        self.resource_version = resource_version
        self.listed_once = True
        self.backoff.reset()
        return [Watch(resource_version)]

    def list_failed(self) -> list[Action]:
        return [Wait(self.backoff.next_delay()), List()]

    def event(self, type_: str, obj: JsonDict) -> list[Action]:
        if type_ == "ERROR":
            if len(self.errors) < 16:
                self.errors.append(obj)
            if is_gone_status(obj):
                return self._relist()
            return [Wait(self.backoff.next_delay()), Watch(self.resource_version)]
        if type_ not in EVENT_TYPES:
            # An unknown type is a protocol error: resume rather than deliver garbage.
            return [Wait(self.backoff.next_delay()), Watch(self.resource_version)]
        rv = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        if rv:
            self.resource_version = rv
        self.backoff.reset()
        if type_ == "BOOKMARK":
            return []
        return [Deliver(WatchEvent(type_, obj))]

    def stream_ended(self) -> list[Action]:
        if not self.resource_version:
            return self._relist()
        return [Watch(self.resource_version)]

    def watch_failed(self, *, gone: bool) -> list[Action]:
        if gone or not self.resource_version:
            return self._relist()
        return [Wait(self.backoff.next_delay()), Watch(self.resource_version)]

    def _relist(self) -> list[Action]:
        self.resource_version = ""
        self.relists += 1
        return [List()]
