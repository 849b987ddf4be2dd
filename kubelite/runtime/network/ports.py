"""Parsing ``-p [IP:][HOST:]CTR[/tcp|udp]`` into port bindings, as Docker reads them (pure)."""

from __future__ import annotations

from kubelite.runtime.container_errors import InvalidArgument
from kubelite.runtime.containers import PortBinding


def _port(text: str, spec: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InvalidArgument(f"invalid port {text!r} in -p {spec!r}") from None
    if not 0 < value < 65536:
        raise InvalidArgument(f"invalid port {value} in -p {spec!r}: must be 1-65535")
    return value


def parse_publish(spec: str) -> PortBinding:
    """``8080:80``, ``127.0.0.1:8080:80``, ``8080:80/udp``, ``127.0.0.1::80``, ``80`` (host port 0 =
    pick a free one at run time)."""
    body, _, proto = spec.partition("/")
    proto = proto or "tcp"
    if proto not in ("tcp", "udp"):
        raise InvalidArgument(f"invalid protocol {proto!r} in -p {spec!r} (tcp or udp)")
    parts = body.rsplit(":", 2)
    host_ip, host_port, ctr = "", "", parts[-1]
    if len(parts) == 2:
        host_port = parts[0]
    elif len(parts) == 3:
        host_ip, host_port = parts[0], parts[1]
    if host_ip:
        from ipaddress import IPv4Address

        try:
            IPv4Address(host_ip.strip("[]"))
        except ValueError:
            raise InvalidArgument(f"invalid IP address {host_ip!r} in -p {spec!r} (IPv4 only)") from None
    return PortBinding(
        host_ip=host_ip,
        host_port=_port(host_port, spec) if host_port else 0,
        container_port=_port(ctr, spec),
        protocol=proto,
    )
