"""An in-memory :class:`~kubelite.runtime.cri.RuntimeService` that passes the same conformance suite as
the real engine (``kubelite.testing.runtime_conformance``), for kubelet tests without root or runc.

Processes are modelled, not run. A container's command is interpreted by a tiny shell that covers what
tests use: ``echo`` (with ``$VAR`` expansion and ``>&2``), ``exit N``, ``true``, ``false``, ``hostname``,
``cat /etc/hostname``, ``cat /etc/resolv.conf`` (the pod's, or the host's) and ``sleep`` (a ``sleep``
blocks: the container stays running until stopped, since fake time does not pass), as a bare argv or
inside ``sh -c "a; b; c"``. Anything else is an executable that does not exist: starting it fails as
runc's ``exec`` would. Logs are written in the CRI format to a real file (``log_path``), so log readers
are exercised as with the engine. Nothing listens in a sandbox unless a test models a server with
:meth:`FakeRuntime.serve_port`; :meth:`FakeRuntime.port_forward` then connects to the real address given.

Stop semantics follow the real engine for the commands above: a blocked ``sleep`` as PID 1 ignores
SIGTERM, so ``stop_container`` ends it with SIGKILL: exit code 137.
"""

from __future__ import annotations

import os
import secrets
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubelite.runtime.container_errors import InvalidArgument, InvalidState, NotFound, RuntimeFailure
from kubelite.runtime.cri import (
    CONTAINER_CREATED,
    CONTAINER_EXITED,
    CONTAINER_RUNNING,
    SANDBOX_NOTREADY,
    SANDBOX_READY,
    ContainerConfig,
    ContainerStatus,
    ExecResult,
    ImageRecord,
    SandboxConfig,
    SandboxStatus,
    reason_for,
)
from kubelite.runtime.monitor import read_log, rfc3339

BLOCK = -1000  # the interpreter's "still running" result


@dataclass
class _Sandbox:
    status: SandboxStatus
    hostname: str
    resolv_conf: str = ""


@dataclass
class _Container:
    status: ContainerStatus
    argv: list[str]
    env: dict[str, str]
    hostname: str
    stopped_by: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _split(script: str) -> list[str]:
    return [part.strip() for part in script.replace("&&", ";").replace("\n", ";").split(";") if part.strip()]


def interpret(
    argv: list[str], env: dict[str, str], hostname: str, files: dict[str, str] | None = None
) -> tuple[int, list[tuple[str, bytes]]]:
    """Run ``argv`` in the model; returns (exit code or BLOCK, [(stream, line)]). Raises RuntimeFailure
    for an executable that does not exist."""
    in_shell = len(argv) >= 3 and os.path.basename(argv[0]) == "sh" and argv[1] == "-c"
    statements = [s.split() for s in _split(argv[2])] if in_shell else [list(argv)]
    out: list[tuple[str, bytes]] = []
    status = 0
    for words in statements:
        if not words:
            continue
        cmd = os.path.basename(words[0])
        if cmd == "echo":
            stream = "stdout"
            rest = words[1:]
            if rest and rest[-1] == ">&2":
                stream, rest = "stderr", rest[:-1]
            text = " ".join(env.get(w[1:], "") if w.startswith("$") else w for w in rest)
            out.append((stream, text.encode()))
            status = 0
        elif cmd == "exit":
            return (int(words[1]) if len(words) > 1 else status), out
        elif cmd == "true":
            status = 0
        elif cmd == "false":
            status = 1
        elif cmd == "hostname" or words == ["cat", "/etc/hostname"]:
            out.append(("stdout", hostname.encode()))
        elif cmd == "cat" and len(words) == 2 and words[1] in (files or {}):
            out += [("stdout", line.encode()) for line in (files or {})[words[1]].splitlines()]
            status = 0
            status = 0
        elif cmd == "sleep":
            return BLOCK, out
        elif in_shell:
            out.append(("stderr", f"sh: {cmd}: not found".encode()))
            status = 127
        else:
            raise RuntimeFailure(f'exec: "{cmd}": executable file not found in $PATH')
    return status, out


