"""Table printers for pods and workloads (the columns of kubernetes/pkg/printers/internalversion)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubelite.api.meta import parse_time
from kubelite.api.selectors import SelectorError, from_label_selector
from kubelite.api.tables_common import (
    Cell,
    JsonDict,
    Printer,
    age_col,
    col,
    created,
    format_labels,
    get,
    human_duration,
    layout_containers,
    name_col,
    since,
)

_TERMINAL = ("Succeeded", "Failed")


def _restartable(container: Any) -> bool:
    return isinstance(container, dict) and container.get("restartPolicy") == "Always"


def _later(a: str, b: str) -> str:
    return b if b and (not a or b > a) else a


def _init_status(pod: JsonDict, reason: str) -> tuple[str, bool, int, str, int, str, int]:
    """Walk init container statuses like printPod; returns (reason, initializing, restarts, last
    restart, restartable-init restarts, their last restart, ready restartable inits)."""
    init_specs = {c.get("name"): c for c in get(pod, "spec", "initContainers", default=[])}
    total_init = len(get(pod, "spec", "initContainers", default=[]))
    restarts = sidecar_restarts = ready = 0
    last = sidecar_last = ""
    initializing = False
    for i, status in enumerate(get(pod, "status", "initContainerStatuses", default=[])):
        restarts += int(status.get("restartCount") or 0)
        finished = get(status, "lastState", "terminated", "finishedAt", default="")
        last = _later(last, finished)
        sidecar = _restartable(init_specs.get(status.get("name")))
        if sidecar:
            sidecar_restarts += int(status.get("restartCount") or 0)
            sidecar_last = _later(sidecar_last, finished)
        terminated = get(status, "state", "terminated")
        waiting = get(status, "state", "waiting")
        if terminated is not None and int(terminated.get("exitCode") or 0) == 0:
            continue
        if sidecar and status.get("started"):
            ready += 1 if status.get("ready") else 0
            continue
        if terminated is not None:
            if terminated.get("reason"):
                reason = "Init:" + terminated["reason"]
            elif terminated.get("signal"):
                reason = f"Init:Signal:{terminated['signal']}"
            else:
                reason = f"Init:ExitCode:{terminated.get('exitCode', 0)}"
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{total_init}"
        initializing = True
        break
    return reason, initializing, restarts, last, sidecar_restarts, sidecar_last, ready


def _has_condition(pod: JsonDict, ctype: str) -> bool:
    return any(c.get("type") == ctype and c.get("status") == "True"
               for c in get(pod, "status", "conditions", default=[]))


def _d(value: Any) -> JsonDict:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def pod_status(pod: JsonDict) -> tuple[str, int, int, int, str]:
    """(STATUS, ready, total, restarts, last restart time) exactly as kubectl's printPod computes them."""
    spec, status = _d(pod.get("spec")), _d(pod.get("status"))
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    conditions = _l(status.get("conditions"))
    for cond in conditions:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    init_specs = _l(spec.get("initContainers"))
    total = len(_l(spec.get("containers"))) + sum(1 for c in init_specs if _restartable(c))
    ready = restarts = 0
    last = ""
    initializing = False
    if init_specs or status.get("initContainerStatuses"):
        reason, initializing, restarts, last, sidecar_restarts, sidecar_last, ready = _init_status(pod, reason)
    else:
        sidecar_restarts, sidecar_last = 0, ""
    initialized = any(c.get("type") == "Initialized" and c.get("status") == "True" for c in conditions)
    if not initializing or initialized:
        restarts, last = sidecar_restarts, sidecar_last
        has_running = False
        for cs in reversed(_l(status.get("containerStatuses"))):
            restarts += int(cs.get("restartCount") or 0)
            finished = _d(_d(cs.get("lastState")).get("terminated")).get("finishedAt") or ""
            last = _later(last, finished)
            state = _d(cs.get("state"))
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated is not None:
                reason = (f"Signal:{terminated['signal']}" if terminated.get("signal")
                          else f"ExitCode:{terminated.get('exitCode', 0)}")
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _has_condition(pod, "Ready") else "NotReady"
    deleting = _d(pod.get("metadata")).get("deletionTimestamp")
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and phase not in _TERMINAL:
        reason = "Terminating"
    return reason, ready, total, restarts, last


