"""The one seam between network setup and the kernel: ``ip``, ``nft``, sysctls and link queries.

:class:`HostKernel` runs the real tools; :class:`RecordingKernel` records every call and keeps a tiny
model of links and namespaces so the setup logic in :mod:`.bridge` is unit-tested without root
(architecture habit 12). Using iproute2 and nft binaries rather than netlink from Python keeps the
engine CLI's import time small (pyroute2 costs ~100 ms to import) at ~2 ms per call.

Link queries use ``SIOCGIFFLAGS`` on a socket rather than ``/sys/class/net``: a socket answers for the
network namespace the process is in, while ``/sys`` shows the namespace it was mounted in. An agent
started with ``nsenter --net=...`` (a node of a multi-node test) keeps the host's mounts, so only the
ioctl sees its own links.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
from dataclasses import dataclass, field
from typing import Any, Protocol

from kubelite.runtime.container_errors import RuntimeFailure


class NetKernel(Protocol):
    def ip(self, args: list[str], *, netns: str | None = None, check: bool = True) -> None: ...
    def ip_batch(self, lines: list[str], *, netns: str | None = None) -> None: ...
    def ip_json(self, args: list[str], *, netns: str | None = None) -> Any: ...
    def bridge(self, args: list[str], *, check: bool = True) -> None: ...
    def bridge_json(self, args: list[str]) -> Any: ...
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
        package = {"ip": "iproute2", "bridge": "iproute2", "nft": "nftables"}.get(name, name)
        raise RuntimeFailure(f"{name} not found: install it (apt-get install {package})")
    return found


SIOCGIFFLAGS = 0x8913
_IFREQ = "16sH22x"  # struct ifreq on 64-bit Linux: name, then the flags in a 24-byte union


def _if_flags(name: str) -> int | None:
    """The interface's flags in this process's network namespace, or None when it does not exist."""
    if not name or len(name) > 15:
        return None
    import fcntl

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            out = fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, struct.pack(_IFREQ, name.encode(), 0))
    except OSError:
        return None
    flags: int = struct.unpack(_IFREQ, out)[1]
    return flags


class HostKernel:
    """The real kernel, through iproute2 and nft."""

    def _run(self, argv: list[str], *, stdin: str | None = None, check: bool = True) -> str:
        proc = subprocess.run(argv, check=False, input=stdin, capture_output=True, text=True)
        if check and proc.returncode != 0:
            err = (proc.stderr or proc.stdout).strip().splitlines()
            raise RuntimeFailure(f"{os.path.basename(argv[0])} {' '.join(argv[1:3])}: {err[-1] if err else 'failed'}")
        return proc.stdout

    def ip(self, args: list[str], *, netns: str | None = None, check: bool = True) -> None:
        self._run([_tool("ip"), *(["-n", netns] if netns else []), *args], check=check)

    def ip_batch(self, lines: list[str], *, netns: str | None = None) -> None:
        self._run([_tool("ip"), *(["-n", netns] if netns else []), "-batch", "-"], stdin="\n".join(lines) + "\n")

    def ip_json(self, args: list[str], *, netns: str | None = None) -> Any:
        out = self._run([_tool("ip"), "-j", *(["-n", netns] if netns else []), *args])
        return json.loads(out) if out.strip() else []

    def bridge(self, args: list[str], *, check: bool = True) -> None:
        self._run([_tool("bridge"), *args], check=check)

    def bridge_json(self, args: list[str]) -> Any:
        out = self._run([_tool("bridge"), "-j", *args])
        return json.loads(out) if out.strip() else []

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
        return _if_flags(name) is not None

    def link_up(self, name: str) -> bool:
        return bool((_if_flags(name) or 0) & 0x1)  # IFF_UP

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


def _options(words: list[str]) -> dict[str, str]:
    """``via X dev Y onlink proto P`` -> {via: X, dev: Y, onlink: "", proto: P} (flags map to "")."""
    out: dict[str, str] = {}
    i = 0
    while i < len(words):
        if words[i] in ("onlink", "self", "permanent"):
            out[words[i]] = ""
            i += 1
        else:
            out[words[i]] = words[i + 1] if i + 1 < len(words) else ""
            i += 2
    return out


@dataclass
class RecordingKernel:
    """A verified-by-tests fake: records calls, models links and namespaces."""

    calls: list[tuple[str, ...]] = field(default_factory=list)
    links: set[str] = field(default_factory=set)
    namespaces: set[str] = field(default_factory=set)
    sysctls: dict[str, str] = field(default_factory=dict)
    up: set[str] = field(default_factory=set)
    nft_scripts: list[str] = field(default_factory=list)
    # The main routing table as ``ip -j route show`` prints it (dst, gateway, protocol).
    routes: list[dict[str, str]] = field(default_factory=list)
    failing_gateways: set[str] = field(default_factory=set)  # "Nexthop has invalid gateway"
    neighbours: dict[str, str] = field(default_factory=dict)  # overlay device entries: ip -> MAC
    fdb: dict[str, str] = field(default_factory=dict)  # MAC -> remote host address

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
        if args[:1] == ["route"] and not netns:  # the model holds the host's main table only
            self._route(args[1:])
        if args[:2] == ["neigh", "replace"]:
            self.neighbours[args[2]] = _options(args[3:])["lladdr"]
        if args[:2] == ["neigh", "del"]:
            self.neighbours.pop(args[2], None)

    def _route(self, args: list[str]) -> None:
        verb, dst, opts = args[0], args[1], _options(args[2:])
        held = [r for r in self.routes if r["dst"] == dst]
        if verb == "del":
            if not held:
                raise RuntimeFailure("ip route: RTNETLINK answers: No such process")
            self.routes.remove(held[0])
            return
        if opts.get("via") in self.failing_gateways:
            raise RuntimeFailure("ip route: Error: Nexthop has invalid gateway.")
        if verb == "add" and held:
            raise RuntimeFailure("ip route: RTNETLINK answers: File exists")
        for r in held:
            self.routes.remove(r)
        route = {"dst": dst, "gateway": opts.get("via", ""), "protocol": opts.get("proto", "boot")}
        if opts.get("dev"):
            route["dev"] = opts["dev"]
        self.routes.append(route)

    def ip_json(self, args: list[str], *, netns: str | None = None) -> Any:
        self.calls.append(("ip -j", netns or "", *args))
        if args[:2] == ["route", "show"] and not netns:
            return [dict(r) for r in self.routes]
        if args[:2] == ["neigh", "show"]:
            return [{"dst": ip, "lladdr": mac, "state": ["PERMANENT"]} for ip, mac in self.neighbours.items()]
        return []

    def bridge(self, args: list[str], *, check: bool = True) -> None:
        self.calls.append(("bridge", *args))
        if args[:2] == ["fdb", "replace"]:
            self.fdb[args[2]] = _options(args[3:])["dst"]
        if args[:2] == ["fdb", "del"]:
            self.fdb.pop(args[2], None)

    def bridge_json(self, args: list[str]) -> Any:
        if args[:2] == ["fdb", "show"]:
            return [{"mac": mac, "dst": dst, "flags": ["self"], "state": "permanent"} for mac, dst in self.fdb.items()]
        return []

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
