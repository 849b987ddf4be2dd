"""The pod lifecycle as a pure function: what a pod's containers should do next, and its status.

The pod worker observes the runtime (the sandbox and every container of the pod, with its attempt
number) and calls :func:`plan` with the pod, that observation, the last failure recorded per container
(a pull or configuration error never leaves a container behind, so only the worker remembers it) and
a backoff predicate. The answer is a list of actions (create the sandbox, start a container as attempt
*n*, prune old attempts) and the ``containerStatuses`` the pod has *now*. Nothing here touches the
runtime or the API, so restart policies, init ordering and CrashLoopBackOff are unit-tested directly.

Rules (Kubernetes' kuberuntime_manager ``computePodActions``, reduced):

* no ready sandbox and the pod is not finished: create one, then start init containers or containers;
* init containers run one at a time, in order; one that fails is retried (unless ``restartPolicy:
  Never``, which fails the pod); regular containers start only when every init container succeeded;
* a container that exited is started again as the next attempt when the restart policy says so
  (``Always``; ``OnFailure`` and a non-zero exit), unless its backoff is running: it then waits as
  ``CrashLoopBackOff`` with the exit as ``lastState``;
* only the latest two attempts of a container are kept (the previous one serves ``logs --previous``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubelite.base.backoff import KeyedBackoff
from kubelite.kubelet.podstatus import pod_conditions, pod_phase

JsonDict = dict[str, Any]
RUNNING = "running"
EXITED = "exited"
CREATED = "created"
ID_PREFIX = "kubelite://"


@dataclass(frozen=True)
class ObservedContainer:
    """One container of the pod as the runtime reports it (runtime states folded to three)."""

    id: str
    name: str
    attempt: int
    state: str  # running | exited | created
    exit_code: int = 0
    reason: str = ""
    message: str = ""
    started_at: str = ""
    finished_at: str = ""
    image_id: str = ""


@dataclass(frozen=True)
class Observed:
    sandbox_id: str = ""  # a ready sandbox, or "" when there is none
    pod_ip: str = ""
    containers: tuple[ObservedContainer, ...] = ()

    def attempts(self, name: str) -> list[ObservedContainer]:
        """Every attempt of container ``name``, newest first."""
        return sorted((c for c in self.containers if c.name == name), key=lambda c: c.attempt, reverse=True)


@dataclass(frozen=True)
class CreateSandbox:
    pass


@dataclass(frozen=True)
class StartContainer:
    name: str
    attempt: int
    init: bool = False
    restart: bool = False  # a restart after an exit: the worker advances the container's backoff


@dataclass(frozen=True)
class RemoveContainer:
    id: str


Action = CreateSandbox | StartContainer | RemoveContainer


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    init_statuses: list[JsonDict] = field(default_factory=list)
    statuses: list[JsonDict] = field(default_factory=list)
    waiting_on: set[str] = field(default_factory=set)  # containers in backoff (requeue when it ends)


Failure = tuple[str, str]  # (reason, message), e.g. ("ErrImagePull", "...")


def restart_backoff() -> KeyedBackoff:
    """The kubelet's per-container restart backoff: 10 s doubling to 5 min, and a container that has
    not been restarted for 10 min (it ran that long) starts over at 10 s. The worker calls ``next``
    at each restart and asks ``in_backoff`` before the next one."""
    return KeyedBackoff(10, 300, 600)


def should_restart(policy: str, exit_code: int) -> bool:
    return policy == "Always" or (policy == "OnFailure" and exit_code != 0)


def _terminated(c: ObservedContainer) -> JsonDict:
    return {"exitCode": c.exit_code, "reason": c.reason or ("Completed" if c.exit_code == 0 else "Error"),
            **({"message": c.message} if c.message else {}),
            "startedAt": c.started_at or None, "finishedAt": c.finished_at or None,
            "containerID": ID_PREFIX + c.id}


def _status(spec: JsonDict, attempts: list[ObservedContainer], state: JsonDict, ready: bool) -> JsonDict:
    latest = attempts[0] if attempts else None
    out: JsonDict = {"name": spec.get("name", ""), "image": spec.get("image", ""),
                     "imageID": latest.image_id if latest else "", "state": state, "lastState": {},
                     "ready": ready, "restartCount": latest.attempt if latest else 0,
                     "started": "running" in state}
    if latest is not None:
        out["containerID"] = ID_PREFIX + latest.id
    # lastState is the attempt before the one the state describes.
    shows_latest = "terminated" in state or (latest is not None and latest.state != EXITED)
    previous = next((a for a in (attempts[1:] if shows_latest else attempts) if a.state == EXITED), None)
    if previous is not None:
        out["lastState"] = {"terminated": _terminated(previous)}
    return out


def go_duration(seconds: float) -> str:
    """A whole number of seconds as Go's ``time.Duration`` prints it (``10s``, ``1m20s``, ``5m0s``)."""
    total = int(seconds)
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


