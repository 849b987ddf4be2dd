"""The per-container monitor: Debian's conmon, started once per container, outliving the CLI.

Why conmon: it is the process that must stay alive for the container's whole life (holding its stdio,
writing the log, reaping it, recording the exit code), so it must cost almost nothing; conmon is ~0.4 MiB
PSS against ~7.5 MiB for an idle Python process.

Protocol used here (conmon 2.1, as podman drives it):

* started with ``_OCI_SYNCPIPE=<fd>``; the first process exits at once after forking the monitor
  (unless ``--sync``), the monitor runs ``runc create`` and writes ``{"data": <pid>}`` (the container's
  pid, or a negative number and ``"message"`` on failure) to the sync pipe;
* the caller then runs ``runc start``; conmon copies the container's stdout/stderr into the log in the
  CRI format (``<RFC3339Nano> stdout|stderr F|P <text>``);
* when the container exits conmon writes the exit code to ``<exit-dir>/<id>`` and, if the kernel's OOM
  killer hit the container's cgroup, an ``oom`` file in the persist dir (``-0``, the bundle here);
* ``--full-attach`` puts the attach socket (SOCK_SEQPACKET) at ``<bundle>/attach``.

The functions here are the edges (process spawn, files); the CRI log parsing is pure.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

from kubelite.runtime.container_errors import RuntimeFailure

CONMON = "conmon"


def conmon_binary() -> str:
    from kubelite.runtime.tools import which

    found = which(CONMON)
    if not found:
        raise RuntimeFailure("conmon not found: install it (apt-get install conmon)")
    return found


@dataclass(frozen=True)
class MonitorPaths:
    """Where conmon keeps one container's files (all inside the bundle directory)."""

    bundle: str
    cid: str

    @property
    def log(self) -> str:
        return os.path.join(self.bundle, "ctr.log")

    @property
    def exit_dir(self) -> str:
        # Not "exit": conmon writes a file of that name into the persist dir (the bundle).
        return os.path.join(self.bundle, "exits")

    @property
    def exit_file(self) -> str:
        return os.path.join(self.exit_dir, self.cid)

    @property
    def oom_file(self) -> str:
        return os.path.join(self.bundle, "oom")

    @property
    def pid_file(self) -> str:
        return os.path.join(self.bundle, "pidfile")

    @property
    def conmon_pid_file(self) -> str:
        return os.path.join(self.bundle, "conmon.pid")

    @property
    def attach_socket(self) -> str:
        return os.path.join(self.bundle, "attach")


@dataclass(frozen=True)
class Started:
    pid: int
    conmon_pid: int
    conmon_process: subprocess.Popen[bytes] | None  # set with sync=True: the caller may wait on it


def conmon_argv(
    paths: MonitorPaths,
    *,
    name: str,
    runc: str,
    runc_root: str,
    stdin: bool,
    tty: bool,
    sync: bool,
    exit_command: list[str] | None = None,
    leave_stdin_open: bool = False,
) -> list[str]:
    """The conmon command line (pure, so its shape is unit-tested)."""
    argv = [
        conmon_binary(),
        "--api-version",
        "1",
        "-c",
        paths.cid,
        "-u",
        paths.cid,
        "-n",
        name,
        "-r",
        runc,
        "-b",
        paths.bundle,
        "-p",
        paths.pid_file,
        "-P",
        paths.conmon_pid_file,
        "-l",
        f"k8s-file:{paths.log}",
        "--exit-dir",
        paths.exit_dir,
        "-0",
        paths.bundle,
        "--socket-dir-path",
        paths.bundle,
        "--full-attach",
        "--log-level",
        "error",
        "--runtime-arg",
        "--root",
        "--runtime-arg",
        runc_root,
    ]
    if stdin:
        argv.append("-i")
        if leave_stdin_open:
            # Kubernetes' stdinOnce=false: an attach client leaving does not close the container's stdin.
            argv.append("--leave-stdin-open")
    if tty:
        argv.append("-t")
    if sync:
        argv.append("--sync")
    if exit_command:
        # Run by conmon once the container has exited (podman's way to honour --rm when detached).
        argv += ["--exit-command", exit_command[0]]
        for arg in exit_command[1:]:
            argv += ["--exit-command-arg", arg]
    return argv


