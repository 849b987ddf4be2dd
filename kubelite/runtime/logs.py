"""Reading and following a container's CRI log (the file conmon writes).

Following: new bytes are read from the last complete line's offset; between reads we wait on a pidfd of
the container's conmon (which exits right after the container) with a short timeout, so the follow ends
as soon as the container does, and the file is drained one last time after that.
"""

from __future__ import annotations

import os
import select
from typing import TYPE_CHECKING, BinaryIO

from kubelite.runtime.monitor import LogLine, join_partials, parse_cri_line, read_log, render

if TYPE_CHECKING:
    from kubelite.runtime.containers import Container
    from kubelite.runtime.lifecycle import Engine

POLL = 0.1


def _emit(lines: list[LogLine], out: BinaryIO, err: BinaryIO, timestamps: bool) -> None:
    for line in lines:
        (err if line.stream == "stderr" else out).write(render(line, timestamps=timestamps))
    out.flush()
    err.flush()


def print_lines(path: str, out: BinaryIO, err: BinaryIO, *, tail: int | None, timestamps: bool) -> int:
    lines, offset = read_log(path, tail=tail)
    _emit(lines, out, err, timestamps)
    return offset


def _read_from(path: str, offset: int) -> tuple[list[LogLine], int]:
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n") + 1
    parsed = [p for p in (parse_cri_line(r) for r in data[:end].split(b"\n") if r) if p is not None]
    return list(join_partials(parsed)), offset + end


def follow_log(
    engine: Engine, ctr: Container, out: BinaryIO, err: BinaryIO, *, tail: int | None, timestamps: bool
) -> None:
    path = engine.paths(ctr.id).log
    offset = print_lines(path, out, err, tail=tail, timestamps=timestamps)
    pidfd = -1
    if ctr.state.conmon_pid:
        try:
            pidfd = os.pidfd_open(ctr.state.conmon_pid)
        except (ProcessLookupError, OSError):
            pidfd = -1
    try:
        while True:
            done = True
            if pidfd >= 0:
                ready, _, _ = select.select([pidfd], [], [], POLL)
                done = bool(ready)
            lines, offset = _read_from(path, offset)
            _emit(lines, out, err, timestamps)
            if done:
                lines, offset = _read_from(path, offset)
                _emit(lines, out, err, timestamps)
                return
    finally:
        if pidfd >= 0:
            os.close(pidfd)