def pod_ref(pod: JsonDict) -> str:
    """The kubelet's ``format.Pod``: ``name_namespace(uid)``."""
    meta = pod.get("metadata") or {}
    return f"{meta.get('name')}_{meta.get('namespace')}({meta.get('uid')})"


def _backoff_message(name: str, pod: JsonDict, delay: float) -> str:
    return f"back-off {go_duration(delay)} restarting failed container={name} pod={pod_ref(pod)}"


def _one(pod: JsonDict, spec: JsonDict, observed: Observed, failures: dict[str, Failure], *,
         in_backoff: Callable[[str], bool], delay: Callable[[str], float], ready: Callable[[str], bool], init: bool,
         may_start: bool, pending_reason: str, plan: Plan) -> tuple[JsonDict, str]:
    """Plan one container; returns its status and a summary (``done``, ``running``, ``failed``,
    ``waiting``) that init ordering and the pod's phase build on."""
    name = spec.get("name", "")
    attempts = observed.attempts(name)
    latest = attempts[0] if attempts else None
    policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
    if init and policy == "Always":
        policy = "OnFailure"  # init containers are never restarted after succeeding
    failure = failures.get(name)
    for old in attempts[2:]:
        plan.actions.append(RemoveContainer(old.id))
    if latest is None or latest.state == CREATED:
        if failure and failure[0] == "RunContainerError" and policy == "Never":
            start_error = {"exitCode": 128, "reason": "StartError", "message": failure[1],
                           **({"containerID": ID_PREFIX + latest.id} if latest else {})}
            return _status(spec, attempts, {"terminated": start_error}, False), "failed"
        held = failure is not None and in_backoff(name)
        if may_start and not held:
            plan.actions.append(StartContainer(name, latest.attempt + 1 if latest else 0, init=init))
        elif held:
            plan.waiting_on.add(name)
        reason, message = failure or (pending_reason, "")
        if held and reason == "ErrImagePull":
            reason, message = "ImagePullBackOff", f'Back-off pulling image "{spec.get("image", "")}"'
        waiting = {"reason": reason, **({"message": message} if message else {})}
        return _status(spec, attempts, {"waiting": waiting}, False), "waiting"
    if latest.state == RUNNING:
        return (_status(spec, attempts, {"running": {"startedAt": latest.started_at or None}}, ready(name)),
                "running")
    # Exited.
    if not should_restart(policy, latest.exit_code):
        summary = "done" if latest.exit_code == 0 else "failed"
        return _status(spec, attempts, {"terminated": _terminated(latest)}, False), summary
    if failure is not None and failure[0] != "RunContainerError":
        reason, message = failure
        if in_backoff(name):
            plan.waiting_on.add(name)
            if reason == "ErrImagePull":
                reason, message = "ImagePullBackOff", f'Back-off pulling image "{spec.get("image", "")}"'
        elif may_start:
            plan.actions.append(StartContainer(name, latest.attempt + 1, init=init, restart=True))
        return _status(spec, attempts, {"waiting": {"reason": reason, "message": message}}, False), "waiting"
    if in_backoff(name):
        plan.waiting_on.add(name)
        message = failure[1] if failure else _backoff_message(name, pod, delay(name))
        waiting = {"reason": "CrashLoopBackOff", "message": message}
        return _status(spec, attempts, {"waiting": waiting}, False), "running" if not init else "waiting"
    if may_start:
        plan.actions.append(StartContainer(name, latest.attempt + 1, init=init, restart=True))
    return _status(spec, attempts, {"terminated": _terminated(latest)}, False), "running" if not init else "waiting"


