"""Per-kind validation returning field errors, as kube-apiserver's ``Validate*`` functions do.

Public surface:

- :func:`validate(obj) -> list[FieldError]` - create validation of a defaulted object (metadata by the
  resource's name rule, then the kind's own checks).
- :func:`validate_update(old, new) -> list[FieldError]` - update validation: ``validate(new)`` plus the
  immutable-field rules (pod spec, workload selectors, service clusterIP, job template, configmap and
  secret ``immutable``, secret type, statefulset spec, metadata.name/namespace/uid...).
- :func:`raise_if_invalid(obj, errors)` - raise the 422 ``ApiError`` (``Pod "x" is invalid: ...``).
- For Strict field validation see :mod:`kubelite.api.strict` (``unknown_fields``, ``strict_error``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from kubelite.api.meta import (
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    regex_error,
    validate_annotations,
    validate_labels,
    validate_object_meta,
)
from kubelite.api.resources import REGISTRY
from kubelite.api.selectors import SelectorError, from_label_selector, validate_label_selector
from kubelite.api.status import (
    OMIT,
    FieldError,
    duplicate,
    forbidden_field,
    invalid,
    invalid_value,
    not_supported,
    required,
    too_long,
)
from kubelite.api.strict import type_error
from kubelite.api.validation_pod import (
    PROTOCOLS,
    is_port_name,
    port_range,
    validate_pod_spec,
    validate_pod_spec_update,
)

JsonDict = dict[str, Any]
Validator = Callable[[JsonDict], list[FieldError]]

_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
IMMUTABLE = "field is immutable"


def _nonneg(obj: JsonDict, path: str, key: str) -> list[FieldError]:
    value = obj.get(key)
    if value is not None and (not isinstance(value, int) or value < 0):
        return [invalid_value(f"{path}.{key}", value, "must be greater than or equal to 0")]
    return []


def _selector_matches_template(spec: JsonDict, path: str, noun: str = "deployment") -> list[FieldError]:
    selector = spec.get("selector")
    if selector is None:
        return [required(f"{path}.selector")]
    errs = validate_label_selector(selector, f"{path}.selector")
    if errs:
        return errs
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        return [invalid_value(f"{path}.selector", selector, f"empty selector is invalid for {noun}")]
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    try:
        matched = from_label_selector(selector).matches(labels)
    except SelectorError as e:
        return [invalid_value(f"{path}.selector", selector, str(e))]
    if not matched:
        return [invalid_value(f"{path}.template.metadata.labels", labels,
                              "`selector` does not match template `labels`")]
    return []


def _template(spec: JsonDict, path: str, restart: list[str]) -> list[FieldError]:
    template = spec.get("template")
    if not isinstance(template, dict):
        return [required(f"{path}.template")]
    pod_spec = template.get("spec")
    template_meta = template.get("metadata") or {}
    errs = validate_labels(template_meta.get("labels"), f"{path}.template.metadata.labels")
    errs += validate_annotations(template_meta.get("annotations"), f"{path}.template.metadata.annotations")
    errs += validate_pod_spec(pod_spec, f"{path}.template.spec")
    policy = (pod_spec or {}).get("restartPolicy") if isinstance(pod_spec, dict) else None
    if policy is not None and policy not in restart:
        errs = [e for e in errs if e.field != f"{path}.template.spec.restartPolicy"]
        errs.append(not_supported(f"{path}.template.spec.restartPolicy", policy, restart))
    return errs


def _pod(obj: JsonDict) -> list[FieldError]:
    return validate_pod_spec(obj.get("spec"), "spec")


def _workload(kind: str) -> Validator:
    def check(obj: JsonDict) -> list[FieldError]:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [required("spec")]
        errs = _nonneg(spec, "spec", "replicas") + _nonneg(spec, "spec", "minReadySeconds")
        errs += _nonneg(spec, "spec", "revisionHistoryLimit")
        # kube's ReplicaSet validation reuses the Deployment wording
        noun = {"DaemonSet": "daemonset", "StatefulSet": "statefulset"}.get(kind, "deployment")
        errs += _selector_matches_template(spec, "spec", noun)
        errs += _template(spec, "spec", ["Always"])
        if kind == "Deployment":
            errs += _deployment_strategy(spec)
        if kind == "StatefulSet":
            policy = spec.get("podManagementPolicy")
            if policy not in (None, "OrderedReady", "Parallel"):
                errs.append(not_supported("spec.podManagementPolicy", policy, ["OrderedReady", "Parallel"]))
        return errs

    return check


def _deployment_strategy(spec: JsonDict) -> list[FieldError]:
    strategy = spec.get("strategy") or {}
    stype = strategy.get("type")
    errs: list[FieldError] = []
    if stype not in (None, "Recreate", "RollingUpdate"):
        errs.append(not_supported("spec.strategy.type", stype, ["Recreate", "RollingUpdate"]))
    rolling = strategy.get("rollingUpdate")
    if stype == "Recreate" and rolling is not None:
        errs.append(forbidden_field("spec.strategy.rollingUpdate",
                                    "may not be specified when strategy `type` is 'Recreate'"))
    if isinstance(rolling, dict) and rolling.get("maxSurge") in (0, "0%") and rolling.get(
            "maxUnavailable") in (0, "0%"):
        errs.append(invalid_value("spec.strategy.rollingUpdate.maxUnavailable", rolling["maxUnavailable"],
                                  "may not be 0 when `maxSurge` is 0"))
    deadline, min_ready = spec.get("progressDeadlineSeconds"), spec.get("minReadySeconds") or 0
    if isinstance(deadline, int) and deadline <= min_ready:
        errs.append(invalid_value("spec.progressDeadlineSeconds", deadline,
                                  "must be greater than minReadySeconds"))
    return errs


def _replication_controller(obj: JsonDict) -> list[FieldError]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [required("spec")]
    errs = _nonneg(spec, "spec", "replicas")
    selector = spec.get("selector") or {}
    if not selector:
        errs.append(required("spec.selector"))
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if selector and any(labels.get(k) != v for k, v in selector.items()):
        errs.append(invalid_value("spec.template.metadata.labels", labels,
                                  "`selector` does not match template `labels`"))
    errs += _template(spec, "spec", ["Always"])
    return errs


def _job(obj: JsonDict) -> list[FieldError]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [required("spec")]
    errs: list[FieldError] = []
    for key in ("parallelism", "completions", "backoffLimit", "ttlSecondsAfterFinished"):
        errs += _nonneg(spec, "spec", key)
    template = spec.get("template") or {}
    policy = (template.get("spec") or {}).get("restartPolicy")
    if policy not in ("OnFailure", "Never"):
        errs.append(required("spec.template.spec.restartPolicy", 'valid values: "OnFailure", "Never"'))
    pod_errs = validate_pod_spec(template.get("spec"), "spec.template.spec")
    errs += [e for e in pod_errs if e.field != "spec.template.spec.restartPolicy"]
    if spec.get("selector") is not None:
        errs += _selector_matches_template(spec, "spec")
    return errs


_CRON_FIELD = re.compile(r"^[\d*/,\-?A-Za-z]+$")


def _cronjob(obj: JsonDict) -> list[FieldError]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [required("spec")]
    errs: list[FieldError] = []
    name = (obj.get("metadata") or {}).get("name") or ""
    if len(name) > 52:
        errs.append(invalid_value("metadata.name", name, "must be no more than 52 characters"))
    schedule = spec.get("schedule")
    if not schedule:
        errs.append(required("spec.schedule"))
    elif not str(schedule).startswith("@"):
        fields = str(schedule).split()
        if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
            errs.append(invalid_value("spec.schedule", schedule,
                                      f"expected exactly 5 fields, found {len(fields)}: {schedule}"
                                      if len(fields) != 5 else "invalid schedule"))
    policy = spec.get("concurrencyPolicy")
    if policy not in (None, "Allow", "Forbid", "Replace"):
        errs.append(not_supported("spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]))
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit", "startingDeadlineSeconds"):
        errs += _nonneg(spec, "spec", key)
    job_template = spec.get("jobTemplate")
    if not isinstance(job_template, dict):
        errs.append(required("spec.jobTemplate"))
    else:
        inner = _job({"spec": job_template.get("spec") or {}})
        errs += [FieldError(e.type, "spec.jobTemplate." + e.field, e.bad_value, e.detail) for e in inner]
    return errs


def _service(obj: JsonDict) -> list[FieldError]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [required("spec")]
    errs: list[FieldError] = []
    stype = spec.get("type", "ClusterIP")
    if stype not in SERVICE_TYPES:
        errs.append(not_supported("spec.type", stype, SERVICE_TYPES))
    affinity = spec.get("sessionAffinity")
    if affinity not in (None, "None", "ClientIP"):
        errs.append(not_supported("spec.sessionAffinity", affinity, ["ClientIP", "None"]))
    ports = spec.get("ports") or []
    errs += _cluster_ip(spec)
    if stype == "ExternalName":
        name = spec.get("externalName")
        if not name:
            errs.append(required("spec.externalName"))
        else:
            errs += [invalid_value("spec.externalName", name, m) for m in is_dns1123_subdomain(
                str(name).removesuffix("."))]
    elif not ports and spec.get("clusterIP") != "None":
        errs.append(required("spec.ports"))
    names: set[str] = set()
    seen: set[tuple[Any, Any]] = set()
    for i, port in enumerate(ports):
        p = f"spec.ports[{i}]"
        if not isinstance(port, dict):
            continue
        name = port.get("name")
        if len(ports) > 1 and not name:
            errs.append(required(f"{p}.name"))
        elif name:
            errs += [invalid_value(f"{p}.name", name, m) for m in is_dns1123_label(str(name))]
            if name in names:
                errs.append(duplicate(f"{p}.name", name))
            names.add(name)
        errs += port_range(f"{p}.port", port.get("port"))
        proto = port.get("protocol", "TCP")
        if proto not in PROTOCOLS:
            errs.append(not_supported(f"{p}.protocol", proto, PROTOCOLS))
        key = (port.get("port"), proto)
        if key in seen:
            errs.append(duplicate(p, {"port": port.get("port"), "protocol": proto}))
        seen.add(key)
        target = port.get("targetPort")
        if isinstance(target, int) and not isinstance(target, bool):
            errs += port_range(f"{p}.targetPort", target)
        elif isinstance(target, str):
            errs += [invalid_value(f"{p}.targetPort", target, m) for m in is_port_name(target)]
        node_port = port.get("nodePort")
        if node_port:
            errs += port_range(f"{p}.nodePort", node_port)
        if node_port and stype not in ("NodePort", "LoadBalancer"):
            errs.append(forbidden_field(f"{p}.nodePort", "may not be used when `type` is 'ClusterIP'"))
    return errs


def _cluster_ip(spec: JsonDict) -> list[FieldError]:
    ip = spec.get("clusterIP")
    if ip in (None, "", "None"):
        return []
    try:
        ipaddress.ip_address(str(ip))
    except ValueError:
        return [invalid_value("spec.clusterIPs[0]", ip, "must be a valid IP address, (e.g. 10.9.8.7 or "
                              "2001:db8::ffff)")]
    return []


def _config_data(obj: JsonDict, keys: tuple[str, ...]) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    total = 0
    for field in keys:
        for key, value in (obj.get(field) or {}).items():
            if len(key) > 253:
                errs.append(too_long(f"{field}[{key}]", 253))
            if not _CONFIG_KEY.match(key):
                errs.append(invalid_value(f"{field}[{key}]", key, regex_error(
                    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                    "[-._a-zA-Z0-9]+", "key.name", "KEY_NAME", "key-name")))
            if key in seen:
                errs.append(invalid_value(f"{field}[{key}]", key, "duplicate of key present in " + keys[0]))
            seen.add(key)
            total += len(key) + len(str(value))
    if total > 1024 * 1024:
        errs.append(too_long("data", 1024 * 1024))
    return errs


def _configmap(obj: JsonDict) -> list[FieldError]:
    return _config_data(obj, ("data", "binaryData"))


def _secret(obj: JsonDict) -> list[FieldError]:
    errs = _config_data(obj, ("data", "stringData"))
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if obj.get("type") == "kubernetes.io/service-account-token" and not annotations.get(
            "kubernetes.io/service-account.name"):
        errs.append(required("metadata.annotations[kubernetes.io/service-account.name]"))
    return errs


def _lease(obj: JsonDict) -> list[FieldError]:
    spec = obj.get("spec") or {}
    value = spec.get("leaseDurationSeconds")
    if value is not None and (not isinstance(value, int) or value <= 0):
        return [invalid_value("spec.leaseDurationSeconds", value, "must be greater than 0")]
    return []


def _endpointslice(obj: JsonDict) -> list[FieldError]:
    errs: list[FieldError] = []
    address_type = obj.get("addressType")
    if not address_type:
        errs.append(required("addressType"))
    elif address_type not in ("IPv4", "IPv6", "FQDN"):
        errs.append(not_supported("addressType", address_type, ["FQDN", "IPv4", "IPv6"]))
    for i, ep in enumerate(obj.get("endpoints") or []):
        addresses = (ep or {}).get("addresses") or []
        if not addresses:
            errs.append(required(f"endpoints[{i}].addresses", "must contain at least 1 address"))
    return errs


def _event(obj: JsonDict) -> list[FieldError]:
    ns = (obj.get("metadata") or {}).get("namespace")
    involved = obj.get("involvedObject") or {}
    obj_ns = involved.get("namespace")
    if obj_ns and ns and obj_ns != ns:
        return [invalid_value("involvedObject.namespace", obj_ns, "does not match event.namespace")]
    return []


TAINT_EFFECTS = ["NoExecute", "NoSchedule", "PreferNoSchedule"]


def _node(obj: JsonDict) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[tuple[Any, Any]] = set()
    for i, taint in enumerate((obj.get("spec") or {}).get("taints") or []):
        p = f"spec.taints[{i}]"
        if not isinstance(taint, dict):
            continue
        key = taint.get("key")
        if not key:
            errs.append(required(f"{p}.key"))
        else:
            errs += [invalid_value(f"{p}.key", key, m) for m in is_qualified_name(str(key))]
        effect = taint.get("effect")
        if not effect:
            errs.append(required(f"{p}.effect"))
        elif effect not in TAINT_EFFECTS:
            errs.append(not_supported(f"{p}.effect", effect, TAINT_EFFECTS))
        if (key, effect) in seen:
            errs.append(duplicate(p, taint))
        seen.add((key, effect))
    return errs


_VALIDATORS: dict[str, Validator] = {
    "Node": _node,
    "Pod": _pod,
    "Deployment": _workload("Deployment"),
    "ReplicaSet": _workload("ReplicaSet"),
    "DaemonSet": _workload("DaemonSet"),
    "StatefulSet": _workload("StatefulSet"),
    "ReplicationController": _replication_controller,
    "Job": _job,
    "CronJob": _cronjob,
    "Service": _service,
    "ConfigMap": _configmap,
    "Secret": _secret,
    "Lease": _lease,
    "EndpointSlice": _endpointslice,
    "Event": _event,
}


def validate(obj: JsonDict) -> list[FieldError]:
    resource = REGISTRY.by_api_version_kind(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
    plural = resource.plural if resource else str(obj.get("kind", "")).lower() + "s"
    namespaced = resource.namespaced if resource else True
    errs = validate_object_meta(obj.get("metadata"), plural, namespaced)
    fn = _VALIDATORS.get(str(obj.get("kind", "")))
    if fn is not None:
        try:
            errs += fn(obj)
        except _MALFORMED:
            errs.append(_malformed(obj))
    return errs


# The validators assume the JSON shape the schema describes (strict.check runs first in the server);
# a body that skipped that check must still come back as field errors, never as a crash.
_MALFORMED = (AttributeError, TypeError, ValueError, KeyError, IndexError)


def _malformed(obj: JsonDict) -> FieldError:
    message = type_error(obj) or "the object does not match the schema of its kind"
    return FieldError("FieldValueTypeInvalid", "", OMIT, message)


def _obj(value: Any) -> JsonDict:
    return value if isinstance(value, dict) else {}


def _immutable(old: Any, new: Any, path: str) -> list[FieldError]:
    return [] if old == new else [invalid_value(path, new, IMMUTABLE)]


def validate_update(old: JsonDict, new: JsonDict) -> list[FieldError]:
    errs = validate(new)
    try:
        errs += _update_rules(old, new)
    except _MALFORMED:
        if not any(e.type == "FieldValueTypeInvalid" for e in errs):
            errs.append(_malformed(new))
    return errs


def _update_rules(old: JsonDict, new: JsonDict) -> list[FieldError]:
    errs: list[FieldError] = []
    old_meta, new_meta = _obj(old.get("metadata")), _obj(new.get("metadata"))
    for key in ("name", "namespace", "uid", "creationTimestamp"):
        if key in old_meta and old_meta.get(key) != new_meta.get(key) and new_meta.get(key):
            errs.append(invalid_value(f"metadata.{key}", new_meta.get(key), IMMUTABLE))
    kind = new.get("kind")
    old_spec, new_spec = _obj(old.get("spec")), _obj(new.get("spec"))
    if kind == "Pod":
        errs += validate_pod_spec_update(old_spec, new_spec)
    elif kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"):
        errs += _immutable(old_spec.get("selector"), new_spec.get("selector"), "spec.selector")
        if kind == "StatefulSet":
            mutable = ("replicas", "ordinals", "template", "updateStrategy",
                       "persistentVolumeClaimRetentionPolicy", "minReadySeconds")
            if {k: v for k, v in old_spec.items() if k not in mutable} != {
                    k: v for k, v in new_spec.items() if k not in mutable}:
                errs.append(forbidden_field("spec", "updates to statefulset spec for fields other than "
                                            "'replicas', 'ordinals', 'template', 'updateStrategy', "
                                            "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' "
                                            "are forbidden"))
    elif kind == "Node":
        for key in ("podCIDR", "providerID"):
            if old_spec.get(key) and old_spec.get(key) != new_spec.get(key):
                errs.append(forbidden_field(f"spec.{key}", f"node updates may not change {key} except from "
                                            '"" to valid'))
    elif kind == "Job":
        errs += _immutable(old_spec.get("selector"), new_spec.get("selector"), "spec.selector")
        if not new_spec.get("suspend"):
            errs += _immutable(old_spec.get("template"), new_spec.get("template"), "spec.template")
        errs += _immutable(old_spec.get("completionMode"), new_spec.get("completionMode"),
                           "spec.completionMode")
    elif kind == "Service":
        old_ip = old_spec.get("clusterIP")
        if old_ip and old_spec.get("type") != "ExternalName" and new_spec.get("type") != "ExternalName":
            errs += _immutable(old_ip, new_spec.get("clusterIP"), "spec.clusterIP")
    elif kind in ("ConfigMap", "Secret"):
        if old.get("immutable"):
            for key in ("data", "binaryData", "stringData"):
                if old.get(key) != new.get(key):
                    errs.append(forbidden_field(key, "field is immutable when `immutable` is set"))
            if not new.get("immutable"):
                errs.append(forbidden_field("immutable", "field is immutable when `immutable` is set"))
        if kind == "Secret":
            errs += _immutable(old.get("type"), new.get("type"), "type")
    return errs


def raise_if_invalid(obj: JsonDict, errors: list[FieldError]) -> None:
    if not errors:
        return
    resource = REGISTRY.by_api_version_kind(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
    name = str((obj.get("metadata") or {}).get("name") or "")
    raise invalid(str(obj.get("kind", "")), name, errors, group=resource.group if resource else "")
