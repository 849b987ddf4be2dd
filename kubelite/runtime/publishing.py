"""Published ports: the conflict check before a start, and the nft table that makes them reachable.

Both read every container record, so they run under the container store's lock (the caller holds it):
the check sees a consistent set of holders, and the table written is the one for that set.
A container counts as holding its ports while running, and between its check and "started"
(``State.starting_pid``), so two CLIs starting on one port at once cannot both pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubelite.runtime import containers as ctrs
from kubelite.runtime.container_errors import PortInUse
from kubelite.runtime.containers import Container
from kubelite.runtime.monitor import pid_alive, read_exit

if TYPE_CHECKING:
    from kubelite.runtime.lifecycle import Engine


def check_ports(engine: Engine, ctr: Container) -> None:
    """Docker's "port is already allocated": another running container, or a host process."""
    mine = {(p.host_port, p.protocol) for p in ctr.host_config.port_bindings}
    if not mine:
        return
    for other in engine.store.all():
        if other.id == ctr.id or other.state.status not in (ctrs.RUNNING, ctrs.CREATED):
            continue
        if other.state.status == ctrs.RUNNING and read_exit(engine.paths(other.id)) is not None:
            continue
        holding = other.state.status == ctrs.RUNNING or (
            other.state.starting_pid != 0 and pid_alive(other.state.starting_pid)
        )
        for p in other.host_config.port_bindings:
            if (p.host_port, p.protocol) in mine and holding:
                raise PortInUse(
                    f"Bind for 0.0.0.0:{p.host_port} failed: port is already allocated (by container {other.name})"
                )
    import socket

    for p in ctr.host_config.port_bindings:
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
    # Only containers with published ports call this, so the table is rewritten exactly when the
    # set of publications may have changed (and emptied, not left stale, when the last one goes).
    br.publish(engine.kernel, engine.net, pubs)
