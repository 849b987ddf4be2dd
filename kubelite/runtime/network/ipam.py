"""IP address management for the bridge network (pure allocation; the caller persists the table).

Default range: ``10.88.0.0/16`` (podman's default too; RFC 1918 private space), gateway ``.1`` on the
bridge, containers from ``.2`` upward. The table maps address -> container id and lives in
``<root>/network/ipam.json``; it is read and written under the container store's lock.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kubelite.runtime.container_errors import ContainerError, InvalidArgument

if TYPE_CHECKING:
    from ipaddress import IPv4Network

DEFAULT_BRIDGE = "kubelite0"
DEFAULT_SUBNET = "10.88.0.0/16"
DEFAULT_TABLE = "kubelite_engine"  # not "kubelite": kube-proxy's table (kubelite.proxy) has that name


@dataclass(frozen=True)
class NetConf:
    """One bridge network. Separate engine roots may use separate bridges (tests do), each with its
    own subnet and its own nftables table, so they never collide."""

    bridge: str = DEFAULT_BRIDGE
    subnet: str = DEFAULT_SUBNET
    table: str = DEFAULT_TABLE
    # The pod network this bridge is one piece of, when it spans hosts ("" = none): traffic to it is
    # routed unchanged (pod-to-pod keeps its source address); only traffic leaving it is masqueraded.
    cluster_cidr: str = ""

    @property
    def network(self) -> IPv4Network:
        from ipaddress import IPv4Network

        return IPv4Network(self.subnet)

    @property
    def gateway(self) -> str:
        return str(self.network.network_address + 1)

    @property
    def prefix_len(self) -> int:
        return self.network.prefixlen


def load_conf(root: str) -> NetConf:
    """``<root>/network/config.json`` if present (keys bridge, subnet, table, cluster_cidr), else the
    defaults."""
    path = os.path.join(root, "network", "config.json")
    try:
        with open(path) as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return NetConf()
    except (OSError, json.JSONDecodeError) as err:
        raise InvalidArgument(f"bad network config {path}: {err}") from None
    conf = NetConf(
        bridge=str(data.get("bridge", DEFAULT_BRIDGE)),
        subnet=str(data.get("subnet", DEFAULT_SUBNET)),
        table=str(data.get("table", DEFAULT_TABLE)),
        cluster_cidr=str(data.get("cluster_cidr", "")),
    )
    if len(conf.bridge) > 15:
        raise InvalidArgument(f"bridge name {conf.bridge!r} is longer than 15 characters")
    return conf


def save_conf(root: str, conf: NetConf) -> None:
    """Write ``conf`` as ``<root>/network/config.json`` (atomically), so every user of the root (the
    agent, ``kubelite run``, ``system prune``) agrees on the network."""
    path = os.path.join(root, "network", "config.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = {"bridge": conf.bridge, "subnet": conf.subnet, "table": conf.table}
    if conf.cluster_cidr:
        data["cluster_cidr"] = conf.cluster_cidr
    tmp = path + f".tmp{os.getpid()}"
    with open(tmp, "w") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


class AddressesExhausted(ContainerError):
    """Every address of the subnet is allocated."""


def allocate(conf: NetConf, used: set[str]) -> str:
    """The lowest free host address after the gateway."""
    net = conf.network
    from ipaddress import IPv4Address

    gateway = IPv4Address(conf.gateway)
    for addr in net.hosts():
        if addr == gateway or str(addr) in used:
            continue
        return str(addr)
    raise AddressesExhausted(f"no free address left in {conf.subnet}")


class Table:
    """The persisted allocation table (address -> owner id). Use under the store lock."""

    def __init__(self, root: str) -> None:
        self.path = os.path.join(root, "network", "ipam.json")

    def read(self) -> dict[str, str]:
        try:
            with open(self.path) as fh:
                data = json.load(fh)
        except FileNotFoundError:
            return {}
        return {str(k): str(v) for k, v in data.items()}

    def write(self, table: dict[str, str]) -> None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = self.path + f".tmp{os.getpid()}"
        with open(tmp, "w") as fh:
            json.dump(table, fh)
        os.replace(tmp, self.path)

    def claim(self, conf: NetConf, owner: str) -> str:
        table = self.read()
        for ip, who in table.items():
            if who == owner:
                return ip
        ip = allocate(conf, set(table))
        table[ip] = owner
        self.write(table)
        return ip

    def release(self, owner: str) -> None:
        table = self.read()
        kept = {ip: who for ip, who in table.items() if who != owner}
        if kept != table:
            self.write(kept)
