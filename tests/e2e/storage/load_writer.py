"""A writer process for the kill -9 tests: writes as fast as it can and prints every acknowledgement.

Usage: ``python tests/e2e/storage/load_writer.py <datastore-url> <run-id> [compact-every-seconds]``.
Sixteen tasks create ``/load/<run>/<task>-<n>``; one task updates ``/load/<run>/counter`` to 1, 2, 3, ... Each line on
stdout (``C <key>`` or ``U <n>``) is printed only after the store acknowledged the write, so every
printed line is a promise the store must keep after the process (or the store) is killed.
Transient store errors (etcd electing a leader) are retried; those writes were never acknowledged.
"""

from __future__ import annotations

import asyncio
import sys

from kubelite.storage import open_storage
from kubelite.storage.interface import KeyExistsError, Storage, UnavailableError


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def creator(store: Storage, run: str, task: int) -> None:
    n = 0
    while True:
        key = f"/load/{run}/{task:02}-{n:06}"
        try:
            await store.create(key, b"x" * 512)
        except KeyExistsError:  # a retried create that had applied before the error
            pass
        except UnavailableError:
            await asyncio.sleep(0.01)
            continue
        say(f"C {key}")
        n += 1


async def counter(store: Storage, run: str) -> None:
    key = f"/load/{run}/counter"
    kv = await store.create(key, b"0")
    n = 0
    while True:
        try:
            kv = await store.update(key, str(n + 1).encode(), expected_revision=kv.mod_revision)
        except UnavailableError:
            await asyncio.sleep(0.01)
            got = await store.get(key)
            if got is not None:
                kv = got
                n = int(got.value)
            continue
        n += 1
        say(f"U {n}")


async def main(url: str, run: str, compact_every: float) -> None:
    store: Storage
    if compact_every and url.startswith("sqlite:///"):
        # Compaction (delete, incremental vacuum, WAL truncate) many times a second, to be killed in it.
        from kubelite.storage.compactor import CompactionConfig
        from kubelite.storage.sqlite import SQLiteConfig, SQLiteStorage

        config = SQLiteConfig(url.removeprefix("sqlite://"), compaction=CompactionConfig(compact_every, retain=50))
        store = SQLiteStorage(config)
    else:
        store = open_storage(url)
    await store.start()
    say("READY")
    await asyncio.gather(counter(store, run), *(creator(store, run, t) for t in range(16)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 0.0))
