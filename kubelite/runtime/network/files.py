"""``/etc/hosts``, ``/etc/resolv.conf`` and ``/etc/hostname`` for a container (pure text + one writer).

Docker writes these per container and bind-mounts them; we do the same, so the image's own files are
never modified. The host's resolv.conf is reused minus loopback nameservers, which would point at the
container's own loopback; if none remain the container gets none rather than a public resolver (this
host has no route to one).
"""

from __future__ import annotations

import os


def hosts_text(hostname: str, ip: str, extra: list[tuple[str, str]] | None = None) -> str:
    lines = [
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        "fe00::0\tip6-localnet",
        "ff00::0\tip6-mcastprefix",
        "ff02::1\tip6-allnodes",
        "ff02::2\tip6-allrouters",
    ]
    if ip:
        lines.append(f"{ip}\t{hostname}")
    else:
        lines[0] = f"127.0.0.1\tlocalhost {hostname}"
    for addr, name in extra or []:
        lines.append(f"{addr}\t{name}")
    return "\n".join(lines) + "\n"


def resolv_text(host_resolv: str) -> str:
    out = []
    for line in host_resolv.splitlines():
        words = line.split()
        if words[:1] == ["nameserver"] and len(words) > 1 and (words[1].startswith("127.") or words[1] == "::1"):
            continue
        out.append(line)
    return "\n".join(out).strip() + "\n"


def write_files(directory: str, *, hostname: str, ip: str, host_resolv: str = "/etc/resolv.conf") -> dict[str, str]:
    """Write the three files into ``directory``; returns container path -> host path to bind."""
    try:
        with open(host_resolv) as fh:
            resolv = resolv_text(fh.read())
    except FileNotFoundError:
        resolv = ""
    files = {
        "/etc/hosts": ("hosts", hosts_text(hostname, ip)),
        "/etc/resolv.conf": ("resolv.conf", resolv),
        "/etc/hostname": ("hostname", hostname + "\n"),
    }
    out = {}
    for dst, (name, text) in files.items():
        path = os.path.join(directory, name)
        with open(path, "w") as fh:
            fh.write(text)
        out[dst] = path
    return out
