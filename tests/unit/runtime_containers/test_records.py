import os
from typing import Any

import pytest

from kubelite.runtime.container_errors import InvalidArgument
from kubelite.runtime.containers import Config, Container, HostConfig, PortBinding, State
from kubelite.runtime.execs import process_spec
from kubelite.runtime.inspect_json import container_json, human_duration, ps_rows, status_text
from kubelite.runtime.lifecycle import merge_env, parse_volume, signal_name
from kubelite.runtime.users import resolve_user

pytestmark = pytest.mark.unit


def _ctr(**state: Any) -> Container:
    return Container(
        id="f" * 64,
        name="web",
        created="2026-01-01T00:00:00.000000000Z",
        config=Config(image="busybox", args=["httpd", "-f"], exposed_ports=["80/tcp"]),
        host_config=HostConfig(port_bindings=[PortBinding("", 8080, 80)]),
        state=State(**state),
    )


def test_inspect_json_shape() -> None:
    doc = container_json(_ctr(status="running", pid=7, started_at="2026-01-01T00:00:01.0Z"))
    assert doc["Name"] == "/web" and doc["Path"] == "httpd" and doc["Args"] == ["-f"]
    assert doc["State"]["Running"] is True and doc["State"]["Pid"] == 7
    assert doc["HostConfig"]["PortBindings"] == {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}
    assert doc["NetworkSettings"]["Ports"]["80/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": "8080"}]


def test_ps_columns_and_status_words() -> None:
    now = 1767225600.0 + 65  # 2026-01-01T00:01:05Z
    rows = ps_rows([_ctr(status="exited", exit_code=3, finished_at="2026-01-01T00:01:00.0Z")], now)
    assert rows[0] == ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
    assert rows[1][0] == "f" * 12 and rows[1][4] == "Exited (3) 5 seconds ago"
    assert rows[1][5] == "0.0.0.0:8080->80/tcp" and rows[1][6] == "web"
    assert status_text(_ctr(status="created")) == "Created"
    assert human_duration(0.2) == "Less than a second" and human_duration(3 * 3600) == "3 hours"


def test_env_merge_overrides_keep_order() -> None:
    assert merge_env(["PATH=/bin", "A=1"], ["A=2", "B=3"]) == ["PATH=/bin", "A=2", "B=3"]
    with pytest.raises(InvalidArgument):
        merge_env([], ["=x"])


def test_volume_parse(tmp_path: object) -> None:
    assert parse_volume(f"{tmp_path}:/data:ro") == (str(tmp_path), "/data", True)
    assert parse_volume(f"{tmp_path}:/data") == (str(tmp_path), "/data", False)
    for bad in ("/x", f"{tmp_path}:rel", f"{tmp_path}:/d:rx", "named:/d", "/does/not/exist:/d"):
        with pytest.raises(InvalidArgument):
            parse_volume(bad)


def test_signal_names() -> None:
    assert signal_name("TERM") == signal_name("15") == signal_name("SIGTERM") == "SIGTERM"
    with pytest.raises(InvalidArgument):
        signal_name("SIGNOPE")


def test_users_resolved_in_rootfs(tmp_path: object) -> None:
    os.makedirs(f"{tmp_path}/etc")
    with open(f"{tmp_path}/etc/passwd", "w") as fh:
        fh.write("root:x:0:0::/root:/bin/sh\nwww:x:1000:1001::/w:/bin/sh\n")
    with open(f"{tmp_path}/etc/group", "w") as fh:
        fh.write("root:x:0:\nwww:x:1001:\nextra:x:2000:www,bob\n")
    u = resolve_user(str(tmp_path), "www")
    assert (u.uid, u.gid, u.additional_gids) == (1000, 1001, (2000,))
    assert resolve_user(str(tmp_path), "5:6").uid == 5
    assert resolve_user(str(tmp_path), "www:root").gid == 0
    with pytest.raises(InvalidArgument):
        resolve_user(str(tmp_path), "nobody")


def test_exec_process_spec_inherits_container_process() -> None:
    base = {
        "args": ["httpd"],
        "env": ["PATH=/bin", "A=1"],
        "cwd": "/srv",
        "terminal": False,
        "capabilities": {"bounding": ["CAP_KILL"]},
        "noNewPrivileges": True,
        "user": {"uid": 0, "gid": 0},
    }
    proc = process_spec(base, ["sh"], env=["A=2"], uid=1000, gid=1000, additional_gids=(), cwd="", tty=True)
    assert proc["args"] == ["sh"] and proc["env"] == ["PATH=/bin", "A=2"] and proc["cwd"] == "/srv"
    assert proc["terminal"] is True and proc["noNewPrivileges"] is True
    assert proc["capabilities"] == base["capabilities"] and proc["user"] == {"uid": 1000, "gid": 1000}
    assert base["args"] == ["httpd"]


def test_find_executable_in_rootfs_path_and_bind_mounts(tmp_path: object) -> None:
    from kubelite.runtime.users import find_executable

    root = f"{tmp_path}/rootfs"
    os.makedirs(f"{root}/bin")
    os.makedirs(f"{root}/usr")
    with open(f"{root}/bin/busybox", "w") as fh:
        fh.write("#!/bin/true\n")
    os.chmod(f"{root}/bin/busybox", 0o755)
    os.symlink("busybox", f"{root}/bin/sh")  # relative link
    os.symlink("/bin", f"{root}/usr/bin")  # absolute link: resolved inside the rootfs
    vol = f"{tmp_path}/vol"
    os.makedirs(vol)
    with open(f"{vol}/run.sh", "w") as fh:
        fh.write("#!/bin/sh\n")
    os.chmod(f"{vol}/run.sh", 0o755)
    env = ["PATH=/usr/bin"]
    assert find_executable(root, "sh", env)
    assert find_executable(root, "/usr/bin/sh", [])
    assert not find_executable(root, "nosuch", env)
    assert not find_executable(root, "/app/run.sh", env)
    assert find_executable(root, "/app/run.sh", env, binds=[(vol, "/app")])
    assert find_executable(root, "./run.sh", env, cwd="/app", binds=[(vol, "/app")])
    with open(f"{root}/bin/data", "w") as fh:
        fh.write("not executable")
    assert not find_executable(root, "/bin/data", env)
