"""The engine's side of a pod network across nodes: routes of its own, the cluster CIDR exempt from
masquerading, and moving the bridge network onto a subnet chosen by the agent (pure, recording kernel)."""

import json
from pathlib import Path

import pytest

from kubelite.runtime.container_errors import InvalidArgument
from kubelite.runtime.network.ipam import NetConf, Table, load_conf
from kubelite.runtime.network.kernel import RecordingKernel
from kubelite.runtime.network.nft import ruleset
from kubelite.runtime.network.routes import ROUTE_PROTO, Nexthop, plan_routes, remove_routes, sync_routes
from kubelite.runtime.network.subnet import use_subnet
from kubelite.runtime.network.vxlan import (
    device_name,
    ensure_device,
    overlay_state,
    sync_overlay,
    underlay_device,
    vtep_mac,
)

TABLE = [
    {"dst": "default", "gateway": "192.0.2.1", "dev": "eth0"},
    {"dst": "10.244.0.0/24", "dev": "kubelite0", "protocol": "kernel"},
    {"dst": "10.244.1.0/24", "gateway": "10.99.0.3", "protocol": ROUTE_PROTO},
    {"dst": "10.244.2.0/24", "gateway": "10.99.0.9", "protocol": ROUTE_PROTO},
    {"dst": "10.244.3.0/24", "gateway": "10.99.0.7", "protocol": "static"},
    {"dst": "10.244.9.0/24", "gateway": "10.99.0.8", "protocol": ROUTE_PROTO},
]


def test_plan_adds_replaces_deletes_only_our_routes_and_leaves_foreign_ones() -> None:
    desired = {"10.244.1.0/24": "10.99.0.3", "10.244.2.0/24": "10.99.0.4", "10.244.3.0/24": "10.99.0.5",
               "10.244.4.0/24": "10.99.0.6"}
    plan = plan_routes(desired, TABLE)
    assert plan.add == {"10.244.4.0/24": Nexthop("10.99.0.6")}
    assert plan.replace == {"10.244.2.0/24": Nexthop("10.99.0.4")}  # ours, gateway moved
    assert plan.delete == ["10.244.9.0/24"]  # ours, node gone
    assert plan.blocked == ["10.244.3.0/24"]  # somebody else's route: never touched
    assert plan_routes({"10.244.1.0/24": "10.99.0.3"}, TABLE[:3]).empty()


def test_plan_normalises_host_routes_and_ignores_default() -> None:
    table = [{"dst": "10.1.2.3", "gateway": "10.99.0.2", "protocol": ROUTE_PROTO}]
    assert plan_routes({"10.1.2.3/32": "10.99.0.2"}, table).empty()
    assert plan_routes({}, [{"dst": "default", "protocol": ROUTE_PROTO}]).empty()


def test_sync_routes_applies_through_the_kernel_and_a_bad_gateway_fails_alone() -> None:
    k = RecordingKernel(routes=[dict(r) for r in TABLE])
    k.failing_gateways.add("10.99.0.66")
    result = sync_routes(k, {"10.244.1.0/24": "10.99.0.3", "10.244.4.0/24": "10.99.0.6",
                             "10.244.5.0/24": "10.99.0.66", "10.244.3.0/24": "10.99.0.5"})
    assert list(result.failed) == ["10.244.5.0/24"]
    ours = {r["dst"]: r["gateway"] for r in k.routes if r.get("protocol") == ROUTE_PROTO}
    assert ours == {"10.244.1.0/24": "10.99.0.3", "10.244.4.0/24": "10.99.0.6"}
    assert {"dst": "10.244.3.0/24", "gateway": "10.99.0.7", "protocol": "static"} in k.routes
    assert ("ip", "", "route", "add", "10.244.4.0/24", "via", "10.99.0.6", "proto", ROUTE_PROTO) in k.calls
    # Level-triggered: a second sync with the same input changes nothing.
    before = len(k.calls)
    assert sync_routes(k, {"10.244.1.0/24": "10.99.0.3", "10.244.4.0/24": "10.99.0.6"}).plan.empty()
    assert [c for c in k.calls[before:] if c[0] == "ip"] == []
    assert remove_routes(k) == 2
    assert all(r.get("protocol") != ROUTE_PROTO for r in k.routes) and len(k.routes) == 3


def test_cluster_cidr_is_not_masqueraded_and_may_reach_the_bridge() -> None:
    plain = ruleset(NetConf(bridge="br9", subnet="10.244.1.0/24"), [])
    assert 'ip saddr 10.244.1.0/24 oifname != "br9" masquerade' in plain
    node = ruleset(NetConf(bridge="br9", subnet="10.244.1.0/24", cluster_cidr="10.244.0.0/16"), [])
    assert 'ip saddr 10.244.1.0/24 ip daddr != 10.244.0.0/16 oifname != "br9" masquerade' in node
    assert 'oifname "br9" ip saddr 10.244.0.0/16 accept' in node