class FakeRuntime:
    """The verified fake. ``images`` maps reference -> Docker-style config (Entrypoint, Cmd, Env...)."""

    def __init__(
        self,
        images: dict[str, dict[str, Any]] | None = None,
        *,
        log_dir: str | None = None,
        puller: Callable[[str], None] | None = None,
        clock: Callable[[], str] = rfc3339,
    ) -> None:
        self.images: dict[str, dict[str, Any]] = {}
        for ref, cfg in (images or {}).items():
            self.add_image(ref, cfg)
        self.log_dir = log_dir or tempfile.mkdtemp(prefix="kubelite-fake-runtime-")
        self.puller = puller
        self.pull_auths: dict[str, str] = {}
        self.clock = clock
        self.sandboxes: dict[str, _Sandbox] = {}
        self.containers: dict[str, _Container] = {}
        self._next_ip = 2
        self.ports: dict[tuple[str, int], tuple[str, int]] = {}  # (sandbox, port) -> real address (serve_port)

    # --- images ------------------------------------------------------------------------------------

    @staticmethod
    def _norm(ref: str) -> str:
        if not ref or ref != ref.strip() or ref != ref.lower():
            raise InvalidArgument(f"invalid reference format: {ref!r}")
        return ref if ":" in ref.rsplit("/", 1)[-1] else ref + ":latest"

    def add_image(self, ref: str, config: dict[str, Any]) -> None:
        self.images[self._norm(ref)] = dict(config)

    def _image(self, ref: str) -> dict[str, Any]:
        key = self._norm(ref)
        if key not in self.images:
            raise NotFound(f"Unable to find image '{ref}' locally")
        return self.images[key]

    def _image_id(self, ref: str) -> str:
        import hashlib

        return "sha256:" + hashlib.sha256(self._norm(ref).encode()).hexdigest()

    def pull_image(self, ref: str, auth: str = "") -> str:
        try:
            self._image(ref)
        except NotFound:
            if self.puller is None:
                raise
            self.pull_auths[ref] = auth  # what the kubelet passed, for tests of imagePullSecrets
            self.puller(ref)
            self._image(ref)
        return self._image_id(ref)

    def image_status(self, ref: str) -> ImageRecord | None:
        try:
            self._image(ref)
        except NotFound:
            return None
        return ImageRecord(id=self._image_id(ref), repo_tags=[self._norm(ref)])

    def list_images(self) -> list[ImageRecord]:
        return [ImageRecord(id=self._image_id(r), repo_tags=[r]) for r in sorted(self.images)]

    def remove_image(self, ref: str) -> None:
        self.images.pop(self._norm(ref), None)

    # --- sandboxes ---------------------------------------------------------------------------------

    def run_pod_sandbox(self, config: SandboxConfig) -> str:
        sid = secrets.token_hex(32)
        ip = f"10.88.{self._next_ip // 250}.{self._next_ip % 250 + 2}" if config.network == "bridge" else ""
        self._next_ip += 1
        labels = dict(config.labels) | {
            "io.kubernetes.pod.name": config.name,
            "io.kubernetes.pod.namespace": config.namespace,
            "io.kubernetes.pod.uid": config.uid,
        }
        status = SandboxStatus(
            id=sid,
            name=config.name,
            namespace=config.namespace,
            uid=config.uid,
            state=SANDBOX_READY,
            ip=ip,
            created=self.clock(),
            labels=labels,
            annotations=dict(config.annotations),
        )
        hostname = config.hostname or config.name[:63]
        if config.network == "host":
            import socket

            hostname = socket.gethostname()
        resolv = config.resolv_conf
        if not resolv:
            try:
                with open("/etc/resolv.conf") as fh:
                    resolv = fh.read()
            except OSError:
                resolv = ""
        self.sandboxes[sid] = _Sandbox(status, hostname, resolv)
        return sid

    def _sandbox(self, sid: str) -> _Sandbox:
        if sid not in self.sandboxes:
            raise NotFound(f"No such pod sandbox: {sid}")
        return self.sandboxes[sid]

    def stop_pod_sandbox(self, sandbox_id: str) -> None:
        sb = self._sandbox(sandbox_id)
        for c in list(self.containers.values()):
            if c.status.sandbox_id == sandbox_id and c.status.state == CONTAINER_RUNNING:
                self.stop_container(c.status.id, 0)
        sb.status.state = SANDBOX_NOTREADY

    def remove_pod_sandbox(self, sandbox_id: str) -> None:
        if sandbox_id not in self.sandboxes:
            return
        for cid in [c.status.id for c in self.containers.values() if c.status.sandbox_id == sandbox_id]:
            self.remove_container(cid)
        del self.sandboxes[sandbox_id]

    def pod_sandbox_status(self, sandbox_id: str) -> SandboxStatus:
        return self._sandbox(sandbox_id).status

    def list_pod_sandboxes(self, labels: dict[str, str] | None = None) -> list[SandboxStatus]:
        return [
            s.status
            for s in self.sandboxes.values()
            if all(s.status.labels.get(k) == v for k, v in (labels or {}).items())
        ]

    # --- containers --------------------------------------------------------------------------------

    def create_container(self, sandbox_id: str, config: ContainerConfig) -> str:
        sb = self._sandbox(sandbox_id)
        if sb.status.state != SANDBOX_READY:
            raise InvalidArgument(f"pod sandbox {sandbox_id[:12]} is not ready")
        image = self._image(config.image)
        entrypoint = list(config.command) if config.command else list(image.get("Entrypoint") or [])
        cmd = list(config.args) if config.args else ([] if config.command else list(image.get("Cmd") or []))
        argv = entrypoint + cmd
        if not argv:
            raise InvalidArgument("no command specified (the image has no Cmd or Entrypoint)")
        env = dict(e.split("=", 1) for e in image.get("Env") or [] if "=" in e) | dict(config.env)
        cid = secrets.token_hex(32)
        status = ContainerStatus(
            id=cid,
            sandbox_id=sandbox_id,
            name=config.name,
            image=config.image,
            image_id=self._image_id(config.image),
            state=CONTAINER_CREATED,
            created=self.clock(),
            labels=dict(config.labels)
            | {"io.kubelite.sandbox.id": sandbox_id, "io.kubelite.container.name": config.name},
            annotations=dict(config.annotations),
            log_path=os.path.join(self.log_dir, f"{cid}.log"),
        )
        self.containers[cid] = _Container(status, argv, env, sb.hostname, extra={"resolv": sb.resolv_conf})
        return cid

    def _container(self, cid: str) -> _Container:
        if cid not in self.containers:
            matches = [c for k, c in self.containers.items() if k.startswith(cid)] if cid else []
            if len(matches) != 1:
                raise NotFound(f"No such container: {cid}")
            return matches[0]
        return self.containers[cid]

    def _log(self, c: _Container, lines: list[tuple[str, bytes]]) -> None:
        with open(c.status.log_path, "ab") as fh:
            for stream, text in lines:
                fh.write(f"{self.clock()} {stream} F ".encode() + text + b"\n")

    def start_container(self, container_id: str) -> None:
        c = self._container(container_id)
        if c.status.state == CONTAINER_RUNNING:
            raise InvalidState(f"container {c.status.name} is already running")
        code, lines = interpret(c.argv, c.env, c.hostname, {"/etc/resolv.conf": c.extra.get("resolv", "")})
        self._log(c, lines)
        c.status.state = CONTAINER_RUNNING
        c.status.started_at = self.clock()
        c.status.finished_at = ""
        if code != BLOCK:
            self._exit(c, code)

    def _exit(self, c: _Container, code: int) -> None:
        c.status.state = CONTAINER_EXITED
        c.status.exit_code = code
        c.status.finished_at = self.clock()
        c.status.reason = reason_for(code, False)

    def stop_container(self, container_id: str, timeout: int) -> None:
        c = self._container(container_id)
        if c.status.state == CONTAINER_RUNNING:
            self._exit(c, 137)

    def remove_container(self, container_id: str) -> None:
        try:
            c = self._container(container_id)
        except NotFound:
            return
        del self.containers[c.status.id]
        try:
            os.unlink(c.status.log_path)
        except FileNotFoundError:
            pass

    def container_status(self, container_id: str) -> ContainerStatus:
        return self._container(container_id).status

    def list_containers(
        self, sandbox_id: str | None = None, labels: dict[str, str] | None = None
    ) -> list[ContainerStatus]:
        return [
            c.status
            for c in self.containers.values()
            if (not sandbox_id or c.status.sandbox_id == sandbox_id)
            and all(c.status.labels.get(k) == v for k, v in (labels or {}).items())
        ]

    def read_logs(self, container_id: str, tail: int | None = None) -> list[tuple[str, str, bytes]]:
        c = self._container(container_id)
        lines, _ = read_log(c.status.log_path, tail=tail)
        return [(line.time, line.stream, line.text) for line in lines]

    def exec_sync(self, container_id: str, cmd: list[str], timeout: float | None = None) -> ExecResult:
        c = self._container(container_id)
        if c.status.state != CONTAINER_RUNNING:
            raise InvalidState(f"container {container_id[:12]} is not running")
        code, lines = interpret(cmd, c.env, c.hostname, {"/etc/resolv.conf": c.extra.get("resolv", "")})
        if code == BLOCK:
            code = -1  # a timed-out exec, as exec_capture reports it
        out = b"".join(text + b"\n" for stream, text in lines if stream == "stdout")
        err = b"".join(text + b"\n" for stream, text in lines if stream == "stderr")
        return ExecResult(code, out, err)

    def exec_argv(self, container_id: str, cmd: list[str], *, tty: bool) -> list[str]:
        c = self._container(container_id)
        if c.status.state != CONTAINER_RUNNING:
            raise InvalidState(f"container {container_id[:12]} is not running")
        return ["fake-exec", c.status.id, *cmd]

    def attach_socket(self, container_id: str) -> str:
        c = self._container(container_id)
        if c.status.state != CONTAINER_RUNNING:
            raise InvalidState(f"container {container_id[:12]} is not running")
        return os.path.join(self.log_dir, f"{container_id}.attach")  # nothing listens: attach fails to connect

    def resize_tty(self, container_id: str, rows: int, cols: int) -> None:
        self._container(container_id)

    def serve_port(self, sandbox_id: str, port: int, address: tuple[str, int]) -> None:
        """Model a server on ``port`` of the sandbox's loopback: :meth:`port_forward` connects to the real
        ``address`` instead (a server the test runs on the host)."""
        self._sandbox(sandbox_id)
        self.ports[(sandbox_id, port)] = address

    def port_forward(self, sandbox_id: str, port: int) -> socket.socket:
        sb = self._sandbox(sandbox_id)
        if sb.status.state != SANDBOX_READY:
            raise InvalidArgument(f"pod sandbox {sandbox_id[:12]} is not ready")
        target = self.ports.get((sandbox_id, port))
        if target is None:
            raise RuntimeFailure(f"dial tcp4 127.0.0.1:{port}: connect: connection refused")
        try:
            return socket.create_connection(target, timeout=10)
        except OSError as err:
            raise RuntimeFailure(f"dial tcp4 127.0.0.1:{port}: connect: {(err.strerror or str(err)).lower()}") from None
