"""Image side of the engine: layer unpack throughput against GNU tar (and Python's tarfile) on the same
layer, in the same run.

The layer is a real one: the Python standard library of this interpreter (tests and site-packages left
out), packed by GNU tar + gzip. Each round unpacks it into a fresh directory: ours with
:func:`kubelite.runtime.layers.unpack_layer` (safety checks, overlay whiteouts, and both digests --
the diff id and the compressed digest -- computed on the way), GNU ``tar -xzf`` (no digests, no
checks), and ``tarfile.extractall(filter="data")`` (Python's own safe extraction, no digests). Ours
runs as users get it (gzip decoded inline) and once more with ``threads=True`` (a gzip process).
Destinations live on /dev/shm when it exists so that the shared disk's noise does not drown the CPU
cost being compared; all three write to the same filesystem. Samples interleave ours and reference.
Besides wall time, CPU time (user + system, GNU tar's including its gzip child) is reported: on a
machine shared with other work it is the steadier figure.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sysconfig
import tarfile
import tempfile
import time

from bench.harness import Row, render

RUNS = 5


def _make_layer(work: str) -> tuple[str, int, int]:
    """Pack the stdlib as a gzip layer; (path, uncompressed bytes, entries)."""
    stdlib = sysconfig.get_paths()["stdlib"]
    path = os.path.join(work, "layer.tar.gz")
    subprocess.run(["tar", "-C", stdlib, "-czf", path, "--exclude=./site-packages", "--exclude=./test",
                    "--exclude=./idlelib", "--exclude=./tkinter", "--exclude=./ensurepip", "."], check=True)
    size = 0
    entries = 0
    with tarfile.open(path, "r:gz") as tf:
        for member in tf:
            entries += 1
            size += member.size
    return path, size, entries


def _fresh(base: str) -> str:
    path = tempfile.mkdtemp(dir=base)
    return path


def main() -> None:
    from kubelite.runtime.layers import unpack_layer

    if shutil.which("tar") is None:
        raise SystemExit("bench/engine_images.py needs GNU tar")
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and shutil.disk_usage("/dev/shm").free > 2 << 30 else None
    work = tempfile.mkdtemp(prefix="kl-bench-images-")
    dests = tempfile.mkdtemp(prefix="kl-bench-unpack-", dir=shm)
    try:
        layer, size, entries = _make_layer(work)

        cpu: dict[str, list[float]] = {"ours": [], "tar": [], "tarfile": []}

        def ours() -> float:
            dest = _fresh(dests)
            start, cpu0 = time.perf_counter(), time.process_time()
            with open(layer, "rb") as fh:
                unpack_layer(fh, dest, whiteouts="overlay")
            took = (time.perf_counter() - start) * 1000
            cpu["ours"].append((time.process_time() - cpu0) * 1000)
            shutil.rmtree(dest)
            return took

        def ours_piped() -> float:
            dest = _fresh(dests)
            start = time.perf_counter()
            with open(layer, "rb") as fh:
                unpack_layer(fh, dest, whiteouts="overlay", threads=True)
            took = (time.perf_counter() - start) * 1000
            shutil.rmtree(dest)
            return took

        def gnu_tar() -> float:
            dest = _fresh(dests)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(["tar", "-xzf", layer, "-C", dest], check=True)
            took = (time.perf_counter() - start) * 1000
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu["tar"].append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000)
            shutil.rmtree(dest)
            return took

        def py_tarfile() -> float:
            dest = _fresh(dests)
            start, cpu0 = time.perf_counter(), time.process_time()
            with tarfile.open(layer, "r:gz") as tf:
                tf.extractall(dest, filter="data")
            took = (time.perf_counter() - start) * 1000
            cpu["tarfile"].append((time.process_time() - cpu0) * 1000)
            shutil.rmtree(dest)
            return took

        ours()  # warm the page cache for everyone
        cpu["ours"].clear()
        a, b, c, d = [], [], [], []
        for _ in range(RUNS):
            a.append(ours())
            b.append(gnu_tar())
            c.append(py_tarfile())
            d.append(ours_piped())
        mb = size / 1e6
        label = f"unpack {mb:.0f} MB / {entries} entries"
        rows = [
            Row(f"{label} vs GNU tar -xzf", a, b, unit="ms", reference_name="GNU tar", target=1.5),
            Row(f"{label} vs tarfile(filter=data)", a, c, unit="ms", reference_name="Python tarfile",
                target=1.0),
            Row("unpack with a gzip process vs GNU tar", d, b, unit="ms", reference_name="GNU tar"),
            Row("unpack throughput vs GNU tar", [mb / (t / 1000) for t in a], [mb / (t / 1000) for t in b],
                unit="MB/s", reference_name="GNU tar", lower_is_better=False),
            Row("unpack CPU time vs GNU tar (+gzip)", cpu["ours"], cpu["tar"], unit="ms",
                reference_name="GNU tar"),
            Row("unpack CPU time vs tarfile(filter=data)", cpu["ours"], cpu["tarfile"], unit="ms",
                reference_name="Python tarfile"),
        ]
        print(render(f"engine images: layer unpack (destination on {'tmpfs' if shm else 'disk'})", rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(dests, ignore_errors=True)


if __name__ == "__main__":
    main()
