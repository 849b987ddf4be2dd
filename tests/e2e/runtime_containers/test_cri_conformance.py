"""The real engine (runc, conmon, pinned sandbox namespaces, bridge) against the runtime conformance suite."""

from collections.abc import Iterator

import pytest

from kubelite.runtime.cri import EngineRuntime
from kubelite.runtime.lifecycle import Engine
from kubelite.testing.runtime_conformance import RuntimeConformance

pytestmark = pytest.mark.e2e


@pytest.fixture
def runtime(engine: Engine) -> Iterator[EngineRuntime]:
    from kubelite.runtime.sandbox import SandboxStore, remove_sandbox

    rt = EngineRuntime(engine)
    try:
        yield rt
    finally:
        for sb in SandboxStore(engine.root).all():
            rt.remove_pod_sandbox(sb.id)
        for ctr in list(engine.store.all()):
            engine.remove(ctr.id, force=True)
        for sb in SandboxStore(engine.root).all():
            remove_sandbox(engine, sb.id)


class TestEngineRuntime(RuntimeConformance):
    pass


def test_host_port_reaches_the_pod_and_is_released(engine: Engine) -> None:
    """A pod's hostPort (engine only: the fake has no network): reachable on loopback, exclusive, and
    gone with the pod."""
    import subprocess
    import urllib.request

    from kubelite.runtime.container_errors import PortInUse
    from kubelite.runtime.cri import ContainerConfig, PortMapping, SandboxConfig
    from kubelite.runtime.lifecycle import CreateRequest
    from kubelite.runtime.network.ports import parse_publish
    from kubelite.testing.engine_harness import free_port, wait_for

    rt = EngineRuntime(engine)
    port = free_port()
    sid = rt.run_pod_sandbox(SandboxConfig(name="web", uid="u1", port_mappings=[PortMapping(8080, port)]))
    try:
        cid = rt.create_container(
            sid, ContainerConfig(name="httpd", image="busybox", command=["httpd", "-f", "-p", "8080", "-h", "/etc"])
        )
        rt.start_container(cid)
        body = wait_for(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/passwd", timeout=2).read(),
            what="the pod's hostPort",
        )
        assert isinstance(body, bytes) and b"root:" in body
        other = engine.create(CreateRequest(image="busybox", publish=[parse_publish(f"{port}:80")], command=["true"]))
        with pytest.raises(PortInUse, match="by pod"):
            engine.start(other.id)
        engine.remove(other.id)
        with pytest.raises(PortInUse):
            rt.run_pod_sandbox(SandboxConfig(name="web2", uid="u2", port_mappings=[PortMapping(80, port)]))
    finally:
        rt.remove_pod_sandbox(sid)
    rules = subprocess.run(
        ["nft", "list", "table", "ip", engine.net.table], capture_output=True, text=True, check=False
    ).stdout
    assert f"dport {port}" not in rules
