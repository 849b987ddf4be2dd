from typing import Any

import pytest

from kubelite.runtime.monitor import (
    LogLine,
    MonitorPaths,
    conmon_argv,
    join_partials,
    parse_cri_line,
    read_exit,
    read_log,
    render,
)

pytestmark = pytest.mark.unit


def test_parse_and_render_cri_lines() -> None:
    line = parse_cri_line(b"2026-01-01T00:00:00.1Z stdout F hello world\n")
    assert line == LogLine("2026-01-01T00:00:00.1Z", "stdout", False, b"hello world")
    assert render(line, timestamps=False) == b"hello world\n"
    assert render(line, timestamps=True) == b"2026-01-01T00:00:00.1Z hello world\n"
    assert parse_cri_line(b"garbage") is None
    conmon = LogLine("2026-01-01T00:00:00.123456789+00:00", "stdout", False, b"x")
    assert render(conmon, timestamps=True) == b"2026-01-01T00:00:00.123456789Z x\n"
    empty = parse_cri_line(b"t stdout F")
    assert empty is not None and empty.text == b""


def test_partials_join_per_stream() -> None:
    lines = [
        LogLine("t1", "stdout", True, b"ab"),
        LogLine("t2", "stderr", False, b"err"),
        LogLine("t3", "stdout", False, b"cd"),
    ]
    assert [(x.stream, x.text) for x in join_partials(lines)] == [("stderr", b"err"), ("stdout", b"abcd")]


def test_read_log_tail_ignores_incomplete_last_line(tmp_path: object) -> None:
    path = f"{tmp_path}/ctr.log"
    with open(path, "wb") as fh:
        fh.write(b"t1 stdout F one\nt2 stderr F two\nt3 stdout F three\nt4 stdout F par")
    lines, offset = read_log(path, tail=2)
    assert [x.text for x in lines] == [b"two", b"three"]
    assert offset == len(b"t1 stdout F one\nt2 stderr F two\nt3 stdout F three\n")
    assert read_log(path, tail=0)[0] == []


def test_exit_file_and_oom_flag(tmp_path: object) -> None:
    paths = MonitorPaths(bundle=str(tmp_path), cid="abc")
    assert read_exit(paths) is None
    import os

    os.makedirs(paths.exit_dir)
    with open(paths.exit_file, "w") as fh:
        fh.write("137")
    info = read_exit(paths)
    assert info is not None and info.code == 137 and not info.oom_killed
    open(paths.oom_file, "w").close()
    info = read_exit(paths)
    assert info is not None and info.oom_killed


def test_conmon_argv_shape() -> None:
    paths = MonitorPaths(bundle="/b", cid="c1")
    argv = conmon_argv(paths, name="web", runc="/usr/sbin/runc", runc_root="/r/runc", stdin=True, tty=False, sync=True)
    joined = " ".join(argv)
    assert "-l k8s-file:/b/ctr.log" in joined and "--exit-dir /b/exits" in joined
    assert "--runtime-arg --root --runtime-arg /r/runc" in joined
    assert "-i" in argv and "--sync" in argv and "-t" not in argv and "--full-attach" in argv


def test_conmon_leaves_stdin_open_only_when_asked() -> None:
    paths = MonitorPaths(bundle="/b", cid="c1")
    common: dict[str, Any] = {"name": "web", "runc": "runc", "runc_root": "/r", "tty": True, "sync": False}
    assert "--leave-stdin-open" not in conmon_argv(paths, stdin=True, **common)  # Docker's StdinOnce
    assert "--leave-stdin-open" in conmon_argv(paths, stdin=True, leave_stdin_open=True, **common)  # stdinOnce=false
    assert "--leave-stdin-open" not in conmon_argv(paths, stdin=False, leave_stdin_open=True, **common)
