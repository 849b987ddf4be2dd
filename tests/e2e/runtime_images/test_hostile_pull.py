"""An image whose layer escapes the root, registered as a pull registers it (layers stored, not yet
unpacked): running it is refused with one clear line and no traceback, and nothing is left mounted."""

import gzip
import hashlib

import pytest

from kubelite.oci.descriptor import Descriptor
from kubelite.oci.mediatypes import OCI_LAYER_GZIP
from kubelite.runtime.content import ContentStore
from kubelite.runtime.images import ImageStore
from tests.unit.runtime_images.tarbuild import make_tar

pytestmark = pytest.mark.e2e


def test_running_an_image_with_a_hostile_layer_is_one_clear_error(kl, root, tmp_path) -> None:
    layer = make_tar([("file", "../../../../tmp/escaped-by-layer", b"x")])
    blob = ContentStore(root).write(layer)
    diff_id = "sha256:" + hashlib.sha256(gzip.decompress(layer)).hexdigest()
    ImageStore(root).create([Descriptor(OCI_LAYER_GZIP, blob.digest, blob.size)], [diff_id],
                            container_config={"Cmd": ["true"]}, names=["evil:1"])
    proc = kl("run", "--rm", "--network", "none", "evil:1", check=False)
    assert proc.returncode != 0
    assert proc.stderr.startswith("Error: ") and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and "'..'" in proc.stderr
    assert "escaped-by-layer" not in " ".join(p.name for p in tmp_path.iterdir())
