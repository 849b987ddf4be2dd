"""Port conflict checks and the nft table, computed from records (recording kernel: no root, no nft)."""

import os

import pytest

from kubelite.runtime import containers as c
from kubelite.runtime.container_errors import PortInUse
from kubelite.runtime.lifecycle import Engine
from kubelite.runtime.network.ipam import NetConf
from kubelite.runtime.network.kernel import RecordingKernel
from kubelite.runtime.sandbox import READY, Sandbox, SandboxStore

pytestmark = pytest.mark.unit


def _engine(root: str) -> tuple[Engine, RecordingKernel]:
    kernel = RecordingKernel()
    return Engine(root, kernel=kernel, net=NetConf(bridge="kltest0", subnet="10.99.0.0/24", table="t1")), kernel


def _ctr(engine: Engine, name: str, status: str, ip: str, port: int) -> c.Container:
    ctr = c.Container(
        id=os.urandom(32).hex(),
        name=name,
        created="t",
        config=c.Config(image="busybox"),
        host_config=c.HostConfig(port_bindings=[c.PortBinding("", port, 80)]),
        state=c.State(status=status),
        network=c.NetworkState(ip=ip),
    )
    engine.store.save(ctr)
    return ctr


def test_table_has_running_containers_and_ready_pods_only(tmp_path: object) -> None:
    engine, kernel = _engine(str(tmp_path))
    _ctr(engine, "up", c.RUNNING, "10.99.0.2", 8080)
    _ctr(engine, "down", c.EXITED, "10.99.0.3", 8081)
    SandboxStore(engine.root).save(
        Sandbox(
            id="s" * 64,
            name="pod",
            hostname="pod",
            created="t",
            ip="10.99.0.4",
            state=READY,
            port_mappings=[{"host_ip": "", "host_port": 9090, "container_port": 8080, "protocol": "tcp"}],
        )
    )
    engine.publish()
    script = kernel.nft_scripts[-1]
    assert "tcp dport 8080 dnat to 10.99.0.2:80" in script
    assert "dport 8081" not in script
    assert "tcp dport 9090 dnat to 10.99.0.4:8080" in script


def test_a_port_held_by_a_running_container_or_a_pod_is_refused(tmp_path: object) -> None:
    engine, _ = _engine(str(tmp_path))
    _ctr(engine, "holder", c.RUNNING, "10.99.0.2", 8080)
    newcomer = _ctr(engine, "new", c.CREATED, "10.99.0.3", 8080)
    with pytest.raises(PortInUse, match="by container holder"):
        engine.check_ports(newcomer)
    starting = _ctr(engine, "starting", c.CREATED, "10.99.0.5", 7070)
    starting.state.starting_pid = os.getpid()  # between its check and "started": holds the port
    engine.store.save(starting)
    with pytest.raises(PortInUse, match="by container starting"):
        engine.check_ports(_ctr(engine, "late", c.CREATED, "10.99.0.6", 7070))
