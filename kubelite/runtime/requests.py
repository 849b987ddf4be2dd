"""What a container is asked to be, parsed and typed: Docker's ``run`` flags as a :class:`CreateRequest`,
plus the small pure helpers that read them (env merging, ``-v`` specs, signal names) and the pidfd wait.
"""

from __future__ import annotations

import os
import select
import signal as signals
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kubelite.runtime.container_errors import InvalidArgument
from kubelite.runtime.containers import PortBinding
from kubelite.runtime.monitor import pid_alive

if TYPE_CHECKING:
    import socket
    import subprocess


@dataclass
class CreateRequest:
    """A container to create: Docker's ``run`` flags, parsed and typed."""

    image: str
    command: list[str] = field(default_factory=list)  # replaces the image's Cmd when given
    entrypoint: list[str] | None = None  # replaces the image's Entrypoint when given
    name: str = ""
    env: list[str] = field(default_factory=list)
    publish: list[PortBinding] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)  # SRC:DST[:ro|rw]
    workdir: str = ""
    user: str = ""
    hostname: str = ""
    network: str = "bridge"  # bridge | host | none
    memory: int = 0
    cpus: float = 0.0
    cpu_shares: int = 0
    pids_limit: int = 0
    tty: bool = False
    stdin: bool = False
    stdin_once: bool = True  # False keeps stdin open across attach sessions (Kubernetes' default)
    auto_remove: bool = False
    no_new_privileges: bool = False
    readonly_rootfs: bool = False
    cap_add: list[str] = field(default_factory=list)  # CAP_X names (or ALL) added to Docker's default set
    cap_drop: list[str] = field(default_factory=list)  # CAP_X names (or ALL) removed from it
    privileged: bool = False  # every capability, no seccomp, /proc and /sys unmasked
    labels: dict[str, str] = field(default_factory=dict)
    sandbox: str = ""  # join this pod sandbox's namespaces


@dataclass
class StartResult:
    pid: int
    conmon_pid: int
    conmon_process: subprocess.Popen[bytes] | None = None
    attach_socket: socket.socket | None = None


def signal_number(name: str) -> int:
    text = name.strip().upper()
    if text.isdigit():
        return int(text)
    if not text.startswith("SIG"):
        text = "SIG" + text
    try:
        return int(signals.Signals[text])
    except KeyError:
        raise InvalidArgument(f"invalid signal: {name}") from None


def signal_name(name: str) -> str:
    """Normalise ``TERM``/``15``/``SIGTERM`` to ``SIGTERM`` (raises InvalidArgument)."""
    return signals.Signals(signal_number(name)).name


def wait_pid_exit(pid: int, timeout: float | None) -> bool:
    """Wait (without polling) until ``pid`` exits; True if it did within ``timeout`` seconds."""
    if not pid_alive(pid):
        return True
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(fd)


def merge_env(base: list[str], overrides: list[str]) -> list[str]:
    """Image env then user env, later keys replacing earlier ones, order kept (Docker's rule)."""
    out: dict[str, str] = {}
    for item in base + overrides:
        key, sep, value = item.partition("=")
        if not key:
            raise InvalidArgument(f"invalid environment variable: {item!r}")
        out[key] = f"{key}={value}" if sep else item
    return list(out.values())


def parse_volume(spec: str) -> tuple[str, str, bool]:
    """``SRC:DST[:ro|rw]`` -> (absolute host path, container path, read-only)."""
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise InvalidArgument(f"invalid volume specification: {spec!r} (use SRC:DST[:ro])")
    src, dst = parts[0], parts[1]
    mode = parts[2] if len(parts) == 3 else "rw"
    if mode not in ("ro", "rw"):
        raise InvalidArgument(f"invalid mode {mode!r} in volume {spec!r} (ro or rw)")
    if not dst.startswith("/"):
        raise InvalidArgument(f"invalid volume specification: {spec!r}: destination must be absolute")
    if not src.startswith("/"):
        raise InvalidArgument(f"invalid volume {spec!r}: named volumes are not supported; use an absolute host path")
    if not os.path.exists(src):
        raise InvalidArgument(f"invalid volume {spec!r}: host path {src} does not exist")
    return os.path.abspath(src), dst, mode == "ro"