def test_use_subnet_writes_the_config_and_recreates_an_idle_bridge(tmp_path: Path) -> None:
    root = str(tmp_path)
    k = RecordingKernel(links={"kubelite0"})
    conf = use_subnet(root, k, "10.244.3.0/24", "10.244.0.0/16")
    assert conf == load_conf(root) == NetConf(subnet="10.244.3.0/24", cluster_cidr="10.244.0.0/16")
    assert conf.gateway == "10.244.3.1"
    assert ("ip", "", "link", "del", "kubelite0") in k.calls  # it carried 10.88.0.1: recreated on next use
    k.calls.clear()
    assert use_subnet(root, k, "10.244.3.0/24", "10.244.0.0/16") == conf and k.calls == []


def test_use_subnet_keeps_the_bridge_name_and_table_of_the_root(tmp_path: Path) -> None:
    (tmp_path / "network").mkdir()
    (tmp_path / "network" / "config.json").write_text(json.dumps({"bridge": "kln1", "table": "kl_n1"}))
    conf = use_subnet(str(tmp_path), RecordingKernel(), "10.244.7.0/24")
    assert (conf.bridge, conf.table, conf.subnet, conf.cluster_cidr) == ("kln1", "kl_n1", "10.244.7.0/24", "")


def test_use_subnet_refuses_to_strand_running_containers(tmp_path: Path) -> None:
    root = str(tmp_path)
    Table(root).write({"10.88.0.2": "ctr1"})
    k = RecordingKernel(links={"kubelite0"})
    with pytest.raises(InvalidArgument, match=r"1 container.*10\.88\.0\.0/16.*remove them"):
        use_subnet(root, k, "10.244.0.0/24")
    assert k.calls == [] and load_conf(root) == NetConf()


@pytest.mark.parametrize(("subnet", "cluster", "message"), [
    ("10.244.0.0/31", "", "too small"),
    ("10.245.0.0/24", "10.244.0.0/16", "not inside the cluster CIDR"),
    ("10.244.0.1/24", "", "invalid pod subnet"),
    ("10.244.0.0/24", "banana", "invalid cluster CIDR"),
])
def test_use_subnet_rejects_bad_input(tmp_path: Path, subnet: str, cluster: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        use_subnet(str(tmp_path), RecordingKernel(), subnet, cluster)


def test_overlay_state_follows_from_cidr_and_host_address() -> None:
    state = overlay_state({"10.244.1.0/24": "10.252.2.2", "10.244.2.0/24": "10.252.3.2"}, "klvx")
    assert state.routes["10.244.1.0/24"] == Nexthop("10.244.1.0", "klvx", onlink=True)
    assert state.neighbours == {"10.244.1.0": "0e:6b:0a:f4:01:00", "10.244.2.0": "0e:6b:0a:f4:02:00"}
    assert state.fdb == {"0e:6b:0a:f4:01:00": "10.252.2.2", "0e:6b:0a:f4:02:00": "10.252.3.2"}
    assert vtep_mac("10.244.1.0/24") == "0e:6b:0a:f4:01:00" and device_name("kubelite0") == "kubelite0vx"
    assert underlay_device([{"ifname": "lo", "addr_info": [{"local": "127.0.0.1"}]},
                            {"ifname": "eth0", "addr_info": [{"local": "10.252.1.2"}]}], "10.252.1.2") == "eth0"


def test_sync_overlay_entries_then_routes_and_stale_peers_go() -> None:
    k = RecordingKernel(neighbours={"10.244.9.0": "0e:6b:0a:f4:09:00"}, fdb={"0e:6b:0a:f4:09:00": "10.252.9.2"})
    result = sync_overlay(k, "klvx", {"10.244.1.0/24": "10.252.2.2"})
    assert not result.failed and list(result.plan.add) == ["10.244.1.0/24"]
    assert k.neighbours == {"10.244.1.0": "0e:6b:0a:f4:01:00"} and k.fdb == {"0e:6b:0a:f4:01:00": "10.252.2.2"}
    assert {"dst": "10.244.1.0/24", "gateway": "10.244.1.0", "dev": "klvx", "protocol": ROUTE_PROTO} in k.routes
    route_call = next(i for i, c in enumerate(k.calls) if c[:3] == ("ip", "", "route"))
    assert all(i < route_call for i, c in enumerate(k.calls) if c[0] == "bridge")  # entries before the route
    before = len(k.calls)
    assert sync_overlay(k, "klvx", {"10.244.1.0/24": "10.252.2.2"}).plan.empty()
    assert [c for c in k.calls[before:] if c[0] in ("ip", "bridge")] == []


def test_ensure_device_creates_once_with_the_vtep_mac() -> None:
    k = RecordingKernel()
    ensure_device(k, "klvx", "10.244.3.0/24", "10.252.1.2")
    assert ("ip", "", "link", "add", "name", "klvx", "type", "vxlan", "id", "1", "local", "10.252.1.2",
            "dstport", "8472", "nolearning") in k.calls
    assert ("ip", "", "link", "set", "klvx", "address", "0e:6b:0a:f4:03:00") in k.calls
    assert ("ip", "", "addr", "add", "10.244.3.0/32", "dev", "klvx") in k.calls
