"""The storage contract every backend (memory, SQLite, etcd) implements and the conformance suite checks.

Terms:
- A *key* is a string path such as ``/registry/pods/default/web``; a *value* is opaque bytes.
- The *revision* is one global counter, bumped by exactly one for every successful create, update or
  delete, across all keys (etcd's ``mod_revision``). A Kubernetes ``resourceVersion`` is this number.
- ``create_revision`` is the revision that created the key's current incarnation; ``mod_revision`` the
  one that last wrote it.

Lifecycle: construct (no I/O) -> ``await start()`` -> calls -> ``await close()``.

Guarantees a backend must give:
- Writes are acknowledged only once durable (as the backend defines durability).
- ``update``/``delete`` with ``expected_revision`` succeed only if the key's ``mod_revision`` still equals
  it (optimistic concurrency); otherwise :class:`ConflictError` carrying the current value.
- ``list`` returns keys in ascending order as of one revision; with ``limit`` it returns at most that
  many and ``more=True`` when keys remain; the next page passes ``start_after=<last key>`` and the same
  ``revision``.
- ``watch(prefix, from_revision)`` yields every event with revision > ``from_revision`` for keys under
  the prefix, in revision order, with no gaps, until the caller stops iterating. A ``from_revision``
  older than the compacted revision raises :class:`CompactedError` (the API's 410 Gone).
- ``compact(revision)`` forgets superseded history at or below ``revision``; reads and watches below it
  raise :class:`CompactedError`.

- ``revision=None`` (or ``0``) on ``get``/``list`` means "now"; an explicit revision above the current
  one raises :class:`FutureRevisionError`.
- ``ttl`` (seconds) makes the key expire: it is deleted, with a normal DELETE event, about ``ttl``
  seconds after the write that carried it (a later write without ``ttl`` cancels that).
- Closing the store ends open watches with :class:`UnavailableError`.

Errors form a closed vocabulary (below); only the API server turns them into HTTP statuses
(KeyExists 409 AlreadyExists, KeyNotFound 404, Conflict 409, Compacted 410, TooLarge 413,
FutureRevision 504 "Too large resource version", Unavailable 503).

Backends: :mod:`.memory`, :mod:`.sqlite` (the default), :mod:`.etcd`; :func:`kubelite.storage.open_storage`
picks one from a URL. The conformance suite is ``tests/integration/storage/conformance``.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class KeyValue:
    key: str
    value: bytes
    create_revision: int
    mod_revision: int
    lease: int = 0  # TTL in seconds the key was written with; 0 = none


class EventType(enum.Enum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


@dataclass(frozen=True, slots=True)
class Event:
    """One change. For DELETE, ``kv.value`` is the deleted value and ``kv.mod_revision`` the revision
    of the delete; ``prev`` is the value before the change (None for CREATE)."""

    type: EventType
    kv: KeyValue
    prev: KeyValue | None

    @property
    def revision(self) -> int:
        return self.kv.mod_revision


@dataclass(frozen=True, slots=True)
class ListResult:
    items: list[KeyValue]
    revision: int  # the revision the list was read at
    more: bool = False


class StorageError(Exception):
    """Base of the storage error vocabulary."""


class KeyExistsError(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"key exists: {key}")
        self.key = key


class KeyNotFoundError(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"key not found: {key}")
        self.key = key


class ConflictError(StorageError):
    """``expected_revision`` did not match; ``current`` is what is stored now."""

    def __init__(self, key: str, current: KeyValue) -> None:
        super().__init__(f"revision conflict on {key}: now at {current.mod_revision}")
        self.key = key
        self.current = current


class CompactedError(StorageError):
    """The requested revision was compacted away (410 Gone at the API)."""

    def __init__(self, requested: int, compacted: int) -> None:
        super().__init__(f"revision {requested} is compacted (oldest kept: {compacted})")
        self.requested = requested
        self.compacted = compacted


class FutureRevisionError(StorageError):
    """A read asked for a revision newer than the store has."""


class TooLargeError(StorageError):
    """The value (or request) exceeds what the backend accepts (etcd: 1.5 MiB by default): 413 at the API."""


class UnavailableError(StorageError):
    """Transient: the backend cannot serve now (etcd without quorum, closed store). Retry."""


class Storage(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def current_revision(self) -> int: ...

    async def compacted_revision(self) -> int: ...

    async def create(self, key: str, value: bytes, *, ttl: int = 0) -> KeyValue:
        """Create ``key``; raise :class:`KeyExistsError` if it exists. Returns the stored kv."""
        ...

    async def update(self, key: str, value: bytes, *, expected_revision: int, ttl: int = 0) -> KeyValue:
        """Replace ``key`` if its mod_revision is ``expected_revision`` (:class:`ConflictError`
        otherwise, :class:`KeyNotFoundError` if absent). Returns the stored kv."""
        ...

    async def delete(self, key: str, *, expected_revision: int | None = None) -> KeyValue:
        """Delete ``key`` (guarded like update when ``expected_revision`` is given); returns the
        deleted kv with ``mod_revision`` set to the delete's revision."""
        ...

    async def get(self, key: str, *, revision: int | None = None) -> KeyValue | None:
        """The key's value now, or as of ``revision``; None if absent."""
        ...

    async def list(
        self,
        prefix: str,
        *,
        revision: int | None = None,
        limit: int = 0,
        start_after: str | None = None,
    ) -> ListResult: ...

    async def count(self, prefix: str) -> int: ...

    def watch(self, prefix: str, from_revision: int) -> AsyncIterator[Event]:
        """Events after ``from_revision`` under ``prefix``; stop by closing the iterator."""
        ...

    async def compact(self, revision: int) -> None: ...
