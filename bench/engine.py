"""Container engine: ``kubelite run --rm busybox true`` against raw ``runc run``, and memory per container.

- Run latency: the whole CLI (Python start-up, image resolve, overlay snapshot, bundle with Docker's
  seccomp profile, conmon, runc create/start, exit, removal) against ``runc run`` of an *equivalent*
  bundle (the same spec generator, same seccomp profile, caps, cgroup path and rlimits, on an overlay
  of the same image), samples interleaved. Two rows: ``--network none`` (what the issue's Docker/podman
  figures used: runc 46 ms, podman 231 ms, docker 415 ms here) and the default bridge network (a veth
  pair and a netns set up and torn down per run). Target: at most 1.5x runc.
- CPU per run (user+sys of the process tree, from getrusage), ours beside runc's: on a shared, loaded
  machine this moves less than wall time, and it says where the difference lies (the Python CLI).
- Memory per idle container: the PSS of each container's conmon (the only process the engine keeps
  per container), against an idle Python interpreter (what a Python monitor would cost). Target: at
  most 1 MiB.

Runs as root in a private engine root with its own bridge, subnet and nft table; cleans up after.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.harness import Row, interleave, render, time_call

RUNS = int(os.environ.get("BENCH_ENGINE_RUNS", "15"))


def _kubelite() -> list[str]:
    script = Path(sys.executable).with_name("kubelite")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kubelite"]


def _env() -> dict[str, str]:
    """Our environment minus PYTHONDONTWRITEBYTECODE (any value disables the bytecode cache, which an
    installed kubelite always has)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _pss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    raise RuntimeError(f"no Pss for pid {pid}")


class Bench:
    def __init__(self) -> None:
        from kubelite.runtime.bootstrap import bootstrap_busybox
        from kubelite.testing.engine_harness import unique_net

        self.root = tempfile.mkdtemp(prefix="kl-bench-")
        self.net = unique_net()
        os.makedirs(os.path.join(self.root, "network"))
        with open(os.path.join(self.root, "network", "config.json"), "w") as fh:
            fh.write(f'{{"bridge": "{self.net.bridge}", "subnet": "{self.net.subnet}", "table": "{self.net.table}"}}')
        self.image = bootstrap_busybox(self.root)
        self.cli = [*_kubelite(), "--root", self.root]
        self.ref_bundle = os.path.join(self.root, "ref-bundle")
        self.ref_state = os.path.join(self.root, "ref-runc")
        self._ref_seq = 0
        self._prepare_reference()

    def _prepare_reference(self) -> None:
        """An overlay of the same image and the spec our engine would write, minus our /etc files."""
        from kubelite.runtime.runc import write_bundle
        from kubelite.runtime.seccomp import default_profile
        from kubelite.runtime.snapshots import Snapshotter
        from kubelite.runtime.spec import DEFAULT_CAPS, SpecOptions, build_spec, default_rlimits

        rootfs = os.path.join(self.ref_bundle, "rootfs")
        os.makedirs(rootfs)
        snaps = Snapshotter(self.root)
        snaps.mount(snaps.prepare("bench-reference", self.image), rootfs)
        spec = build_spec(
            SpecOptions(
                args=["true"],
                rootfs=rootfs,
                env=list(self.image.config.get("Env") or []),
                hostname="ref",
                seccomp=default_profile(list(DEFAULT_CAPS)),
                cgroups_path="/kubelite/bench-reference",
                rlimits=default_rlimits(),
            )
        )
        write_bundle(self.ref_bundle, spec)

    def runc_run(self) -> None:
        self._ref_seq += 1
        subprocess.run(
            ["runc", "--root", self.ref_state, "run", "--bundle", self.ref_bundle, f"ref{self._ref_seq}"],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kubelite_run(self, *flags: str) -> None:
        subprocess.run(
            [*self.cli, "run", "--rm", *flags, "busybox", "true"],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            env=_env(),
        )

    def latency_rows(self) -> list[Row]:
        ours, ref = interleave(
            lambda: time_call(lambda: self.kubelite_run("--network", "none")),
            lambda: time_call(self.runc_run),
            RUNS,
            warmup=2,
        )
        none_row = Row(
            "kubelite run --rm --network none busybox true",
            ours,
            ref,
            unit="ms",
            reference_name="runc run, same bundle",
            target=1.5,
        )
        ours, ref = interleave(lambda: time_call(self.kubelite_run), lambda: time_call(self.runc_run), RUNS, warmup=1)
        bridge_row = Row(
            "kubelite run --rm busybox true (bridge)",
            ours,
            ref,
            unit="ms",
            reference_name="runc run, same bundle",
            target=1.5,
        )
        return [none_row, bridge_row]

    def cpu_row(self) -> Row:
        """CPU time (user+sys of the whole process tree) per run: less sensitive to a loaded machine
        than wall time, and it shows where the difference is (the Python CLI's own work)."""
        import resource

        def cpu(fn: Callable[[], None]) -> float:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            fn()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000

        ours, ref = interleave(
            lambda: cpu(lambda: self.kubelite_run("--network", "none")), lambda: cpu(self.runc_run), RUNS, warmup=1
        )
        return Row(
            "CPU per run --rm --network none (user+sys)", ours, ref, unit="ms", reference_name="runc run, same bundle"
        )

    def memory_row(self, count: int = 3) -> Row:
        from kubelite.runtime.lifecycle import Engine

        names = [f"idle{i}" for i in range(count)]
        for name in names:
            subprocess.run(
                [*self.cli, "run", "-d", "--network", "none", "--name", name, "busybox", "sleep", "600"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        engine = Engine(self.root)
        ours = [_pss_kib(engine.get(n).state.conmon_pid) / 1024 for n in names]
        idle = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 5
            ref = [0.0]
            while time.monotonic() < deadline:  # PSS settles once the interpreter has started
                ref = [_pss_kib(idle.pid) / 1024]
                if ref[0] > 1:
                    break
                time.sleep(0.05)
        finally:
            assert idle.stdin is not None
            idle.stdin.close()
            idle.wait()
        subprocess.run([*self.cli, "rm", "-f", *names], check=True, stdout=subprocess.DEVNULL)
        return Row(
            "memory per idle container (conmon PSS)",
            ours,
            ref,
            unit="MiB",
            reference_name="idle python3",
            target=1.0,
            target_on="value",
        )

    def close(self) -> None:
        from kubelite.runtime.lifecycle import Engine
        from kubelite.runtime.snapshots import Snapshotter
        from kubelite.testing.engine_harness import teardown_engine

        snaps = Snapshotter(self.root)
        snaps.unmount(os.path.join(self.ref_bundle, "rootfs"))
        snaps.remove("bench-reference")
        teardown_engine(Engine(self.root, net=self.net), self.root)
        shutil.rmtree(self.root, ignore_errors=True)


def main() -> None:
    if os.geteuid() != 0:
        raise SystemExit("bench/engine.py needs root (runc, overlayfs, network namespaces)")
    bench = Bench()
    try:
        rows = [*bench.latency_rows(), bench.cpu_row(), bench.memory_row()]
    finally:
        bench.close()
    print(render("Container engine", rows))


if __name__ == "__main__":
    main()