def _pod_row(pod: JsonDict, now: datetime) -> list[Cell]:
    reason, ready, total, restarts, last = pod_status(pod)
    restarts_text = str(restarts)
    if restarts and last:
        restarts_text = f"{restarts} ({since(last, now)} ago)"
    spec, status, meta = _d(pod.get("spec")), _d(pod.get("status")), _d(pod.get("metadata"))
    ips = _l(status.get("podIPs"))
    ip = (ips[0].get("ip") if ips else "") or status.get("podIP") or "<none>"
    gates = _l(spec.get("readinessGates"))
    gates_text = "<none>"
    if gates:
        conds = {c.get("type"): c.get("status") for c in _l(status.get("conditions"))}
        gates_text = f"{sum(1 for g in gates if conds.get(g.get('conditionType')) == 'True')}/{len(gates)}"
    return [
        meta.get("name", ""), f"{ready}/{total}", reason, restarts_text,
        since(meta.get("creationTimestamp"), now), ip, spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>", gates_text,
    ]


def _pod_conditions(pod: JsonDict) -> list[JsonDict] | None:
    phase = get(pod, "status", "phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded",
                 "message": "The pod has completed successfully."}]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]
    return None


PODS = Printer([
    name_col(),
    col("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
    col("Status", description="The aggregate status of the containers in this pod."),
    col("Restarts", description="The number of times the containers in this pod have been restarted and "
        "when the last container in this pod has restarted."),
    age_col(),
    col("IP", priority=1, description="podIP address allocated to the pod."),
    col("Node", priority=1, description="NodeName indicates in which node this pod is scheduled."),
    col("Nominated Node", priority=1, description="nominatedNodeName is set when this pod preempts other "
        "pods on the node."),
    col("Readiness Gates", priority=1, description="If specified, all readiness gates will be evaluated "
        "for pod readiness."),
], _pod_row, _pod_conditions)


def _selector_text(selector: Any) -> str:
    if selector is None:
        return "<none>"
    try:
        return str(from_label_selector(selector))
    except SelectorError:
        return "<invalid>"


def _wide(spec: Any, selector: str) -> list[Cell]:
    names, images = layout_containers(get(spec, "template", "spec", "containers", default=[]))
    return [names, images, selector]


_WIDE_COLS = [col("Containers", priority=1, description="Names of each container in the template."),
              col("Images", priority=1, description="Images referenced by each container in the template."),
              col("Selector", priority=1, description="Label selector for pods.")]


def _deployment_row(d: JsonDict, now: datetime) -> list[Cell]:
    spec = d.get("spec") or {}
    return [
        get(d, "metadata", "name", default=""),
        f"{get(d, 'status', 'readyReplicas', default=0)}/{spec.get('replicas', 0)}",
        int(get(d, "status", "updatedReplicas", default=0)),
        int(get(d, "status", "availableReplicas", default=0)),
        created(d, now),
        *_wide(spec, _selector_text(spec.get("selector"))),
    ]


DEPLOYMENTS = Printer([
    name_col(),
    col("Ready", description="Number of the pod with ready state"),
    col("Up-to-date", description="Total number of non-terminated pods targeted by this "
        "deployment that have the desired template spec."),
    col("Available", description="Total number of available pods (ready for at least "
        "minReadySeconds) targeted by this deployment."),
    age_col(), *_WIDE_COLS,
], _deployment_row)


def _replica_counts(obj: JsonDict) -> list[Cell]:
    return [int(get(obj, "spec", "replicas", default=0)), int(get(obj, "status", "replicas", default=0)),
            int(get(obj, "status", "readyReplicas", default=0))]


_RS_COLS = [
    name_col(),
    col("Desired", "integer", description="Replicas is the number of desired replicas."),
    col("Current", "integer", description="Replicas is the most recently observed number of replicas."),
    col("Ready", "integer", description="The number of ready replicas for this replica set."),
    age_col(), *_WIDE_COLS,
]


def _rs_row(rs: JsonDict, now: datetime) -> list[Cell]:
    spec = rs.get("spec") or {}
    return [get(rs, "metadata", "name", default=""), *_replica_counts(rs), created(rs, now),
            *_wide(spec, _selector_text(spec.get("selector")))]


def _rc_row(rc: JsonDict, now: datetime) -> list[Cell]:
    spec = rc.get("spec") or {}
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items()))
    return [get(rc, "metadata", "name", default=""), *_replica_counts(rc), created(rc, now),
            *_wide(spec, selector)]


REPLICASETS = Printer(_RS_COLS, _rs_row)
REPLICATIONCONTROLLERS = Printer(_RS_COLS, _rc_row)


