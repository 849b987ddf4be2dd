"""Leader election on a ``coordination.k8s.io/v1`` Lease, as client-go's ``leaderelection`` does it.

Record (the Lease's spec): ``holderIdentity``, ``leaseDurationSeconds``, ``acquireTime``, ``renewTime``,
``leaseTransitions``. Every write is a compare-and-swap on the Lease's resourceVersion, so of two
candidates racing for the same record exactly one wins.

Lifecycle of :meth:`LeaderElector.run`:

1. **Acquire**: every ``retry_period`` try to take the Lease. It can be taken when it does not exist, is
   held by us, is released (empty holder), or has not been renewed for ``lease_duration`` *as observed
   by our own clock* (we time how long the record stayed unchanged rather than trusting the holder's
   renewTime, so clock skew between machines cannot make two leaders).
2. **Lead**: ``on_started_leading()`` runs as a task; every ``retry_period`` we renew ``renewTime``.
3. **Lose**: if no renewal succeeded for ``renew_deadline``, we stop leading: the leading task is
   cancelled and ``on_stopped_leading()`` called. Because ``renew_deadline < lease_duration``, we stop
   before any other candidate may consider the Lease expired: two candidates never both lead.
4. **Release**: when ``run`` is cancelled while leading (shutdown) and ``release_on_cancel`` is set, the
   Lease is handed back (empty holder, 1 s duration) so a successor takes over at once.

Timing defaults are client-go's (15 s / 10 s / 2 s); everything runs on the injected clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from kubelite.api.meta import format_micro_time
from kubelite.base.clock import Clock, RealClock
from kubelite.client.errors import AlreadyExistsError, ApiError, ConflictError, NotFoundError, TransportError
from kubelite.client.rest import Client

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class LeaderElectionConfig:
    name: str
    namespace: str
    identity: str
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    release_on_cancel: bool = True

    def __post_init__(self) -> None:
        if not self.identity:
            raise ValueError("leader election needs a non-empty identity")
        if not 0 < self.retry_period < self.renew_deadline < self.lease_duration:
            raise ValueError("need 0 < retry_period < renew_deadline < lease_duration")


def lease_spec(holder: str, duration: float, acquire_time: str, renew_time: str, transitions: int) -> JsonDict:
    return {
        "holderIdentity": holder,
        "leaseDurationSeconds": max(1, round(duration)),
        "acquireTime": acquire_time,
        "renewTime": renew_time,
        "leaseTransitions": transitions,
    }


class LeaderElector:
    """One candidate. ``on_started_leading`` is the work only the leader may do (cancelled on loss)."""

    def __init__(self, config: LeaderElectionConfig, client: Client, *,
                 on_started_leading: Callable[[], Coroutine[Any, Any, None]],
                 on_stopped_leading: Callable[[], None] | None = None,
                 on_new_leader: Callable[[str], None] | None = None,
                 clock: Clock | None = None) -> None:
        self.config = config
        self.leases = client.resource("coordination.k8s.io/v1", "leases")
        self.clock: Clock = clock or RealClock()
        self.on_started_leading = on_started_leading
        self.on_stopped_leading = on_stopped_leading
        self.on_new_leader = on_new_leader
        self._observed: JsonDict | None = None  # the last Lease we read or wrote
        self._observed_at = 0.0  # when (our monotonic clock) its spec last changed
        self._leading = False
        self._last_leader = ""
        self._rng = random.Random()

    @property
    def is_leader(self) -> bool:
        return self._leading

    @property
    def leader(self) -> str:
        """The holder we last observed ("" when unknown or released)."""
        return self._last_leader

    # -------------------------------------------------------------------------------- lifecycle

    async def run(self) -> None:
        """Acquire, lead, and return when leadership is lost (or the work returned). Cancel to stop
        (releasing the Lease). If the leader's work fails, the Lease is released and its error raised
        here, so a crashed controller surfaces as itself, not as a lost election."""
        await self._acquire()
        work = asyncio.get_running_loop().create_task(self.on_started_leading(), name="leader-work")
        try:
            await self._renew_until_lost(work)
        finally:
            self._leading = False
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await work
            if self.config.release_on_cancel:
                await asyncio.shield(self._release())
            if self.on_stopped_leading is not None:
                self.on_stopped_leading()
        if not work.cancelled() and work.exception() is not None:
            raise work.exception()  # type: ignore[misc]

    async def _acquire(self) -> None:
        while True:
            if await self.try_acquire_or_renew():
                self._leading = True
                log.info("became leader", extra={"lease": self._lease_name, "identity": self.config.identity})
                return
            await self.clock.sleep(self.config.retry_period * (1 + 0.2 * self._rng.random()))

    async def _renew_until_lost(self, work: asyncio.Task[None]) -> None:
        last_renew = self.clock.monotonic()
        while not work.done():
            await self.clock.sleep(self.config.retry_period)
            if work.done():
                break
            ok = False
            try:
                async with asyncio.timeout(max(0.001, self.config.renew_deadline
                                               - (self.clock.monotonic() - last_renew))):
                    ok = await self.try_acquire_or_renew()
            except TimeoutError:
                ok = False
            if ok:
                last_renew = self.clock.monotonic()
            elif self.clock.monotonic() - last_renew >= self.config.renew_deadline:
                log.warning("lost leadership: renewal failed past the deadline",
                            extra={"lease": self._lease_name, "identity": self.config.identity})
                return

    @property
    def _lease_name(self) -> str:
        return f"{self.config.namespace}/{self.config.name}"

    # ------------------------------------------------------------------------------------ record

    async def try_acquire_or_renew(self) -> bool:
        """One attempt (client-go's ``tryAcquireOrRenew``): True if we hold the Lease afterwards."""
        now = format_micro_time(self.clock.now())
        mine = lease_spec(self.config.identity, self.config.lease_duration, now, now, 0)
        try:
            current = await self.leases.get(self.config.name, self.config.namespace)
        except NotFoundError:
            try:
                created = await self.leases.create({
                    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": self.config.name, "namespace": self.config.namespace},
                    "spec": mine,
                }, self.config.namespace)
            except (AlreadyExistsError, ConflictError):
                return False
            except (ApiError, TransportError) as err:
                log.info("lease create failed", extra={"lease": self._lease_name, "error": str(err)})
                return False
            self._observe(created)
            return True
        except (ApiError, TransportError) as err:
            log.info("lease read failed", extra={"lease": self._lease_name, "error": str(err)})
            return False

        self._observe(current)
        spec = current.get("spec") or {}
        holder = str(spec.get("holderIdentity") or "")
        duration = float(spec.get("leaseDurationSeconds") or self.config.lease_duration)
        expired = self.clock.monotonic() >= self._observed_at + duration
        if holder and holder != self.config.identity and not expired:
            return False
        if holder == self.config.identity:
            mine["acquireTime"] = spec.get("acquireTime") or now
            mine["leaseTransitions"] = int(spec.get("leaseTransitions") or 0)
        else:
            mine["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + 1
        updated = dict(current)
        updated["spec"] = mine
        try:
            written = await self.leases.update(updated, self.config.namespace)
        except (ApiError, TransportError) as err:
            # Conflict: another candidate wrote first; anything else: try again next period.
            log.debug("lease update failed", extra={"lease": self._lease_name, "error": type(err).__name__})
            return False
        self._observe(written)
        return True

    def _observe(self, lease: JsonDict) -> None:
        spec = lease.get("spec") or {}
        old_spec = (self._observed or {}).get("spec")
        if old_spec != spec:
            self._observed_at = self.clock.monotonic()
        self._observed = lease
        holder = str(spec.get("holderIdentity") or "")
        if holder != self._last_leader:
            self._last_leader = holder
            if holder and self.on_new_leader is not None:
                self.on_new_leader(holder)

    async def _release(self) -> None:
        """Hand the Lease back if we still hold it, so a successor need not wait for it to expire.

        A renewal cancelled in flight may have reached the server, leaving our copy one version behind:
        on a conflict the Lease is re-read and released if it is still ours (never if someone else
        took it)."""
        lease = self._observed
        for _ in range(3):
            if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.config.identity:
                return
            now = format_micro_time(self.clock.now())
            spec = dict(lease.get("spec") or {})
            spec.update({"holderIdentity": "", "leaseDurationSeconds": 1, "renewTime": now, "acquireTime": now})
            released = dict(lease)
            released["spec"] = spec
            try:
                self._observe(await self.leases.update(released, self.config.namespace))
                return
            except ConflictError:
                try:
                    lease = await self.leases.get(self.config.name, self.config.namespace)
                except (ApiError, TransportError) as err:
                    log.info("lease release failed", extra={"lease": self._lease_name, "error": str(err)})
                    return
            except (ApiError, TransportError) as err:
                log.info("lease release failed", extra={"lease": self._lease_name, "error": str(err)})
                return
