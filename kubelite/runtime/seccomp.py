"""The default seccomp profile, in the OCI runtime-spec format runc reads.

Docker's default profile (shipped by Debian's containers-common as
``/usr/share/containers/seccomp.json``) is written in *Docker's* format: a default action, and groups of
syscall names whose inclusion depends on the architecture and on the capabilities the container holds
(``includes``/``excludes`` with ``caps``/``arches``). runc wants the resolved OCI form: one list of
``{"names", "action", "args"}`` rules with no conditions. :func:`convert_docker_profile` does that
resolution for one architecture and one capability set; it is pure so it is unit-tested on small inputs.

When the Debian file is absent we fall back to :data:`FALLBACK_DENY`, a default-allow profile that
denies (EPERM) the dangerous syscalls Docker's profile leaves out; it is weaker than the allow-list but
keeps the same intent (no kernel modules, no kexec, no mount, no ptrace of the host, no clock changes...).
"""

from __future__ import annotations

import json
import os
from typing import Any

DEBIAN_PROFILE = "/usr/share/containers/seccomp.json"

# Go/docker arch names (used in ``includes.arches``) and the SCMP_ARCH_ names, by ``uname -m``.
_ARCHES: dict[str, tuple[str, str]] = {
    "x86_64": ("amd64", "SCMP_ARCH_X86_64"),
    "aarch64": ("arm64", "SCMP_ARCH_AARCH64"),
    "armv7l": ("arm", "SCMP_ARCH_ARM"),
    "ppc64le": ("ppc64le", "SCMP_ARCH_PPC64LE"),
    "s390x": ("s390x", "SCMP_ARCH_S390X"),
    "riscv64": ("riscv64", "SCMP_ARCH_RISCV64"),
}

# Syscalls Docker's default profile does not allow for a container without extra capabilities.
FALLBACK_DENY: tuple[str, ...] = (
    "acct",
    "add_key",
    "bpf",
    "clock_adjtime",
    "clock_settime",
    "create_module",
    "delete_module",
    "finit_module",
    "get_kernel_syms",
    "get_mempolicy",
    "init_module",
    "ioperm",
    "iopl",
    "kcmp",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "lookup_dcookie",
    "mbind",
    "mount",
    "move_pages",
    "name_to_handle_at",
    "nfsservctl",
    "open_by_handle_at",
    "perf_event_open",
    "personality",
    "pivot_root",
    "process_vm_readv",
    "process_vm_writev",
    "ptrace",
    "query_module",
    "quotactl",
    "reboot",
    "request_key",
    "set_mempolicy",
    "setns",
    "settimeofday",
    "stime",
    "swapoff",
    "swapon",
    "sysfs",
    "_sysctl",
    "umount",
    "umount2",
    "unshare",
    "uselib",
    "userfaultfd",
    "ustat",
    "vm86",
    "vm86old",
)


def _arch() -> tuple[str, str]:
    machine = os.uname().machine
    if machine not in _ARCHES:
        return ("amd64", "SCMP_ARCH_X86_64")
    return _ARCHES[machine]


def _applies(cond: dict[str, Any] | None, caps: frozenset[str], arch: str) -> bool:
    """True if the ``includes`` condition holds (all of its caps held, our arch listed)."""
    if not cond:
        return True
    want_caps = cond.get("caps") or []
    if want_caps and not all(c in caps for c in want_caps):
        return False
    arches = cond.get("arches") or []
    return not (arches and arch not in arches)


def _excluded(cond: dict[str, Any] | None, caps: frozenset[str], arch: str) -> bool:
    """True if the ``excludes`` condition hits (any of its caps held, or our arch listed)."""
    if not cond:
        return False
    if any(c in caps for c in cond.get("caps") or []):
        return True
    return arch in (cond.get("arches") or [])


def convert_docker_profile(profile: dict[str, Any], caps: list[str], machine: str | None = None) -> dict[str, Any]:
    """Resolve a Docker-format profile into the OCI ``linux.seccomp`` object for ``caps`` on ``machine``.

    Rules whose conditions do not hold are dropped; the remaining groups keep their order (libseccomp
    evaluates conditions on arguments per rule, so order does not change the verdict).
    """
    go_arch, scmp_arch = _ARCHES.get(machine or os.uname().machine, ("amd64", "SCMP_ARCH_X86_64"))
    held = frozenset(caps)
    architectures = [scmp_arch]
    for entry in profile.get("archMap") or []:
        if entry.get("architecture") == scmp_arch:
            architectures += list(entry.get("subArchitectures") or [])
    out: dict[str, Any] = {
        "defaultAction": profile.get("defaultAction", "SCMP_ACT_ERRNO"),
        "architectures": architectures,
        "syscalls": [],
    }
    if "defaultErrnoRet" in profile:
        out["defaultErrnoRet"] = profile["defaultErrnoRet"]
    for group in profile.get("syscalls") or []:
        if not _applies(group.get("includes"), held, go_arch):
            continue
        if _excluded(group.get("excludes"), held, go_arch):
            continue
        rule: dict[str, Any] = {"names": list(group["names"]), "action": group["action"]}
        if group.get("args"):
            rule["args"] = [{k: a[k] for k in ("index", "value", "valueTwo", "op") if k in a} for a in group["args"]]
        if "errnoRet" in group:
            rule["errnoRet"] = group["errnoRet"]
        out["syscalls"].append(rule)
    return out


def fallback_profile() -> dict[str, Any]:
    """Default-allow with the dangerous syscalls denied with EPERM (used without containers-common)."""
    return {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": [_arch()[1]],
        "syscalls": [{"names": list(FALLBACK_DENY), "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
    }


def default_profile(caps: list[str], path: str = DEBIAN_PROFILE, cache_dir: str | None = None) -> dict[str, Any]:
    """The OCI seccomp object for a container holding ``caps``: Debian's Docker profile if present.

    With ``cache_dir`` the converted profile is kept there, keyed by the source file's identity and the
    capabilities, so each container start reads one small JSON file instead of converting again.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return fallback_profile()
    cached = ""
    if cache_dir:
        import hashlib

        key = hashlib.sha256(f"{path}:{st.st_mtime_ns}:{st.st_size}:{sorted(caps)}".encode()).hexdigest()[:16]
        cached = os.path.join(cache_dir, f"seccomp-{key}.json")
        try:
            with open(cached, "rb") as fh:
                data: dict[str, Any] = json.load(fh)
                return data
        except (FileNotFoundError, ValueError):
            pass
    with open(path, "rb") as fh:
        profile = convert_docker_profile(json.load(fh), caps)
    if cached:
        os.makedirs(cache_dir or ".", exist_ok=True)
        tmp = f"{cached}.{os.getpid()}"
        with open(tmp, "w") as fh:
            fh.write(json.dumps(profile))
        os.replace(tmp, cached)
    return profile
