"""The runtime interface the kubelet uses: pod sandboxes, containers in them, logs, exec, images.

Shaped after Kubernetes' CRI (RuntimeService + ImageService), reduced to what our kubelet needs, with
plain dataclasses instead of protobuf and synchronous methods (each call is a few subprocesses; the
kubelet runs them in a thread with ``asyncio.to_thread``).

Terms and lifecycle::

    run_pod_sandbox(cfg) -> sandbox id        shared network (own IP on the bridge), IPC and UTS (hostname)
      create_container(sid, cfg) -> id        CREATED: rootfs and bundle ready, nothing runs
      start_container(id)                     RUNNING
      (process exits / stop_container(id, t)) EXITED, exit_code, reason (Completed | Error | OOMKilled)
      remove_container(id)                    gone
    stop_pod_sandbox(sid)                     stops every container in it (sandbox -> NOTREADY)
    remove_pod_sandbox(sid)                   removes its containers and namespaces

* Statuses are observed, never cached: each call re-reads the engine's records (level-triggered).
* ``stop_container(id, timeout)`` sends the image's STOPSIGNAL, then SIGKILL after ``timeout`` seconds.
* Logs: ``container_status(id).log_path`` is a CRI-format file (``<time> <stream> <F|P> <text>``), the
  same format the real kubelet reads; :meth:`RuntimeService.read_logs` parses it for convenience.
* ``exec_sync`` runs a command to completion in the container's namespaces (probes, ``kubectl exec``
  without a tty); ``exec_argv`` gives the command line for an interactive/tty session the caller spawns.
* Attach: ``attach_socket(id)`` is the path of a running container's attach socket (SOCK_SEQPACKET, the
  protocol of :mod:`kubelite.runtime.attach`: packets from it are a stream byte, 2 stdout or 3 stderr,
  then data; what is sent to it is the container's stdin). ``resize_tty`` sets a tty container's size.
* Port-forward: ``port_forward(sandbox_id, port)`` is a TCP connection (a blocking socket) to
  ``127.0.0.1:port`` in the sandbox's network namespace (the host's for a host-network sandbox); nothing
  listening is a ``RuntimeFailure`` naming the reason. It takes no engine lock (callers may run it on any
  thread; a slow connect must not hold up the other runtime calls).
* Errors: :mod:`kubelite.runtime.container_errors` (``NotFound``, ``InvalidState``, ...), never others.
* Images: ``pull_image(ref, auth)`` resolves locally and otherwise delegates to an injected puller (the
  distribution client); ``list_images``/``image_status``/``remove_image`` go to the image store.

Every implementation (this engine-backed one and :class:`kubelite.testing.fake_runtime.FakeRuntime`)
passes the same conformance suite (``kubelite.testing.runtime_conformance``).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from kubelite.runtime.container_errors import InvalidArgument, InvalidState, NotFound

if TYPE_CHECKING:
    from kubelite.runtime.containers import Container
    from kubelite.runtime.image_source import ImageSource
    from kubelite.runtime.lifecycle import Engine

SANDBOX_READY = "SANDBOX_READY"
SANDBOX_NOTREADY = "SANDBOX_NOTREADY"
CONTAINER_CREATED = "CONTAINER_CREATED"
CONTAINER_RUNNING = "CONTAINER_RUNNING"
CONTAINER_EXITED = "CONTAINER_EXITED"
CONTAINER_UNKNOWN = "CONTAINER_UNKNOWN"


@dataclass
class SandboxConfig:
    name: str
    namespace: str = "default"
    uid: str = ""
    attempt: int = 0
    hostname: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    port_mappings: list[PortMapping] = field(default_factory=list)  # hostPorts (bridge network only)
    resolv_conf: str = ""  # the pod's /etc/resolv.conf (the kubelet's, per dnsPolicy); "" = the host's
    network: str = "bridge"  # bridge, none, or host (hostNetwork: the host's network and UTS namespaces)


@dataclass
class PortMapping:
    """A pod's ``hostPort``: ``host_ip:host_port`` on the node DNATed to the pod's ``container_port``."""

    container_port: int
    host_port: int
    protocol: str = "tcp"
    host_ip: str = ""


@dataclass
class SandboxStatus:
    id: str
    name: str
    namespace: str
    uid: str
    state: str
    ip: str
    created: str
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass
class Mount:
    host_path: str
    container_path: str
    readonly: bool = False


@dataclass
class ContainerConfig:
    name: str
    image: str
    command: list[str] = field(default_factory=list)  # Kubernetes' command (replaces Entrypoint)
    args: list[str] = field(default_factory=list)  # Kubernetes' args (replaces Cmd)
    env: dict[str, str] = field(default_factory=dict)
    working_dir: str = ""
    mounts: list[Mount] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    user: str = ""
    tty: bool = False
    stdin: bool = False
    stdin_once: bool = False  # Kubernetes' stdinOnce: stdin closes when the first attach session ends
    memory: int = 0
    cpus: float = 0.0
    cpu_shares: int = 0  # relative weight (Kubernetes: cpu request in millicores * 1024 / 1000, at least 2)
    pids_limit: int = 0
    readonly_rootfs: bool = False
    no_new_privileges: bool = False  # allowPrivilegeEscalation: false
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)
    privileged: bool = False
    attempt: int = 0


@dataclass
class ContainerStatus:
    id: str
    sandbox_id: str
    name: str
    image: str
    image_id: str
    state: str
    created: str
    started_at: str = ""
    finished_at: str = ""
    exit_code: int = 0
    reason: str = ""
    message: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    log_path: str = ""
    pid: int = 0


@dataclass
class ExecResult:
    exit_code: int
    stdout: bytes
    stderr: bytes


@dataclass
class ImageRecord:
    id: str
    repo_tags: list[str]
    size: int = 0
    user: str = ""  # the image's configured USER ("" = root), for runAsNonRoot


class RuntimeService(Protocol):
    """The kubelet's view of a container runtime (see the module docstring for the contract)."""

    def run_pod_sandbox(self, config: SandboxConfig) -> str: ...
    def stop_pod_sandbox(self, sandbox_id: str) -> None: ...
    def remove_pod_sandbox(self, sandbox_id: str) -> None: ...
    def pod_sandbox_status(self, sandbox_id: str) -> SandboxStatus: ...
    def list_pod_sandboxes(self, labels: dict[str, str] | None = None) -> list[SandboxStatus]: ...
    def create_container(self, sandbox_id: str, config: ContainerConfig) -> str: ...
    def start_container(self, container_id: str) -> None: ...
    def stop_container(self, container_id: str, timeout: int) -> None: ...
    def remove_container(self, container_id: str) -> None: ...
    def container_status(self, container_id: str) -> ContainerStatus: ...
    def list_containers(
        self, sandbox_id: str | None = None, labels: dict[str, str] | None = None
    ) -> list[ContainerStatus]: ...
    def read_logs(self, container_id: str, tail: int | None = None) -> list[tuple[str, str, bytes]]: ...
    def exec_sync(self, container_id: str, cmd: list[str], timeout: float | None = None) -> ExecResult: ...
    def exec_argv(self, container_id: str, cmd: list[str], *, tty: bool) -> list[str]: ...
    def attach_socket(self, container_id: str) -> str: ...
    def resize_tty(self, container_id: str, rows: int, cols: int) -> None: ...
    def port_forward(self, sandbox_id: str, port: int) -> socket.socket: ...
    def pull_image(self, ref: str, auth: str = "") -> str: ...
    def image_status(self, ref: str) -> ImageRecord | None: ...
    def list_images(self) -> list[ImageRecord]: ...
    def remove_image(self, ref: str) -> None: ...


