"""Running probes and lifecycle hooks against a pod's containers (the I/O side of :mod:`probes`).

:meth:`Prober.check` runs the probes that are due for every running container of a pod, records the
results in its :class:`~kubelite.kubelet.probes.ProbeTracker` (which the pod worker reads for
``ready``), emits ``Unhealthy`` Events, and stops a container whose liveness or startup probe failed so
its restart policy restarts it. :meth:`Prober.hook` runs a postStart or preStop handler (exec, httpGet,
tcpSocket) the way a probe runs, with the grace period as its timeout.
"""

from __future__ import annotations

from typing import Any

from kubelite.base.clock import Clock
from kubelite.client.events import EventRecorder
from kubelite.kubelet import podplan
from kubelite.kubelet.podplan import Observed
from kubelite.kubelet.probes import ExecFn, ProbeTracker, run_probe
from kubelite.kubelet.runtimecalls import RuntimeCalls

JsonDict = dict[str, Any]
DEFAULT_GRACE = 30


class Prober:
    def __init__(self, calls: RuntimeCalls, events: EventRecorder, clock: Clock) -> None:
        self.calls = calls
        self.events = events
        self.clock = clock
        self.tracker = ProbeTracker()
        self._first_seen: dict[str, float] = {}  # container id -> monotonic time it was first seen running

    def _exec(self, cid: str) -> ExecFn:
        async def exec_fn(cmd: list[str], limit: float) -> tuple[int, bytes]:
            res = await self.calls.call(self.calls.runtime.exec_sync, cid, cmd, limit)
            return res.exit_code, res.stdout + res.stderr

        return exec_fn

    async def hook(self, container: JsonDict, cid: str, kind: str, pod_ip: str, limit: float) -> str:
        """Run a lifecycle hook; "" when it passed (or there is none), else the failure message."""
        handler = (container.get("lifecycle") or {}).get(kind)
        if not handler:
            return ""
        ok, message = await run_probe({**handler, "timeoutSeconds": max(1.0, limit)}, container, pod_ip,
                                      self._exec(cid))
        return "" if ok else f"{kind} hook failed: {message}"

    async def check(self, pod: JsonDict, observed: Observed) -> bool:
        """Run the due probes; returns whether a container was stopped for a failed probe."""
        specs = {c.get("name"): c for c in (pod.get("spec") or {}).get("containers") or []}
        now = self.clock.monotonic()
        killed = False
        running = [c for c in observed.containers if c.state == podplan.RUNNING and c.name in specs]
        for oc in running:
            spec = specs[oc.name]
            first = self._first_seen.setdefault(oc.id, now)
            for kind in self.tracker.due(spec, oc.id, first, now):
                ok, message = await run_probe(spec[kind], spec, observed.pod_ip, self._exec(oc.id))
                self.tracker.record(spec, oc.id, kind, ok, now=now, message=message)
                if not ok:
                    what = kind.removesuffix("Probe").capitalize()
                    self.events.emit(pod, "Warning", "Unhealthy", f"{what} probe failed: {message}")
            failed = self.tracker.should_kill(spec, oc.id)
            if failed:
                self.events.emit(pod, "Normal", "Killing",
                                 f"Container {oc.name} failed {failed.removesuffix('Probe')} probe, will be restarted")
                grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds", DEFAULT_GRACE)
                await self.calls.stop(oc.id, int(grace))
                killed = True
        live = {c.id for c in running}
        gone = {o.id for o in observed.containers} - live
        for cid in [c for c in self._first_seen if c in gone]:
            del self._first_seen[cid]
        self.tracker.forget(set(self._first_seen))
        return killed
