"""Defaults exactly as Kubernetes applies them, per kind, and what each strategy does on create.

Public surface (pure: every function returns a new object and leaves its input alone):

- :func:`apply_defaults(obj) -> obj` - the scheme defaulters (``SetDefaults_*``) for the object's
  ``apiVersion``/``kind``; run it on every decoded create/update body, before validation. It first
  canonicalises quantities and times (:func:`kubelite.api.normalize.normalize`), as kube's decode does. Pod templates
  inside workloads get the pod spec defaults too. Unknown kinds come back unchanged (copied).
- :func:`prepare_for_create(obj) -> obj` - the registry strategies' ``PrepareForCreate`` beyond
  defaults: pods get status ``{phase: Pending, qosClass}`` plus the admission defaults (service account
  ``default``, priority 0, the not-ready/unreachable tolerations); namespaces get
  ``spec.finalizers: [kubernetes]`` and ``status.phase: Active``; workload status is reset to ``{}``;
  jobs get their generated selector and labels (needs ``metadata.uid``: call after
  :func:`kubelite.api.meta.fill_create_meta`).
- :func:`pod_qos_class(pod)` and :func:`image_pull_policy(image)` (re-exported from
  :mod:`kubelite.api.defaults_pod`).

Not here (the server's job): clusterIP/nodePort allocation, which also fills ``ipFamilies`` /
``ipFamilyPolicy`` in Kubernetes. :func:`default_service_ip_families` is provided for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubelite.api.defaults_pod import (
    default_pod_admission,
    default_pod_spec,
    image_pull_policy,
    pod_qos_class,
)
from kubelite.api.jsonutil import clone
from kubelite.api.normalize import normalize

JsonDict = dict[str, Any]

__all__ = ["apply_defaults", "default_service_ip_families", "image_pull_policy", "pod_qos_class",
           "prepare_for_create"]


def _template_spec(obj: JsonDict, *path: str) -> None:
    cur: Any = obj
    for key in path:
        if not isinstance(cur, dict):
            return
        cur = cur.get(key)
    default_pod_spec(cur)


def _spec(obj: JsonDict) -> JsonDict:
    """The spec to default; a null spec becomes ``{}`` (as Go decodes it), any other non-object is left
    for validation to report and defaults go to a throwaway dict."""
    spec = obj.get("spec")
    if spec is None:
        spec = obj["spec"] = {}
    return spec if isinstance(spec, dict) else {}


def _pod(obj: JsonDict) -> None:
    default_pod_spec(obj.get("spec"))


def _service(obj: JsonDict) -> None:
    spec = _spec(obj)
    spec.setdefault("type", "ClusterIP")
    stype = spec["type"]
    if stype == "ExternalName":
        spec.setdefault("sessionAffinity", "None")
        return
    spec.setdefault("sessionAffinity", "None")
    if spec["sessionAffinity"] == "ClientIP":
        cfg = spec.setdefault("sessionAffinityConfig", {}).setdefault("clientIP", {})
        cfg.setdefault("timeoutSeconds", 10800)
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if "targetPort" not in port and "port" in port:
                port["targetPort"] = port["port"]
    spec.setdefault("internalTrafficPolicy", "Cluster")
    if stype in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if stype == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)


def default_service_ip_families(svc: JsonDict) -> JsonDict:
    """Single-stack IPv4, as the IP allocator records it (not for ExternalName or selector-less
    headless services without families)."""
    out = clone(svc)
    spec = out.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return out
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("ipFamilies", ["IPv4"])
    return out


def _deployment(obj: JsonDict) -> None:
    spec = _spec(obj)
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _template_spec(spec, "template", "spec")


def _replicaset(obj: JsonDict) -> None:
    spec = _spec(obj)
    spec.setdefault("replicas", 1)
    _template_spec(spec, "template", "spec")


def _replication_controller(obj: JsonDict) -> None:
    spec = _spec(obj)
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if template_labels:
        if not spec.get("selector"):
            spec["selector"] = dict(template_labels)
        meta = obj.setdefault("metadata", {})
        if not meta.get("labels"):
            meta["labels"] = dict(template_labels)
    spec.setdefault("replicas", 1)
    _template_spec(spec, "template", "spec")


def _daemonset(obj: JsonDict) -> None:
    spec = _spec(obj)
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    _template_spec(spec, "template", "spec")


def _statefulset(obj: JsonDict) -> None:
    spec = _spec(obj)
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    policy = spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    policy.setdefault("whenDeleted", "Retain")
    policy.setdefault("whenScaled", "Retain")
    for claim in spec.get("volumeClaimTemplates") or []:
        if isinstance(claim, dict):
            claim.setdefault("apiVersion", "v1")
            claim.setdefault("kind", "PersistentVolumeClaim")
            claim.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
            claim.setdefault("status", {}).setdefault("phase", "Pending")
    _template_spec(spec, "template", "spec")


def _job_spec(spec: JsonDict) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2**31 - 1 if spec.get("backoffLimitPerIndex") is not None else 6
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    if spec.get("podFailurePolicy") is None:
        spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    else:
        spec.setdefault("podReplacementPolicy", "Failed")
    _template_spec(spec, "template", "spec")


def _job(obj: JsonDict) -> None:
    _job_spec(_spec(obj))


def _cronjob(obj: JsonDict) -> None:
    spec = _spec(obj)
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    _template_spec(spec, "jobTemplate", "spec", "template", "spec")


def _namespace(obj: JsonDict) -> None:
    # SetDefaults_Namespace: every namespace carries its own name as a label (kube >= 1.21)
    name = (obj.get("metadata") or {}).get("name")
    if name:
        obj.setdefault("metadata", {}).setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    status = obj.setdefault("status", {})
    if isinstance(status, dict):
        status.setdefault("phase", "Active")


def _secret(obj: JsonDict) -> None:
    obj.setdefault("type", "Opaque")


def _endpoints(obj: JsonDict) -> None:
    for subset in obj.get("subsets") or []:
        for port in (subset or {}).get("ports") or []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")


def _endpointslice(obj: JsonDict) -> None:
    for port in obj.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            port.setdefault("name", "")


def _node(obj: JsonDict) -> None:
    status = obj.get("status")
    if isinstance(status, dict) and status.get("capacity") and not status.get("allocatable"):
        status["allocatable"] = dict(status["capacity"])


_DEFAULTERS: dict[tuple[str, str], Callable[[JsonDict], None]] = {
    ("v1", "Pod"): _pod,
    ("v1", "Service"): _service,
    ("v1", "ReplicationController"): _replication_controller,
    ("v1", "Namespace"): _namespace,
    ("v1", "Secret"): _secret,
    ("v1", "Endpoints"): _endpoints,
    ("v1", "Node"): _node,
    ("apps/v1", "Deployment"): _deployment,
    ("apps/v1", "ReplicaSet"): _replicaset,
    ("apps/v1", "DaemonSet"): _daemonset,
    ("apps/v1", "StatefulSet"): _statefulset,
    ("batch/v1", "Job"): _job,
    ("batch/v1", "CronJob"): _cronjob,
    ("discovery.k8s.io/v1", "EndpointSlice"): _endpointslice,
}


_MALFORMED = (AttributeError, TypeError, ValueError, KeyError, IndexError)


def apply_defaults(obj: JsonDict) -> JsonDict:
    out = normalize(obj)
    fn = _DEFAULTERS.get((str(out.get("apiVersion", "")), str(out.get("kind", ""))))
    if fn is not None:
        try:
            fn(out)
        except _MALFORMED:
            # a body of the wrong shape (strict.check reports it): defaulting cannot apply
            return normalize(obj)
    return out


_STATUS_RESET = {"Deployment", "ReplicaSet", "ReplicationController", "DaemonSet", "StatefulSet", "Job",
                 "CronJob", "Service"}


def prepare_for_create(obj: JsonDict) -> JsonDict:
    try:
        return _prepare(obj)
    except _MALFORMED:
        return clone(obj)


def _prepare(obj: JsonDict) -> JsonDict:
    out = clone(obj)
    kind = out.get("kind")
    if kind == "Pod":
        default_pod_admission(out.get("spec"))
        out["status"] = {"phase": "Pending", "qosClass": pod_qos_class(out)}
    elif kind == "Namespace":
        out["spec"] = {"finalizers": ["kubernetes"]}
        out["status"] = {"phase": "Active"}
    elif kind in _STATUS_RESET:
        out["status"] = {"loadBalancer": {}} if kind == "Service" else {}
    if kind == "Job":
        _job_selector(out)
    return out


def _job_selector(job: JsonDict) -> None:
    """``generateSelector``: label the template with the job's uid and name, select on the uid."""
    meta = job.get("metadata") or {}
    uid, name = meta.get("uid"), meta.get("name")
    spec = job.get("spec")
    if not uid or not isinstance(spec, dict) or spec.get("manualSelector"):
        return
    template_meta = spec.setdefault("template", {}).setdefault("metadata", {})
    labels = template_meta.setdefault("labels", {})
    labels.setdefault("batch.kubernetes.io/controller-uid", uid)
    labels.setdefault("batch.kubernetes.io/job-name", name)
    labels.setdefault("controller-uid", uid)
    labels.setdefault("job-name", name)
    if not spec.get("selector"):
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
