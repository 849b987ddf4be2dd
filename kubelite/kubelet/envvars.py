"""A container's environment, computed as the kubelet does.

Order and precedence follow Kubernetes: the service-link variables come first (every service of the
pod's namespace when ``enableServiceLinks`` is on, plus the ``kubernetes`` service of ``default``),
then ``envFrom`` sources in order, then ``env`` entries in order; later definitions win. ``$(VAR)`` in
an ``env`` value expands to a variable defined before it (``$$(VAR)`` is a literal ``$(VAR)``, and an
unknown reference stays as written).

Values that come from ConfigMaps and Secrets are read through a lookup callable, so this module stays
pure; a missing object or key raises :class:`ConfigError` with the kubelet's message, which becomes
the container's ``CreateContainerConfigError``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kubelite.api.quantity import QuantityError, parse_quantity

JsonDict = dict[str, Any]
# (kind "ConfigMap" | "Secret", namespace, name) -> the object, or None when it does not exist
Lookup = Callable[[str, str, str], JsonDict | None]

MASTER_NAMESPACE = "default"
MASTER_SERVICES = ("kubernetes",)
_VALID_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


class ConfigError(Exception):
    """The container cannot be configured (a missing ConfigMap, Secret or key)."""


# ---------------------------------------------------------------- service links


def _service_prefix(name: str) -> str:
    return name.upper().replace("-", "_")


def service_link_vars(service: JsonDict) -> list[tuple[str, str]]:
    """The ``FOO_SERVICE_HOST``/``FOO_PORT_6379_TCP_ADDR`` family for one service with a cluster IP."""
    spec = service.get("spec") or {}
    ip = spec.get("clusterIP")
    ports = spec.get("ports") or []
    if not ip or ip == "None" or not ports:
        return []
    prefix = _service_prefix((service.get("metadata") or {}).get("name", ""))
    first = ports[0]
    out = [(f"{prefix}_SERVICE_HOST", ip), (f"{prefix}_SERVICE_PORT", str(first.get("port")))]
    for p in ports:
        if p.get("name"):
            out.append((f"{prefix}_SERVICE_PORT_{_service_prefix(p['name'])}", str(p.get("port"))))
    proto0 = first.get("protocol", "TCP").lower()
    out.append((f"{prefix}_PORT", f"{proto0}://{ip}:{first.get('port')}"))
    for p in ports:
        proto = p.get("protocol", "TCP")
        base = f"{prefix}_PORT_{p.get('port')}_{proto.upper()}"
        out += [
            (base, f"{proto.lower()}://{ip}:{p.get('port')}"),
            (f"{base}_PROTO", proto.lower()),
            (f"{base}_PORT", str(p.get("port"))),
            (f"{base}_ADDR", ip),
        ]
    return out


def service_env(pod_namespace: str, services: Iterable[JsonDict], enable_links: bool) -> list[tuple[str, str]]:
    """The service variables for a pod: the master service always, its namespace's when enabled.

    A service of the pod's own namespace shadows the master service of the same name.
    """
    chosen: dict[str, JsonDict] = {}
    for svc in services:
        meta = svc.get("metadata") or {}
        name, ns = meta.get("name", ""), meta.get("namespace", "default")
        if ns == pod_namespace and enable_links:
            chosen[name] = svc
        elif ns == MASTER_NAMESPACE and name in MASTER_SERVICES:
            chosen.setdefault(name, svc)
    out: list[tuple[str, str]] = []
    for name in sorted(chosen):
        out += service_link_vars(chosen[name])
    return out


# ---------------------------------------------------------------- $(VAR) expansion

_REF = re.compile(r"\$\$|\$\(([^)]*)\)")


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion: known names replaced, ``$$`` an escaped ``$``, others kept."""

    def repl(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env.get(name, m.group(0))

    return _REF.sub(repl, text)


# ---------------------------------------------------------------- env sources


def _decoded(obj: JsonDict, kind: str) -> dict[str, str]:
    data = dict(obj.get("data") or {})
    if kind == "Secret":
        return {k: base64.b64decode(v).decode(errors="replace") for k, v in data.items()}
    data.update({k: base64.b64decode(v).decode(errors="replace") for k, v in (obj.get("binaryData") or {}).items()})
    return data


def _source(kind: str, namespace: str, ref: JsonDict, lookup: Lookup) -> dict[str, str] | None:
    name = ref.get("name", "")
    obj = lookup(kind, namespace, name)
    if obj is None:
        if ref.get("optional"):
            return None
        raise ConfigError(f'{kind.lower()} "{name}" not found')
    return _decoded(obj, kind)


def _key_ref(kind: str, namespace: str, ref: JsonDict, lookup: Lookup) -> str | None:
    values = _source(kind, namespace, ref, lookup)
    if values is None:
        return None
    key = ref.get("key", "")
    if key not in values:
        if ref.get("optional"):
            return None
        raise ConfigError(f"couldn't find key {key} in {kind} {namespace}/{ref.get('name', '')}")
    return values[key]


def field_value(path: str, pod: JsonDict) -> str:
    """``fieldRef.fieldPath`` of the downward API."""
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    simple = {
        "metadata.name": meta.get("name", ""), "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""), "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.hostIP": status.get("hostIP", ""), "status.podIP": status.get("podIP", ""),
        "status.hostIPs": ",".join(i.get("ip", "") for i in status.get("hostIPs") or []),
        "status.podIPs": ",".join(i.get("ip", "") for i in status.get("podIPs") or []),
    }
    if path in simple:
        return str(simple[path])
    m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
    if m:
        return str((meta.get(m.group(1)) or {}).get(m.group(2), ""))
    raise ConfigError(f"unsupported fieldPath: {path}")


def resource_value(ref: JsonDict, container: JsonDict, node_allocatable: Mapping[str, str]) -> str:
    """``resourceFieldRef``: a limit (node allocatable when unset) or request, in divisor units, rounded up."""
    resource = ref.get("resource", "")
    section, _, name = resource.partition(".")
    values = ((container.get("resources") or {}).get(section) or {})
    raw = values.get(name, node_allocatable.get(name) if section == "limits" else "0")
    try:
        quantity = parse_quantity(raw or "0")
        divisor = parse_quantity(ref.get("divisor") or "1")
    except QuantityError as err:
        raise ConfigError(f"invalid quantity for {resource}: {err}") from err
    if not divisor.value() and not divisor.milli_value():
        raise ConfigError(f"invalid divisor for {resource}")
    # Exact division, rounded up, as the kubelet's ExtractContainerResourceValue.
    whole = -(-quantity.milli_value() // divisor.milli_value())
    return str(whole)


def container_env(pod: JsonDict, container: JsonDict, services: Iterable[JsonDict], lookup: Lookup,
                  node_allocatable: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """The final environment of ``container`` in ``pod``, in order, later names overriding earlier."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    namespace = meta.get("namespace", "default")
    env: dict[str, str] = dict(service_env(namespace, services, spec.get("enableServiceLinks", True) is not False))
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            values = _source("ConfigMap", namespace, source["configMapRef"], lookup)
        elif "secretRef" in source:
            values = _source("Secret", namespace, source["secretRef"], lookup)
        else:
            continue
        for key, text in (values or {}).items():
            if _VALID_NAME.match(prefix + key):  # invalid names are skipped, as the kubelet does
                env[prefix + key] = text
    for var in container.get("env") or []:
        name = var.get("name", "")
        if "value" in var or "valueFrom" not in var:
            env[name] = expand(str(var.get("value", "")), env)
            continue
        source = var["valueFrom"]
        value: str | None
        if "fieldRef" in source:
            value = field_value(source["fieldRef"].get("fieldPath", ""), pod)
        elif "resourceFieldRef" in source:
            value = resource_value(source["resourceFieldRef"], container, node_allocatable or {})
        elif "configMapKeyRef" in source:
            value = _key_ref("ConfigMap", namespace, source["configMapKeyRef"], lookup)
        elif "secretKeyRef" in source:
            value = _key_ref("Secret", namespace, source["secretKeyRef"], lookup)
        else:
            value = None
        if value is not None:
            env[name] = value
    return list(env.items())
