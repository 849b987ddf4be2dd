import argparse

import pytest

from kubelite.build import cachekey
from kubelite.build.cache import LayerRef
from kubelite.build.state import ImageState, extend, image_config
from kubelite.cli import build as cli_build
from kubelite.cli.errors import CLIError

pytestmark = pytest.mark.unit

LAYER = LayerRef("sha256:" + "1" * 64, 32, "application/vnd.oci.image.layer.v1.tar+gzip", "sha256:" + "2" * 64)


def test_step_keys_depend_on_parent_text_and_options() -> None:
    key = cachekey.step_key("sha256:p", "/bin/sh -c make", {"user": ""})
    assert key == cachekey.step_key("sha256:p", "/bin/sh -c make", {"user": ""})
    others = {
        cachekey.step_key("sha256:q", "/bin/sh -c make", {"user": ""}),
        cachekey.step_key("sha256:p", "/bin/sh -c make all", {"user": ""}),
        cachekey.step_key("sha256:p", "/bin/sh -c make", {"user": "nobody"}),
        cachekey.step_key("sha256:p", "|1 A=1 /bin/sh -c make", {"user": ""}),
    }
    assert key not in others and len(others) == 4
    assert cachekey.result_id(key, None, "t1") != cachekey.result_id(key, None, "t2")
    assert cachekey.result_id(key, LAYER.diff_id, "t1") != cachekey.result_id(key, None, "t1")


def test_states_assemble_the_image_config() -> None:
    base = ImageState("sha256:base", history=({"created": "t0", "created_by": "base"},), created="t0")
    one = extend(base, "sha256:r1", created="t1", created_by="#(nop) ENV A=1", layer=None)
    two = extend(one, "sha256:r2", created="t2", created_by="/bin/sh -c x", layer=LAYER, author="me")
    config = image_config(two, {"Env": ["A=1"]})
    raw = config.raw
    assert raw["rootfs"] == {"type": "layers", "diff_ids": [LAYER.diff_id]}
    assert raw["created"] == "t2" and raw["author"] == "me"
    assert [h.get("empty_layer", False) for h in raw["history"]] == [False, True, False]
    assert raw["config"] == {"Env": ["A=1"]}
    assert two.layers[0].digest == LAYER.digest and two.short_id == "r2"
    # Same inputs, same bytes: a cached rebuild gives the same image id.
    assert image_config(two, {"Env": ["A=1"]}).to_bytes() == config.to_bytes()


def test_cli_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = argparse.ArgumentParser()
    cli_build.add_arguments(parser)
    ns = parser.parse_args(["-t", "a:1", "-t", "b", "--build-arg", "X=1", "--no-cache", "--target", "t", "ctx"])
    assert (ns.tag, ns.build_arg, ns.no_cache, ns.target, ns.context) == (["a:1", "b"], ["X=1"], True, "t", "ctx")
    monkeypatch.setenv("FROM_ENV", "env-value")
    monkeypatch.delenv("UNSET_ONE", raising=False)
    assert cli_build._build_args(["A=1", "B=", "FROM_ENV", "UNSET_ONE", "C=x=y"]) == {
        "A": "1", "B": "", "FROM_ENV": "env-value", "C": "x=y"}
    with pytest.raises(CLIError, match="invalid --build-arg"):
        cli_build._build_args(["=1"])
