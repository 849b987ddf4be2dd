"""Progress of a push or pull: one bar per layer on a terminal, one line per layer elsewhere.

Pull and push report through the small :class:`Reporter` protocol so the kubelet (no terminal) can
pass :class:`NullReporter`, the CLI a :class:`RichReporter`, and tests a recording one.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from rich.progress import TaskID


def short(digest: str) -> str:
    return digest.partition(":")[2][:12]


class Reporter(Protocol):
    def start(self, digest: str, total: int, verb: str) -> None: ...
    def advance(self, digest: str, amount: int) -> None: ...
    def reset(self, digest: str, completed: int) -> None: ...
    def done(self, digest: str, status: str) -> None: ...
    def close(self) -> None: ...


class NullReporter:
    def start(self, digest: str, total: int, verb: str) -> None:
        pass

    def advance(self, digest: str, amount: int) -> None:
        pass

    def reset(self, digest: str, completed: int) -> None:
        pass

    def done(self, digest: str, status: str) -> None:
        pass

    def close(self) -> None:
        pass


class LineReporter(NullReporter):
    """``<id>: <status>`` once per layer, as docker prints when its output is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def done(self, digest: str, status: str) -> None:
        print(f"{short(digest)}: {status}", file=self.stream, flush=True)


class RichReporter:
    """One rich progress bar per layer: bytes moved, total, speed, then its final status."""

    def __init__(self, stream: TextIO) -> None:
        # rich is imported here, not at module level: quiet and library pulls never pay for it.
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

        self._progress = Progress(TextColumn("{task.fields[name]}"), TextColumn("{task.description}"),
                                  BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                                  console=Console(file=stream), transient=False)
        self._tasks: dict[str, TaskID] = {}
        self._progress.start()

    def start(self, digest: str, total: int, verb: str) -> None:
        self._tasks[digest] = self._progress.add_task(verb, total=total, name=short(digest))

    def advance(self, digest: str, amount: int) -> None:
        task = self._tasks.get(digest)
        if task is not None:
            self._progress.advance(task, amount)

    def reset(self, digest: str, completed: int) -> None:
        task = self._tasks.get(digest)
        if task is not None:
            self._progress.update(task, completed=completed)

    def done(self, digest: str, status: str) -> None:
        task = self._tasks.get(digest)
        if task is None:
            task = self._tasks[digest] = self._progress.add_task(status, total=1, name=short(digest))
        total = self._progress.tasks[task].total or 0
        self._progress.update(task, description=status, completed=total)

    def close(self) -> None:
        self._progress.stop()


def reporter_for(stream: TextIO | None = None, quiet: bool = False) -> Reporter:
    out = stream or sys.stderr
    if quiet:
        return NullReporter()
    return RichReporter(out) if out.isatty() else LineReporter(out)
