import pytest

from kubelite.cli.service import service_urls

pytestmark = pytest.mark.unit


def test_node_port_then_load_balancer_then_cluster_ip() -> None:
    frontend = {"spec": {"type": "NodePort", "clusterIP": "10.96.0.40", "ports": [{"port": 80, "nodePort": 30001}]}}
    assert service_urls(frontend) == ["http://127.0.0.1:30001"]
    lb = {"spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.41", "ports": [{"port": 80, "nodePort": 31234}]},
          "status": {"loadBalancer": {"ingress": [{"ip": "127.0.0.240"}]}}}
    assert service_urls(lb) == ["http://127.0.0.1:31234", "http://127.0.0.240:80"]
    plain = {"spec": {"clusterIP": "10.96.0.42", "ports": [{"port": 6379}]}}
    assert service_urls(plain) == ["http://10.96.0.42:6379"]
    assert service_urls({"spec": {"clusterIP": "None", "ports": [{"port": 1}]}}) == []
