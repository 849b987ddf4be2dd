"""Applying computed tables to the kernel through ``nft -f -``.

The backend remembers what it last applied: the first sync replaces kubelite's table whole, later
ones send only the diff. If a diff fails (someone deleted our table by hand), the next sync falls
back to a full replace, so the kernel converges on the computed state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from kubelite.proxy.nft import delete_table, render_diff, render_full_batches
from kubelite.proxy.rules import TABLE, Table

log = logging.getLogger(__name__)


class NftError(RuntimeError):
    pass


class NftBackend:
    def __init__(self, *, nft: str = "nft", prefix: Sequence[str] = (), table: str = TABLE) -> None:
        """``prefix`` runs nft through another command, e.g. ``ip netns exec NS`` in tests; ``table``
        names our table (one per node: agents of separate engines on one host each keep their own)."""
        self._argv = [*prefix, nft, "-f", "-"]
        self.table = table
        self.rules_per_batch = 4000
        self._applied: Table | None = None

    async def sync(self, table: Table) -> bool:
        """Make the kernel match ``table``; returns whether anything was sent."""
        if self._applied is None:
            await self._replace(table)
            return True
        script = render_diff(self._applied, table, name=self.table)
        if not script:
            return False
        try:
            await self._run(script)
        except NftError:
            log.warning("incremental nft update failed; replacing the table")
            self._applied = None
            await self._replace(table)
        self._applied = table
        return True

    async def _replace(self, table: Table) -> None:
        """The whole table: one transaction, or a few for a large one (see ``render_full_batches``)."""
        for script in render_full_batches(table, name=self.table, rules_per_batch=self.rules_per_batch):
            await self._run(script)
        self._applied = table

    async def verify(self) -> bool:
        """If our table is gone from the kernel, forget what we applied (the next sync replaces it) and
        say so."""
        if self._applied is None:
            return False
        proc = await asyncio.create_subprocess_exec(
            *self._argv[:-2], "list", "tables", "ip", stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, _ = await proc.communicate()
        if proc.returncode == 0 and f"table ip {self.table}" not in out.decode().splitlines():
            log.warning("our nftables table is gone; programming it again", extra={"table": self.table})
            self._applied = None
            return True
        return False

    async def cleanup(self) -> None:
        """Remove kubelite's table (and nothing else)."""
        await self._run(delete_table(self.table))
        self._applied = None

    async def _run(self, script: str) -> None:
        proc = await asyncio.create_subprocess_exec(
            *self._argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await proc.communicate(script.encode())
        if proc.returncode != 0:
            raise NftError(f"nft failed ({proc.returncode}): {err.decode(errors='replace').strip()}")