def start_monitor(
    paths: MonitorPaths,
    *,
    name: str,
    runc: str,
    runc_root: str,
    stdin: bool = False,
    tty: bool = False,
    sync: bool = False,
    exit_command: list[str] | None = None,
    leave_stdin_open: bool = False,
) -> Started:
    """Start conmon, let it ``runc create`` the container, and return the pids once created.

    With ``sync=True`` conmon stays our child (the foreground ``run`` waits on it); otherwise it
    daemonizes and outlives the CLI. It is started in its own session either way so a Ctrl-C at the
    terminal reaches the container through us, not conmon directly.
    """
    os.makedirs(paths.exit_dir, exist_ok=True)
    for stale in (paths.exit_file, paths.oom_file):
        try:
            os.unlink(stale)
        except FileNotFoundError:
            pass
    rfd, wfd = os.pipe()
    env = {"_OCI_SYNCPIPE": str(wfd), "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")}
    errlog = os.path.join(paths.bundle, "conmon.err")
    try:
        with open(errlog, "wb") as err:
            proc = subprocess.Popen(
                conmon_argv(
                    paths,
                    name=name,
                    runc=runc,
                    runc_root=runc_root,
                    stdin=stdin,
                    tty=tty,
                    sync=sync,
                    exit_command=exit_command,
                    leave_stdin_open=leave_stdin_open,
                ),
                pass_fds=(wfd,),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
                # conmon also drops an ``oom`` file into its working directory on cgroup v1: keep it
                # in the bundle rather than wherever the caller happens to stand.
                cwd=paths.bundle,
            )
        os.close(wfd)
        wfd = -1
        if not sync:
            proc.wait()
        message = _read_sync(rfd)
    finally:
        os.close(rfd)
        if wfd >= 0:
            os.close(wfd)
    data = message.get("data", -1)
    pid = data if isinstance(data, int) else -1
    if pid <= 0:
        detail = str(message.get("message") or _tail(errlog) or "conmon exited before the container was created")
        if sync:
            proc.wait()
        raise RuntimeFailure(f"container create failed: {_strip_runc(detail)}")
    if sync:
        conmon_pid = proc.pid  # with --sync conmon does not fork, so writes no pid file
    else:
        with open(paths.conmon_pid_file) as fh:
            conmon_pid = int(fh.read().strip() or 0)
    return Started(pid=pid, conmon_pid=conmon_pid, conmon_process=proc if sync else None)


def _read_sync(fd: int) -> dict[str, object]:
    """One JSON message from the sync pipe (read until a newline or EOF, never waiting for EOF after it)."""
    buf = b""
    while b"\n" not in buf:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
    line = buf.split(b"\n", 1)[0].strip()
    if not line:
        return {}
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        return {"message": line.decode(errors="replace")}
    return data if isinstance(data, dict) else {}


def _tail(path: str) -> str:
    try:
        with open(path, errors="replace") as fh:
            lines = [line for line in fh.read().splitlines() if line.strip() and "oom_score_adj" not in line]
    except FileNotFoundError:
        return ""
    return lines[-1] if lines else ""


def _strip_runc(text: str) -> str:
    if 'msg="' in text:
        text = text.split('msg="', 1)[1].rsplit('"', 1)[0]
    return text.replace('\\"', '"').strip()


@dataclass(frozen=True)
class ExitInfo:
    code: int
    finished_at: str
    oom_killed: bool


def read_exit(paths: MonitorPaths) -> ExitInfo | None:
    """conmon's record of the exit, or ``None`` while the container has not exited."""
    try:
        with open(paths.exit_file) as fh:
            text = fh.read().strip()
        mtime = os.stat(paths.exit_file).st_mtime
    except FileNotFoundError:
        return None
    try:
        code = int(text)
    except ValueError:
        return None  # conmon writes the file in one go; a half-written one is read next time
    return ExitInfo(code=code, finished_at=rfc3339(mtime), oom_killed=os.path.exists(paths.oom_file))


def rfc3339(ts: float | None = None) -> str:
    """UTC time as RFC 3339 with nanoseconds (Docker's format), without importing datetime."""
    import time

    ns = time.time_ns() if ts is None else int(ts * 1e9)
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- the CRI log format (pure) ----------------------------------------------------------------------


@dataclass(frozen=True)
class LogLine:
    time: str
    stream: str
    partial: bool
    text: bytes


def parse_cri_line(raw: bytes) -> LogLine | None:
    """``<time> <stream> <P|F> <text>`` -> :class:`LogLine`; ``None`` for a malformed line."""
    parts = raw.rstrip(b"\n").split(b" ", 3)
    if len(parts) < 3:
        return None
    text = parts[3] if len(parts) == 4 else b""
    return LogLine(time=parts[0].decode(), stream=parts[1].decode(), partial=parts[2] == b"P", text=text)


def join_partials(lines: list[LogLine]) -> Iterator[LogLine]:
    """Merge ``P`` fragments into the ``F`` line that ends them (conmon splits long lines)."""
    pending: dict[str, list[LogLine]] = {}
    for line in lines:
        if line.partial:
            pending.setdefault(line.stream, []).append(line)
            continue
        parts = pending.pop(line.stream, [])
        if parts:
            yield LogLine(parts[0].time, line.stream, False, b"".join(p.text for p in parts) + line.text)
        else:
            yield line


def render(line: LogLine, *, timestamps: bool) -> bytes:
    """A log line as ``docker logs`` prints it (newline restored, optional timestamp prefix)."""
    body = line.text + (b"" if line.partial else b"\n")
    if not timestamps:
        return body
    # conmon writes "+00:00"; Docker prints UTC times with "Z".
    stamp = line.time[:-6] + "Z" if line.time.endswith("+00:00") else line.time
    return stamp.encode() + b" " + body


def read_log(path: str, *, tail: int | None = None) -> tuple[list[LogLine], int]:
    """All complete lines of the log (the last ``tail`` if given) and the byte offset read up to."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return [], 0
    end = data.rfind(b"\n") + 1
    parsed = [p for p in (parse_cri_line(r) for r in data[:end].split(b"\n") if r) if p is not None]
    lines = list(join_partials(parsed))
    if tail is not None and tail >= 0:
        lines = lines[-tail:] if tail else []
    return lines, end
