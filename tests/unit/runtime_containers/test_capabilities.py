"""Capabilities a container gets: Docker's default set changed by add/drop (Kubernetes' securityContext
capabilities), privileged, and never more than the engine's own bounding set."""

from pathlib import Path

import pytest

from kubelite.runtime.spec import ALL_CAPS, DEFAULT_CAPS, SpecOptions, build_spec, capability_set, host_capabilities

pytestmark = pytest.mark.unit


def test_add_and_drop_change_the_default_set_in_any_spelling() -> None:
    caps = capability_set(["net_admin", "CAP_SYS_TIME"], ["KILL", "cap_chown"])
    assert "CAP_NET_ADMIN" in caps and "CAP_SYS_TIME" in caps
    assert "CAP_KILL" not in caps and "CAP_CHOWN" not in caps
    assert set(caps) == (set(DEFAULT_CAPS) | {"CAP_NET_ADMIN", "CAP_SYS_TIME"}) - {"CAP_KILL", "CAP_CHOWN"}
    assert set(capability_set([], [])) == set(DEFAULT_CAPS)


def test_drop_all_keeps_only_the_added_ones_and_add_all_gives_everything_but_the_drops() -> None:
    assert capability_set(["NET_BIND_SERVICE"], ["ALL"]) == ("CAP_NET_BIND_SERVICE",)
    assert capability_set([], ["all"]) == ()
    everything = capability_set(["ALL"], ["SYS_ADMIN"])
    assert "CAP_SYS_ADMIN" not in everything and len(everything) == len(ALL_CAPS) - 1


def test_privileged_is_every_capability_the_host_has() -> None:
    host = tuple(c for c in ALL_CAPS if c != "CAP_SYS_RESOURCE")
    caps = capability_set([], ["ALL"], privileged=True, available=host)
    assert caps == host
    assert "CAP_SYS_RESOURCE" not in capability_set(["SYS_RESOURCE"], [], available=host)


def test_host_bounding_set_is_read_from_proc_status(tmp_path: Path) -> None:
    status = tmp_path / "status"
    status.write_text("Name:\tx\nCapBnd:\t0000000000000021\n")  # bits 0 and 5
    assert host_capabilities(str(status)) == ("CAP_CHOWN", "CAP_KILL")
    assert host_capabilities(str(tmp_path / "missing")) == ALL_CAPS
    assert ALL_CAPS.index("CAP_CHECKPOINT_RESTORE") == 40 and ALL_CAPS.index("CAP_SYS_ADMIN") == 21


def test_privileged_spec_unmasks_proc_and_writes_sys() -> None:
    spec = build_spec(SpecOptions(args=["sh"], rootfs="/r", privileged=True))
    assert spec["linux"]["maskedPaths"] == [] and spec["linux"]["readonlyPaths"] == []
    sys_mount = next(m for m in spec["mounts"] if m["destination"] == "/sys")
    assert "ro" not in sys_mount["options"]
    plain = build_spec(SpecOptions(args=["sh"], rootfs="/r"))
    assert plain["linux"]["maskedPaths"] and "ro" in next(m for m in plain["mounts"]
                                                         if m["destination"] == "/sys")["options"]
