from typing import Any

import pytest

from kubelite.proxy.model import service_ports
from kubelite.proxy.nft import render_diff, render_full
from kubelite.proxy.rules import ProxyConfig, Table, compute, ep_chain, ext_chain, svc_chain

pytestmark = pytest.mark.unit

CFG = ProxyConfig(cluster_cidr="10.244.0.0/16", node_name="node-a")


def service(name: str = "kubia", typ: str = "ClusterIP", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default"},
            "spec": {"type": typ, "clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"],
                     "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080,
                                **({"nodePort": 30080} if typ != "ClusterIP" else {})}], **spec}}


def endpoint_slice(*eps: tuple[str, str, bool]) -> dict[str, Any]:
    return {"addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], "nodeName": node, "conditions": {"ready": ready}}
                          for ip, node, ready in eps]}


def table(svc: dict[str, Any], *slices: dict[str, Any]) -> Table:
    return compute(service_ports(svc, slices), CFG)


def test_cluster_ip_spreads_over_ready_endpoints_only() -> None:
    sl = endpoint_slice(("10.244.0.2", "node-a", True), ("10.244.1.2", "node-b", True),
                        ("10.244.0.9", "node-a", False))
    t = table(service(), sl)
    (sp,) = service_ports(service(), [sl])
    assert ("10.96.0.20 . tcp . 80", f"goto {svc_chain(sp)}") in t.maps["service-ips"].elements
    rules = t.chains[svc_chain(sp)].rules
    assert rules[0] == "ip saddr != 10.244.0.0/16 jump mark-for-masquerade"
    assert rules[1].startswith("numgen random mod 2 vmap {")
    assert "10.244.0.9" not in rules[1]  # not ready: out of rotation
    ep = next(e for e in sp.endpoints if e.ip == "10.244.0.2")
    assert t.chains[ep_chain(sp, ep)].rules == (
        "ip saddr 10.244.0.2 jump mark-for-masquerade",  # hairpin
        "meta l4proto tcp dnat to 10.244.0.2:8080",
    )


def test_service_without_endpoints_is_rejected_not_blackholed() -> None:
    t = table(service(), endpoint_slice(("10.244.0.9", "node-a", False)))
    assert not t.maps["service-ips"].elements
    assert ("10.96.0.20 . tcp . 80", "goto reject-service") in t.maps["no-endpoint"].elements


def test_headless_and_external_name_services_get_no_rules() -> None:
    headless = service(clusterIP="None", clusterIPs=["None"])
    assert service_ports(headless, []) == []
    assert service_ports({"metadata": {"name": "x"}, "spec": {"type": "ExternalName"}}, []) == []


def test_node_port_with_cluster_and_local_traffic_policy() -> None:
    sl = endpoint_slice(("10.244.0.2", "node-a", True), ("10.244.1.2", "node-b", True))
    t = table(service(typ="NodePort"), sl)
    (sp,) = service_ports(service(typ="NodePort"), [sl])
    assert ("tcp . 30080", f"goto {ext_chain(sp)}") in t.maps["service-nodeports"].elements
    assert t.chains[ext_chain(sp)].rules[0] == "jump mark-for-masquerade"
    assert "mod 2" in t.chains[ext_chain(sp)].rules[1]
    local = service(typ="NodePort", externalTrafficPolicy="Local")
    t_local = table(local, sl)
    (sp_local,) = service_ports(local, [sl])
    ext_rules = t_local.chains[ext_chain(sp_local)].rules
    local_ep = next(e for e in sp_local.endpoints if e.ip == "10.244.0.2")
    assert ext_rules == (  # pods and the node itself: cluster-wide, masqueraded (their replies must return)
        f"ip saddr 10.244.0.0/16 goto {svc_chain(sp_local)}",
        "fib saddr type local jump mark-for-masquerade",
        f"fib saddr type local goto {svc_chain(sp_local)}",
        f"goto {ep_chain(sp_local, local_ep)}",  # everyone else: this node's endpoint, no masquerade
    )


def test_load_balancer_ingress_ips_route_like_external_ips() -> None:
    svc = service(typ="LoadBalancer")
    svc["status"] = {"loadBalancer": {"ingress": [{"ip": "127.0.0.240"}]}}
    t = table(svc, endpoint_slice(("10.244.0.2", "node-a", True)))
    (sp,) = service_ports(svc, [])
    assert ("127.0.0.240 . tcp . 80", f"goto {ext_chain(sp)}") in t.maps["service-ips"].elements


