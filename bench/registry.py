"""Registry push and pull of a ~100 MB multi-layer image over loopback, against skopeo in the same run.

Rows (medians of interleaved runs; ours and the reference move the very same bytes, same digests):

- push: ``kubelite push`` from the engine vs ``skopeo copy oci:LAYOUT docker://...``; each run
  pushes to a registry started afresh, or skopeo would mount blobs it saw before instead of sending.
- pull: ``kubelite pull`` into an empty engine root vs ``skopeo copy docker://... oci:DIR``; the
  CLI rows include Python's start-up and imports (about half a second here), as users pay them.
- push and pull via the library: ``push_image``/``pull_image`` as the kubelet (or a build) calls
  them, no CLI start-up, against the same skopeo commands.
- pull + unpack vs pull alone: the library pull followed by unpacking every layer with the engine's
  snapshotter (what a container start needs): the price of unpacking, where docker and podman
  spend their time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.harness import Row, interleave, render, time_call

LAYER_MB = (40, 30, 20, 10)
RUNS = 3


def _kubelite() -> list[str]:
    script = Path(sys.executable).with_name("kubelite")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kubelite"]


def _run(argv: list[str]) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_layout(path: Path) -> None:
    """Four gzip layers of incompressible data (~100 MB in all), as a registry image usually is."""
    from kubelite.distribution.layout import write_image

    layers = [{f"data/layer{i}.bin": os.urandom(mb * 1024 * 1024)} for i, mb in enumerate(LAYER_MB)]
    write_image(path, layers, tag="v1", compresslevel=1)


def load_into_engine(layout: Path, root: str, name: str) -> None:
    """Register the layout's image in an engine root with its exact bytes (so digests match skopeo's)."""
    from kubelite.runtime.images import ImageStore

    store = ImageStore(root)
    index = json.loads((layout / "index.json").read_text())
    digest = index["manifests"][0]["digest"]
    for blob in (layout / "blobs" / "sha256").iterdir():
        with blob.open("rb") as f:
            store.content.write(f, f"sha256:{blob.name}")
    store.add(digest, [name])


class Registry:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([*_kubelite(), "registry", "serve", "--addr", self.host, "--root",
                                      str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("registry did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)


def rows(runs: int = RUNS) -> list[Row]:
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        raise RuntimeError("skopeo is not installed (apt-get install skopeo): it is the reference")
    work = Path(tempfile.mkdtemp(prefix="bench-registry-"))
    reg = None
    try:
        layout = work / "layout"
        build_layout(layout)
        engine = str(work / "engine")
        # A name on another registry: push must not find a repository to mount the blobs from.
        load_into_engine(layout, engine, "bench.invalid/registry-bench:v1")
        counter = iter(range(1_000_000))
        tls = "--dest-tls-verify=false"

        # Each push goes to a registry started afresh (new root, new port): skopeo remembers where
        # it saw blobs and would mount them rather than upload, which is not what is measured here.
        def push_ours() -> float:
            fresh_reg = Registry(work / f"push-{next(counter)}")
            ref = f"{fresh_reg.host}/bench/app:v1"
            try:
                _run([*_kubelite(), "--root", engine, "tag", "bench.invalid/registry-bench:v1", ref])
                ms = time_call(lambda: _run([*_kubelite(), "--root", engine, "push", "-q", ref]))
                _run([*_kubelite(), "--root", engine, "rmi", ref])
            finally:
                fresh_reg.stop()
            return ms

        def push_ref() -> float:
            fresh_reg = Registry(work / f"push-{next(counter)}")
            ref = f"docker://{fresh_reg.host}/bench/app:v1"
            try:
                return time_call(lambda: _run([skopeo, "copy", "-q", tls, f"oci:{layout}:v1", ref]))
            finally:
                fresh_reg.stop()

        push = interleave(push_ours, push_ref, runs)

        def push_api() -> float:
            """The library call alone (no CLI start-up), to a fresh registry like the rows above."""
            import asyncio

            from kubelite.distribution.client.config import load_config
            from kubelite.distribution.client.push import push_image
            from kubelite.runtime.images import ImageStore

            fresh_reg = Registry(work / f"push-{next(counter)}")
            ref = f"{fresh_reg.host}/bench/app:v1"
            store = ImageStore(engine)
            try:
                store.tag("bench.invalid/registry-bench:v1", ref)
                ms = time_call(lambda: asyncio.run(push_image(ref, root=engine, config=load_config(engine))))
                store.remove(ref)
            finally:
                fresh_reg.stop()
            return ms

        push_lib = interleave(push_api, push_ref, runs)
        reg = Registry(work / "registry")
        host = reg.host
        _run([skopeo, "copy", "-q", tls, f"oci:{layout}:v1", f"docker://{host}/seed:v1"])
        seed = f"{host}/seed:v1"

        def fresh(name: str) -> str:
            path = work / name
            shutil.rmtree(path, ignore_errors=True)
            return str(path)

        def pull_ours() -> float:
            root = fresh("pull-engine")
            return time_call(lambda: _run([*_kubelite(), "--root", root, "pull", "-q", seed]))

        def pull_ref() -> float:
            out = fresh("pull-oci")
            return time_call(lambda: _run([skopeo, "copy", "-q", "--src-tls-verify=false",
                                           f"docker://{seed}", f"oci:{out}:v1"]))

        pull = interleave(pull_ours, pull_ref, runs)

        def pull_api(unpack: bool) -> float:
            """The kubelet's path: the library call, no CLI start-up; optionally unpack every layer."""
            import asyncio

            from kubelite.distribution.client.config import load_config
            from kubelite.distribution.client.pull import pull_image
            from kubelite.runtime.images import ImageStore
            from kubelite.runtime.snapshots import Snapshotter

            root = fresh("api-engine")

            def go() -> None:
                asyncio.run(pull_image(seed, root=root, config=load_config(root)))
                if unpack:
                    Snapshotter(root).ensure_layers(ImageStore(root).resolve(seed))

            return time_call(go)

        api = interleave(lambda: pull_api(False), pull_ref, runs)
        unpack = interleave(lambda: pull_api(True), lambda: pull_api(False), runs)
        size_mb = sum(LAYER_MB)
        return [
            Row(f"push {size_mb} MB, {len(LAYER_MB)} layers", push[0], push[1], unit="ms",
                reference_name="skopeo copy oci: -> docker://", target=1.5),
            Row(f"push {size_mb} MB via the library", push_lib[0], push_lib[1], unit="ms",
                reference_name="skopeo copy oci: -> docker://", target=1.0),
            Row(f"pull {size_mb} MB, {len(LAYER_MB)} layers", pull[0], pull[1], unit="ms",
                reference_name="skopeo copy docker:// -> oci:", target=1.5),
            Row(f"pull {size_mb} MB via the library (kubelet path)", api[0], api[1], unit="ms",
                reference_name="skopeo copy docker:// -> oci:", target=1.0),
            Row("pull + unpack vs pull alone (library)", unpack[0], unpack[1], unit="ms",
                reference_name="kubelite pull alone"),
        ]
    finally:
        if reg is not None:
            reg.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    print(render("Registry push/pull over loopback (~100 MB image)", rows()))


if __name__ == "__main__":
    main()
