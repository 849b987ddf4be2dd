import pytest

from kubelite.runtime.seccomp import convert_docker_profile, default_profile, fallback_profile
from kubelite.runtime.spec import (
    DEFAULT_CAPS,
    Resources,
    SpecOptions,
    bind,
    build_spec,
    clamp_rlimits,
    parse_memory,
)

pytestmark = pytest.mark.unit


def test_default_spec_has_dockers_capabilities_masks_and_new_namespaces() -> None:
    spec = build_spec(SpecOptions(args=["sh"], rootfs="/r", hostname="h1"))
    caps = spec["process"]["capabilities"]
    assert len(DEFAULT_CAPS) == 14
    assert caps["bounding"] == list(DEFAULT_CAPS) == caps["effective"] == caps["permitted"]
    assert "CAP_SYS_ADMIN" not in caps["bounding"]
    assert "/proc/kcore" in spec["linux"]["maskedPaths"]
    assert "/proc/sys" in spec["linux"]["readonlyPaths"]
    assert {n["type"] for n in spec["linux"]["namespaces"]} == {"pid", "network", "ipc", "uts", "mount"}
    assert spec["hostname"] == "h1"
    assert spec["process"]["noNewPrivileges"] is False
    assert spec["process"]["env"][0].startswith("PATH=")


def test_host_network_shares_the_namespace_and_binds_sys() -> None:
    ns: dict[str, str | None] = {"pid": None, "mount": None}
    spec = build_spec(SpecOptions(args=["true"], rootfs="/r", namespaces=ns, no_new_privileges=True))
    assert "network" not in {n["type"] for n in spec["linux"]["namespaces"]}
    sys_mount = next(m for m in spec["mounts"] if m["destination"] == "/sys")
    assert sys_mount["type"] == "bind" and "ro" in sys_mount["options"]
    assert spec["process"]["noNewPrivileges"] is True


def test_joined_namespace_paths_and_user_mounts_override_defaults() -> None:
    ns: dict[str, str | None] = {"network": "/run/netns/x", "pid": None, "mount": None}
    spec = build_spec(
        SpecOptions(
            args=["true"],
            rootfs="/r",
            namespaces=ns,
            mounts=[bind("/host/hosts", "/etc/hosts"), bind("/data", "/dev/shm", readonly=True)],
        )
    )
    assert {"type": "network", "path": "/run/netns/x"} in spec["linux"]["namespaces"]
    shm = [m for m in spec["mounts"] if m["destination"] == "/dev/shm"]
    assert len(shm) == 1 and shm[0]["source"] == "/data" and "ro" in shm[0]["options"]


def test_resources_memory_cpu_pids() -> None:
    spec = build_spec(
        SpecOptions(args=["x"], rootfs="/r", resources=Resources(memory=64 << 20, cpus=0.5, cpu_shares=512, pids=20))
    )
    res = spec["linux"]["resources"]
    assert res["memory"] == {"limit": 64 << 20, "swap": 64 << 20}
    assert res["cpu"] == {"quota": 50000, "period": 100000, "shares": 512}
    assert res["pids"] == {"limit": 20}


def test_rlimits_never_exceed_the_hosts() -> None:
    host = {"RLIMIT_NOFILE": (1024, 20000), "RLIMIT_NPROC": (-1, -1)}
    got = clamp_rlimits({"RLIMIT_NOFILE": (1048576, 1048576), "RLIMIT_NPROC": (5000, 5000)}, host)
    assert got == {"RLIMIT_NOFILE": (20000, 20000), "RLIMIT_NPROC": (5000, 5000)}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("64m", 64 << 20),
        ("1g", 1 << 30),
        ("10485760", 10485760),
        ("512MiB", 512 << 20),
        ("1.5g", int(1.5 * (1 << 30))),
    ],
)
def test_parse_memory(text: str, value: int) -> None:
    assert parse_memory(text) == value


@pytest.mark.parametrize("bad", ["", "lots", "-5m", "1k"])
def test_parse_memory_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_memory(bad)


DOCKER_PROFILE = {
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 38,
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
    "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "args": [], "includes": {}, "excludes": {}},
        {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
        {"names": ["s390_runtime_instr"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["s390x"]}},
        {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}},
        {
            "names": ["bpf"],
            "action": "SCMP_ACT_ERRNO",
            "errnoRet": 1,
            "excludes": {"caps": ["CAP_SYS_ADMIN"]},
        },
        {
            "names": ["personality"],
            "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}],
        },
    ],
}


def test_docker_profile_resolved_for_caps_and_arch() -> None:
    oci = convert_docker_profile(DOCKER_PROFILE, list(DEFAULT_CAPS), "x86_64")
    names = [n for rule in oci["syscalls"] for n in rule["names"]]
    assert oci["defaultAction"] == "SCMP_ACT_ERRNO" and oci["defaultErrnoRet"] == 38
    assert oci["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    assert "arch_prctl" in names and "chroot" in names and "bpf" in names
    assert "mount" not in names and "s390_runtime_instr" not in names
    personality = next(r for r in oci["syscalls"] if r["names"] == ["personality"])
    assert personality["args"] == [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]
    with_admin = convert_docker_profile(DOCKER_PROFILE, [*DEFAULT_CAPS, "CAP_SYS_ADMIN"], "x86_64")
    admin_names = [n for rule in with_admin["syscalls"] for n in rule["names"]]
    assert "mount" in admin_names and "bpf" not in admin_names


def test_fallback_profile_denies_dangerous_calls(tmp_path: object) -> None:
    prof = default_profile(list(DEFAULT_CAPS), path="/nonexistent/seccomp.json")
    assert prof == fallback_profile()
    assert prof["defaultAction"] == "SCMP_ACT_ALLOW"
    denied = prof["syscalls"][0]["names"]
    assert {"mount", "kexec_load", "init_module", "ptrace"} <= set(denied)