def test_client_ip_affinity_uses_timeout_sets() -> None:
    svc = service(sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 60}})
    t = table(svc, endpoint_slice(("10.244.0.2", "node-a", True), ("10.244.0.3", "node-a", True)))
    (sp,) = service_ports(svc, [])
    assert all(s.timeout == 60 and "timeout" in s.flags for s in t.sets.values()) and len(t.sets) == 2
    svc_rules = t.chains[svc_chain(sp)].rules
    assert sum("ip saddr @aff-" in r for r in svc_rules) == 2
    assert any(r.startswith("update @aff-") for c in t.chains.values() for r in c.rules)


def test_diff_on_scale_down_touches_only_what_changed() -> None:
    three = endpoint_slice(*[(f"10.244.0.{i}", "node-a", True) for i in (2, 3, 4)])
    one = endpoint_slice(("10.244.0.2", "node-a", True))
    before, after = table(service(), three), table(service(), one)
    script = render_diff(before, after)
    (sp,) = service_ports(service(), [])
    assert f"flush chain ip kubelite {svc_chain(sp)}" in script
    assert script.count("delete chain") == 2  # the two endpoints that left
    assert "delete table" not in script and "flush table" not in script
    assert "10.244.0.2:8080" not in script  # the endpoint that stays is untouched
    assert render_diff(after, table(service(), one)) == ""


def test_diff_moves_a_service_between_live_and_rejected() -> None:
    live = table(service(), endpoint_slice(("10.244.0.2", "node-a", True)))
    dead = table(service(), endpoint_slice())
    script = render_diff(live, dead)
    lines = script.splitlines()
    delete_elem = next(i for i, line in enumerate(lines)
                       if line.startswith("delete element ip kubelite service-ips"))
    delete_chain = next(i for i, line in enumerate(lines) if line.startswith("delete chain"))
    assert delete_elem < delete_chain  # references go before the chain
    assert "add element ip kubelite no-endpoint { 10.96.0.20 . tcp . 80 : goto reject-service }" in script


def test_full_render_replaces_only_our_table() -> None:
    script = render_full(table(service(), endpoint_slice(("10.244.0.2", "node-a", True))))
    assert script.startswith("add table ip kubelite\ndelete table ip kubelite\nadd table ip kubelite\n")
    assert "flush ruleset" not in script
    tables = {line.split()[3] for line in script.splitlines() if line.split()[:1] in (["add"], ["delete"])}
    assert tables == {"kubelite"}


def test_pods_of_the_endpoints_own_bridge_are_masqueraded() -> None:
    """Without br_netfilter, a same-bridge reply would bypass conntrack: masquerade the local subnet."""
    cfg = ProxyConfig(cluster_cidr="10.244.0.0/16", node_name="node-a", local_subnet="10.244.0.0/24")
    sl = endpoint_slice(("10.244.0.2", "node-a", True), ("10.244.1.2", "node-b", True))
    t = compute(service_ports(service(), [sl]), cfg)
    (sp,) = service_ports(service(), [sl])
    local, remote = sorted(sp.endpoints, key=lambda e: e.ip)
    assert t.chains[ep_chain(sp, local)].rules[0] == (
        "ip saddr 10.244.0.0/24 fib saddr type != local jump mark-for-masquerade")  # not the node itself
    assert t.chains[ep_chain(sp, remote)].rules[0] == "ip saddr 10.244.1.2 jump mark-for-masquerade"


def test_the_table_name_is_the_backends_choice() -> None:
    t = table(service(), endpoint_slice(("10.244.0.2", "node-a", True)))
    script = render_full(t, name="kubelite_node2")
    assert "add table ip kubelite_node2" in script and " ip kubelite " not in script
    t2 = table(service(), endpoint_slice(("10.244.0.3", "node-a", True)))
    diff = render_diff(t, t2, name="kubelite_node2")
    assert diff and all(" ip kubelite_node2 " in line for line in diff.splitlines())


def test_a_large_first_sync_is_split_with_the_entry_points_last() -> None:
    from kubelite.proxy.nft import render_full_batches

    sl = endpoint_slice(*((f"10.244.0.{i}", "node-a", True) for i in range(2, 40)))
    t = table(service("kubia", "NodePort"), sl)
    assert render_full_batches(t) == [render_full(t)]  # small: one transaction
    batches = render_full_batches(t, rules_per_batch=10)
    assert len(batches) > 3 and "delete table ip kubelite" in batches[0] and "add rule" not in batches[0]
    # Everything render_full sends, in the same order within each chain.
    assert sorted("".join(batches).splitlines()) == sorted(render_full(t).splitlines())
    assert "add element" in batches[-1] and "jump services" in batches[-1]
    assert all("add element" not in b and "jump services" not in b for b in batches[:-1])
