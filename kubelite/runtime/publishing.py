"""Published ports: the conflict check before a start, and the nft table that makes them reachable.

Both read every container record, so they run under the container store's lock (the caller holds it):
the check sees a consistent set of holders, and the table written is the one for that set.
A container counts as holding its ports while running, and between its check and "started"
(``State.starting_pid``), so two CLIs starting on one port at once cannot both pass. A ready pod
sandbox holds its hostPorts (``SandboxConfig.port_mappings``), DNATed to the pod's address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubelite.runtime import containers as ctrs
from kubelite.runtime.container_errors import PortInUse
from kubelite.runtime.containers import Container, PortBinding
from kubelite.runtime.monitor import pid_alive, read_exit

if TYPE_CHECKING:
    from kubelite.runtime.lifecycle import Engine


def check_ports(engine: Engine, ctr: Container) -> None:
    """Docker's "port is already allocated": another running container, a pod's hostPort, or a host
    process holds one of ``ctr``'s host ports."""
    check_host_ports(engine, ctr.host_config.port_bindings, owner=ctr.id)


def _holders(engine: Engine, owner: str) -> list[tuple[str, list[PortBinding]]]:
    """(name, bindings) of everything else currently holding host ports."""
    from kubelite.runtime.sandbox import READY, SandboxStore

    out = []
    for other in engine.store.all():
        if other.id == owner or other.state.status not in (ctrs.RUNNING, ctrs.CREATED):
            continue
        if other.state.status == ctrs.RUNNING and read_exit(engine.paths(other.id)) is not None:
            continue
        if other.state.status == ctrs.RUNNING or (
            other.state.starting_pid != 0 and pid_alive(other.state.starting_pid)
        ):
            out.append((f"container {other.name}", other.host_config.port_bindings))
    for sb in SandboxStore(engine.root).all():
        if sb.id != owner and sb.state == READY and sb.port_mappings:
            out.append((f"pod {sb.name}", [PortBinding(**m) for m in sb.port_mappings]))
    return out


def check_host_ports(engine: Engine, bindings: list[PortBinding], *, owner: str) -> None:
    mine = {(p.host_port, p.protocol) for p in bindings}
    if not mine:
        return
    for name, held in _holders(engine, owner):
        for p in held:
            if (p.host_port, p.protocol) in mine:
                raise PortInUse(f"Bind for 0.0.0.0:{p.host_port} failed: port is already allocated (by {name})")
    import socket

    for p in bindings:
        kind = socket.SOCK_STREAM if p.protocol == "tcp" else socket.SOCK_DGRAM
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind((p.host_ip or "0.0.0.0", p.host_port))
            except OSError as err:
                raise PortInUse(
                    f"Bind for {p.host_ip or '0.0.0.0'}:{p.host_port} failed: "
                    f"port is already allocated ({err.strerror})"
                ) from None


def publish(engine: Engine, extra: Container | None = None) -> None:
    """Rewrite the nft table from every running container's ports (call under the lock)."""
    from kubelite.runtime.network import bridge as br
    from kubelite.runtime.network.nft import Publication

    pubs: list[Publication] = []
    seen: set[str] = set()
    candidates = ([extra] if extra else []) + list(engine.store.all())
    for ctr in candidates:
        if ctr.id in seen or not ctr.network.ip or not ctr.host_config.port_bindings:
            continue
        seen.add(ctr.id)
        active = ctr is extra or (ctr.state.status == ctrs.RUNNING and read_exit(engine.paths(ctr.id)) is None)
        if not active:
            continue
        for p in ctr.host_config.port_bindings:
            pubs.append(Publication(p.host_ip, p.host_port, p.protocol, ctr.network.ip, p.container_port))
    from kubelite.runtime.sandbox import READY, SandboxStore

    for sb in SandboxStore(engine.root).all():  # pods' hostPorts, while the pod is ready
        if sb.state == READY and sb.ip:
            for m in sb.port_mappings:
                p = PortBinding(**m)
                pubs.append(Publication(p.host_ip, p.host_port, p.protocol, sb.ip, p.container_port))
    # Only containers with published ports call this, so the table is rewritten exactly when the
    # set of publications may have changed (and emptied, not left stale, when the last one goes).
    br.publish(engine.kernel, engine.net, pubs)
