"""Periodic compaction, on by default, so history (and the SQLite file with its WAL) stays bounded.

As kube-apiserver does against etcd: every ``interval`` seconds compact to the revision seen one
interval ago, so a watcher or paged list always has at least one interval of history to resume from.
``retain`` additionally keeps the newest ``retain`` revisions (kine keeps 1,000), so a burst of writes
does not compact a slow client's page out from under it within the same interval.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kubelite.base.clock import Clock
from kubelite.storage.interface import Storage, StorageError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompactionConfig:
    interval: float = 300.0  # seconds between compactions; 0 disables
    retain: int = 1000  # newest revisions always kept


def compaction_target(previous_tick: int, current: int, compacted: int, retain: int) -> int | None:
    """The revision to compact to now, or None when there is nothing new to forget (pure)."""
    target = min(previous_tick, current - retain)
    return target if target > compacted else None


async def run_compactor(storage: Storage, clock: Clock, config: CompactionConfig) -> None:
    """Compact every ``config.interval`` seconds until cancelled."""
    previous = await storage.current_revision()
    while True:
        await clock.sleep(config.interval)
        current = await storage.current_revision()
        target = compaction_target(previous, current, await storage.compacted_revision(), config.retain)
        previous = current
        if target is None:
            continue
        try:
            await storage.compact(target)
            log.info("compacted", extra={"revision": target})
        except StorageError as e:  # transient (etcd without quorum): try again next tick
            log.warning("compaction failed", extra={"revision": target, "error": str(e)})
