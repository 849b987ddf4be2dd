"""Foreground ``run --rm`` without conmon: ``runc run`` with the CLI itself as the container's monitor.

A container run in the foreground and removed when it ends has nobody to read its log afterwards, so
the monitor's two jobs that matter after the CLI is gone (keeping the log, recording the exit for later
readers) have no reader. For that case the CLI runs ``runc run`` directly, handing it its own
stdout/stderr (a terminal or whatever the caller gave; never a pipe *we* read), and records the exit
itself. This saves conmon, ``runc start`` and ``runc delete``: one runc process instead of three, which
is most of the distance to raw ``runc run`` (see bench/engine.py).

What stays the same: the record (``ps`` shows it running, ``exec``/``stop``/``kill`` from another CLI
work through runc, and ``wait`` waits on the CLI, which is the monitor: its pid is the record's
``conmon_pid``), the exit file, OOM reporting (with ``--memory`` the container is kept until its cgroup
was read), the removal. What differs: no log file and no attach socket for such a container; if the CLI
is killed, the container runs on and is reported "monitor lost" when it ends, and ``system prune``
removes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
from typing import TYPE_CHECKING

from kubelite.runtime import containers as ctrs
from kubelite.runtime.container_errors import InvalidState, RuntimeFailure
from kubelite.runtime.monitor import rfc3339

if TYPE_CHECKING:
    from kubelite.runtime.lifecycle import Engine


def _runc_error(log_path: str) -> str:
    """The last error runc logged (``--log-format json``), or "" when it logged none."""
    import json

    try:
        with open(log_path) as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        return ""
    for line in reversed(lines):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("level") in ("error", "fatal"):
            return str(entry.get("msg", "")).strip()
    return ""


def run_direct(engine: Engine, cid: str) -> int:
    """Run the created container ``cid`` to completion in the foreground; returns its exit code."""
    with engine.store.lock():
        ctr = engine.store.load(cid)
        if ctr.state.status != ctrs.CREATED:
            raise InvalidState(f"cannot start container {ctr.name}: it is {ctr.state.status}")
        engine.check_ports(ctr)
        if ctr.host_config.port_bindings:
            engine.publish(extra=ctr)
        ctr.state = ctrs.transition(ctr.state, "started", pid=0, conmon_pid=os.getpid(), started_at=rfc3339())
        engine.store.save(ctr)
    paths = engine.paths(cid)
    os.makedirs(paths.exit_dir, exist_ok=True)
    runc_log = os.path.join(paths.bundle, "runc.log")
    keep = bool(ctr.host_config.memory)  # keep the cgroup until its OOM counter is read
    argv = [
        engine.runc.binary,
        "--root",
        engine.runc.state_root,
        "--log",
        runc_log,
        "--log-format",
        "json",
        "run",
        *(["--keep"] if keep else []),
        "--bundle",
        paths.bundle,
        cid,
    ]
    # runc forwards the signals it receives to the container; a terminal's Ctrl-C reaches runc through
    # the process group, so we only relay what is sent to us alone.
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)

    def relay(signum: int, _frame: object) -> None:
        proc.send_signal(signum)

    old = {s: signal.signal(s, relay) for s in (signal.SIGTERM, signal.SIGHUP)}
    old[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code = proc.wait()
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    if code < 0:
        code = 128 - code
    failure = _runc_error(runc_log)
    oom = keep and engine.oom_counted(ctr)
    if oom:
        with open(paths.oom_file, "w"):
            pass
    tmp = paths.exit_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(str(code))
    os.replace(tmp, paths.exit_file)
    engine.refresh(engine.store.load(cid))
    if failure and not oom:
        raise RuntimeFailure(f"container start failed: {failure}")
    return code
