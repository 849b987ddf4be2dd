"""A two-platform image index copied by ``skopeo copy --all`` (OCI index and Docker manifest list),
pulled by ``kubelite pull`` for this platform and for another one."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from kubelite.distribution.client.pull import this_platform
from kubelite.distribution.layout import write_image, write_index
from kubelite.runtime.images import ImageStore
from tests.e2e.distribution.conftest import RegistryProcess, kubelite, skopeo

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("fmt", ["oci", "v2s2"])
def test_index_round_trip_and_platform_choice(registry: RegistryProcess, tmp_path: Path, fmt: str) -> None:
    layout = tmp_path / "layout"
    amd = write_image(layout, [{"arch": b"amd64\n"}], tag="amd64")
    arm = write_image(layout, [{"arch": b"arm64\n"}], tag="arm64",
                      config_extra={"architecture": "arm64"})
    write_index(layout, [(amd, "linux/amd64"), (arm, "linux/arm64")], tag="multi")
    ref = f"{registry.host}/e2e/multi:{fmt}"
    skopeo("copy", "--all", "--dest-tls-verify=false", "--format", fmt, f"oci:{layout}:multi",
           f"docker://{ref}")
    raw = json.loads(skopeo("inspect", "--tls-verify=false", "--raw", f"docker://{ref}").stdout)
    expected = {"oci": "application/vnd.oci.image.index.v1+json",
                "v2s2": "application/vnd.docker.distribution.manifest.list.v2+json"}[fmt]
    assert raw["mediaType"] == expected and len(raw["manifests"]) == 2
    by_arch = {m["platform"]["architecture"]: m["digest"] for m in raw["manifests"]}

    native = this_platform().architecture
    other = "arm64" if native == "amd64" else "amd64"
    for platform, arch in ((None, native), (f"linux/{other}", other)):
        engine = tmp_path / f"engine-{arch}"
        args = ["--root", str(engine), "pull", ref] + (["--platform", platform] if platform else [])
        kubelite(*args)
        image = ImageStore(str(engine)).resolve(ref)
        assert image.digest == by_arch[arch]
        assert image.image_config.architecture == arch
        # the layer is the one built for that platform, byte for byte
        layer = ImageStore(str(engine)).content.read_bytes(image.layers[0].digest)
        assert hashlib.sha256(layer).hexdigest() == image.layers[0].digest.split(":")[1]
