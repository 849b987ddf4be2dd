"""Liveness, readiness and startup probes: when each runs, what its results mean, and how it runs.

:class:`ProbeTracker` is pure bookkeeping, keyed by container id (a restarted container starts over):
a probe is due once ``initialDelaySeconds`` passed since the container started and ``periodSeconds``
since its last run; ``successThreshold`` consecutive successes make it pass and ``failureThreshold``
consecutive failures make it fail (Kubernetes' defaults: period 10 s, timeout 1 s, thresholds 1 and
3). Until a startup probe passed, the other two do not run. Readiness starts as failed, liveness and
startup as unknown (never a reason to kill).

The worker calls :func:`run_probe` (exec through the runtime, httpGet, tcpSocket and grpc against the pod IP)
for the probes that are due, feeds the results back, then reads :meth:`ProbeTracker.ready` for the
container's ``ready`` and :meth:`ProbeTracker.should_kill` for a liveness or startup failure, which
stops the container so its restart policy restarts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from kubelite.kubelet.grpcprobe import grpc_probe

JsonDict = dict[str, Any]
KINDS = ("startupProbe", "livenessProbe", "readinessProbe")


@dataclass
class _State:
    last_run: float = -1.0
    successes: int = 0
    failures: int = 0
    result: bool | None = None  # None: no verdict yet
    message: str = ""


@dataclass
class ProbeTracker:
    """Probe states of every container, by (container id, probe kind)."""

    states: dict[tuple[str, str], _State] = field(default_factory=dict)

    def due(self, container: JsonDict, container_id: str, started: float, now: float) -> list[str]:
        """The probe kinds of ``container`` to run now."""
        out = []
        startup_done = "startupProbe" not in container or self._result(container_id, "startupProbe") is True
        for kind in KINDS:
            probe = container.get(kind)
            if probe is None or (kind != "startupProbe" and not startup_done):
                continue
            if kind == "startupProbe" and startup_done:
                continue
            state = self.states.setdefault((container_id, kind), _State())
            if now - started < float(probe.get("initialDelaySeconds", 0)):
                continue
            if state.last_run < 0 or now - state.last_run >= float(probe.get("periodSeconds", 10)):
                out.append(kind)
        return out

    def record(self, container: JsonDict, container_id: str, kind: str, ok: bool, *, now: float,
               message: str = "") -> bool:
        """Record one result; returns True when the probe's verdict changed."""
        probe = container.get(kind) or {}
        state = self.states.setdefault((container_id, kind), _State())
        state.last_run = now
        state.message = message
        before = state.result
        if ok:
            state.successes, state.failures = state.successes + 1, 0
            if state.successes >= int(probe.get("successThreshold", 1)):
                state.result = True
        else:
            state.failures, state.successes = state.failures + 1, 0
            if state.failures >= int(probe.get("failureThreshold", 3)):
                state.result = False
        return state.result != before

    def _result(self, container_id: str, kind: str) -> bool | None:
        state = self.states.get((container_id, kind))
        return state.result if state else None

    def ready(self, container: JsonDict, container_id: str) -> bool:
        if "startupProbe" in container and self._result(container_id, "startupProbe") is not True:
            return False
        if "readinessProbe" in container:
            return self._result(container_id, "readinessProbe") is True
        return True

    def started(self, container: JsonDict, container_id: str) -> bool:
        return "startupProbe" not in container or self._result(container_id, "startupProbe") is True

    def should_kill(self, container: JsonDict, container_id: str) -> str:
        """The failed probe kind that requires a restart, or ""."""
        for kind in ("startupProbe", "livenessProbe"):
            if kind in container and self._result(container_id, kind) is False:
                return kind
        return ""

    def message(self, container_id: str, kind: str) -> str:
        state = self.states.get((container_id, kind))
        return state.message if state else ""

    def forget(self, keep: set[str]) -> None:
        """Drop the states of containers not in ``keep`` (removed or replaced)."""
        for key in [k for k in self.states if k[0] not in keep]:
            del self.states[key]


ExecFn = Callable[[list[str], float], Awaitable[tuple[int, bytes]]]


def _port(value: Any, container: JsonDict) -> int:
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return int(value)
    for p in container.get("ports") or []:
        if p.get("name") == value:
            return int(p.get("containerPort", 0))
    raise ValueError(f"unknown port {value!r}")


def _insecure_tls() -> ssl.SSLContext:
    """``scheme: HTTPS``: TLS without verifying the certificate, as the kubelet's prober does."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def _http(host: str, port: int, probe: JsonDict, limit: float) -> tuple[bool, str]:
    path = probe.get("path") or "/"
    headers = "".join(f"{h.get('name')}: {h.get('value')}\r\n" for h in probe.get("httpHeaders") or [])
    tls = _insecure_tls() if str(probe.get("scheme") or "HTTP").upper() == "HTTPS" else None
    async with asyncio.timeout(limit):
        reader, writer = await asyncio.open_connection(host, port, ssl=tls)
        try:
            writer.write(f"GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\nUser-Agent: kube-probe/1.32\r\n"
                         f"{headers}\r\n".encode())
            await writer.drain()
            line = await reader.readline()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    parts = line.decode(errors="replace").split()
    code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    ok = 200 <= code < 400
    return ok, "" if ok else f"HTTP probe failed with statuscode: {code}"


async def run_probe(probe: JsonDict, container: JsonDict, pod_ip: str, exec_fn: ExecFn) -> tuple[bool, str]:
    """Run one probe; returns (success, failure message). Never raises for a probe that fails."""
    timeout = float(probe.get("timeoutSeconds", 1))
    try:
        if "exec" in probe:
            code, output = await exec_fn(list(probe["exec"].get("command") or []), timeout)
            return code == 0, output.decode(errors="replace").strip()[:1024]
        if "httpGet" in probe:
            get = probe["httpGet"]
            return await _http(get.get("host") or pod_ip or "127.0.0.1", _port(get.get("port"), container),
                               get, timeout)
        if "tcpSocket" in probe:
            sock = probe["tcpSocket"]
            async with asyncio.timeout(timeout):
                _, writer = await asyncio.open_connection(sock.get("host") or pod_ip or "127.0.0.1",
                                                          _port(sock.get("port"), container))
            writer.close()
            return True, ""
        if "grpc" in probe:
            spec = probe["grpc"]
            return await grpc_probe(pod_ip or "127.0.0.1", int(spec.get("port", 0)), spec.get("service") or "",
                                    timeout)
    except (OSError, TimeoutError, ValueError) as err:
        return False, str(err) or type(err).__name__
    except Exception as err:  # an exec that the runtime refuses is a failed probe, not a crash
        return False, str(err)
    return True, ""  # a probe without a handler (the API server refuses those) never fails
