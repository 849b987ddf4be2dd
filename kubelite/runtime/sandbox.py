"""Pod sandboxes: the namespaces a pod's containers share (network, IPC, UTS), without a pause process.

Kubernetes keeps a pod's shared namespaces alive with a "pause" container. We pin them instead, as
``ip netns`` does for network namespaces: the network namespace is a named netns (``/run/netns/kl-<id12>``,
attached to the bridge like a container's), and the IPC and UTS namespaces are created by ``unshare``
and bind-mounted onto files in the sandbox's directory, so they exist while no process is in them. The
UTS namespace gets the pod's hostname once, at creation. Containers created *in* the sandbox join the
three namespaces by path in their OCI spec (and keep their own PID and mount namespaces).

On disk::

    <root>/sandboxes/<id>/
      sandbox.json     the record (id, name, hostname, ip, namespace paths, labels, state)
      ipc, uts         the pinned namespaces (bind mounts of /proc/<pid>/ns/{ipc,uts})
      shm/             a tmpfs every container binds as /dev/shm (POSIX shared memory is pod-wide)
      resolv.conf      the pod's resolv.conf when the kubelet gave one
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
from dataclasses import asdict, dataclass, field
from typing import Any

from kubelite.runtime.container_errors import ContainerError, NotFound, RuntimeFailure

READY = "SANDBOX_READY"
NOTREADY = "SANDBOX_NOTREADY"


@dataclass
class Sandbox:
    id: str
    name: str
    hostname: str
    created: str
    netns: str = ""
    ipc_ns: str = ""
    uts_ns: str = ""
    ip: str = ""
    prefix_len: int = 0
    gateway: str = ""
    network_mode: str = "bridge"
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    state: str = READY
    port_mappings: list[dict[str, Any]] = field(default_factory=list)  # PortBinding fields (hostPort)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sandbox:
        return cls(**data)


class SandboxStore:
    def __init__(self, root: str) -> None:
        self.root = root
        self.dir = os.path.join(root, "sandboxes")

    def path(self, sid: str, *parts: str) -> str:
        return os.path.join(self.dir, sid, *parts)

    def save(self, sb: Sandbox) -> None:
        os.makedirs(self.path(sb.id), exist_ok=True)
        target = self.path(sb.id, "sandbox.json")
        tmp = target + f".tmp{os.getpid()}"
        with open(tmp, "w") as fh:
            json.dump(asdict(sb), fh, indent=1)
        os.replace(tmp, target)

    def load(self, sid: str) -> Sandbox:
        try:
            with open(self.path(sid, "sandbox.json")) as fh:
                return Sandbox.from_json(json.load(fh))
        except FileNotFoundError:
            raise NotFound(f"No such pod sandbox: {sid}") from None

    def all(self) -> list[Sandbox]:
        try:
            ids = sorted(os.listdir(self.dir))
        except FileNotFoundError:
            return []
        out = []
        for sid in ids:
            with contextlib.suppress(NotFound, json.JSONDecodeError, TypeError):
                out.append(self.load(sid))
        return out

    def delete(self, sid: str) -> None:
        shutil.rmtree(self.path(sid), ignore_errors=True)


def pin_namespaces(directory: str, hostname: str, *, uts: bool = True) -> tuple[str, str]:
    """A new IPC namespace pinned on ``directory``/ipc and (with ``uts``) a new UTS namespace on
    ``directory``/uts named ``hostname``. Returns their paths ("" for a UTS shared with the host)."""
    ipc, uts_path = os.path.join(directory, "ipc"), os.path.join(directory, "uts") if uts else ""
    for path in (ipc, uts_path):
        if path:
            with open(path, "a"):
                pass
    unshare = shutil.which("unshare") or "/usr/bin/unshare"
    hostname_bin = shutil.which("hostname") or "/bin/hostname"
    argv = (
        [unshare, f"--ipc={ipc}", f"--uts={uts_path}", hostname_bin, hostname]
        if uts
        else [unshare, f"--ipc={ipc}", "true"]
    )
    proc = subprocess.run(
        argv,
        check=False,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeFailure(f"cannot create the sandbox's namespaces: {proc.stderr.strip()}")
    return ipc, uts_path


def mount_shm(directory: str) -> str:
    """The pod's ``/dev/shm``: one tmpfs (Docker's options and 64 MiB) at ``directory``/shm that every
    container of the sandbox binds, so POSIX shared memory is pod-wide like its IPC namespace."""
    path = os.path.join(directory, "shm")
    os.makedirs(path, exist_ok=True)
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "nosuid,nodev,noexec,mode=1777,size=65536k", "shm", path],
        check=False,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeFailure(f"cannot mount the sandbox's /dev/shm: {proc.stderr.strip()}")
    return path


def unpin_namespaces(directory: str) -> None:
    for name in ("ipc", "uts", "shm"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            subprocess.run(["umount", "-l", path], check=False, capture_output=True)


def create_sandbox(
    engine: Any,
    *,
    name: str,
    hostname: str,
    network: str = "bridge",
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    resolv_conf: str = "",
    port_mappings: list[Any] | None = None,
) -> Sandbox:
    """Create and register a ready sandbox. ``engine`` is a :class:`~kubelite.runtime.lifecycle.Engine`."""
    from kubelite.runtime.containers import new_id
    from kubelite.runtime.monitor import rfc3339
    from kubelite.runtime.network import bridge as br
    from kubelite.runtime.network.ipam import Table

    store = SandboxStore(engine.root)
    sid = new_id()
    sb = Sandbox(
        id=sid,
        name=name,
        hostname=hostname,
        created=rfc3339(),
        network_mode=network,
        labels=dict(labels or {}),
        annotations=dict(annotations or {}),
        state=NOTREADY,
    )
    store.save(sb)
    if resolv_conf:
        # Every container of the pod binds this file (see bundle.spec_options).
        with open(store.path(sid, "resolv.conf"), "w") as fh:
            fh.write(resolv_conf if resolv_conf.endswith("\n") else resolv_conf + "\n")
    try:
        # hostNetwork pods share the host's network and UTS namespaces (hostname = the node's), as in
        # Kubernetes; their IPC namespace is still the pod's own.
        sb.ipc_ns, sb.uts_ns = pin_namespaces(store.path(sid), hostname, uts=network != "host")
        mount_shm(store.path(sid))
        if network == "bridge":
            with engine.store.lock():
                ip = Table(engine.root).claim(engine.net, "sandbox:" + sid)
            att = br.attach(engine.kernel, engine.net, sid, ip)
            sb.netns, sb.ip, sb.prefix_len, sb.gateway = att.netns, att.ip, att.prefix_len, att.gateway
            if port_mappings:
                from dataclasses import asdict as as_dict

                from kubelite.runtime.publishing import check_host_ports, publish

                with engine.store.lock():
                    check_host_ports(engine, list(port_mappings), owner=sid)
                    sb.port_mappings = [as_dict(p) for p in port_mappings]
                    sb.state = READY
                    store.save(sb)
                    publish(engine)
        elif network == "none":
            sb.netns = br.isolated(engine.kernel, sid)
        elif network == "host":
            sb.hostname = socket.gethostname()
        else:
            raise ContainerError(f"unsupported sandbox network {network!r} (bridge, none or host)")
        sb.state = READY
        store.save(sb)
    except BaseException:
        remove_sandbox(engine, sid)
        raise
    return sb


def remove_sandbox(engine: Any, sid: str) -> None:
    """Tear down a sandbox's namespaces and address (its containers must be removed first)."""
    from kubelite.runtime.network import bridge as br
    from kubelite.runtime.network.ipam import Table

    store = SandboxStore(engine.root)
    try:
        had_ports = bool(store.load(sid).port_mappings)
    except NotFound:
        had_ports = False
    with contextlib.suppress(ContainerError, OSError):
        br.detach(engine.kernel, sid)
    with engine.store.lock():
        Table(engine.root).release("sandbox:" + sid)
    unpin_namespaces(store.path(sid))
    store.delete(sid)
    if had_ports:
        from kubelite.runtime.publishing import publish

        with engine.store.lock():
            publish(engine)
