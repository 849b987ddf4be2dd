"""The one seam between network setup and the kernel: ``ip``, ``nft``, sysctls and link queries.

:class:`HostKernel` runs the real tools; :class:`RecordingKernel` records every call and keeps a tiny
model of links and namespaces so the setup logic in :mod:`.bridge` is unit-tested without root
(architecture habit 12). Using iproute2 and nft binaries rather than netlink from Python keeps the
engine CLI's import time small (pyroute2 costs ~100 ms to import) at ~2 ms per call.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from typing import Protocol

from kubelite.runtime.container_errors import RuntimeFailure


class NetKernel(Protocol):
    def ip(self, args: list[str], *, netns: str | None = None, check: bool = True) -> None: ...
    def ip_batch(self, lines: list[str], *, netns: str | None = None) -> None: ...
    def nft(self, script: str) -> None: ...
    def sysctl(self, key: str, value: str) -> None: ...
    def link_exists(self, name: str) -> bool: ...
    def link_up(self, name: str) -> bool: ...
    def netns_path(self, name: str) -> str: ...
    def netns_add(self, name: str) -> str: ...
    def netns_delete(self, name: str) -> None: ...


def _tool(name: str) -> str:
    from kubelite.runtime.tools import which

    found = which(name)
    if not found:
        package = {"ip": "iproute2", "nft": "nftables"}.get(name, name)
        raise RuntimeFailure(f"{name} not found: install it (apt-get install {package})")
    return found


class HostKernel:
    """The real kernel, through iproute2 and nft."""

    def _run(self, argv: list[str], *, stdin: str | None = None, check: bool = True) -> None:
        proc = subprocess.run(argv, check=False, input=stdin, capture_output=True, text=True)
        if check and proc.returncode != 0:
            err = (proc.stderr or proc.stdout).strip().splitlines()
            raise RuntimeFailure(f"{os.path.basename(argv[0])} {' '.join(argv[1:3])}: {err[-1] if err else 'failed'}")

    def ip(self, args: list[str], *, netns: str | None = None, check: bool = True) -> None:
        self._run([_tool("ip"), *(["-n", netns] if netns else []), *args], check=check)

    def ip_batch(self, lines: list[str], *, netns: str | None = None) -> None:
        self._run([_tool("ip"), *(["-n", netns] if netns else []), "-batch", "-"], stdin="\n".join(lines) + "\n")

    def nft(self, script: str) -> None:
        self._run([_tool("nft"), "-f", "-"], stdin=script)

    def sysctl(self, key: str, value: str) -> None:
        path = "/proc/sys/" + key.replace(".", "/")
        with open(path) as fh:
            if fh.read().strip() == value:
                return
        with open(path, "w") as fh:
            fh.write(value)

    def link_exists(self, name: str) -> bool:
        return os.path.exists(f"/sys/class/net/{name}")

    def link_up(self, name: str) -> bool:
        try:
            with open(f"/sys/class/net/{name}/flags") as fh:
                return bool(int(fh.read().strip(), 16) & 0x1)  # IFF_UP
        except (FileNotFoundError, ValueError):
            return False

    def netns_path(self, name: str) -> str:
        return f"/run/netns/{name}"

    def netns_add(self, name: str) -> str:
        path = f"/run/netns/{name}"
        if not os.path.exists(path):
            self.ip(["netns", "add", name])
        return path

    def netns_delete(self, name: str) -> None:
        if os.path.exists(f"/run/netns/{name}"):
            self.ip(["netns", "delete", name], check=False)


@dataclass
class RecordingKernel:
    """A verified-by-tests fake: records calls, models links and namespaces."""

    calls: list[tuple[str, ...]] = field(default_factory=list)
    links: set[str] = field(default_factory=set)
    namespaces: set[str] = field(default_factory=set)
    sysctls: dict[str, str] = field(default_factory=dict)
    up: set[str] = field(default_factory=set)
    nft_scripts: list[str] = field(default_factory=list)

    def ip(self, args: list[str], *, netns: str | None = None, check: bool = True) -> None:
        self.calls.append(("ip", netns or "", *args))
        if args[:2] == ["link", "add"]:
            self.links.add(args[3] if args[2] == "name" else args[2])
        if args[:2] == ["link", "del"]:
            self.links.discard(args[2])
        if args[:2] == ["netns", "add"]:
            self.namespaces.add(args[2])
        if args[:2] == ["link", "set"] and "up" in args:
            self.up.add(args[2])

    def ip_batch(self, lines: list[str], *, netns: str | None = None) -> None:
        for line in lines:
            self.ip(line.split(), netns=netns)

    def nft(self, script: str) -> None:
        self.calls.append(("nft",))
        self.nft_scripts.append(script)

    def sysctl(self, key: str, value: str) -> None:
        self.calls.append(("sysctl", key, value))
        self.sysctls[key] = value

    def link_exists(self, name: str) -> bool:
        return name in self.links

    def link_up(self, name: str) -> bool:
        return name in self.up

    def netns_path(self, name: str) -> str:
        return f"/run/netns/{name}"

    def netns_add(self, name: str) -> str:
        self.calls.append(("netns_add", name))
        self.namespaces.add(name)
        return f"/run/netns/{name}"

    def netns_delete(self, name: str) -> None:
        self.calls.append(("netns_delete", name))
        self.namespaces.discard(name)
