"""The container engine on real runc, conmon, overlayfs, veth and nftables (root)."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

from kubelite.runtime.container_errors import AlreadyExists, InvalidState, NotFound, PortInUse
from kubelite.runtime.containers import CREATING, State
from kubelite.runtime.execs import exec_capture
from kubelite.runtime.lifecycle import CreateRequest, Engine
from kubelite.runtime.logs import follow_log
from kubelite.runtime.network.ports import parse_publish
from kubelite.testing.engine_harness import free_port, run_attached, wait_for


def _log(engine: Engine, cid: str) -> bytes:
    with open(engine.paths(cid).log, "rb") as fh:
        return fh.read()


pytestmark = pytest.mark.e2e


def test_run_env_hostname_hosts_and_exit_code(clean: Engine) -> None:
    code, out, err, cid = run_attached(
        clean,
        CreateRequest(
            image="busybox",
            env=["FOO=bar"],
            hostname="box1",
            command=[
                "sh",
                "-c",
                "echo $FOO; hostname; grep box1 /etc/hosts; ip -4 addr show eth0; echo oops >&2; exit 3",
            ],
        ),
    )
    text = out.decode()
    assert code == 3
    assert text.splitlines()[:2] == ["bar", "box1"]
    ctr = clean.get(cid)
    assert f"{ctr.network.ip}\tbox1" in text and f"inet {ctr.network.ip}/" in text
    assert err == b"oops\n"


def test_publish_reachable_from_host_loopback_and_busy_port(clean: Engine, tmp_path: object) -> None:
    port = free_port()
    www = tempfile.mkdtemp(dir=str(tmp_path))
    with open(os.path.join(www, "index.html"), "w") as fh:
        fh.write("hello from the container\n")
    ctr = clean.create(
        CreateRequest(
            image="busybox",
            name="web",
            publish=[parse_publish(f"{port}:80")],
            volumes=[f"{www}:/www:ro"],
            command=["httpd", "-f", "-p", "80", "-h", "/www"],
        )
    )
    clean.start(ctr.id)
    body = wait_for(
        lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read(),
        what="the published port to answer",
    )
    assert body == b"hello from the container\n"
    # The same host port for a second container: refused with Docker's words.
    other = clean.create(CreateRequest(image="busybox", publish=[parse_publish(f"{port}:80")], command=["true"]))
    with pytest.raises(PortInUse, match="port is already allocated"):
        clean.start(other.id)
    # A port a host process holds: refused too.
    with socket.socket() as holder:
        holder.bind(("0.0.0.0", 0))
        holder.listen()
        held = holder.getsockname()[1]
        third = clean.create(CreateRequest(image="busybox", publish=[parse_publish(f"{held}:80")], command=["true"]))
        with pytest.raises(PortInUse):
            clean.start(third.id)
    clean.remove("web", force=True)
    rules = subprocess.run(
        ["nft", "list", "table", "ip", clean.net.table], check=False, capture_output=True, text=True
    ).stdout
    assert f"dport {port}" not in rules


def test_volumes_rw_and_ro(clean: Engine, tmp_path: object) -> None:
    data = tempfile.mkdtemp(dir=str(tmp_path))
    code, _, _, _ = run_attached(
        clean,
        CreateRequest(image="busybox", volumes=[f"{data}:/data"], command=["sh", "-c", "echo written > /data/f"]),
    )
    assert code == 0
    with open(os.path.join(data, "f")) as fh:
        assert fh.read() == "written\n"
    code, _out, err, _ = run_attached(
        clean,
        CreateRequest(image="busybox", volumes=[f"{data}:/data:ro"], command=["sh", "-c", "echo x > /data/g"]),
    )
    assert code != 0 and b"Read-only file system" in err
    assert not os.path.exists(os.path.join(data, "g"))


def test_memory_limit_oom_kill_is_reported(clean: Engine) -> None:
    code, _, _, cid = run_attached(
        clean,
        CreateRequest(
            image="busybox",
            memory=16 << 20,
            command=["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"],
        ),
    )
    ctr = clean.get(cid)
    assert code == 137
    assert ctr.state.oom_killed is True
    # Under the limit, the same work succeeds.
    code, _, _, _ = run_attached(
        clean,
        CreateRequest(
            image="busybox",
            memory=128 << 20,
            command=["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"],
        ),
    )
    assert code == 0


def test_exec_runs_in_the_containers_namespaces(clean: Engine) -> None:
    ctr = clean.create(
        CreateRequest(image="busybox", name="execme", env=["A=1"], hostname="exechost", command=["sleep", "300"])
    )
    clean.start(ctr.id)
    code, out, _ = exec_capture(clean, "execme", ["sh", "-c", "echo $A $B; hostname; cat /proc/1/cmdline"], env=["B=2"])
    assert code == 0
    lines = out.decode().splitlines()
    assert lines[0] == "1 2" and lines[1] == "exechost" and lines[2].startswith("sleep")
    code, _, _ = exec_capture(clean, "execme", ["sh", "-c", "exit 5"])
    assert code == 5
    clean.stop("execme", 0)
    with pytest.raises(InvalidState):
        exec_capture(clean, "execme", ["true"])


def test_logs_follow_until_exit_with_timestamps(clean: Engine) -> None:
    ctr = clean.create(
        CreateRequest(
            image="busybox",
            command=["sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done; echo bye >&2"],
        )
    )
    ctr, _ = clean.start(ctr.id)
    out, err = io.BytesIO(), io.BytesIO()
    follow_log(clean, ctr, out, err, tail=None, timestamps=True)
    lines = out.getvalue().decode().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["line1", "line2", "line3"]
    assert lines[0][:4].isdigit() and "T" in lines[0].split(" ")[0]
    assert err.getvalue().decode().endswith("bye\n")
    assert clean.get(ctr.id).state.status == "exited"


def test_stop_sends_the_images_stopsignal(clean: Engine) -> None:
    ctr = clean.create(
        CreateRequest(
            image="stopper",
            command=[
                "sh",
                "-c",
                "trap 'echo got-usr1; exit 0' USR1; echo ready; while true; do sleep 0.1; done",
            ],
        )
    )
    assert ctr.config.stop_signal == "SIGUSR1"
    clean.start(ctr.id)
    wait_for(lambda: b"ready" in _log(clean, ctr.id), what="the trap to be set")
    t0 = time.monotonic()
    final = clean.stop(ctr.id, 10)
    assert time.monotonic() - t0 < 5
    assert final.state.exit_code == 0
    assert b"got-usr1" in _log(clean, ctr.id)


def test_stop_kills_after_the_grace_period(clean: Engine) -> None:
    ctr = clean.create(
        CreateRequest(image="busybox", command=["sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done"])
    )
    clean.start(ctr.id)
    wait_for(lambda: b"ready" in _log(clean, ctr.id), what="the trap to be set")
    t0 = time.monotonic()
    final = clean.stop(ctr.id, 1)
    elapsed = time.monotonic() - t0
    assert 1.0 <= elapsed < 8
    assert final.state.exit_code == 137 and final.state.status == "exited"


def test_rm_refuses_running_then_force_cleans_everything(clean: Engine) -> None:
    ctr = clean.create(CreateRequest(image="busybox", name="gone", command=["sleep", "300"]))
    ctr, _ = clean.start(ctr.id)
    netns, veth = ctr.network.netns, ctr.network.host_veth
    assert os.path.exists(netns) and os.path.exists(f"/sys/class/net/{veth}")
    with pytest.raises(InvalidState, match="cannot remove a running container"):
        clean.remove("gone")
    clean.remove("gone", force=True)
    assert not os.path.exists(netns) and not os.path.exists(f"/sys/class/net/{veth}")
    assert not os.path.exists(clean.store.path(ctr.id))
    assert clean.runc.state(ctr.id) is None
    with pytest.raises(NotFound):
        clean.get("gone")


def test_network_host_and_none(clean: Engine) -> None:
    code, out, _, _ = run_attached(
        clean, CreateRequest(image="busybox", network="none", command=["sh", "-c", "ls /sys/class/net"])
    )
    assert code == 0 and out.split() == [b"lo"]
    code, out, _, _ = run_attached(
        clean,
        CreateRequest(image="busybox", network="host", command=["sh", "-c", "hostname; ls /sys/class/net"]),
    )
    names = out.decode().split()
    assert code == 0 and names[0] == socket.gethostname()
    assert clean.net.bridge in names  # the host's own interfaces are visible


def test_names_and_errors(clean: Engine) -> None:
    clean.create(CreateRequest(image="busybox", name="taken", command=["true"]))
    with pytest.raises(AlreadyExists, match='"/taken" is already in use'):
        clean.create(CreateRequest(image="busybox", name="taken", command=["true"]))
    with pytest.raises(NotFound, match="Unable to find image 'nosuchimage:1' locally"):
        clean.create(CreateRequest(image="nosuchimage:1", command=["true"]))
    with pytest.raises(NotFound, match="No such container"):
        clean.stop("nosuchcontainer")
    auto = clean.create(CreateRequest(image="busybox", command=["true"]))
    assert auto.name and auto.name != "taken"


def test_restart_of_an_exited_container(clean: Engine) -> None:
    code, _out, _, cid = run_attached(clean, CreateRequest(image="busybox", command=["sh", "-c", "echo run; exit 2"]))
    assert code == 2
    ctr, _started = clean.start(cid)
    clean.wait(ctr, 10)
    final = clean.get(cid)
    assert final.state.exit_code == 2 and final.restart_count == 1
    assert _log(clean, cid).count(b"stdout F run") == 2


def test_interrupted_create_is_reaped(clean: Engine) -> None:
    """A record left 'creating' by a CLI that died is hidden, then reaped with its rootfs and netns."""
    from kubelite.runtime import containers as c
    from kubelite.runtime.network import bridge

    dead = subprocess.Popen(["true"])
    dead.wait()
    ctr = c.Container(
        id=c.new_id(),
        name="halfway",
        created="t",
        config=c.Config(image="busybox"),
        state=State(status=CREATING, owner_pid=dead.pid),
    )
    rootfs = clean.store.path(ctr.id, "rootfs")
    os.makedirs(rootfs)
    clean.images.prepare_rootfs(ctr.id, clean.images.resolve("busybox"), rootfs)
    netns = bridge.isolated(clean.kernel, ctr.id)
    ctr.host_config.network_mode = "bridge"  # teardown removes a bridge container's netns
    with clean.store.lock():
        clean.store.save(ctr)
    assert all(x.id != ctr.id for x in clean.containers(all_containers=True))
    with pytest.raises(NotFound):
        clean.get("halfway")
    assert not os.path.ismount(rootfs) and not os.path.exists(netns)
    clean.create(CreateRequest(image="busybox", name="halfway", command=["true"]))


def test_start_after_an_interrupted_start(clean: Engine) -> None:
    """A CLI killed between `runc create` and recording "running" leaves runc state; start recovers."""
    from kubelite.runtime.monitor import start_monitor

    ctr = clean.create(CreateRequest(image="busybox", command=["sh", "-c", "echo once; sleep 300"]))
    start_monitor(clean.paths(ctr.id), name=ctr.name, runc=clean.runc.binary, runc_root=clean.runc.state_root)
    assert clean.get(ctr.id).state.status == "created"
    ctr, _ = clean.start(ctr.id)
    assert clean.get(ctr.id).state.status == "running"
    wait_for(lambda: b"once" in _log(clean, ctr.id), what="the container's output")
    clean.remove(ctr.id, force=True)
    assert clean.runc.state(ctr.id) is None


def test_security_defaults_and_limits_inside_the_container(clean: Engine) -> None:
    script = (
        "grep -E '^(CapEff|Seccomp|NoNewPrivs):' /proc/self/status; "
        "echo masked=$(wc -c < /proc/timer_list); "
        "(echo 1 > /proc/sys/kernel/panic) 2>/dev/null && echo sys=writable || echo sys=readonly; "
        "(mount -t tmpfs x /mnt) 2>/dev/null && echo mount=allowed || echo mount=denied; "
        "echo quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max 2>/dev/null | head -1); "
        "echo pids=$(cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null | head -1); "
        "echo nofile=$(ulimit -n)"
    )
    code, out, _, _ = run_attached(
        clean,
        CreateRequest(image="busybox", cpus=0.5, pids_limit=20, no_new_privileges=True, command=["sh", "-c", script]),
    )
    facts = dict(line.split(":", 1) if ":" in line else line.split("=", 1) for line in out.decode().splitlines())
    facts = {k.strip(): v.strip() for k, v in facts.items()}
    assert code == 0, out
    assert facts["CapEff"] == "00000000a80425fb"  # Docker's 14 capabilities, exactly
    assert facts["Seccomp"] == "2" and facts["NoNewPrivs"] == "1"
    with open("/proc/timer_list", "rb") as fh:
        assert fh.read(1)  # the host's is not empty, so an empty one inside means masked
    assert facts["masked"] == "0" and facts["sys"] == "readonly" and facts["mount"] == "denied"
    assert facts["quota"].split()[0] == "50000" and facts["pids"] == "20"
    with open("/proc/self/limits") as fh:
        host_nofile = next(line.split()[4] for line in fh if line.startswith("Max open files"))
    assert int(facts["nofile"]) <= int(host_nofile)
