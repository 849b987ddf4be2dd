"""Docker's human sizes and ages, and ``import --change`` parsing."""

import pytest

from kubelite.cli.image import human_size, parse_time, table
from kubelite.cli.import_ import apply_change
from kubelite.runtime.inspect_json import human_duration

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("size", "text"), [(0, "0B"), (999, "999B"), (4_261_000, "4.26MB"),
                                            (77_800_000, "77.8MB"), (1_200_000_000, "1.2GB"), (1000, "1kB")])
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


@pytest.mark.parametrize(("seconds", "text"), [(0.5, "Less than a second"), (1, "1 second"), (30, "30 seconds"),
                                               (90, "About a minute"), (600, "10 minutes"), (3600, "About an hour"),
                                               (5 * 3600, "5 hours"), (3 * 86400, "3 days"),
                                               (20 * 86400, "2 weeks"), (90 * 86400, "3 months"),
                                               (800 * 86400, "2 years")])
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_parse_time_and_table() -> None:
    assert parse_time("1970-01-01T00:00:10Z") == 10
    assert parse_time("1970-01-01T00:00:10.123456789Z") == pytest.approx(10.123456)
    assert parse_time("garbage") is None
    assert table([["A", "BB"], ["ccc", "d"]]) == "A     BB\nccc   d"


def test_apply_change() -> None:
    cfg: dict = {"Env": ["A=1"]}
    for change in ['CMD ["sh", "-c", "x"]', "ENTRYPOINT /init", "ENV A=2 B=3", "WORKDIR /w", "USER 1000",
                   "EXPOSE 80 53/udp", "LABEL k=v", "VOLUME /data", "STOPSIGNAL SIGINT"]:
        apply_change(cfg, change)
    assert cfg == {"Env": ["A=2", "B=3"], "Cmd": ["sh", "-c", "x"], "Entrypoint": ["/bin/sh", "-c", "/init"],
                   "WorkingDir": "/w", "User": "1000", "ExposedPorts": {"80/tcp": {}, "53/udp": {}},
                   "Labels": {"k": "v"}, "Volumes": {"/data": {}}, "StopSignal": "SIGINT"}
    for bad in ("RUN echo", "CMD", "ENV novalue", "CMD [1]"):
        with pytest.raises(ValueError, match="--change"):
            apply_change({}, bad)


def test_static_elf_detection(tmp_path) -> None:
    import sys

    from kubelite.runtime.bootstrap import is_static_elf

    assert not is_static_elf(sys.executable)  # a dynamically linked interpreter
    (tmp_path / "script").write_text("#!/bin/sh\n")
    assert not is_static_elf(str(tmp_path / "script"))
    import struct

    def elf(p_type: int) -> bytes:
        header = bytearray(64)
        header[:6] = b"\x7fELF\x02\x01"
        struct.pack_into("<Q", header, 32, 64)          # e_phoff
        struct.pack_into("<HH", header, 54, 56, 1)      # e_phentsize, e_phnum
        return bytes(header) + struct.pack("<I", p_type) + bytes(52)

    (tmp_path / "static").write_bytes(elf(1))           # PT_LOAD only
    (tmp_path / "dynamic").write_bytes(elf(3))          # PT_INTERP
    assert is_static_elf(str(tmp_path / "static"))
    assert not is_static_elf(str(tmp_path / "dynamic"))
