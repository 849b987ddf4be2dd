"""runc invocation: the OCI runtime's verbs as small typed calls, plus :func:`run_process`.

runc keeps its own state (``state.json`` per container) under ``--root``; we give it a directory inside
the engine root (``<root>/runc``) so separate engine roots never see each other's containers.

Pitfall (runtime notes): stdio handed to ``runc create``/``run`` must not be pipes that the caller reads
to EOF: the container inherits them and EOF never comes while anything in it lives. Container output
therefore goes to conmon's pipes (see :mod:`kubelite.runtime.monitor`) or, in :func:`run_process`, to a
temporary file.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from typing import Any

from kubelite.runtime.container_errors import NotFound, RuntimeFailure
from kubelite.runtime.spec import Mount, Resources, SpecOptions, User, build_spec, default_rlimits

RUNC = "runc"


def runc_binary() -> str:
    """The runc on PATH (``/usr/sbin`` included, since sudo-less root shells may lack it)."""
    from kubelite.runtime.tools import which

    found = which(RUNC)
    if not found:
        raise RuntimeFailure("runc not found: install it (apt-get install runc)")
    return found


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return "(no output)"
    line = lines[-1]
    # runc logs as logrus text: time="..." level=error msg="..."; keep just the message.
    if 'msg="' in line:
        line = line.split('msg="', 1)[1].rsplit('"', 1)[0]
    return line


@dataclass
class Runc:
    """One runc state root. Every method is one runc invocation."""

    state_root: str
    binary: str = field(default_factory=runc_binary)

    def argv(self, *args: str) -> list[str]:
        return [self.binary, "--root", self.state_root, *args]

    def _call(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(self.argv(*args), check=False, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise RuntimeFailure(f"runc {args[0]}: {_last_line(proc.stderr or proc.stdout)}")
        return proc

    def start(self, cid: str) -> None:
        self._call("start", cid)

    def kill(self, cid: str, signal: str | int = "TERM", *, all_processes: bool = False) -> None:
        args = ["kill"] + (["--all"] if all_processes else []) + [cid, str(signal)]
        proc = self._call(*args, check=False)
        if proc.returncode != 0:
            msg = _last_line(proc.stderr)
            if "does not exist" in msg:
                raise NotFound(f"runc: container {cid} does not exist")
            if "not running" in msg or "process already finished" in msg:
                return
            raise RuntimeFailure(f"runc kill: {msg}")

    def delete(self, cid: str, *, force: bool = False) -> None:
        proc = self._call("delete", *(["--force"] if force else []), cid, check=False)
        if proc.returncode != 0 and "does not exist" not in proc.stderr:
            raise RuntimeFailure(f"runc delete: {_last_line(proc.stderr)}")

    def state(self, cid: str) -> dict[str, Any] | None:
        """runc's view (``status``: created/running/stopped/paused, ``pid``), ``None`` if unknown."""
        proc = self._call("state", cid, check=False)
        if proc.returncode != 0:
            return None
        result: dict[str, Any] = json.loads(proc.stdout)
        return result

    def exec_argv(
        self, cid: str, process_json: str, *, tty: bool, detach: bool = False, pid_file: str | None = None
    ) -> list[str]:
        """argv of ``runc exec`` for a process spec file; run by the caller with its own stdio."""
        args = ["exec", "--process", process_json]
        if tty:
            args.append("--tty")
        if detach:
            args.append("--detach")
        if pid_file:
            args += ["--pid-file", pid_file]
        return self.argv(*args, cid)


def write_bundle(bundle: str, spec: dict[str, Any]) -> str:
    """Write ``config.json`` into ``bundle`` (created if needed); returns its path."""
    os.makedirs(bundle, exist_ok=True)
    path = os.path.join(bundle, "config.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(json.dumps(spec))  # dumps: the C encoder, ~10x faster than dump() on a seccomp spec
    os.replace(tmp, path)
    return path


@dataclass
class ProcessResult:
    exit_code: int
    output: bytes


def run_process(
    rootfs: str,
    args: list[str],
    *,
    env: list[str] | None = None,
    cwd: str = "/",
    user: User | None = None,
    mounts: list[Mount] | None = None,
    state_root: str,
    hostname: str = "",
    network: str = "host",
    resources: Resources | None = None,
    stdin: bytes | None = None,
    seccomp: dict[str, Any] | None = None,
) -> ProcessResult:
    """Run one process to completion in ``rootfs`` and return its exit code and combined output.

    Made for the builder (Dockerfile ``RUN``) and for tests: a throwaway bundle beside a fresh id,
    ``runc run`` in the foreground, output captured through a temporary *file* (never a pipe, see the
    module docstring). ``network="host"`` shares the host's network namespace so package installs work;
    ``"none"`` gives a private namespace with only loopback.
    """
    import tempfile

    state = Runc(state_root)
    cid = "run-" + os.urandom(6).hex()
    namespaces: dict[str, str | None] = {"pid": None, "ipc": None, "uts": None, "mount": None}
    if network != "host":
        namespaces["network"] = None
    opts = SpecOptions(
        args=list(args),
        rootfs=os.path.abspath(rootfs),
        env=list(env or []),
        cwd=cwd,
        user=user or User(),
        hostname=hostname,
        mounts=list(mounts or []),
        namespaces=namespaces,
        seccomp=seccomp,
        resources=resources or Resources(),
        rlimits=default_rlimits(),
    )
    with (
        tempfile.TemporaryDirectory(prefix="kubelite-run-") as bundle,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as stdin_file,
    ):
        write_bundle(bundle, build_spec(opts))
        stdin_file.write(stdin or b"")
        stdin_file.seek(0)
        try:
            proc = subprocess.run(
                state.argv("run", "--bundle", bundle, cid),
                check=False,
                stdin=stdin_file,
                stdout=out,
                stderr=out,
            )
        finally:
            state.delete(cid, force=True)
        out.seek(0)
        return ProcessResult(proc.returncode, out.read())
