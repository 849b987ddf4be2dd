"""A pod's phase and conditions from its containers' states, as the kubelet computes them.

Inputs are the containerStatuses/initContainerStatuses the kubelet already built; the output is the
``phase`` and the four standard conditions. Pure, so the subtle cases (restartPolicy and completed
containers, init containers still running) are unit-tested.
"""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]


def _state(status: JsonDict) -> str:
    state = status.get("state") or {}
    for name in ("running", "terminated", "waiting"):
        if name in state:
            return name
    return "waiting"


def _exit_code(status: JsonDict) -> int:
    return int(((status.get("state") or {}).get("terminated") or {}).get("exitCode", 0))


def pod_phase(spec: JsonDict, init_statuses: list[JsonDict], statuses: list[JsonDict]) -> str:
    restart = spec.get("restartPolicy", "Always")
    n_init = len(spec.get("initContainers") or [])
    init_done = sum(1 for s in init_statuses if _state(s) == "terminated" and _exit_code(s) == 0)
    init_failed = any(_state(s) == "terminated" and _exit_code(s) != 0 for s in init_statuses)
    if init_failed and restart == "Never":
        return "Failed"
    if init_done < n_init:
        return "Pending"
    waiting = running = succeeded = failed = 0
    for name in [c.get("name") for c in spec.get("containers") or []]:
        status = next((s for s in statuses if s.get("name") == name), None)
        if status is None:
            waiting += 1
            continue
        state = _state(status)
        if state == "running":
            running += 1
        elif state == "terminated":
            if _exit_code(status) == 0:
                succeeded += 1
            else:
                failed += 1
        elif status.get("lastState", {}).get("terminated"):
            # Waiting to restart after having run: counts by how it last ended.
            last = status["lastState"]["terminated"]
            if restart == "Always" or (restart == "OnFailure" and last.get("exitCode", 0) != 0):
                running += 1
            elif last.get("exitCode", 0) == 0:
                succeeded += 1
            else:
                failed += 1
        else:
            waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if restart == "Always":
        return "Running"  # the stopped containers are about to restart
    if failed == 0:
        return "Succeeded"
    return "Running" if restart == "OnFailure" else "Failed"


def _condition(kind: str, ok: bool, now: str, reason: str = "", previous: list[JsonDict] | None = None) -> JsonDict:
    """A condition, keeping the last transition time when the status did not change."""
    status = "True" if ok else "False"
    before = next((c for c in previous or [] if c.get("type") == kind), None)
    since = now if before is None or before.get("status") != status else before.get("lastTransitionTime", now)
    cond: JsonDict = {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": since}
    if reason and not ok:
        cond["reason"] = reason
    return cond


def pod_conditions(spec: JsonDict, init_statuses: list[JsonDict], statuses: list[JsonDict], now: str,
                   previous: list[JsonDict] | None = None) -> list[JsonDict]:
    n_init = len(spec.get("initContainers") or [])
    initialized = sum(1 for s in init_statuses if _state(s) == "terminated" and _exit_code(s) == 0) >= n_init
    names = [c.get("name") for c in spec.get("containers") or []]
    ready = all(any(s.get("name") == n and s.get("ready") for s in statuses) for n in names)
    phase = pod_phase(spec, init_statuses, statuses)
    if phase == "Succeeded":
        ready = False
    reason = "PodCompleted" if phase in ("Succeeded", "Failed") else "ContainersNotReady"
    return [
        _condition("PodReadyToStartContainers", True, now, previous=previous),
        _condition("Initialized", initialized, now, "ContainersNotInitialized", previous),
        _condition("Ready", ready, now, reason, previous),
        _condition("ContainersReady", ready, now, reason, previous),
        _condition("PodScheduled", True, now, previous=previous),
    ]
