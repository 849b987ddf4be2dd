"""The runtime conformance suite: what every :class:`~kubelite.runtime.cri.RuntimeService` must do.

Subclass :class:`RuntimeConformance` in a test module and provide a ``runtime`` fixture yielding the
implementation under test, with an image ``busybox`` (``Cmd ["sh"]``) available. The real engine runs it
in ``tests/e2e/runtime_containers`` (root, runc), the fake in ``tests/unit/runtime_containers``.

Commands used stay inside what :mod:`kubelite.testing.fake_runtime` models (echo, exit, sleep, hostname)
so one suite holds both to the same observable behaviour.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from kubelite.runtime.container_errors import ContainerError, InvalidState, NotFound, RuntimeFailure
from kubelite.runtime.cri import (
    CONTAINER_CREATED,
    CONTAINER_EXITED,
    CONTAINER_RUNNING,
    SANDBOX_NOTREADY,
    SANDBOX_READY,
    ContainerConfig,
    ContainerStatus,
    RuntimeService,
    SandboxConfig,
)


def wait_state(rt: RuntimeService, cid: str, state: str, timeout: float = 15.0) -> ContainerStatus:
    """Poll the status until ``state`` (deadline, never a bare sleep as synchronisation)."""
    deadline = time.monotonic() + timeout
    while True:
        status = rt.container_status(cid)
        if status.state == state:
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"container {cid[:12]} stayed {status.state}, wanted {state}")
        time.sleep(0.02)


def _sandbox(rt: RuntimeService, name: str = "pod1", **kw: Any) -> str:
    return rt.run_pod_sandbox(
        SandboxConfig(
            name=name, namespace="ns1", uid=f"uid-{name}", hostname=f"{name}-host", labels={"app": name}, **kw
        )
    )


class RuntimeConformance:
    """The suite. The ``runtime`` fixture is supplied by the subclassing test module."""

    def test_sandbox_lifecycle(self, runtime: RuntimeService) -> None:
        sid = _sandbox(runtime)
        st = runtime.pod_sandbox_status(sid)
        assert st.state == SANDBOX_READY and st.name == "pod1" and st.namespace == "ns1" and st.uid == "uid-pod1"
        assert st.ip.count(".") == 3
        assert [s.id for s in runtime.list_pod_sandboxes({"app": "pod1"})] == [sid]
        assert runtime.list_pod_sandboxes({"app": "other"}) == []
        runtime.stop_pod_sandbox(sid)
        assert runtime.pod_sandbox_status(sid).state == SANDBOX_NOTREADY
        runtime.remove_pod_sandbox(sid)
        with pytest.raises(NotFound):
            runtime.pod_sandbox_status(sid)
        runtime.remove_pod_sandbox(sid)  # idempotent

    def test_container_runs_to_completion_with_logs(self, runtime: RuntimeService) -> None:
        sid = _sandbox(runtime)
        cid = runtime.create_container(
            sid,
            ContainerConfig(
                name="job",
                image="busybox",
                command=["sh", "-c", "echo hello; echo oops >&2; exit 3"],
                labels={"tier": "batch"},
            ),
        )
        assert runtime.container_status(cid).state == CONTAINER_CREATED
        runtime.start_container(cid)
        st = wait_state(runtime, cid, CONTAINER_EXITED)
        assert st.exit_code == 3 and st.reason == "Error" and st.finished_at and st.started_at
        assert st.name == "job" and st.sandbox_id == sid and st.labels["tier"] == "batch"
        logs = [(stream, text) for _, stream, text in runtime.read_logs(cid)]
        assert logs == [("stdout", b"hello"), ("stderr", b"oops")]
        with open(st.log_path, "rb") as fh:
            first = fh.readline().split(b" ", 3)
        assert first[1:] == [b"stdout", b"F", b"hello\n"]

    def test_completed_reason_and_args_replace_cmd(self, runtime: RuntimeService) -> None:
        sid = _sandbox(runtime)
        cid = runtime.create_container(
            sid, ContainerConfig(name="c", image="busybox", command=["echo"], args=["a", "b"])
        )
        runtime.start_container(cid)
        st = wait_state(runtime, cid, CONTAINER_EXITED)
        assert st.exit_code == 0 and st.reason == "Completed"
        assert [t for _, _, t in runtime.read_logs(cid)] == [b"a b"]

    def test_exec_sync_sees_env_and_the_sandbox_hostname(self, runtime: RuntimeService) -> None:
        sid = _sandbox(runtime, "web")
        cid = runtime.create_container(
            sid, ContainerConfig(name="srv", image="busybox", command=["sleep", "300"], env={"FOO": "bar"})
        )
        runtime.start_container(cid)
        assert runtime.container_status(cid).state == CONTAINER_RUNNING
        res = runtime.exec_sync(cid, ["sh", "-c", "echo $FOO; hostname"], timeout=10)
        assert (res.exit_code, res.stdout) == (0, b"bar\nweb-host\n")
        assert runtime.exec_sync(cid, ["sh", "-c", "exit 4"], timeout=10).exit_code == 4
        argv = runtime.exec_argv(cid, ["sh"], tty=True)
        assert argv and isinstance(argv[0], str)

    def test_the_pods_resolv_conf_reaches_its_containers(self, runtime: RuntimeService) -> None:
        resolv = "nameserver 10.96.0.10\nsearch ns1.svc.cluster.local svc.cluster.local\noptions ndots:5\n"
        sid = _sandbox(runtime, "dns", resolv_conf=resolv)
        cid = runtime.create_container(sid, ContainerConfig(name="d", image="busybox", command=["sleep", "300"]))
        runtime.start_container(cid)
        assert runtime.exec_sync(cid, ["cat", "/etc/resolv.conf"], timeout=10).stdout.decode() == resolv

    def test_containers_of_a_sandbox_share_its_hostname(self, runtime: RuntimeService) -> None:
        sid = _sandbox(runtime, "shared")
        a = runtime.create_container(sid, ContainerConfig(name="a", image="busybox", command=["sleep", "300"]))
        b = runtime.create_container(sid, ContainerConfig(name="b", image="busybox", command=["sleep", "300"]))
        runtime.start_container(a)
        runtime.start_container(b)
        for cid in (a, b):
            assert runtime.exec_sync(cid, ["hostname"], timeout=10).stdout == b"shared-host\n"

    def test_host_network_sandbox_uses_the_hosts_hostname(self, runtime: RuntimeService) -> None:
        import socket

        sid = _sandbox(runtime, "hostnet", network="host")
        assert runtime.pod_sandbox_status(sid).ip == ""
        cid = runtime.create_container(sid, ContainerConfig(name="h", image="busybox", command=["sleep", "300"]))
        runtime.start_container(cid)
        assert runtime.exec_sync(cid, ["hostname"], timeout=10).stdout == socket.gethostname().encode() + b"\n"

    def test_stop_kills_and_remove_forgets(self, runtime: RuntimeService) -> None:
        sid = _sandbox(runtime)
        cid = runtime.create_container(sid, ContainerConfig(name="s", image="busybox", command=["sleep", "300"]))
        runtime.start_container(cid)
        with pytest.raises(InvalidState):
            runtime.start_container(cid)
        runtime.stop_container(cid, 0)
        st = runtime.container_status(cid)
        assert st.state == CONTAINER_EXITED and st.exit_code == 137
        with pytest.raises(InvalidState):
            runtime.exec_sync(cid, ["true"])
        runtime.remove_container(cid)
        with pytest.raises(NotFound):
            runtime.container_status(cid)
        runtime.remove_container(cid)  # idempotent
        assert all(c.id != cid for c in runtime.list_containers())

    def test_attach_socket_only_while_running(self, runtime: RuntimeService) -> None:
        """A running container has an attach socket path; a stopped one is InvalidState, an unknown one
        NotFound. (Bytes through conmon's socket: tests/e2e/kubelet.)"""
        sid = _sandbox(runtime)
        cid = runtime.create_container(sid, ContainerConfig(name="a", image="busybox", command=["sleep", "300"],
                                                            stdin=True, tty=True))
        runtime.start_container(cid)
        assert isinstance(runtime.attach_socket(cid), str) and runtime.attach_socket(cid)
        runtime.resize_tty(cid, 24, 80)
        runtime.stop_container(cid, 0)
        with pytest.raises(InvalidState):
            runtime.attach_socket(cid)
        with pytest.raises(NotFound):
            runtime.attach_socket("f" * 64)
        with pytest.raises(NotFound):
            runtime.resize_tty("f" * 64, 24, 80)

    def test_list_filters_and_sandbox_removal_takes_its_containers(self, runtime: RuntimeService) -> None:
        s1, s2 = _sandbox(runtime, "one"), _sandbox(runtime, "two")
        c1 = runtime.create_container(
            s1, ContainerConfig(name="x", image="busybox", command=["true"], labels={"k": "v"})
        )
        c2 = runtime.create_container(s2, ContainerConfig(name="y", image="busybox", command=["true"]))
        assert [c.id for c in runtime.list_containers(sandbox_id=s1)] == [c1]
        assert [c.id for c in runtime.list_containers(labels={"k": "v"})] == [c1]
        assert {c.id for c in runtime.list_containers()} >= {c1, c2}
        runtime.remove_pod_sandbox(s1)
        with pytest.raises(NotFound):
            runtime.container_status(c1)
        assert runtime.container_status(c2).state == CONTAINER_CREATED

    def test_errors(self, runtime: RuntimeService) -> None:
        with pytest.raises(NotFound):
            runtime.create_container("0" * 64, ContainerConfig(name="x", image="busybox"))
        sid = _sandbox(runtime)
        with pytest.raises(NotFound):
            runtime.create_container(sid, ContainerConfig(name="x", image="nosuchimage:1"))
        with pytest.raises(NotFound):
            runtime.container_status("f" * 64)
        # A command missing from the image fails at create (the engine checks the rootfs) or at start
        # (runc's exec); either way with a ContainerError and nothing left running.
        with pytest.raises(ContainerError):
            bad = runtime.create_container(
                sid, ContainerConfig(name="bad", image="busybox", command=["/no/such/binary"])
            )
            runtime.start_container(bad)
        assert all(c.state != CONTAINER_RUNNING for c in runtime.list_containers(sandbox_id=sid))

    def test_port_forward_errors(self, runtime: RuntimeService) -> None:
        """What both share: an unknown sandbox is NotFound, a port nothing listens on in the sandbox is a
        RuntimeFailure naming the refusal. (Bytes through a real pod's port: tests/e2e/kubelet.)"""
        with pytest.raises(NotFound):
            runtime.port_forward("0" * 64, 80)
        sid = _sandbox(runtime)
        with pytest.raises(RuntimeFailure, match="connection refused"):
            runtime.port_forward(sid, 1)

    def test_images(self, runtime: RuntimeService) -> None:
        image_id = runtime.pull_image("busybox")
        assert image_id.startswith("sha256:")
        status = runtime.image_status("busybox")
        assert status is not None and status.id == image_id
        assert any(i.id == image_id for i in runtime.list_images())
        assert runtime.image_status("nosuchimage:1") is None
        with pytest.raises(NotFound):
            runtime.pull_image("nosuchimage:1")
