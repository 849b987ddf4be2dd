"""Helpers for tests that drive the real container engine: run attached and collect output, free ports,
waiting on a condition with a deadline (never a bare sleep)."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from kubelite.runtime.attach import STDERR_PIPE, relay
from kubelite.runtime.lifecycle import CreateRequest, Engine
from kubelite.runtime.network.ipam import DEFAULT_TABLE, NetConf


def run_attached(engine: Engine, req: CreateRequest) -> tuple[int, bytes, bytes, str]:
    """Create, start attached, collect stdout/stderr until exit; returns (code, out, err, id)."""
    ctr = engine.create(req)
    out: list[bytes] = []
    err: list[bytes] = []
    _, started = engine.start(ctr.id, sync=True, attach=True)
    assert started.attach_socket is not None and started.conmon_process is not None
    relay(
        started.attach_socket,
        stdin_fd=None,
        out=lambda stream, data: (err if stream == STDERR_PIPE else out).append(data),
    )
    started.attach_socket.close()
    started.conmon_process.wait(timeout=60)
    final = engine.get(ctr.id)
    return final.state.exit_code, b"".join(out), b"".join(err), ctr.id


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(check: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> object:
    """Poll ``check`` until it returns a truthy value or raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except OSError as err:
            last = err
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def unique_net() -> NetConf:
    """A bridge, subnet and nft table of its own for one test engine (random names: no collisions)."""
    tag = secrets.token_hex(3)
    return NetConf(
        bridge=f"klt{tag}",
        subnet=f"10.{200 + secrets.randbelow(50)}.{secrets.randbelow(250)}.0/24",
        table=f"kubelite_t{tag}",
    )


def new_engine_root(prefix: str) -> tuple[str, NetConf]:
    """A fresh engine root in /tmp with a bridge, subnet and nft table of its own (``unique_net``), so a
    test's engine never meets the host's or another test's; pair it with :func:`teardown_engine`."""
    root = tempfile.mkdtemp(prefix=prefix)
    net = unique_net()
    os.makedirs(os.path.join(root, "network"))
    with open(os.path.join(root, "network", "config.json"), "w") as fh:
        json.dump({"bridge": net.bridge, "subnet": net.subnet, "table": net.table}, fh)
    return root, net


def teardown_engine(engine: Engine, root: str) -> None:
    """Remove every container, sandbox, the bridge, the nft table, mounts and the root, whatever state."""
    from kubelite.runtime.network import bridge
    from kubelite.runtime.sandbox import SandboxStore, remove_sandbox

    for ctr in list(engine.store.all()):
        try:
            engine.remove(ctr.id, force=True)
        except Exception:
            engine._reap(ctr)
    for sb in SandboxStore(engine.root).all():
        remove_sandbox(engine, sb.id)
    bridge.remove_bridge(engine.kernel, engine.net)
    # An agent on this engine programs a service-proxy table of its own (removed when it stops
    # gracefully; a killed agent leaves it behind).
    from kubelite.daemons.agent_proxy import proxy_table_for, userspace_link_for

    if engine.net.table != DEFAULT_TABLE:
        subprocess.run(["nft", "delete", "table", "ip", proxy_table_for(engine.net.table)], check=False,
                       capture_output=True)
        subprocess.run(["ip", "link", "del", userspace_link_for(engine.net)], check=False, capture_output=True)
    reap_leftover_containers(root)
    # Whatever is still mounted below the root (a rootfs whose release failed), deepest first.
    prefix = os.path.abspath(root) + "/"
    with open("/proc/mounts") as fh:
        targets = [line.split()[1] for line in fh if line.split()[1].startswith(prefix)]
    for target in sorted(targets, key=len, reverse=True):
        subprocess.run(["umount", "-l", target], check=False, capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


def reap_leftover_containers(root: str) -> None:
    """The last safety net of a teardown: kill any container whose conmon still names this root after the
    store-driven removal (seen about once in ten runs of the cluster e2e tests: a container whose record
    the store could not read, left running when the root was deleted), remove its cgroups, and say so on
    stderr so the leak stays visible rather than silently fixed."""
    prefix = (os.path.abspath(root) + "/containers/").encode()
    for proc in os.listdir("/proc"):
        if not proc.isdigit():
            continue
        try:
            with open(f"/proc/{proc}/cmdline", "rb") as fh:
                args = fh.read().split(b"\0")
        except OSError:
            continue
        if not args[0].endswith(b"conmon") or not any(a.startswith(prefix) for a in args):
            continue
        ctr = args[args.index(b"-c") + 1].decode() if b"-c" in args else ""
        print(f"teardown: container {ctr} of {root} outlived the engine's removal; killing it", file=sys.stderr)
        children = subprocess.run(["pgrep", "-P", proc], capture_output=True, text=True, check=False).stdout.split()
        for pid in [*children, proc]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        # A cgroup can be removed once its processes are gone.
        with contextlib.suppress(AssertionError):
            wait_for(lambda pids=children: not any(os.path.exists(f"/proc/{c}") for c in pids), 10.0,  # type: ignore[misc]
                     "the processes gone")
        for cgroup in glob.glob(f"/sys/fs/cgroup/*/kubelite/{ctr}") if ctr else []:
            with contextlib.suppress(OSError):
                os.rmdir(cgroup)
