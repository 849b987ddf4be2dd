"""PodSpec validation (``ValidatePodSpec`` and the container checks), with kube's field paths and texts.

Public surface: :func:`validate_pod_spec(spec, path) -> list[FieldError]` and
:func:`validate_pod_spec_update(old, new, path) -> list[FieldError]` (the pod immutability rule).
Both take the already-defaulted spec.
"""

from __future__ import annotations

import re
from typing import Any

from kubelite.api.meta import is_dns1123_label, regex_error
from kubelite.api.quantity import parse_quantity
from kubelite.api.status import (
    FieldError,
    duplicate,
    field_not_found,
    forbidden_field,
    invalid_value,
    not_supported,
    required,
)

RESTART_POLICIES = ["Always", "OnFailure", "Never"]
DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
PROTOCOLS = ["SCTP", "TCP", "UDP"]
TERMINATION_POLICIES = ["File", "FallbackToLogsOnError"]
VOLUME_SOURCES = (
    "hostPath", "emptyDir", "secret", "configMap", "persistentVolumeClaim", "downwardAPI", "projected",
    "nfs", "csi", "image", "ephemeral", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "iscsi",
    "glusterfs", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume",
    "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos",
)
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_IANA_SVC = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")

POD_UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
    "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
    "previously negative)"
)


def is_port_name(name: str) -> list[str]:
    """``IsValidPortName`` (IANA_SVC_NAME)."""
    errs = []
    if len(name) > 15:
        errs.append("must be no more than 15 characters")
    if not _IANA_SVC.match(name):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if "--" in name:
        errs.append("must not contain consecutive hyphens")
    if not re.search("[a-z]", name):
        errs.append("must contain at least one letter (a-z)")
    return errs


def port_range(path: str, value: Any) -> list[FieldError]:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        return [invalid_value(path, value, "must be between 1 and 65535, inclusive")]
    return []


def _container(c: Any, path: str, volumes: set[str]) -> list[FieldError]:
    if not isinstance(c, dict):
        return [invalid_value(path, c, "must be an object")]
    errs: list[FieldError] = []
    name = c.get("name")
    if not name:
        errs.append(required(f"{path}.name"))
    else:
        errs += [invalid_value(f"{path}.name", name, m) for m in is_dns1123_label(str(name))]
    if not c.get("image"):
        errs.append(required(f"{path}.image"))
    policy = c.get("imagePullPolicy")
    if policy is not None and policy not in PULL_POLICIES:
        errs.append(not_supported(f"{path}.imagePullPolicy", policy, PULL_POLICIES))
    tmp = c.get("terminationMessagePolicy")
    if tmp is not None and tmp not in TERMINATION_POLICIES:
        errs.append(not_supported(f"{path}.terminationMessagePolicy", tmp, TERMINATION_POLICIES))
    port_names: set[str] = set()
    for i, port in enumerate(c.get("ports") or []):
        p = f"{path}.ports[{i}]"
        if not isinstance(port, dict):
            continue
        errs += port_range(f"{p}.containerPort", port.get("containerPort"))
        if "hostPort" in port and port["hostPort"] != 0:
            errs += port_range(f"{p}.hostPort", port["hostPort"])
        proto = port.get("protocol")
        if proto is not None and proto not in PROTOCOLS:
            errs.append(not_supported(f"{p}.protocol", proto, PROTOCOLS))
        pname = port.get("name")
        if pname:
            errs += [invalid_value(f"{p}.name", pname, m) for m in is_port_name(str(pname))]
            if pname in port_names:
                errs.append(duplicate(f"{p}.name", pname))
            port_names.add(pname)
    for i, env in enumerate(c.get("env") or []):
        ename = env.get("name") if isinstance(env, dict) else None
        if not ename:
            errs.append(required(f"{path}.env[{i}].name"))
        elif not _ENV_NAME.match(str(ename)):
            errs.append(invalid_value(f"{path}.env[{i}].name", ename, regex_error(
                "a valid environment variable name must consist of alphabetic characters, digits, '_', "
                "'-', or '.', and must not start with a digit", "[-._a-zA-Z][-._a-zA-Z0-9]*",
                "my.env-name", "MY_ENV.NAME", "MyEnvName1")))
    mounts: set[str] = set()
    for i, mount in enumerate(c.get("volumeMounts") or []):
        p = f"{path}.volumeMounts[{i}]"
        if not isinstance(mount, dict):
            continue
        mname = mount.get("name")
        if not mname:
            errs.append(required(f"{p}.name"))
        elif mname not in volumes:
            errs.append(field_not_found(f"{p}.name", mname))
        mpath = mount.get("mountPath")
        if not mpath:
            errs.append(required(f"{p}.mountPath"))
        elif mpath in mounts:
            errs.append(invalid_value(f"{p}.mountPath", mpath, "must be unique"))
        else:
            mounts.add(mpath)
    errs += _resources(c.get("resources"), f"{path}.resources")
    return errs


