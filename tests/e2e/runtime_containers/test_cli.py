"""The container verbs through the real ``kubelite`` CLI, on an image bootstrapped into the real store."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator

import pytest

from kubelite.runtime.bootstrap import bootstrap_busybox
from kubelite.runtime.lifecycle import Engine
from kubelite.testing.engine_harness import free_port, new_engine_root, teardown_engine, wait_for

pytestmark = pytest.mark.e2e


class CLI:
    def __init__(self, root: str) -> None:
        self.root = root

    def __call__(
        self, *args: str, stdin: bytes | None = None, timeout: float = 60, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "kubelite", "--root", self.root, *args],
            input=stdin.decode() if stdin is not None else None,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"kubelite {' '.join(args)} -> {proc.returncode}: {proc.stderr}")
        return proc


@pytest.fixture(scope="module")
def cli() -> Iterator[CLI]:
    root, net = new_engine_root("kl-cli-")
    try:
        bootstrap_busybox(root)
        yield CLI(root)
    finally:
        teardown_engine(Engine(root, net=net), root)


def test_run_rm_prints_output_and_propagates_exit_code(cli: CLI) -> None:
    proc = cli("run", "--rm", "-e", "GREETING=hi there", "busybox", "sh", "-c", "echo $GREETING; exit 7", check=False)
    assert proc.returncode == 7 and proc.stdout == "hi there\n"
    assert cli("ps", "-a", "-q").stdout == ""


def test_run_interactive_reads_stdin(cli: CLI) -> None:
    proc = cli("run", "-i", "--rm", "busybox", "sh", "-c", "tr a-z A-Z", stdin=b"shout\n")
    assert proc.stdout == "SHOUT\n"


def test_detached_web_server_ps_inspect_exec_logs_stop_rm(cli: CLI) -> None:
    port = free_port()
    www = tempfile.mkdtemp()
    try:
        with open(os.path.join(www, "index.html"), "w") as fh:
            fh.write("ok\n")
        cid = cli(
            "run",
            "-d",
            "--name",
            "web1",
            "-p",
            f"127.0.0.1:{port}:80",
            "-v",
            f"{www}:/www:ro",
            "busybox",
            "sh",
            "-c",
            "echo starting; exec httpd -f -v -p 80 -h /www",
        ).stdout.strip()
        assert len(cid) == 64
        body = wait_for(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read(), what="the published port"
        )
        assert body == b"ok\n"
        ps = cli("ps").stdout.splitlines()
        assert ps[0].split() == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
        assert cid[:12] in ps[1] and f"127.0.0.1:{port}->80/tcp" in ps[1] and ps[1].endswith("web1")
        doc = json.loads(cli("inspect", "web1").stdout)[0]
        assert doc["Id"] == cid and doc["Name"] == "/web1" and doc["State"]["Running"] is True
        assert doc["NetworkSettings"]["IPAddress"] and doc["HostConfig"]["PortBindings"]["80/tcp"][0][
            "HostPort"
        ] == str(port)
        assert cli("inspect", "-f", "{{.State.Status}}", "web1").stdout == "running\n"
        image = json.loads(cli("inspect", "busybox").stdout)[0]
        assert image["Id"] == doc["Image"]
        assert cli("exec", "web1", "cat", "/www/index.html").stdout == "ok\n"
        assert cli("exec", "-e", "X=1", "-w", "/www", "web1", "sh", "-c", "echo $X $(pwd)").stdout == "1 /www\n"
        assert cli("exec", "web1", "sh", "-c", "exit 3", check=False).returncode == 3
        assert cli("logs", "web1").stdout.startswith("starting\n")
        last = cli("logs", "-t", "--tail", "1", "web1")
        assert (last.stdout + last.stderr).split(" ", 1)[0].endswith("Z")
        assert cli("stop", "-t", "1", "web1").stdout == "web1\n"
        assert "Exited (" in cli("ps", "-a").stdout
        assert cli("ps", "-q").stdout == ""
        assert cli("rm", "web1").stdout == "web1\n"
        assert cli("ps", "-a", "-q").stdout == ""
    finally:
        shutil.rmtree(www, ignore_errors=True)


def test_logs_follow_ends_when_the_container_exits(cli: CLI) -> None:
    cli("run", "-d", "--name", "counter", "busybox", "sh", "-c", "for i in 1 2 3; do echo n$i; sleep 0.2; done")
    proc = cli("logs", "-f", "counter", timeout=30)
    assert proc.stdout == "n1\nn2\nn3\n"
    cli("rm", "counter")


def test_exec_tty_is_a_real_pty(cli: CLI) -> None:
    import pty

    cli("run", "-d", "--name", "ttybox", "busybox", "sleep", "300")
    master, slave = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "kubelite", "--root", cli.root, "exec", "-t", "ttybox", "tty"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            timeout=30,
            check=False,
        )
        os.close(slave)
        output = b""
        while True:
            try:
                chunk = os.read(master, 1024)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(master)
    assert proc.returncode == 0
    assert b"/dev/pts/" in output
    cli("rm", "-f", "ttybox")


def test_errors_are_one_line_and_non_zero(cli: CLI) -> None:
    cases = [
        (["run", "nosuchimage"], "Unable to find image 'nosuchimage' locally"),
        (["run", "Bad:Ref"], "invalid reference format"),
        (["run", "--memory", "lots", "busybox", "true"], "invalid memory size"),
        (["run", "-p", "99999:80", "busybox", "true"], "invalid port"),
        (["run", "-v", "relative:/x", "busybox", "true"], "invalid volume"),
        (["run", "--network", "galaxy", "busybox", "true"], "network galaxy not found"),
        (["run", "-w", "relative", "busybox", "true"], "needs to be an absolute path"),
        (["run", "--rm", "busybox", "nosuchcommand"], 'exec: "nosuchcommand": executable file not found'),
        (["rm", "nosuchcontainer"], "No such container: nosuchcontainer"),
        (["logs", "nosuchcontainer"], "No such container"),
        (["exec", "nosuchcontainer", "true"], "No such container"),
        (["kill", "-s", "SIGNOPE", "nosuchcontainer"], "No such container"),
        (["inspect", "nosuchthing"], "No such object: nosuchthing"),
    ]
    for args, message in cases:
        proc = cli(*args, check=False)
        assert proc.returncode != 0, args
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and message in lines[0], (args, proc.stderr)


def test_taken_name_and_busy_port(cli: CLI) -> None:
    port = free_port()
    cli("run", "-d", "--name", "holder", "-p", f"{port}:80", "busybox", "httpd", "-f", "-p", "80")
    proc = cli("run", "-d", "--name", "holder", "busybox", "true", check=False)
    assert proc.returncode != 0 and 'The container name "/holder" is already in use' in proc.stderr
    proc = cli("run", "-d", "-p", f"{port}:80", "busybox", "true", check=False)
    assert proc.returncode != 0 and "port is already allocated" in proc.stderr
    assert "Traceback" not in proc.stderr
    cli("rm", "-f", "holder")
    cli("system", "prune")
    assert cli("ps", "-a", "-q").stdout == ""


def test_two_clis_racing_for_one_name_never_both_win(cli: CLI) -> None:
    name = "race" + secrets.token_hex(3)
    argv = [
        sys.executable,
        "-m",
        "kubelite",
        "--root",
        cli.root,
        "run",
        "-d",
        "--name",
        name,
        "busybox",
        "sleep",
        "300",
    ]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(*p.communicate(timeout=60), p.returncode) for p in procs]
    winners = [r for r in results if r[2] == 0]
    assert len(winners) == 1, results
    assert all("already in use" in r[1] for r in results if r[2] != 0)
    assert cli("ps", "-q").stdout.split() == [winners[0][0].strip()[:12]]
    cli("rm", "-f", name)


def test_container_outlives_the_cli_and_network_modes(cli: CLI) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubelite",
            "--root",
            cli.root,
            "run",
            "--name",
            "orphan",
            "busybox",
            "sh",
            "-c",
            "echo up; sleep 300",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"up\n"
    proc.kill()
    proc.wait()
    assert "Up " in cli("ps").stdout
    cli("rm", "-f", "orphan")
    assert cli("run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net").stdout == "lo\n"
    host = cli("run", "--rm", "--network", "host", "busybox", "hostname").stdout.strip()
    assert host == os.uname().nodename


def test_attach_forwards_stdin_and_returns_the_exit_code(cli: CLI) -> None:
    cli("run", "-d", "-i", "--name", "att", "busybox", "sh", "-c", "read x; echo got $x; exit 4")
    proc = cli("attach", "att", stdin=b"hello\n", check=False)
    assert (proc.returncode, proc.stdout) == (4, "got hello\n")
    proc = cli("attach", "att", check=False)
    assert proc.returncode != 0 and "stopped container" in proc.stderr
    cli("rm", "att")


def test_detached_rm_container_is_removed_when_it_exits(cli: CLI) -> None:
    cid = cli("run", "-d", "--rm", "busybox", "sh", "-c", "sleep 0.3").stdout.strip()
    wait_for(lambda: cid[:12] not in cli("ps", "-a", "-q").stdout, timeout=20, what="auto-removal")
    cid = cli("run", "-d", "--rm", "--name", "stopme", "busybox", "sleep", "300").stdout.strip()
    assert cli("stop", "-t", "0", "stopme").returncode == 0
    wait_for(lambda: cid[:12] not in cli("ps", "-a", "-q").stdout, timeout=20, what="auto-removal after stop")


def test_run_it_gives_an_interactive_terminal(cli: CLI) -> None:
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: kubelite run -it on a real terminal
        os.execv(
            sys.executable,
            [sys.executable, "-m", "kubelite", "--root", cli.root, "run", "-it", "--rm", "busybox", "sh"],
        )
    seen = b""

    def read_until(token: bytes, timeout: float = 30) -> bool:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:
                return False
            if not data:
                return False
            seen += data
            if token in seen:
                return True
        return False

    try:
        assert read_until(b"# "), seen
        os.write(fd, b"tty; echo $((6*7)); exit 3\r")
        assert read_until(b"42"), seen
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 3
    assert b"/dev/pts/0" in seen
    assert cli("ps", "-a", "-q").stdout == ""


def test_memory_limit_through_the_cli(cli: CLI) -> None:
    proc = cli(
        "run",
        "--name",
        "hog",
        "--memory",
        "16m",
        "busybox",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=64M",
        "count=1",
        check=False,
    )
    assert proc.returncode == 137 and "OOM-killed" in proc.stderr
    state = json.loads(cli("inspect", "hog").stdout)[0]["State"]
    assert state["OOMKilled"] is True and state["ExitCode"] == 137
    assert json.loads(cli("inspect", "hog").stdout)[0]["HostConfig"]["Memory"] == 16 << 20
    cli("rm", "hog")
    # The same through the --rm foreground path (runc run with the CLI as monitor).
    proc = cli(
        "run",
        "--rm",
        "--memory",
        "16m",
        "busybox",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=64M",
        "count=1",
        check=False,
    )
    assert proc.returncode == 137 and "OOM-killed" in proc.stderr
    assert cli("ps", "-a", "-q").stdout == ""


def test_kill_and_start_again(cli: CLI) -> None:
    cli("run", "-d", "--name", "again", "busybox", "sh", "-c", "echo run; sleep 300")
    wait_for(lambda: cli("logs", "again").stdout == "run\n", what="first run's output")
    assert cli("kill", "again").stdout == "again\n"
    wait_for(lambda: "Exited (137)" in cli("ps", "-a").stdout, what="the kill to be recorded")
    assert cli("kill", "again", check=False).returncode != 0  # not running any more
    assert cli("start", "again").stdout == "again\n"
    wait_for(lambda: cli("logs", "again").stdout == "run\nrun\n", what="second run's output")
    doc = json.loads(cli("inspect", "again").stdout)[0]
    assert doc["RestartCount"] == 1 and doc["State"]["Running"] is True
    cli("kill", "-s", "KILL", "again")
    cli("rm", "again")


def test_concurrent_runs_on_one_port_have_one_winner(cli: CLI) -> None:
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "kubelite",
        "--root",
        cli.root,
        "run",
        "-d",
        "-p",
        f"{port}:80",
        "busybox",
        "httpd",
        "-f",
        "-p",
        "80",
    ]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(*p.communicate(timeout=60), p.returncode) for p in procs]
    assert sum(1 for r in results if r[2] == 0) == 1, results
    assert all("port is already allocated" in r[1] for r in results if r[2] != 0), results
    for cid in cli("ps", "-a", "-q").stdout.split():
        cli("rm", "-f", cid)


def test_commands_in_volumes_run_and_missing_exec_commands_fail_cleanly(cli: CLI, tmp_path: object) -> None:
    app = f"{tmp_path}/app"
    os.makedirs(app)
    with open(f"{app}/hello.sh", "w") as fh:
        fh.write("#!/bin/sh\necho hello from a volume\n")
    os.chmod(f"{app}/hello.sh", 0o755)
    assert cli("run", "--rm", "-v", f"{app}:/app:ro", "busybox", "/app/hello.sh").stdout == "hello from a volume\n"
    cli("run", "-d", "--name", "ex", "-v", f"{app}:/app:ro", "busybox", "sleep", "300")
    assert cli("exec", "ex", "/app/hello.sh").stdout == "hello from a volume\n"
    proc = cli("exec", "ex", "nosuchcommand", check=False)
    assert proc.returncode == 127 and proc.stderr.strip() == (
        'Error: exec: "nosuchcommand": executable file not found in $PATH'
    )
    cli("rm", "-f", "ex")


def _creating_record(root: str) -> str | None:
    base = os.path.join(root, "containers")
    for cid in os.listdir(base) if os.path.isdir(base) else []:
        try:
            with open(os.path.join(base, cid, "container.json")) as fh:
                if json.load(fh)["state"]["status"] == "creating":
                    return cid
        except (OSError, ValueError, KeyError):
            continue
    return None


def test_a_cli_killed_mid_create_leaves_nothing_registered(cli: CLI) -> None:
    import signal
    import time

    caught = None
    for _ in range(10):  # catch the CLI inside its "creating" window, then SIGKILL it there
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kubelite",
                "--root",
                cli.root,
                "run",
                "-d",
                "--name",
                "halfway",
                "busybox",
                "sleep",
                "300",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            caught = _creating_record(cli.root)
            if caught:
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait()
        if caught:
            break
        cli("rm", "-f", "halfway", check=False)
    assert caught, "never caught the CLI while it was creating"
    cli("run", "-d", "--name", "halfway", "busybox", "true")  # the name is free: the next create reaps it
    assert not os.path.exists(os.path.join(cli.root, "containers", caught))
    with open("/proc/mounts") as fh:
        assert caught not in fh.read()
    assert not os.path.exists(f"/run/netns/kl-{caught[:12]}")
    cli("rm", "-f", "halfway")
    assert "halfway" not in cli("ps", "-a").stdout


def test_create_then_start_attached(cli: CLI) -> None:
    cid = cli("create", "--name", "made", "-e", "X=made", "busybox", "sh", "-c", "echo $X it; exit 6").stdout.strip()
    assert len(cid) == 64 and "Created" in cli("ps", "-a").stdout
    proc = cli("start", "-a", "made", check=False)
    assert (proc.returncode, proc.stdout) == (6, "made it\n")
    cli("rm", "made")