SANDBOX_LABEL = "io.kubelite.sandbox.id"
NAME_LABEL = "io.kubelite.container.name"


def reason_for(exit_code: int, oom_killed: bool) -> str:
    """Kubernetes' terminated reasons."""
    if oom_killed:
        return "OOMKilled"
    return "Completed" if exit_code == 0 else "Error"


def _matches(labels: dict[str, str], wanted: dict[str, str] | None) -> bool:
    return all(labels.get(k) == v for k, v in (wanted or {}).items())


class EngineRuntime:
    """:class:`RuntimeService` on the real engine (runc + conmon + bridge networking)."""

    def __init__(self, engine: Engine, *, puller: Callable[..., None] | None = None) -> None:
        self.engine = engine
        self.puller = puller

    @classmethod
    def open(
        cls, root: str, *, images: ImageSource | None = None, puller: Callable[..., None] | None = None
    ) -> EngineRuntime:
        from kubelite.runtime.lifecycle import Engine

        return cls(Engine(root, images=images), puller=puller)

    # --- sandboxes ---------------------------------------------------------------------------------

    def run_pod_sandbox(self, config: SandboxConfig) -> str:
        from kubelite.runtime.containers import PortBinding
        from kubelite.runtime.sandbox import create_sandbox

        labels = dict(config.labels) | {
            "io.kubernetes.pod.name": config.name,
            "io.kubernetes.pod.namespace": config.namespace,
            "io.kubernetes.pod.uid": config.uid,
        }
        sb = create_sandbox(
            self.engine,
            name=f"{config.namespace}_{config.name}_{config.attempt}",
            hostname=config.hostname or config.name[:63],
            network=config.network,
            labels=labels,
            annotations=config.annotations,
            resolv_conf=config.resolv_conf,
            port_mappings=[
                PortBinding(m.host_ip, m.host_port, m.container_port, m.protocol.lower())
                for m in config.port_mappings
                if m.host_port
            ],
        )
        return sb.id

    def _sandbox_containers(self, sandbox_id: str) -> list[Container]:
        return [c for c in self.engine.containers(all_containers=True) if c.host_config.sandbox == sandbox_id]

    def stop_pod_sandbox(self, sandbox_id: str) -> None:
        from kubelite.runtime.sandbox import NOTREADY, SandboxStore

        store = SandboxStore(self.engine.root)
        sb = store.load(sandbox_id)
        for ctr in self._sandbox_containers(sandbox_id):
            self.engine.stop(ctr.id, 0)
        sb.state = NOTREADY
        store.save(sb)
        if sb.port_mappings:  # a pod that is not ready keeps no hostPort
            from kubelite.runtime.publishing import publish

            with self.engine.store.lock():
                publish(self.engine)

    def remove_pod_sandbox(self, sandbox_id: str) -> None:
        from kubelite.runtime.sandbox import SandboxStore, remove_sandbox

        try:
            SandboxStore(self.engine.root).load(sandbox_id)
        except NotFound:
            return
        for ctr in self._sandbox_containers(sandbox_id):
            self.engine.remove(ctr.id, force=True)
        remove_sandbox(self.engine, sandbox_id)

    def pod_sandbox_status(self, sandbox_id: str) -> SandboxStatus:
        from kubelite.runtime.sandbox import SandboxStore

        sb = SandboxStore(self.engine.root).load(sandbox_id)
        return SandboxStatus(
            id=sb.id,
            name=sb.labels.get("io.kubernetes.pod.name", sb.name),
            namespace=sb.labels.get("io.kubernetes.pod.namespace", ""),
            uid=sb.labels.get("io.kubernetes.pod.uid", ""),
            state=sb.state,
            ip=sb.ip,
            created=sb.created,
            labels=dict(sb.labels),
            annotations=dict(sb.annotations),
        )

    def list_pod_sandboxes(self, labels: dict[str, str] | None = None) -> list[SandboxStatus]:
        from kubelite.runtime.sandbox import SandboxStore

        out = [self.pod_sandbox_status(sb.id) for sb in SandboxStore(self.engine.root).all()]
        return [s for s in out if _matches(s.labels, labels)]

    # --- containers --------------------------------------------------------------------------------

    def create_container(self, sandbox_id: str, config: ContainerConfig) -> str:
        from kubelite.runtime.lifecycle import CreateRequest

        sb = self.pod_sandbox_status(sandbox_id)
        if sb.state != SANDBOX_READY:
            raise InvalidArgument(f"pod sandbox {sandbox_id[:12]} is not ready")
        labels = dict(config.labels) | {SANDBOX_LABEL: sandbox_id, NAME_LABEL: config.name}
        labels |= {f"annotation.{k}": v for k, v in config.annotations.items()}
        name = f"k8s_{config.name}_{sb.name}_{sb.namespace}_{sb.uid or sandbox_id[:12]}_{config.attempt}"
        req = CreateRequest(
            image=config.image,
            command=list(config.args),
            entrypoint=list(config.command) or None,
            name=name,
            env=[f"{k}={v}" for k, v in config.env.items()],
            volumes=[f"{m.host_path}:{m.container_path}:{'ro' if m.readonly else 'rw'}" for m in config.mounts],
            workdir=config.working_dir,
            user=config.user,
            network="sandbox",
            memory=config.memory,
            cpus=config.cpus,
            cpu_shares=config.cpu_shares,
            pids_limit=config.pids_limit,
            readonly_rootfs=config.readonly_rootfs,
            no_new_privileges=config.no_new_privileges,
            cap_add=list(config.cap_add),
            cap_drop=list(config.cap_drop),
            privileged=config.privileged,
            tty=config.tty,
            stdin=config.stdin,
            stdin_once=config.stdin_once,
            labels=labels,
            sandbox=sandbox_id,
        )
        return self.engine.create(req).id

    def start_container(self, container_id: str) -> None:
        self.engine.start(container_id)

    def stop_container(self, container_id: str, timeout: int) -> None:
        self.engine.stop(container_id, timeout)

    def remove_container(self, container_id: str) -> None:
        with contextlib.suppress(NotFound):
            self.engine.remove(container_id, force=True)

    def _status(self, ctr: Container) -> ContainerStatus:
        from kubelite.runtime import containers as c

        state = {c.CREATED: CONTAINER_CREATED, c.RUNNING: CONTAINER_RUNNING, c.EXITED: CONTAINER_EXITED}.get(
            ctr.state.status, CONTAINER_UNKNOWN
        )
        labels = {k: v for k, v in ctr.config.labels.items() if not k.startswith("annotation.")}
        annotations = {
            k.removeprefix("annotation."): v for k, v in ctr.config.labels.items() if k.startswith("annotation.")
        }
        return ContainerStatus(
            id=ctr.id,
            sandbox_id=ctr.host_config.sandbox,
            name=labels.get(NAME_LABEL, ctr.name),
            image=ctr.config.image,
            image_id=ctr.config.image_id,
            state=state,
            created=ctr.created,
            started_at=ctr.state.started_at,
            finished_at=ctr.state.finished_at,
            exit_code=ctr.state.exit_code,
            reason=reason_for(ctr.state.exit_code, ctr.state.oom_killed) if state == CONTAINER_EXITED else "",
            message=ctr.state.error,
            labels=labels,
            annotations=annotations,
            log_path=self.engine.paths(ctr.id).log,
            pid=ctr.state.pid,
        )

    def container_status(self, container_id: str) -> ContainerStatus:
        return self._status(self.engine.get(container_id))

    def list_containers(
        self, sandbox_id: str | None = None, labels: dict[str, str] | None = None
    ) -> list[ContainerStatus]:
        out = []
        for ctr in self.engine.containers(all_containers=True):
            if not ctr.host_config.sandbox or (sandbox_id and ctr.host_config.sandbox != sandbox_id):
                continue
            status = self._status(ctr)
            if _matches(status.labels, labels):
                out.append(status)
        return out

    def read_logs(self, container_id: str, tail: int | None = None) -> list[tuple[str, str, bytes]]:
        from kubelite.runtime.monitor import read_log

        ctr = self.engine.get(container_id)
        lines, _ = read_log(self.engine.paths(ctr.id).log, tail=tail)
        return [(line.time, line.stream, line.text) for line in lines]

    def exec_sync(self, container_id: str, cmd: list[str], timeout: float | None = None) -> ExecResult:
        from kubelite.runtime.execs import exec_capture

        code, out, err = exec_capture(self.engine, container_id, cmd, timeout=timeout)
        return ExecResult(code, out, err)

    def exec_argv(self, container_id: str, cmd: list[str], *, tty: bool) -> list[str]:
        """argv of ``runc exec`` (its process file lives in the container's directory until removal)."""
        from kubelite.runtime.execs import prepare_exec

        argv, _cleanup = prepare_exec(self.engine, container_id, cmd, env=[], user="", cwd="", tty=tty)
        return argv

    def attach_socket(self, container_id: str) -> str:
        ctr = self.engine.get(container_id)
        if ctr.state.status != "running":
            raise InvalidState(f"container {ctr.id[:12]} is not running")
        return self.engine.paths(ctr.id).attach_socket

    def resize_tty(self, container_id: str, rows: int, cols: int) -> None:
        from kubelite.runtime.attach import send_resize

        ctr = self.engine.get(container_id)
        send_resize(self.engine.store.path(ctr.id, "ctl"), rows, cols)

    def port_forward(self, sandbox_id: str, port: int) -> socket.socket:
        from kubelite.runtime.netns import connect_in
        from kubelite.runtime.sandbox import READY, SandboxStore

        sb = SandboxStore(self.engine.root).load(sandbox_id)
        if sb.state != READY:
            raise InvalidArgument(f"pod sandbox {sandbox_id[:12]} is not ready")
        return connect_in(sb.netns, port)

    # --- images ------------------------------------------------------------------------------------

    def pull_image(self, ref: str, auth: str = "") -> str:
        """``auth``: credentials for this pull only, a Docker config document (``{"auths": {...}}``, what
        a pod's imagePullSecrets hold); the puller's own credentials are used without."""
        try:
            return self.engine.images.resolve(ref).id
        except NotFound:
            if self.puller is None:
                raise
        if auth:
            self.puller(ref, auth)
        else:
            self.puller(ref)
        return self.engine.images.resolve(ref).id

    def image_status(self, ref: str) -> ImageRecord | None:
        try:
            info = self.engine.images.resolve(ref)
        except NotFound:
            return None
        return ImageRecord(
            id=info.id,
            repo_tags=list(info.repo_tags),
            size=int(getattr(info.raw, "size", 0) or 0),
            user=str(info.config.get("User") or ""),
        )

    def list_images(self) -> list[ImageRecord]:
        return [
            ImageRecord(id=i.id, repo_tags=list(i.repo_tags), size=int(getattr(i.raw, "size", 0) or 0))
            for i in self.engine.images.list_images()
        ]

    def remove_image(self, ref: str) -> None:
        with contextlib.suppress(NotFound):
            self.engine.images.remove_image(ref)