def finished(pod: JsonDict) -> bool:
    """Whether the pod reached a phase it never leaves (nothing is restarted or recreated then)."""
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def plan(pod: JsonDict, observed: Observed, failures: dict[str, Failure] | None = None, *,
         in_backoff: Callable[[str], bool] | None = None, ready: Callable[[str], bool] | None = None,
         delay: Callable[[str], float] | None = None, started: Callable[[str], bool] | None = None) -> Plan:
    """What to do next for ``pod`` given what runs; see the module docstring for the rules.

    ``in_backoff(name)`` says whether container ``name``'s restart backoff is still running and
    ``delay(name)`` how long that backoff is (for CrashLoopBackOff's message);
    ``ready(name)`` whether its readiness probe passes (a running container without one is ready);
    ``started(name)`` whether its startup probe passed (a running container without one has started)."""
    failures = failures or {}
    in_backoff = in_backoff or (lambda _n: False)
    delay = delay or (lambda _n: 10.0)
    ready = ready or (lambda _n: True)
    spec = pod.get("spec") or {}
    out = Plan()
    alive = bool(observed.sandbox_id)
    if not alive and not finished(pod):
        out.actions.append(CreateSandbox())
    can_start = alive and not finished(pod)
    init_ok = True
    for c in spec.get("initContainers") or []:
        status, summary = _one(pod, c, observed, failures, in_backoff=in_backoff, delay=delay, ready=ready, init=True,
                               may_start=can_start and init_ok, pending_reason="PodInitializing"
                               if not init_ok else "ContainerCreating", plan=out)
        status["ready"] = summary == "done"
        out.init_statuses.append(status)
        if summary != "done":
            init_ok = False
    for c in spec.get("containers") or []:
        status, _summary = _one(pod, c, observed, failures, in_backoff=in_backoff, delay=delay, ready=ready,
                                init=False,
                                may_start=can_start and init_ok,
                                pending_reason="ContainerCreating" if init_ok else "PodInitializing", plan=out)
        if status["started"] and started is not None:
            status["started"] = started(status["name"])
        out.statuses.append(status)
    return out


def qos_class(spec: JsonDict) -> str:
    """Guaranteed when every container's requests equal its (cpu and memory) limits, BestEffort when no
    container asks for anything, Burstable otherwise."""
    containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        limits, requests = res.get("limits") or {}, res.get("requests") or {}
        if limits or requests:
            any_set = True
        for kind in ("cpu", "memory"):
            if kind not in limits or requests.get(kind, limits[kind]) != limits[kind]:
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def pod_status(pod: JsonDict, result: Plan, observed: Observed, host_ip: str, now: str) -> JsonDict:
    """The pod's ``status`` as the kubelet writes it, from a plan's container statuses. Times already in
    the pod's status (startTime, conditions' transitions) are kept, so an unchanged pod writes nothing."""
    spec, current = pod.get("spec") or {}, pod.get("status") or {}
    phase = pod_phase(spec, result.init_statuses, result.statuses)
    if finished(pod):
        phase = current["phase"]
    status: JsonDict = {
        "phase": phase,
        "conditions": pod_conditions(spec, result.init_statuses, result.statuses, now,
                                     current.get("conditions")),
        "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
        "startTime": current.get("startTime") or now,
        "qosClass": current.get("qosClass") or qos_class(spec),
        "containerStatuses": result.statuses,
    }
    if result.init_statuses:
        status["initContainerStatuses"] = result.init_statuses
    pod_ip = host_ip if spec.get("hostNetwork") else observed.pod_ip
    if pod_ip:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    elif current.get("podIP"):
        status["podIP"], status["podIPs"] = current["podIP"], current.get("podIPs") or [{"ip": current["podIP"]}]
    return status
