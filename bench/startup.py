"""CLI start-up: ``kubelite --version`` against a bare ``python3 -c pass`` on the same interpreter.

Every engine command pays the CLI's import time, so the CLI keeps its imports lazy; the target is
within 3x of the bare interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.harness import Row, interleave, render, time_call


def _runner(argv: list[str]) -> float:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="0")
    return time_call(lambda: subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env))


def rows(runs: int = 30) -> list[Row]:
    python = sys.executable
    # The console script pip installed beside the interpreter is what users run; fall back to -m.
    script = Path(python).with_name("kubelite")
    command = [str(script)] if script.exists() else [python, "-m", "kubelite"]
    ours, ref = interleave(
        lambda: _runner([*command, "--version"]),
        lambda: _runner([python, "-c", "pass"]),
        runs,
        warmup=3,
    )
    return [Row("kubelite --version", ours, ref, unit="ms", reference_name="python3 -c pass", target=3.0)]


def main() -> None:
    print(render("CLI start-up", rows()))


if __name__ == "__main__":
    main()
