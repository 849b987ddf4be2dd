"""Docker-shaped JSON for a container (``inspect``) and the ``ps`` columns, pure functions of a record."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from kubelite.runtime.containers import CREATED, EXITED, RUNNING, Container


def _ports(ctr: Container) -> dict[str, Any]:
    ports: dict[str, Any] = {p: None for p in ctr.config.exposed_ports}
    for p in ctr.host_config.port_bindings:
        ports.setdefault(f"{p.container_port}/{p.protocol}", [])
        if ports[f"{p.container_port}/{p.protocol}"] is None:
            ports[f"{p.container_port}/{p.protocol}"] = []
        ports[f"{p.container_port}/{p.protocol}"].append(
            {"HostIp": p.host_ip or "0.0.0.0", "HostPort": str(p.host_port)}
        )
    return ports


def container_json(ctr: Container, *, log_path: str = "") -> dict[str, Any]:
    st = ctr.state
    args = ctr.config.args
    bindings: dict[str, list[dict[str, str]]] = {}
    for p in ctr.host_config.port_bindings:
        bindings.setdefault(f"{p.container_port}/{p.protocol}", []).append(
            {"HostIp": p.host_ip, "HostPort": str(p.host_port)}
        )
    return {
        "Id": ctr.id,
        "Created": ctr.created,
        "Path": args[0] if args else "",
        "Args": args[1:],
        "State": {
            "Status": st.status,
            "Running": st.status == RUNNING,
            "Paused": False,
            "Restarting": False,
            "OOMKilled": st.oom_killed,
            "Dead": False,
            "Pid": st.pid,
            "ExitCode": st.exit_code,
            "Error": st.error,
            "StartedAt": st.started_at or "0001-01-01T00:00:00Z",
            "FinishedAt": st.finished_at or "0001-01-01T00:00:00Z",
        },
        "Image": ctr.config.image_id,
        "LogPath": log_path,
        "Name": "/" + ctr.name,
        "RestartCount": ctr.restart_count,
        "Driver": "overlay",
        "HostConfig": {
            "Binds": ctr.host_config.binds or None,
            "NetworkMode": ctr.host_config.network_mode,
            "PortBindings": bindings,
            "AutoRemove": ctr.host_config.auto_remove,
            "Memory": ctr.host_config.memory,
            "NanoCpus": ctr.host_config.nano_cpus,
            "CpuShares": ctr.host_config.cpu_shares,
            "PidsLimit": ctr.host_config.pids_limit or None,
            "ReadonlyRootfs": ctr.host_config.readonly_rootfs,
            "SecurityOpt": ["no-new-privileges"] if ctr.host_config.no_new_privileges else None,
        },
        "Config": {
            "Hostname": ctr.config.hostname,
            "User": ctr.config.user,
            "Tty": ctr.config.tty,
            "OpenStdin": ctr.config.stdin,
            "Env": ctr.config.env,
            "Cmd": ctr.config.cmd or None,
            "Image": ctr.config.image,
            "WorkingDir": ctr.config.cwd,
            "Entrypoint": ctr.config.entrypoint or None,
            "Labels": ctr.config.labels,
            "StopSignal": ctr.config.stop_signal,
            "StopTimeout": ctr.config.stop_timeout,
            "ExposedPorts": {p: {} for p in ctr.config.exposed_ports} or None,
        },
        "NetworkSettings": {
            "IPAddress": ctr.network.ip,
            "IPPrefixLen": ctr.network.prefix_len,
            "Gateway": ctr.network.gateway,
            "MacAddress": ctr.network.mac,
            "SandboxKey": ctr.network.netns,
            "Ports": _ports(ctr),
        },
    }


def _parse_time(text: str) -> float:
    if not text:
        return 0.0
    base = text.rstrip("Z").split(".")[0]
    return datetime.strptime(base + "+0000", "%Y-%m-%dT%H:%M:%S%z").timestamp()


def human_duration(seconds: float) -> str:
    """Docker's go-units HumanDuration."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = s // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(s / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{hours // 24 // 365} years"


def status_text(ctr: Container, now: float | None = None) -> str:
    now = time.time() if now is None else now
    st = ctr.state
    if st.status == RUNNING:
        return "Up " + human_duration(now - _parse_time(st.started_at))
    if st.status == EXITED:
        return f"Exited ({st.exit_code}) {human_duration(now - _parse_time(st.finished_at))} ago"
    if st.status == CREATED:
        return "Created"
    return st.status.capitalize()


def ports_text(ctr: Container) -> str:
    parts = []
    for p in ctr.host_config.port_bindings:
        ip = p.host_ip or "0.0.0.0"
        parts.append(f"{ip}:{p.host_port}->{p.container_port}/{p.protocol}")
    return ", ".join(parts)


def command_text(ctr: Container, width: int = 20) -> str:
    text = " ".join(ctr.config.args)
    if len(text) > width:
        text = text[: width - 1] + "…"
    return f'"{text}"'


def ps_rows(ctrs: list[Container], now: float | None = None) -> list[list[str]]:
    now = time.time() if now is None else now
    rows = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]]
    for c in ctrs:
        rows.append(
            [
                c.id[:12],
                c.config.image,
                command_text(c),
                human_duration(now - _parse_time(c.created)) + " ago",
                status_text(c, now),
                ports_text(c),
                c.name,
            ]
        )
    return rows


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("   ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows)
