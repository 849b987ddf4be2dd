"""References are parsed and normalised exactly as Docker does, and bad ones are refused clearly."""

import pytest

from kubelite.oci.errors import InvalidReferenceError
from kubelite.oci.reference import parse_reference

pytestmark = pytest.mark.unit

D = "sha256:" + "a" * 64


@pytest.mark.parametrize(("text", "full", "familiar"), [
    ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
    ("library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("index.docker.io/library/redis:7", "docker.io/library/redis:7", "redis:7"),
    ("user/app", "docker.io/user/app:latest", "user/app:latest"),
    ("localhost:5000/x:y", "localhost:5000/x:y", "localhost:5000/x:y"),
    ("localhost/x", "localhost/x:latest", "localhost/x:latest"),
    ("quay.io/org/sub/img:v1.2-rc_3", "quay.io/org/sub/img:v1.2-rc_3", "quay.io/org/sub/img:v1.2-rc_3"),
    ("127.0.0.1:5000/a", "127.0.0.1:5000/a:latest", "127.0.0.1:5000/a:latest"),
    (f"busybox@{D}", f"docker.io/library/busybox@{D}", f"busybox@{D}"),
    (f"reg.io/a:t@{D}", f"reg.io/a:t@{D}", f"reg.io/a:t@{D}"),
    ("a__b/c-d.e", "docker.io/a__b/c-d.e:latest", "a__b/c-d.e:latest"),
])
def test_normalises_like_docker(text: str, full: str, familiar: str) -> None:
    ref = parse_reference(text)
    assert str(ref) == full
    assert ref.familiar() == familiar


def test_parts() -> None:
    ref = parse_reference("localhost:5000/team/app:v2")
    assert (ref.domain, ref.path, ref.tag, ref.digest) == ("localhost:5000", "team/app", "v2", "")
    assert ref.name == "localhost:5000/team/app"
    assert parse_reference("busybox", default_tag=False).tag == ""
    assert parse_reference("busybox").with_tag("x").familiar() == "busybox:x"


@pytest.mark.parametrize(("text", "needle"), [
    ("", "empty"),
    ("Busybox", "must be lowercase"),
    ("x:", "bad tag"),
    ("x:-bad", "bad tag"),
    ("a b", "whitespace"),
    ("/x", "invalid reference format"),
    ("x//y", "invalid reference format"),
    ("x@sha256:12", "sha256 wants 64"),
    ("x@md5:" + "a" * 32, "unsupported digest algorithm"),
    ("a" * 64, "64-byte hexadecimal"),
    ("-x", "invalid reference format"),
    ("x" * 300, "longer than"),
    ("x:" + "t" * 129, "bad tag"),
    ("bad_host:5000:x/y", "invalid reference format"),
])
def test_rejects_bad_references(text: str, needle: str) -> None:
    with pytest.raises(InvalidReferenceError, match=needle) as info:
        parse_reference(text)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)
