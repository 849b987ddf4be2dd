"""OCI runtime spec generation: the ``config.json`` runc reads, computed from typed options.

Pure: :func:`build_spec` turns :class:`SpecOptions` into a dict, with no file or kernel access, so the
defaults (Docker's 14 capabilities, masked and read-only /proc paths, seccomp, cgroup limits) are unit
tested. The two facts taken from the host are passed in: the host's rlimits (root here lacks
CAP_SYS_RESOURCE, so a container asking for more than the host has fails to start; we clamp) and the
seccomp profile (see :mod:`kubelite.runtime.seccomp`).

Resources: runc writes the same ``linux.resources`` to cgroup v1 controllers or to cgroup v2 files
(converting cpu shares to weight itself), so one spec serves both hierarchies; :func:`cgroup_version`
only tells callers which one is live (for reporting and for reading OOM counters).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

OCI_VERSION = "1.0.2"

# Docker's default capability set (moby/oci/caps/defaults.go): 14 capabilities.
DEFAULT_CAPS: tuple[str, ...] = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
)

# Every capability by number (linux/capability.h); the host's bounding set says which exist here.
ALL_CAPS: tuple[str, ...] = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
)


def capability_set(
    add: list[str], drop: list[str], *, privileged: bool = False, available: tuple[str, ...] = ALL_CAPS
) -> tuple[str, ...]:
    """Docker's ``--cap-add``/``--cap-drop`` (and Kubernetes' ``capabilities``) on the default set: names
    with or without ``CAP_``, any case, ``ALL`` for every capability; drops win over adds as in Docker
    (``drop: [ALL]`` with ``add: [X]`` keeps only X). ``privileged`` is every capability. Limited to
    ``available`` (the host's bounding set: runc cannot grant what the engine itself lacks)."""

    def norm(names: list[str]) -> set[str]:
        out = {"CAP_" + n.upper().removeprefix("CAP_") for n in names}
        return set(ALL_CAPS) if "CAP_ALL" in out else out

    adds, drops = norm(add), norm(drop)
    if privileged:
        base = set(ALL_CAPS)
    elif drops == set(ALL_CAPS):
        base = adds
    else:
        base = (set(DEFAULT_CAPS) | adds) - drops
    return tuple(c for c in ALL_CAPS if c in base and c in available)


def host_capabilities(status_path: str = "/proc/self/status") -> tuple[str, ...]:
    """The capabilities in this process's bounding set (what containers may be given)."""
    try:
        with open(status_path) as fh:
            line = next((x for x in fh if x.startswith("CapBnd:")), "")
    except OSError:
        return ALL_CAPS
    if not line:
        return ALL_CAPS
    mask = int(line.split(":", 1)[1].strip(), 16)
    return tuple(c for i, c in enumerate(ALL_CAPS) if mask >> i & 1)


MASKED_PATHS: tuple[str, ...] = (
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)
READONLY_PATHS: tuple[str, ...] = (
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
)

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# The rlimit we set by default (Docker sets none; podman sets nofile/nproc and hits the host's cap).
DEFAULT_NOFILE = 1048576

CPU_PERIOD = 100_000


@dataclass(frozen=True)
class Mount:
    """One OCI mount: ``destination`` in the container, ``source`` on the host (or a fs name)."""

    destination: str
    source: str
    type: str = "bind"
    options: tuple[str, ...] = ("rbind", "rprivate")

    def to_oci(self) -> dict[str, Any]:
        return {
            "destination": self.destination,
            "type": self.type,
            "source": self.source,
            "options": list(self.options),
        }


def bind(source: str, destination: str, *, readonly: bool = False) -> Mount:
    """A bind mount as ``-v SRC:DST[:ro]`` asks for."""
    opts = ("rbind", "rprivate") + (("ro",) if readonly else ("rw",))
    return Mount(destination, source, "bind", opts)


@dataclass(frozen=True)
class Resources:
    """cgroup limits. ``None`` means unlimited / the kernel's default."""

    memory: int | None = None  # bytes; swap is set equal so the limit is real on hosts with swap
    cpus: float | None = None  # ``--cpus``: quota = cpus * period
    cpu_shares: int | None = None  # relative weight (v1 shares; runc converts for v2)
    pids: int | None = None


@dataclass(frozen=True)
class User:
    uid: int = 0
    gid: int = 0
    additional_gids: tuple[int, ...] = ()


@dataclass
class SpecOptions:
    """Everything that varies between containers. Namespace paths join existing namespaces
    (a pod sandbox's, or ``/proc/PID/ns/net``); ``None`` in ``namespaces`` means "create a new one";
    a kind absent from the dict is shared with the host (``--network host``)."""

    args: list[str]
    rootfs: str
    env: list[str] = field(default_factory=list)
    cwd: str = "/"
    user: User = field(default_factory=User)
    hostname: str = ""
    terminal: bool = False
    readonly_rootfs: bool = False
    mounts: list[Mount] = field(default_factory=list)
    namespaces: dict[str, str | None] = field(
        default_factory=lambda: {"pid": None, "ipc": None, "uts": None, "mount": None, "network": None}
    )
    capabilities: tuple[str, ...] = DEFAULT_CAPS
    no_new_privileges: bool = False
    seccomp: dict[str, Any] | None = None
    resources: Resources = field(default_factory=Resources)
    cgroups_path: str = ""
    rlimits: dict[str, tuple[int, int]] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    oom_score_adj: int | None = None
    privileged: bool = False  # /proc and /sys unmasked and writable (capabilities and seccomp are the caller's)


def default_mounts() -> list[Mount]:
    """The kernel filesystems every container gets (as Docker and ``runc spec`` give them)."""
    return [
        Mount("/proc", "proc", "proc", ("nosuid", "noexec", "nodev")),
        Mount("/dev", "tmpfs", "tmpfs", ("nosuid", "strictatime", "mode=755", "size=65536k")),
        Mount(
            "/dev/pts",
            "devpts",
            "devpts",
            ("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
        ),
        Mount("/sys", "sysfs", "sysfs", ("nosuid", "noexec", "nodev", "ro")),
        Mount("/sys/fs/cgroup", "cgroup", "cgroup", ("nosuid", "noexec", "nodev", "relatime", "ro")),
        Mount("/dev/mqueue", "mqueue", "mqueue", ("nosuid", "noexec", "nodev")),
        Mount("/dev/shm", "shm", "tmpfs", ("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")),
    ]


def _writable(m: Mount) -> Mount:
    return Mount(m.destination, m.source, m.type, tuple(o for o in m.options if o != "ro"))


def with_default_path(env: list[str]) -> list[str]:
    """Docker adds PATH when the image and the user gave none."""
    if any(e.startswith("PATH=") for e in env):
        return list(env)
    return [f"PATH={DEFAULT_PATH}", *env]


def clamp_rlimits(wanted: dict[str, tuple[int, int]], host: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Each wanted (soft, hard) lowered to the host's hard limit, since raising it needs
    CAP_SYS_RESOURCE which root here does not have. ``-1`` (infinity) on the host allows anything."""
    out: dict[str, tuple[int, int]] = {}
    for name, (want_soft, want_hard) in wanted.items():
        soft, hard = want_soft, want_hard
        host_hard = host.get(name, (-1, -1))[1]
        if host_hard >= 0:
            hard = host_hard if hard < 0 else min(hard, host_hard)
            soft = hard if soft < 0 else min(soft, hard)
        out[name] = (soft, hard)
    return out


def _resources(res: Resources) -> dict[str, Any]:
    out: dict[str, Any] = {"devices": [{"allow": False, "access": "rwm"}]}
    if res.memory is not None:
        out["memory"] = {"limit": res.memory, "swap": res.memory}
    cpu: dict[str, Any] = {}
    if res.cpus is not None:
        cpu["quota"] = max(1000, int(res.cpus * CPU_PERIOD))
        cpu["period"] = CPU_PERIOD
    if res.cpu_shares is not None:
        cpu["shares"] = res.cpu_shares
    if cpu:
        out["cpu"] = cpu
    if res.pids is not None:
        out["pids"] = {"limit": res.pids}
    return out


def _namespaces(ns: dict[str, str | None]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for kind in ("pid", "network", "ipc", "uts", "mount", "cgroup"):
        if kind not in ns:
            continue
        path = ns[kind]
        out.append({"type": kind, "path": path} if path else {"type": kind})
    return out


def build_spec(opts: SpecOptions) -> dict[str, Any]:
    """The OCI ``config.json`` for ``opts``."""
    caps = list(opts.capabilities)
    process: dict[str, Any] = {
        "terminal": opts.terminal,
        "user": {"uid": opts.user.uid, "gid": opts.user.gid},
        "args": list(opts.args),
        "env": with_default_path(opts.env),
        "cwd": opts.cwd or "/",
        "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
        "noNewPrivileges": opts.no_new_privileges,
    }
    if opts.user.additional_gids:
        process["user"]["additionalGids"] = list(opts.user.additional_gids)
    if opts.rlimits:
        process["rlimits"] = [{"type": name, "soft": s, "hard": h} for name, (s, h) in sorted(opts.rlimits.items())]
    if opts.oom_score_adj is not None:
        process["oomScoreAdj"] = opts.oom_score_adj
    mounts = default_mounts()
    if "network" not in opts.namespaces:
        # Sharing the host's network namespace: its /sys is not ours to mount (runc refuses a sysfs
        # of another netns), so bind the host's read-only, as Docker does for --network host.
        mounts = [
            m
            if m.destination != "/sys"
            else Mount("/sys", "/sys", "bind", ("rbind", "nosuid", "noexec", "nodev", "ro"))
            for m in mounts
        ]
    if opts.privileged:  # Docker's --privileged: /sys and the cgroup tree writable
        mounts = [m if m.destination not in ("/sys", "/sys/fs/cgroup") else _writable(m) for m in mounts]
    # User mounts override the defaults at the same destination.
    user_dsts = {m.destination for m in opts.mounts}
    mounts = [m for m in mounts if m.destination not in user_dsts] + list(opts.mounts)
    linux: dict[str, Any] = {
        "resources": _resources(opts.resources),
        "namespaces": _namespaces(opts.namespaces),
        "maskedPaths": [] if opts.privileged else list(MASKED_PATHS),
        "readonlyPaths": [] if opts.privileged else list(READONLY_PATHS),
    }
    if opts.cgroups_path:
        linux["cgroupsPath"] = opts.cgroups_path
    if opts.seccomp is not None:
        linux["seccomp"] = opts.seccomp
    spec: dict[str, Any] = {
        "ociVersion": OCI_VERSION,
        "process": process,
        "root": {"path": opts.rootfs, "readonly": opts.readonly_rootfs},
        "mounts": [m.to_oci() for m in mounts],
        "linux": linux,
    }
    if opts.hostname and "uts" in opts.namespaces:
        spec["hostname"] = opts.hostname
    if opts.annotations:
        spec["annotations"] = dict(opts.annotations)
    return spec


# --- host facts (I/O at the edge) -------------------------------------------------------------------

_RLIMIT_NAMES = {"RLIMIT_NOFILE": "RLIMIT_NOFILE", "RLIMIT_NPROC": "RLIMIT_NPROC"}


def host_rlimits() -> dict[str, tuple[int, int]]:
    """The calling process's (soft, hard) limits for the rlimits we set, ``-1`` for infinity."""
    import resource

    out = {}
    for name in _RLIMIT_NAMES:
        soft, hard = resource.getrlimit(getattr(resource, name))
        inf = resource.RLIM_INFINITY
        out[name] = (-1 if soft == inf else soft, -1 if hard == inf else hard)
    return out


def default_rlimits() -> dict[str, tuple[int, int]]:
    """nofile as high as the host allows (Docker's daemon gives containers its own 1M)."""
    return clamp_rlimits({"RLIMIT_NOFILE": (DEFAULT_NOFILE, DEFAULT_NOFILE)}, host_rlimits())


def cgroup_version(root: str = "/sys/fs/cgroup") -> int:
    """2 on a pure unified hierarchy, 1 on legacy or hybrid (where runc drives the v1 controllers)."""
    return 2 if os.path.exists(os.path.join(root, "cgroup.controllers")) else 1


def parse_memory(text: str) -> int:
    """``--memory`` values as Docker reads them: ``512m``, ``1g``, ``1048576``, ``64k`` (binary units)."""
    units = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    value = text.strip().lower()
    if value.endswith("ib") or (value.endswith("b") and len(value) > 1 and value[-2] in units):
        value = value[:-2] if value.endswith("ib") else value[:-1]
    mult = 1
    if value and value[-1] in units:
        mult = units[value[-1]]
        value = value[:-1]
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"invalid memory size {text!r} (use e.g. 64m, 1g)") from None
    if number <= 0:
        raise ValueError(f"invalid memory size {text!r}: must be positive")
    result = int(number * mult)
    if result < 6 << 20:
        raise ValueError(f"minimum memory limit allowed is 6MB (got {text!r})")
    return result