def _ds_row(ds: JsonDict, now: datetime) -> list[Cell]:
    spec = ds.get("spec") or {}
    status = ds.get("status") or {}
    return [
        get(ds, "metadata", "name", default=""),
        int(status.get("desiredNumberScheduled", 0)), int(status.get("currentNumberScheduled", 0)),
        int(status.get("numberReady", 0)), int(status.get("updatedNumberScheduled", 0)),
        int(status.get("numberAvailable", 0)),
        format_labels(get(spec, "template", "spec", "nodeSelector")), created(ds, now),
        *_wide(spec, _selector_text(spec.get("selector"))),
    ]


DAEMONSETS = Printer([
    name_col(),
    col("Desired", "integer", description="The total number of nodes that should be running the daemon pod."),
    col("Current", "integer", description="The number of nodes running at least one daemon pod."),
    col("Ready", "integer", description="numberReady is the number of nodes that should be running the "
        "daemon pod and have one or more of the daemon pod running with a Ready Condition."),
    col("Up-to-date", "integer", description="The total number of nodes that are running updated daemon "
        "pod"),
    col("Available", "integer", description="The number of nodes that should be running the daemon pod "
        "and have one or more of the daemon pod running and available."),
    col("Node Selector", description="NodeSelector is a selector which must be true for the pod to fit "
        "on a node."),
    age_col(), *_WIDE_COLS,
], _ds_row)


def _sts_row(sts: JsonDict, now: datetime) -> list[Cell]:
    spec = sts.get("spec") or {}
    names, images = layout_containers(get(spec, "template", "spec", "containers", default=[]))
    return [get(sts, "metadata", "name", default=""),
            f"{get(sts, 'status', 'readyReplicas', default=0)}/{spec.get('replicas', 0)}",
            created(sts, now), names, images]


STATEFULSETS = Printer([
    name_col(), col("Ready", description="Number of the pod with ready state"), age_col(),
    col("Containers", priority=1, description="Names of each container in the template."),
    col("Images", priority=1, description="Images referenced by each container in the template."),
], _sts_row)


def _job_condition(job: JsonDict, ctype: str) -> bool:
    return any(c.get("type") == ctype and c.get("status") == "True"
               for c in get(job, "status", "conditions", default=[]))


def _job_row(job: JsonDict, now: datetime) -> list[Cell]:
    spec = job.get("spec") or {}
    status = job.get("status") or {}
    succeeded = int(status.get("succeeded", 0))
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    else:
        parallelism = int(spec.get("parallelism") or 0)
        completions = f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"
    start, end = status.get("startTime"), status.get("completionTime")
    duration = ""
    if start and not end:
        duration = since(start, now)
    elif start and end:
        duration = human_duration((parse_time(end) - parse_time(start)).total_seconds())
    text = "Running"
    for ctype, label in (("Complete", "Complete"), ("Failed", "Failed")):
        if _job_condition(job, ctype):
            text = label
            break
    else:
        if get(job, "metadata", "deletionTimestamp"):
            text = "Terminating"
        else:
            for ctype in ("Suspended", "FailureTarget", "SuccessCriteriaMet"):
                if _job_condition(job, ctype):
                    text = ctype
                    break
    return [get(job, "metadata", "name", default=""), text, completions, duration, created(job, now),
            *_wide(spec, _selector_text(spec.get("selector")))]


JOBS = Printer([
    name_col(),
    col("Status", description="Status of the job."),
    col("Completions", description="The desired number of successfully finished pods the job should be "
        "run with."),
    col("Duration", description="Time required to complete the job."),
    age_col(), *_WIDE_COLS,
], _job_row)


def _cronjob_row(cj: JsonDict, now: datetime) -> list[Cell]:
    spec = cj.get("spec") or {}
    job_spec = get(spec, "jobTemplate", "spec", default={})
    last = get(cj, "status", "lastScheduleTime")
    return [
        get(cj, "metadata", "name", default=""), spec.get("schedule", ""), spec.get("timeZone") or "<none>",
        "True" if spec.get("suspend") else "False", len(get(cj, "status", "active", default=[])),
        since(last, now) if last else "<none>", created(cj, now),
        *_wide(job_spec, _selector_text(job_spec.get("selector"))),
    ]


CRONJOBS = Printer([
    name_col(),
    col("Schedule", description="The schedule in Cron format."),
    col("Timezone", description="The time zone name for the given schedule."),
    col("Suspend", "boolean", description="This flag tells the controller to suspend subsequent executions."),
    col("Active", "integer", description="A list of pointers to currently running jobs."),
    col("Last Schedule", description="Information when was the last time the job was successfully "
        "scheduled."),
    age_col(), *_WIDE_COLS,
], _cronjob_row)
