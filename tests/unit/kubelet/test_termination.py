"""Termination messages: the file's content within the kubelet's limit, and the log fallback's tail."""

from pathlib import Path

import pytest

from kubelite.kubelet.containerspec import container_config
from kubelite.kubelet.termination import from_logs, message_file, prepare, read_message

pytestmark = pytest.mark.unit


def test_message_file_is_prepared_empty_and_read_up_to_4096_bytes(tmp_path: Path) -> None:
    path = message_file(str(tmp_path), "uid-1", "c", 2)
    assert path == str(tmp_path / "kubelet" / "pods" / "uid-1" / "containers" / "c" / "2" / "termination-log")
    prepare(path)
    assert read_message(path) == "" and (Path(path).stat().st_mode & 0o777) == 0o666
    Path(path).write_text("x" * 5000)
    assert read_message(path) == "x" * 4096
    assert read_message(str(tmp_path / "missing")) == ""


def test_log_fallback_keeps_the_last_80_lines_and_2048_bytes() -> None:
    lines = [f"line {i}".encode() for i in range(100)]
    text = from_logs(lines)
    assert text.splitlines()[0] == "line 20" and text.endswith("line 99\n")
    long = from_logs([b"a" * 3000, b"tail"])
    assert len(long.encode()) == 2048 and long.endswith("a\ntail\n")


def test_the_file_is_bound_at_the_containers_message_path() -> None:
    def mounts(container: dict[str, str]) -> list[tuple[str, str]]:
        pod = {"metadata": {"name": "p", "namespace": "ns", "uid": "u"}, "spec": {"containers": [container]}}
        cfg = container_config(pod, container, attempt=0, init=False, services=[], lookup=lambda *_a: None,
                               volumes={}, termination_log="/host/log")
        return [(m.host_path, m.container_path) for m in cfg.mounts]

    assert mounts({"name": "c", "terminationMessagePath": "/dev/termination-log"}) == [
        ("/host/log", "/dev/termination-log")]
    assert mounts({"name": "c", "terminationMessagePath": "/tmp/why"}) == [("/host/log", "/tmp/why")]
    assert mounts({"name": "c"}) == []  # no path (the API server defaults one): nothing bound
