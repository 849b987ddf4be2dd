from typing import Any

import pytest

from kubelite.controllers.endpoints.compute import desired_endpoints, desired_slices

pytestmark = pytest.mark.unit


def pod(name: str, ip: str | None, *, ready: bool = True, labels: dict[str, str] | None = None,
        port_name: str = "http", port: int = 8080, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "default", "uid": f"uid-{name}",
                            "labels": labels if labels is not None else {"app": "kubia"}}
    if extra.get("terminating"):
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    status: dict[str, Any] = {"phase": extra.get("phase", "Running"),
                              "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    if ip:
        status["podIP"] = ip
    spec: dict[str, Any] = {"nodeName": "node-a",
                            "containers": [{"name": "c", "ports": [{"name": port_name, "containerPort": port}]}]}
    spec.update({k: v for k, v in extra.items() if k in ("hostname", "subdomain")})
    return {"metadata": meta, "spec": spec, "status": status}


def service(target: Any = "http", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "kubia", "namespace": "default"},
            "spec": {"selector": {"app": "kubia"},
                     "ports": [{"name": "web", "port": 80, "targetPort": target, "protocol": "TCP"}], **spec}}


def test_ready_and_not_ready_addresses() -> None:
    pods = [pod("a", "10.244.0.2"), pod("b", "10.244.0.3", ready=False), pod("c", None),
            pod("d", "10.244.0.5", phase="Succeeded"), pod("other", "10.244.0.6", labels={"app": "x"})]
    (subset,) = desired_endpoints(service(), pods)["subsets"]
    assert [a["ip"] for a in subset["addresses"]] == ["10.244.0.2"]
    assert [a["ip"] for a in subset["notReadyAddresses"]] == ["10.244.0.3"]
    assert subset["ports"] == [{"name": "web", "port": 8080, "protocol": "TCP"}]
    assert subset["addresses"][0]["targetRef"] == {"kind": "Pod", "namespace": "default", "name": "a",
                                                   "uid": "uid-a"}


def test_named_target_port_resolves_per_pod() -> None:
    pods = [pod("a", "10.244.0.2", port=8080), pod("b", "10.244.0.3", port=9090),
            pod("c", "10.244.0.4", port_name="other")]
    subsets = desired_endpoints(service(), pods)["subsets"]
    assert sorted((s["ports"][0]["port"], [a["ip"] for a in s["addresses"]]) for s in subsets) == [
        (8080, ["10.244.0.2"]), (9090, ["10.244.0.3"])]
    slices = desired_slices(service(), pods)
    assert len(slices) == 2 and all(s["addressType"] == "IPv4" for s in slices)


def test_terminating_pods_only_in_slices_and_publish_not_ready() -> None:
    pods = [pod("a", "10.244.0.2"), pod("t", "10.244.0.9", terminating=True)]
    (subset,) = desired_endpoints(service(8080), pods)["subsets"]
    assert [a["ip"] for a in subset["addresses"]] == ["10.244.0.2"] and "notReadyAddresses" not in subset
    (sl,) = desired_slices(service(8080), pods)
    t = next(e for e in sl["endpoints"] if e["addresses"] == ["10.244.0.9"])
    assert t["conditions"] == {"ready": False, "serving": True, "terminating": True}
    everyone = desired_endpoints(service(8080, publishNotReadyAddresses=True),
                                 [pod("b", "10.244.0.3", ready=False)])
    assert [a["ip"] for a in everyone["subsets"][0]["addresses"]] == ["10.244.0.3"]


def test_hostname_subdomain_and_no_selector_and_large_services() -> None:
    (subset,) = desired_endpoints(service(8080), [pod("db-0", "10.244.0.2", hostname="db-0", subdomain="kubia")])[
        "subsets"]
    assert subset["addresses"][0]["hostname"] == "db-0"
    no_selector = {"metadata": {"name": "ext"}, "spec": {"ports": [{"port": 80}]}}
    assert desired_endpoints(no_selector, [pod("a", "10.244.0.2")]) == {"subsets": []}
    many = [pod(f"p{i:03d}", f"10.244.{i // 250}.{i % 250 + 1}") for i in range(250)]
    assert [len(s["endpoints"]) for s in desired_slices(service(8080), many)] == [100, 100, 50]
