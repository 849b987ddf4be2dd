"""Defaults for PodSpec (and so every pod template), and the pod QoS class.

Public surface (all functions mutate the dict they are given; :mod:`kubelite.api.defaults` copies first):

- :func:`default_pod_spec(spec)` - ``SetDefaults_PodSpec`` and friends: restartPolicy, dnsPolicy,
  terminationGracePeriodSeconds, schedulerName, securityContext, enableServiceLinks, container and
  probe and volume defaults, requests defaulted from limits.
- :func:`image_pull_policy(image)` - Always for ``:latest`` or no tag (and no digest), else IfNotPresent.
- :func:`pod_qos_class(pod) -> "Guaranteed" | "Burstable" | "BestEffort"` (``GetPodQOS``).
"""

from __future__ import annotations

from typing import Any

from kubelite.api.quantity import Quantity, parse_quantity

JsonDict = dict[str, Any]

DEFAULT_MODE = 0o644  # 420: secret, configMap, downwardAPI and projected volumes


def image_pull_policy(image: str) -> str:
    """``SetDefaults_Container``: the tag decides; a digest pins the image."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _default_probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    _default_handler(probe)


def _default_handler(handler: Any) -> None:
    if not isinstance(handler, dict):
        return
    http = handler.get("httpGet")
    if isinstance(http, dict):
        http.setdefault("path", "/")
        http.setdefault("scheme", "HTTP")


def _default_env(env: Any) -> None:
    for var in env or []:
        source = var.get("valueFrom") if isinstance(var, dict) else None
        field_ref = source.get("fieldRef") if isinstance(source, dict) else None
        if isinstance(field_ref, dict):
            field_ref.setdefault("apiVersion", "v1")


def default_container(container: Any, host_network: bool = False) -> None:
    if not isinstance(container, dict):
        return
    image = container.get("image")
    if isinstance(image, str) and image and not container.get("imagePullPolicy"):
        container["imagePullPolicy"] = image_pull_policy(image)
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if host_network and "hostPort" not in port and "containerPort" in port:
                port["hostPort"] = port["containerPort"]
    resources = container.setdefault("resources", {})
    if isinstance(resources, dict) and isinstance(resources.get("limits"), dict):
        requests = resources.setdefault("requests", {})
        if isinstance(requests, dict):
            for name, value in resources["limits"].items():
                requests.setdefault(name, value)
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(container.get(probe))
    lifecycle = container.get("lifecycle")
    if isinstance(lifecycle, dict):
        _default_handler(lifecycle.get("postStart"))
        _default_handler(lifecycle.get("preStop"))
    _default_env(container.get("env"))


def _default_volume(volume: Any) -> None:
    if not isinstance(volume, dict):
        return
    for source in ("secret", "configMap", "downwardAPI", "projected"):
        if isinstance(volume.get(source), dict):
            volume[source].setdefault("defaultMode", DEFAULT_MODE)
    if isinstance(volume.get("hostPath"), dict):
        volume["hostPath"].setdefault("type", "")
    for item in (volume.get("downwardAPI") or {}).get("items") or []:
        if isinstance(item, dict) and isinstance(item.get("fieldRef"), dict):
            item["fieldRef"].setdefault("apiVersion", "v1")


# Added by the DefaultTolerationSeconds admission plugin on every pod.
DEFAULT_TOLERATIONS = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
     "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
     "tolerationSeconds": 300},
)


def default_pod_spec(spec: Any) -> None:
    if not isinstance(spec, dict):
        return
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    spec.setdefault("enableServiceLinks", True)
    host_network = bool(spec.get("hostNetwork"))
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(key) or []:
            default_container(container, host_network)
    for volume in spec.get("volumes") or []:
        _default_volume(volume)


def default_pod_admission(spec: Any) -> None:
    """What kube's admission chain adds to every new pod: service account, priority, tolerations."""
    if not isinstance(spec, dict):
        return
    name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = name
    spec["serviceAccount"] = name
    spec.setdefault("priority", 0)
    tolerations = spec.setdefault("tolerations", [])
    if isinstance(tolerations, list):
        have = {(t.get("key"), t.get("effect")) for t in tolerations if isinstance(t, dict)}
        for tol in DEFAULT_TOLERATIONS:
            if (tol["key"], tol["effect"]) not in have and (tol["key"], None) not in have:
                tolerations.append(dict(tol))


_QOS_RESOURCES = ("cpu", "memory")


def _quantities(resources: Any, key: str) -> dict[str, Quantity]:
    out: dict[str, Quantity] = {}
    values = (resources or {}).get(key) if isinstance(resources, dict) else None
    for name, value in (values or {}).items():
        if name not in _QOS_RESOURCES:
            continue
        try:
            q = parse_quantity(value)
        except ValueError:
            continue
        if q.amount > 0:
            out[name] = q
    return out


def pod_qos_class(pod: JsonDict) -> str:
    spec = pod.get("spec") or {}
    requests: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    guaranteed = True
    containers = list(spec.get("initContainers") or []) + list(spec.get("containers") or [])
    for container in containers:
        resources = container.get("resources") if isinstance(container, dict) else None
        container_limits = _quantities(resources, "limits")
        # requests default to limits, as defaulting would have done
        container_requests = {**container_limits, **_quantities(resources, "requests")}
        for name, q in container_requests.items():
            requests[name] = requests[name] + q if name in requests else q
        for name, q in container_limits.items():
            limits[name] = limits[name] + q if name in limits else q
        if set(container_limits) != set(_QOS_RESOURCES):
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and requests.keys() == limits.keys() and all(
        requests[n] == limits[n] for n in requests
    ):
        return "Guaranteed"
    return "Burstable"
