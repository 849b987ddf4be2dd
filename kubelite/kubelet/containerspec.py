"""A pod's container translated into the runtime's :class:`~kubelite.runtime.cri.ContainerConfig`.

Pure: the environment comes from :func:`kubelite.kubelet.envvars.container_env` (ConfigMap/Secret
values through the given lookup), ``$(VAR)`` references in command and args are expanded from it, and
the volume mounts name host paths the worker prepared (:mod:`kubelite.kubelet.volumes`). The runtime
resolves command/args against the image's ENTRYPOINT/CMD as Kubernetes defines it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kubelite.api.quantity import QuantityError, parse_quantity
from kubelite.kubelet.envvars import ConfigError, Lookup, container_env, expand
from kubelite.runtime.cri import ContainerConfig, Mount

JsonDict = dict[str, Any]
POD_UID_LABEL = "io.kubernetes.pod.uid"
CONTAINER_NAME_LABEL = "io.kubernetes.container.name"
ATTEMPT_LABEL = "io.kubelite.attempt"
INIT_LABEL = "io.kubelite.init"


def _resources(container: JsonDict) -> tuple[int, float]:
    limits = (container.get("resources") or {}).get("limits") or {}
    try:
        memory = parse_quantity(limits["memory"]).value() if "memory" in limits else 0
        cpus = parse_quantity(limits["cpu"]).milli_value() / 1000 if "cpu" in limits else 0.0
    except QuantityError as err:
        raise ConfigError(f"invalid resource limit: {err}") from None
    return memory, cpus


def _cpu_shares(container: JsonDict) -> int:
    """cgroup cpu shares from the cpu request (the limit when only that is set), as the kubelet computes
    them: millicores * 1024 / 1000, at least 2. No request leaves the runtime's default weight (the
    kubelet would give 2: on this shared machine that starves best-effort pods, see docs/kubelet-runtime.md)."""
    res = container.get("resources") or {}
    cpu = (res.get("requests") or {}).get("cpu", (res.get("limits") or {}).get("cpu"))
    if cpu is None:
        return 0
    try:
        milli = parse_quantity(cpu).milli_value()
    except QuantityError as err:
        raise ConfigError(f"invalid resource request: {err}") from None
    return max(2, milli * 1024 // 1000)


def _pod_ref(pod: JsonDict) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('name')}_{meta.get('namespace')}({meta.get('uid')})"


def check_non_root(pod: JsonDict, container: JsonDict, image_user: str) -> None:
    """``runAsNonRoot``: refuse a container that would run as uid 0, with the kubelet's messages (its
    CreateContainerConfigError). The effective uid is ``runAsUser`` (container, then pod), else the
    image's USER, which must then be numeric for the check to be possible."""
    pod_sc = (pod.get("spec") or {}).get("securityContext") or {}
    sc = container.get("securityContext") or {}
    if not sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")):
        return
    where = f'(pod: "{_pod_ref(pod)}", container: {container.get("name")})'
    uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
    if uid is not None:
        if int(uid) == 0:
            raise ConfigError(f"container's runAsUser breaks non-root policy {where}")
        return
    user = image_user.partition(":")[0]
    if user in ("", "0", "root"):
        raise ConfigError(f"container has runAsNonRoot and image will run as root {where}")
    if not user.isdigit():
        raise ConfigError(f"container has runAsNonRoot and image has non-numeric user ({user}), "
                          f"cannot verify user is non-root {where}")


def _user(pod: JsonDict, container: JsonDict) -> str:
    pod_sc = (pod.get("spec") or {}).get("securityContext") or {}
    sc = container.get("securityContext") or {}
    uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
    gid = sc.get("runAsGroup", pod_sc.get("runAsGroup"))
    if uid is None:
        return ""
    return f"{uid}:{gid}" if gid is not None else str(uid)


def container_config(pod: JsonDict, container: JsonDict, *, attempt: int, init: bool,
                     services: Iterable[JsonDict], lookup: Lookup, volumes: Mapping[str, str],
                     hosts_file: str = "", node_allocatable: Mapping[str, str] | None = None,
                     image_user: str = "", termination_log: str = "") -> ContainerConfig:
    """The runtime config of ``container``; ``volumes`` maps each pod volume name to its host path.

    Raises :class:`ConfigError` (the container's CreateContainerConfigError) for a missing ConfigMap,
    Secret or key, an unknown volume name, a bad resource quantity, or ``runAsNonRoot`` with a root
    user (``image_user`` is the image's USER). ``termination_log`` is the host file bound at the
    container's ``terminationMessagePath``."""
    meta = pod.get("metadata") or {}
    check_non_root(pod, container, image_user)
    sc = container.get("securityContext") or {}
    caps = sc.get("capabilities") or {}
    env = dict(container_env(pod, container, services, lookup, node_allocatable))
    mounts = []
    for vm in container.get("volumeMounts") or []:
        source = volumes.get(vm.get("name", ""))
        if source is None:
            raise ConfigError(f"cannot find volume \"{vm.get('name')}\" to mount into container "
                              f"\"{container.get('name')}\"")
        sub = vm.get("subPath") or ""
        if sub.startswith("/") or ".." in sub.split("/"):
            raise ConfigError(f'subPath "{sub}" of volume mount "{vm.get("name")}" must be a relative path '
                              'without ".."')
        host_path = f"{source}/{sub}" if sub else source
        mounts.append(Mount(host_path, vm.get("mountPath", ""), bool(vm.get("readOnly"))))
    if hosts_file and not any(m.container_path == "/etc/hosts" for m in mounts):
        mounts.append(Mount(hosts_file, "/etc/hosts"))
    message_path = container.get("terminationMessagePath") or ""
    if termination_log and message_path and not any(m.container_path == message_path for m in mounts):
        mounts.append(Mount(termination_log, message_path))
    memory, cpus = _resources(container)
    return ContainerConfig(
        name=container.get("name", ""),
        image=container.get("image", ""),
        command=[expand(a, env) for a in container.get("command") or []],
        args=[expand(a, env) for a in container.get("args") or []],
        env=env,
        working_dir=container.get("workingDir") or "",
        mounts=mounts,
        labels={POD_UID_LABEL: meta.get("uid", ""), CONTAINER_NAME_LABEL: container.get("name", ""),
                ATTEMPT_LABEL: str(attempt), INIT_LABEL: "true" if init else "false"},
        user=_user(pod, container),
        tty=bool(container.get("tty")),
        stdin=bool(container.get("stdin")),
        stdin_once=bool(container.get("stdinOnce")),
        memory=memory,
        cpus=cpus,
        cpu_shares=_cpu_shares(container),
        readonly_rootfs=bool(sc.get("readOnlyRootFilesystem")),
        no_new_privileges=sc.get("allowPrivilegeEscalation") is False,
        cap_add=[str(c) for c in caps.get("add") or []],
        cap_drop=[str(c) for c in caps.get("drop") or []],
        privileged=bool(sc.get("privileged")),
        attempt=attempt,
    )
