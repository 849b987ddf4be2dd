"""The pod lifecycle plan: sandbox first, init ordering, restart policies, CrashLoopBackOff, pruning."""

import itertools
from typing import Any

import pytest

from kubelite.kubelet.podplan import (
    CreateSandbox,
    Observed,
    ObservedContainer,
    RemoveContainer,
    StartContainer,
    go_duration,
    plan,
    pod_status,
    qos_class,
    restart_backoff,
)

pytestmark = pytest.mark.unit


def pod(*names: str, policy: str = "Always", init: tuple[str, ...] = (), phase: str = "Pending") -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": "default", "uid": "u1"},
            "spec": {"restartPolicy": policy, "containers": [{"name": n, "image": "busybox"} for n in names],
                     "initContainers": [{"name": n, "image": "busybox"} for n in init]},
            "status": {"phase": phase}}


def ctr(name: str, attempt: int = 0, state: str = "running", code: int = 0) -> ObservedContainer:
    return ObservedContainer(id=f"{name}{attempt}", name=name, attempt=attempt, state=state, exit_code=code,
                             image_id="sha256:x")


def test_new_pod_gets_a_sandbox_then_its_containers() -> None:
    assert plan(pod("a"), Observed()).actions == [CreateSandbox()]
    result = plan(pod("a", "b"), Observed(sandbox_id="s", pod_ip="10.0.0.2"))
    assert result.actions == [StartContainer("a", 0), StartContainer("b", 0)]
    assert result.statuses[0]["state"] == {"waiting": {"reason": "ContainerCreating"}}


def test_running_containers_are_left_alone_and_reported_ready() -> None:
    observed = Observed(sandbox_id="s", pod_ip="10.0.0.2", containers=(ctr("a"),))
    result = plan(pod("a"), observed)
    assert result.actions == []
    (status,) = result.statuses
    assert status["ready"] and status["started"] and status["containerID"] == "kubelite://a0"
    full = pod_status(pod("a"), result, observed, "192.168.1.5", "2026-01-01T00:00:00Z")
    assert full["phase"] == "Running" and full["podIP"] == "10.0.0.2" and full["hostIP"] == "192.168.1.5"
    assert {c["type"]: c["status"] for c in full["conditions"]}["Ready"] == "True"
    assert full["qosClass"] == "BestEffort"


@pytest.mark.parametrize(("policy", "code", "restarts"), [
    ("Always", 0, True), ("Always", 1, True), ("OnFailure", 0, False), ("OnFailure", 2, True),
    ("Never", 0, False), ("Never", 1, False)])
def test_restart_policy(policy: str, code: int, restarts: bool) -> None:
    observed = Observed(sandbox_id="s", containers=(ctr("a", 0, "exited", code),))
    result = plan(pod("a", policy=policy), observed)
    assert (StartContainer("a", 1, restart=True) in result.actions) is restarts