def _resources(resources: Any, path: str) -> list[FieldError]:
    if not isinstance(resources, dict):
        return []
    errs: list[FieldError] = []
    parsed: dict[str, dict[str, Any]] = {}
    for kind in ("limits", "requests"):
        parsed[kind] = {}
        for name, value in (resources.get(kind) or {}).items():
            try:
                q = parse_quantity(value)
            except ValueError as e:
                errs.append(invalid_value(f"{path}.{kind}[{name}]", value, str(e)))
                continue
            if q.amount < 0:
                errs.append(invalid_value(f"{path}.{kind}[{name}]", value,
                                          "must be greater than or equal to 0"))
            parsed[kind][name] = q
    for name, req in parsed["requests"].items():
        lim = parsed["limits"].get(name)
        if lim is not None and req > lim:
            errs.append(invalid_value(f"{path}.requests", resources["requests"][name],
                                      f"must be less than or equal to {name} limit of {lim}"))
    return errs


def validate_pod_spec(spec: Any, path: str = "spec") -> list[FieldError]:
    if not isinstance(spec, dict):
        return [required(path)]
    errs: list[FieldError] = []
    volumes: set[str] = set()
    for i, vol in enumerate(spec.get("volumes") or []):
        p = f"{path}.volumes[{i}]"
        if not isinstance(vol, dict):
            continue
        vname = vol.get("name")
        if not vname:
            errs.append(required(f"{p}.name"))
        else:
            errs += [invalid_value(f"{p}.name", vname, m) for m in is_dns1123_label(str(vname))]
            if vname in volumes:
                errs.append(duplicate(f"{p}.name", vname))
            volumes.add(vname)
        sources = [s for s in VOLUME_SOURCES if vol.get(s) is not None]
        if not sources:
            errs.append(required(p, "must specify a volume type"))
        elif len(sources) > 1:
            errs.append(forbidden_field(f"{p}.{sources[1]}", "may not specify more than 1 volume type"))
    containers = spec.get("containers")
    if not containers:
        errs.append(required(f"{path}.containers"))
    names: set[str] = set()
    for key in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(key) or []):
            errs += _container(c, f"{path}.{key}[{i}]", volumes)
            cname = c.get("name") if isinstance(c, dict) else None
            if cname:
                if cname in names:
                    errs.append(duplicate(f"{path}.{key}[{i}].name", cname))
                names.add(cname)
    for key in ("hostname", "subdomain"):
        value = spec.get(key)
        if value:
            errs += [invalid_value(f"{path}.{key}", value, m) for m in is_dns1123_label(str(value))]
    restart = spec.get("restartPolicy")
    if restart is not None and restart not in RESTART_POLICIES:
        errs.append(not_supported(f"{path}.restartPolicy", restart, RESTART_POLICIES))
    dns = spec.get("dnsPolicy")
    if dns is not None and dns not in DNS_POLICIES:
        errs.append(not_supported(f"{path}.dnsPolicy", dns, DNS_POLICIES))
    grace = spec.get("terminationGracePeriodSeconds")
    if isinstance(grace, int) and grace < 0:
        errs.append(invalid_value(f"{path}.terminationGracePeriodSeconds", grace,
                                  "must be greater than or equal to 0"))
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and (not isinstance(deadline, int) or deadline <= 0):
        errs.append(invalid_value(f"{path}.activeDeadlineSeconds", deadline, "must be between 1 and "
                                  "2147483647, inclusive"))
    for i, tol in enumerate(spec.get("tolerations") or []):
        op = tol.get("operator") if isinstance(tol, dict) else None
        if op not in (None, "", "Exists", "Equal"):
            errs.append(not_supported(f"{path}.tolerations[{i}].operator", op, ["Equal", "Exists"]))
    return errs


def _strip_mutable(spec: dict[str, Any]) -> dict[str, Any]:
    out = dict(spec)
    for key in ("containers", "initContainers"):
        out[key] = [{k: v for k, v in c.items() if k != "image"} for c in spec.get(key) or []
                    if isinstance(c, dict)]
    for key in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds", "schedulingGates"):
        out.pop(key, None)
    return out


def validate_pod_spec_update(old: Any, new: Any, path: str = "spec") -> list[FieldError]:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    errs: list[FieldError] = []
    if _strip_mutable(old) != _strip_mutable(new):
        errs.append(forbidden_field(path, POD_UPDATE_FORBIDDEN))
    old_tol = old.get("tolerations") or []
    new_tol = new.get("tolerations") or []
    if any(t not in new_tol for t in old_tol):
        errs.append(forbidden_field(f"{path}.tolerations", "existing toleration can not be modified except "
                                    "its tolerationSeconds"))
    old_deadline, new_deadline = old.get("activeDeadlineSeconds"), new.get("activeDeadlineSeconds")
    if old_deadline is not None and (new_deadline is None or new_deadline > old_deadline):
        errs.append(invalid_value(f"{path}.activeDeadlineSeconds", new_deadline,
                                  "must be less than or equal to previous value"))
    if old.get("terminationGracePeriodSeconds") != new.get("terminationGracePeriodSeconds"):
        previous = old.get("terminationGracePeriodSeconds")
        if not (isinstance(previous, int) and previous < 0 and new.get("terminationGracePeriodSeconds") == 1):
            errs.append(forbidden_field(path, POD_UPDATE_FORBIDDEN))
    return errs
