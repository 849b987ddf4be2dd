"""The agent's proxy configuration: one nft table per engine network, the pod network from the engine's,
and the sysctls it needs (set only when different; a read-only /proc/sys is not fatal)."""

from pathlib import Path

import pytest

from kubelite.daemons.agent_proxy import proxy_config, proxy_table_for, set_sysctls
from kubelite.runtime.network.ipam import NetConf

pytestmark = pytest.mark.unit


def test_table_per_engine_network() -> None:
    assert proxy_table_for("kubelite_engine") == "kubelite"  # the default network: the usual table
    assert proxy_table_for("kubelite_t1a2b3c") == "kubelite_t1a2b3c_svc"


def test_pod_network_from_the_engine() -> None:
    single = proxy_config(NetConf(subnet="10.88.0.0/16"), "n1")
    assert (single.cluster_cidr, single.local_subnet, single.node_name) == ("10.88.0.0/16", "10.88.0.0/16", "n1")
    spanning = proxy_config(NetConf(subnet="10.244.1.0/24", cluster_cidr="10.244.0.0/16"), "n2")
    assert (spanning.cluster_cidr, spanning.local_subnet) == ("10.244.0.0/16", "10.244.1.0/24")


def test_sysctls_written_when_different(tmp_path: Path) -> None:
    for key in ("net/ipv4/ip_forward", "net/ipv4/conf/all/route_localnet"):
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_text("0\n")
    set_sysctls(tmp_path)
    assert (tmp_path / "net/ipv4/conf/all/route_localnet").read_text() == "1"
    assert (tmp_path / "net/ipv4/ip_forward").read_text() == "1"


def test_missing_sysctls_are_a_warning_not_a_crash(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    set_sysctls(tmp_path / "absent")
    assert "cannot set sysctl" in caplog.text


def test_mode_auto_follows_the_nft_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    from kubelite.daemons import agent_proxy

    assert agent_proxy.choose_mode("userspace") == "userspace"
    monkeypatch.setattr(agent_proxy.shutil, "which", lambda _name: None)
    assert agent_proxy.choose_mode("auto") == "userspace"
    monkeypatch.setattr(agent_proxy.shutil, "which", lambda name: f"/usr/sbin/{name}")
    assert agent_proxy.choose_mode("auto") == "nftables"