def test_crash_loop_backoff_waits_and_keeps_the_last_exit() -> None:
    observed = Observed(sandbox_id="s", containers=(ctr("a", 3, "exited", 1), ctr("a", 2, "exited", 1)))
    result = plan(pod("a"), observed, in_backoff=lambda name: name == "a")
    assert result.actions == [] and result.waiting_on == {"a"}
    (status,) = result.statuses
    assert status["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert status["lastState"]["terminated"]["exitCode"] == 1
    assert status["restartCount"] == 3


def test_old_attempts_are_pruned() -> None:
    observed = Observed(sandbox_id="s", containers=(ctr("a", 5), ctr("a", 4, "exited"), ctr("a", 3, "exited")))
    result = plan(pod("a"), observed)
    assert result.actions == [RemoveContainer("a3")]
    assert result.statuses[0]["lastState"]["terminated"]["containerID"] == "kubelite://a4"


def test_init_containers_run_in_order_before_the_containers() -> None:
    p = pod("main", init=("one", "two"))
    result = plan(p, Observed(sandbox_id="s"))
    assert result.actions == [StartContainer("one", 0, init=True)]
    assert result.statuses[0]["state"]["waiting"]["reason"] == "PodInitializing"
    result = plan(p, Observed(sandbox_id="s", containers=(ctr("one", 0, "exited"),)))
    assert result.actions == [StartContainer("two", 0, init=True)]
    observed = Observed(sandbox_id="s", containers=(ctr("one", 0, "exited"), ctr("two", 0, "exited")))
    assert plan(p, observed).actions == [StartContainer("main", 0)]


def test_failed_init_fails_a_never_pod() -> None:
    p = pod("main", init=("one",), policy="Never")
    observed = Observed(sandbox_id="s", containers=(ctr("one", 0, "exited", 1),))
    result = plan(p, observed)
    assert result.actions == []
    assert pod_status(p, result, observed, "h", "t")["phase"] == "Failed"


def test_failures_show_as_waiting_reasons() -> None:
    result = plan(pod("a"), Observed(sandbox_id="s"), failures={"a": ("ErrImagePull", "no such image")})
    assert result.statuses[0]["state"] == {"waiting": {"reason": "ErrImagePull", "message": "no such image"}}
    assert result.actions == [StartContainer("a", 0)]  # the worker retries, subject to its pull backoff


def test_finished_pods_are_not_restarted() -> None:
    p = pod("a", policy="Never", phase="Succeeded")
    assert plan(p, Observed()).actions == []


def test_qos_class() -> None:
    spec = {"containers": [{"resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}
    assert qos_class(spec) == "Guaranteed"
    spec["containers"].append({"resources": {"requests": {"cpu": "1"}}})
    assert qos_class(spec) == "Burstable"


def test_pull_failure_in_backoff_is_image_pull_backoff() -> None:
    result = plan(pod("a"), Observed(sandbox_id="s"), failures={"a": ("ErrImagePull", "no such image")},
                  in_backoff=lambda _n: True)
    assert result.actions == [] and result.waiting_on == {"a"}
    assert result.statuses[0]["state"]["waiting"]["reason"] == "ImagePullBackOff"


def test_start_error_fails_a_never_pod() -> None:
    p = pod("a", policy="Never")
    observed = Observed(sandbox_id="s", containers=(ctr("a", 0, "created"),))
    result = plan(p, observed, failures={"a": ("RunContainerError", "exec: nope")})
    assert result.actions == []
    assert result.statuses[0]["state"]["terminated"]["reason"] == "StartError"
    assert pod_status(p, result, observed, "h", "t")["phase"] == "Failed"


def test_node_status_conditions_follow_the_host() -> None:
    from dataclasses import replace

    from kubelite.kubelet.node import HostFacts, node_status

    host = HostFacts(cpus=2, memory_bytes=8 << 30, memory_available=4 << 30, disk_bytes=100 << 30,
                     disk_available=50 << 30, pids_max=32768, pids_used=300, internal_ip="192.0.2.1",
                     hostname="h", kernel="6.1", os_image="Debian", arch="amd64", machine_id="m", boot_id="b")
    status = node_status(host, "t0")
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "Ready": "True", "MemoryPressure": "False", "DiskPressure": "False", "PIDPressure": "False"}
    assert status["capacity"] == {"cpu": "2", "memory": f"{8 << 20}Ki", "ephemeral-storage": f"{100 << 20}Ki",
                                  "pods": "110"}
    # Allocatable keeps back the default hard eviction thresholds: 100Mi of memory, 10% of the disk.
    assert status["allocatable"] == {"cpu": "2", "memory": f"{(8 << 20) - (100 << 10)}Ki",
                                     "ephemeral-storage": str(90 << 30), "pods": "110"}
    pressed = node_status(replace(host, memory_available=1 << 20, disk_available=1 << 30), "t1",
                          status["conditions"])
    by_type = {c["type"]: c for c in pressed["conditions"]}
    assert by_type["MemoryPressure"]["status"] == "True" and by_type["MemoryPressure"]["lastTransitionTime"] == "t1"
    assert by_type["DiskPressure"]["status"] == "True"
    assert by_type["Ready"]["lastTransitionTime"] == "t0"  # unchanged status keeps its transition time
    assert by_type["PIDPressure"]["status"] == "False"
    pids = node_status(replace(host, pids_used=32000), "t2", pressed["conditions"])
    by_type = {c["type"]: c for c in pids["conditions"]}
    assert by_type["PIDPressure"]["status"] == "True"
    assert by_type["PIDPressure"]["reason"] == "KubeletHasInsufficientPID"


def test_start_error_without_a_container_fails_a_never_pod() -> None:
    p = pod("a", policy="Never")
    result = plan(p, Observed(sandbox_id="s"), failures={"a": ("RunContainerError", "not found")})
    assert result.actions == [] and result.statuses[0]["state"]["terminated"]["reason"] == "StartError"


def _crash_loop(run_for: list[float]) -> tuple[list[float], list[str]]:
    """Drive plan() as the worker does, on a fake clock ticking by 1 s: attempt i of container "a" runs
    ``run_for[i]`` seconds and exits 1. Returns the times each attempt started and every distinct
    CrashLoopBackOff message."""
    backoff, key, now = restart_backoff(), "u1/a", 0.0
    containers: list[ObservedContainer] = []
    started: list[float] = []
    messages: list[str] = []
    def in_backoff(_name: str) -> bool:
        return backoff.in_backoff(key, now)

    while len(started) < len(run_for):
        latest = containers[0] if containers else None
        if latest is not None and latest.state == "running" and now - started[-1] >= run_for[len(started) - 1]:
            containers[0] = ctr("a", latest.attempt, "exited", 1)
        result = plan(pod("a"), Observed(sandbox_id="s", containers=tuple(containers)),
                      in_backoff=in_backoff, delay=lambda _n: backoff.current(key))
        for action in result.actions:
            if isinstance(action, StartContainer):
                if action.restart:  # as PodWorkers._start
                    backoff.next(key, now)
                containers.insert(0, ctr("a", action.attempt))
                started.append(now)
        waiting = result.statuses[0]["state"].get("waiting") or {}
        if waiting.get("reason") == "CrashLoopBackOff" and waiting["message"] not in messages:
            messages.append(waiting["message"])
        now += 1
    return started, messages


def test_crash_loop_backoff_doubles_to_five_minutes_and_resets_after_ten_minutes_running() -> None:
    # Seven quick crashes, then an attempt that runs 11 minutes, then quick crashes again.
    started, messages = _crash_loop([1, 1, 1, 1, 1, 1, 1, 1, 660, 1, 1])
    gaps = [round(b - a) for a, b in itertools.pairwise(started)]
    # The first restart follows the exit at once (the gap is the 1 s run); each later one waits the
    # doubled delay (counted from the previous restart, the run included), capped at 5 min.
    assert gaps[:8] == [1, 10, 20, 40, 80, 160, 300, 300]
    # After 11 minutes running, the exit restarts at once and the sequence starts over at 10 s.
    assert gaps[8:] == [660, 10]
    assert messages[:6] == [f"back-off {d} restarting failed container=a pod=p_default(u1)"
                            for d in ("10s", "20s", "40s", "1m20s", "2m40s", "5m0s")]
    assert messages[6:] == []  # after the reset: 10s again, already seen


def test_go_duration() -> None:
    assert [go_duration(s) for s in (0, 10, 80, 300, 3725)] == ["0s", "10s", "1m20s", "5m0s", "1h2m5s"]


def test_node_not_ready_names_the_cause() -> None:
    from kubelite.kubelet.node import HostFacts, node_status

    host = HostFacts(cpus=1, memory_bytes=1 << 30, memory_available=1 << 29, disk_bytes=1 << 30,
                     disk_available=1 << 29, pids_max=1000, pids_used=10, internal_ip="192.0.2.1", hostname="h",
                     kernel="6.1", os_image="Debian", arch="amd64", machine_id="m", boot_id="b")
    ready = next(c for c in node_status(host, "t", not_ready="container runtime is down: x")["conditions"]
                 if c["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False", "KubeletNotReady", "container runtime is down: x")


def test_a_running_container_has_started_only_once_its_startup_probe_passed() -> None:
    observed = Observed(sandbox_id="s", containers=(ctr("a"), ctr("b")))
    result = plan(pod("a", "b"), observed, started=lambda name: name == "b", ready=lambda name: name == "b")
    assert [(s["name"], s["started"], s["ready"]) for s in result.statuses] == [("a", False, False), ("b", True, True)]
    waiting = plan(pod("a"), Observed(sandbox_id="s"), started=lambda _n: True).statuses[0]
    assert waiting["started"] is False  # not running: never started, whatever the probe says
