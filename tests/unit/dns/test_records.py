from typing import Any

import pytest

from kubelite.dns.records import build_zone

pytestmark = pytest.mark.unit


def svc(name: str, ns: str = "default", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns}, "spec": spec}


SERVICES = [
    svc("kubia-http", clusterIP="10.96.0.20", clusterIPs=["10.96.0.20"],
        ports=[{"name": "http", "port": 80, "protocol": "TCP"}]),
    svc("redis", clusterIP="None", ports=[{"name": "redis", "port": 6379}]),
    svc("db", ns="prod", type="ExternalName", externalName="db.example.com"),
]
SLICES = {
    "default/redis": [{
        "ports": [{"name": "redis", "port": 6379, "protocol": "TCP"}],
        "endpoints": [
            {"addresses": ["10.244.0.5"], "hostname": "redis-0", "conditions": {"ready": True}},
            {"addresses": ["10.244.0.6"], "conditions": {"ready": True}},
            {"addresses": ["10.244.0.7"], "conditions": {"ready": False}},
        ],
    }],
}
ZONE = build_zone(SERVICES, SLICES)


def test_cluster_ip_service_a_srv_and_ptr() -> None:
    a = ZONE.lookup("kubia-http.default.svc.cluster.local.", "A")
    assert a.rcode == "NOERROR" and [r.data for r in a.records] == ["10.96.0.20"]
    srv = ZONE.lookup("_http._tcp.kubia-http.default.svc.cluster.local", "SRV")
    assert [r.data for r in srv.records] == ["0 100 80 kubia-http.default.svc.cluster.local."]
    ptr = ZONE.lookup("20.0.96.10.in-addr.arpa.", "PTR")
    assert [r.data for r in ptr.records] == ["kubia-http.default.svc.cluster.local."]


def test_headless_service_publishes_ready_endpoints_and_hostnames() -> None:
    a = ZONE.lookup("redis.default.svc.cluster.local.", "A")
    assert sorted(r.data for r in a.records) == ["10.244.0.5", "10.244.0.6"]
    host = ZONE.lookup("redis-0.redis.default.svc.cluster.local.", "A")
    assert [r.data for r in host.records] == ["10.244.0.5"]
    dashed = ZONE.lookup("10-244-0-6.redis.default.svc.cluster.local.", "A")
    assert [r.data for r in dashed.records] == ["10.244.0.6"]
    srv = ZONE.lookup("_redis._tcp.redis.default.svc.cluster.local.", "SRV")
    assert len(srv.records) == 2 and all(" 6379 " in r.data for r in srv.records)


def test_external_name_is_a_cname_and_pod_names_resolve_from_their_address() -> None:
    cname = ZONE.lookup("db.prod.svc.cluster.local.", "A")
    assert [(r.type, r.data) for r in cname.records] == [("CNAME", "db.example.com.")]
    pod = ZONE.lookup("10-244-1-9.default.pod.cluster.local.", "A")
    assert [r.data for r in pod.records] == ["10.244.1.9"]
    assert ZONE.lookup("not-an-ip.default.pod.cluster.local.", "A").rcode == "NXDOMAIN"


def test_missing_names_and_other_types() -> None:
    assert ZONE.lookup("nope.default.svc.cluster.local.", "A").rcode == "NXDOMAIN"
    aaaa = ZONE.lookup("kubia-http.default.svc.cluster.local.", "AAAA")
    assert aaaa.rcode == "NOERROR" and aaaa.records == []  # exists, no IPv6: not NXDOMAIN
    assert ZONE.lookup("default.svc.cluster.local.", "A").rcode == "NOERROR"  # empty non-terminal
    assert ZONE.lookup("KUBIA-HTTP.Default.SVC.cluster.local", "A").records  # case-insensitive


def test_zone_membership_decides_what_is_forwarded() -> None:
    assert ZONE.in_zone("anything.cluster.local.")
    assert ZONE.in_zone("20.0.96.10.in-addr.arpa.")
    assert not ZONE.in_zone("1.1.168.192.in-addr.arpa.")
    assert not ZONE.in_zone("debian.org.")
