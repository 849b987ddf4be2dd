"""``kubelite build`` rebuild times against podman's (buildah's) builder, measured in the same run.

Two figures the issue asks for, on a 4-step Dockerfile (FROM busybox, COPY, RUN, COPY):

- the fully cached rebuild of an unchanged Dockerfile (target: at most 150 ms; Docker's classic
  builder takes ~0.10 s here, BuildKit ~0.15 s, podman ~0.48 s), plus the same rebuild with our
  whole-build memo bypassed (every step looked up in the layer cache), to show what each part costs;
- the rebuild after changing only the file of the last COPY (one layer made, the rest cached).

The fully cached rebuild is also shown beside ``kubelite version``, the cheapest verb (interpreter,
dispatch, argparse, logging set-up), since that start-up is most of what is left of it.

The reference is ``podman build`` with its own storage under a temp dir, on the same busybox rootfs
(imported), when podman is installed (``apt-get install podman``); without it the reference is a bare
``python3 -c pass`` (the interpreter's start-up, the floor of any Python CLI) and says so.
Samples alternate ours/reference so machine noise hits both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.harness import Row, interleave, render, time_call

DOCKERFILE = "FROM busybox\nCOPY base.txt /app/base.txt\nRUN echo built > /app/run.txt\nCOPY app.txt /app/app.txt\n"


def _kubelite() -> list[str]:
    script = Path(sys.executable).with_name("kubelite")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kubelite"]


def _quiet(argv: list[str]) -> Callable[[], object]:
    # As users run it: with bytecode cached (a shell exporting PYTHONDONTWRITEBYTECODE would make
    # every run compile kubelite's sources again).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return lambda: subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env=env)


class Podman:
    """podman with private storage under ``work`` and the same busybox rootfs imported."""

    def __init__(self, work: str, rootfs: str) -> None:
        self.work = work
        self.argv = ["podman", "--root", f"{work}/storage", "--runroot", f"{work}/run", "--storage-driver",
                     "overlay", "--cgroup-manager", "cgroupfs", "--events-backend", "file"]
        os.makedirs(work, exist_ok=True)
        tarball = os.path.join(work, "busybox.tar")
        subprocess.run(["tar", "-C", rootfs, "-cf", tarball, "."], check=True)
        subprocess.run([*self.argv, "import", tarball, "busybox:latest"], check=True, capture_output=True)

    def build(self, context: str, tag: str) -> list[str]:
        # Root here lacks CAP_SYS_RESOURCE: podman's default nofile limit would fail the RUN step.
        return [*self.argv, "build", "--ulimit", "nofile=1024:1024", "--network", "host", "-t", tag, context]

    def close(self) -> None:
        subprocess.run([*self.argv, "system", "reset", "--force"], check=False, capture_output=True)


def _unmount_under(path: str) -> None:
    with open("/proc/self/mountinfo") as fh:
        targets = [line.split()[4] for line in fh]
    for target in sorted((t for t in targets if t.startswith(path + "/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", target], check=False, capture_output=True)


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def rows(runs: int = 11) -> list[Row]:
    from kubelite.runtime.bootstrap import bootstrap_busybox, find_static_busybox, make_busybox_rootfs

    work = tempfile.mkdtemp(prefix="kl-bench-build-")
    podman: Podman | None = None
    try:
        root, ctx = os.path.join(work, "root"), os.path.join(work, "ctx")
        os.makedirs(ctx)
        _write(os.path.join(ctx, "Dockerfile"), DOCKERFILE)
        _write(os.path.join(ctx, "base.txt"), "base\n")
        _write(os.path.join(ctx, "app.txt"), "app 0\n")
        bootstrap_busybox(root)
        ours_build = [*_kubelite(), "--root", root, "build", "-t", "bench:1", ctx]
        if shutil.which("podman"):
            rootfs = os.path.join(work, "rootfs")
            make_busybox_rootfs(rootfs, find_static_busybox())
            podman = Podman(os.path.join(work, "podman"), rootfs)
            ref_name = "podman build"
            ref_build = podman.build(ctx, "bench:1")
        else:
            ref_name = "python3 -c pass (podman not installed)"
            ref_build = [sys.executable, "-c", "pass"]
        ours = _quiet(ours_build)
        ref = _quiet(ref_build)
        # Warm both caches (the first builds run RUN and make every layer).
        ours()
        ref()

        cached, cached_ref = interleave(lambda: time_call(ours), lambda: time_call(ref), runs, warmup=2)
        # How much of that is the CLI's own start-up? ``kubelite version`` is the cheapest verb: the
        # interpreter, dispatch, argparse and logging set-up that every verb pays.
        version = _quiet([*_kubelite(), "version"])
        cached2, floor = interleave(lambda: time_call(ours), lambda: time_call(version), runs, warmup=1)

        memo_dir = os.path.join(root, "build", "memo")

        def ours_no_memo() -> float:
            shutil.rmtree(memo_dir, ignore_errors=True)  # no memo: every step looked up in the cache
            return time_call(ours)

        no_memo, no_memo_ref = interleave(ours_no_memo, lambda: time_call(ref), runs, warmup=1)

        counter = iter(range(1, 10_000))

        def changed(build: Callable[[], object]) -> Callable[[], float]:
            def once() -> float:
                _write(os.path.join(ctx, "app.txt"), f"app {next(counter)}\n")
                return time_call(build)
            return once

        last, last_ref = interleave(changed(ours), changed(ref), runs, warmup=1)
        return [
            Row("rebuild, fully cached", cached, cached_ref, unit="ms", reference_name=ref_name,
                target=150.0, target_on="value"),
            Row("rebuild, fully cached (vs the cheapest verb)", cached2, floor, unit="ms",
                reference_name="kubelite version"),
            Row("rebuild, fully cached, memo bypassed", no_memo, no_memo_ref, unit="ms",
                reference_name=ref_name),
            Row("rebuild after changing the last COPY", last, last_ref, unit="ms", reference_name=ref_name),
        ]
    finally:
        if podman is not None:
            podman.close()
        _unmount_under(work)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    print(render("kubelite build (4-step Dockerfile on busybox)", rows()))


if __name__ == "__main__":
    main()
