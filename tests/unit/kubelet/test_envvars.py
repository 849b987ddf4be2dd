import base64
from typing import Any

import pytest

from kubelite.kubelet.command import container_argv
from kubelite.kubelet.envvars import ConfigError, container_env, expand

pytestmark = pytest.mark.unit


def svc(name: str, ns: str, ip: str, *ports: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns}, "spec": {"clusterIP": ip, "ports": list(ports)}}


SERVICES = [
    svc("kubernetes", "default", "10.96.0.1", {"name": "https", "port": 443, "protocol": "TCP"}),
    svc("redis-master", "guestbook", "10.96.0.30", {"port": 6379, "protocol": "TCP"}),
    svc("frontend", "other", "10.96.0.40", {"port": 80}),
    svc("headless", "guestbook", "None", {"port": 1}),
]
POD = {"metadata": {"name": "slave-x", "namespace": "guestbook", "uid": "u-1", "labels": {"app": "redis"}},
       "spec": {"nodeName": "node-a", "containers": [{"name": "slave"}]},
       "status": {"podIP": "10.244.0.7", "hostIP": "192.168.1.5"}}
OBJECTS = {
    ("ConfigMap", "guestbook", "cfg"): {"data": {"MODE": "replica", "bad key": "x"}},
    ("Secret", "guestbook", "pw"): {"data": {"password": base64.b64encode(b"s3cret").decode()}},
}


def lookup(kind: str, ns: str, name: str) -> dict[str, Any] | None:
    return OBJECTS.get((kind, ns, name))


def env_of(container: dict[str, Any], pod: dict[str, Any] = POD) -> dict[str, str]:
    return dict(container_env(pod, container, SERVICES, lookup, {"cpu": "2", "memory": "1Gi"}))


def test_guestbook_service_link_variables() -> None:
    env = env_of({"name": "slave"})
    assert env["REDIS_MASTER_SERVICE_HOST"] == "10.96.0.30"
    assert env["REDIS_MASTER_SERVICE_PORT"] == "6379"
    assert env["REDIS_MASTER_PORT"] == "tcp://10.96.0.30:6379"
    assert env["REDIS_MASTER_PORT_6379_TCP"] == "tcp://10.96.0.30:6379"
    assert env["REDIS_MASTER_PORT_6379_TCP_PROTO"] == "tcp"
    assert env["REDIS_MASTER_PORT_6379_TCP_PORT"] == "6379"
    assert env["REDIS_MASTER_PORT_6379_TCP_ADDR"] == "10.96.0.30"
    assert env["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"  # the master service, from default
    assert env["KUBERNETES_SERVICE_PORT_HTTPS"] == "443"
    assert not any(k.startswith("FRONTEND_") or k.startswith("HEADLESS_") for k in env)


def test_service_links_can_be_turned_off_but_the_master_service_stays() -> None:
    pod = {**POD, "spec": {**POD["spec"], "enableServiceLinks": False}}
    env = env_of({"name": "slave"}, pod)
    assert "REDIS_MASTER_SERVICE_HOST" not in env and env["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"


def test_env_sources_precedence_and_expansion() -> None:
    env = env_of({
        "name": "slave",
        "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "CFG_"}],
        "env": [
            {"name": "GET_HOSTS_FROM", "value": "env"},
            {"name": "MASTER", "value": "$(REDIS_MASTER_SERVICE_HOST):$(REDIS_MASTER_SERVICE_PORT)"},
            {"name": "LITERAL", "value": "$$(MASTER) and $(UNKNOWN)"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
            {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "pw", "key": "password"}}},
            {"name": "MEM_MI", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
            {"name": "CFG_MODE", "value": "overridden"},
        ],
    })
    assert env["MASTER"] == "10.96.0.30:6379"
    assert env["LITERAL"] == "$(MASTER) and $(UNKNOWN)"
    assert (env["POD_NAME"], env["POD_IP"], env["APP"]) == ("slave-x", "10.244.0.7", "redis")
    assert env["PASSWORD"] == "s3cret"
    assert env["MEM_MI"] == "1024"  # no limit set: the node's allocatable
    assert env["CFG_MODE"] == "overridden"
    assert "CFG_bad key" not in env


def test_missing_config_sources_fail_like_the_kubelet_unless_optional() -> None:
    with pytest.raises(ConfigError, match='configmap "nope" not found'):
        env_of({"name": "c", "envFrom": [{"configMapRef": {"name": "nope"}}]})
    with pytest.raises(ConfigError, match="couldn't find key missing in ConfigMap guestbook/cfg"):
        ref = {"configMapKeyRef": {"name": "cfg", "key": "missing"}}
        env_of({"name": "c", "env": [{"name": "X", "valueFrom": ref}]})
    env = env_of({"name": "c", "env": [{"name": "X", "valueFrom": {
        "secretKeyRef": {"name": "absent", "key": "k", "optional": True}}}]})
    assert "X" not in env


def test_expand_escapes() -> None:
    assert expand("a$(X)b$$c$(Y", {"X": "1"}) == "a1b$c$(Y"


def test_command_and_args_against_the_image() -> None:
    env = {"PORT": "8080"}
    image_ep, image_cmd = ["node"], ["app.js"]
    assert container_argv(None, None, image_ep, image_cmd, env) == ["node", "app.js"]
    assert container_argv(None, ["other.js", "$(PORT)"], image_ep, image_cmd, env) == ["node", "other.js", "8080"]
    assert container_argv(["sh", "-c"], None, image_ep, image_cmd, env) == ["sh", "-c"]
    assert container_argv(["sh"], ["-c", "echo"], image_ep, image_cmd, env) == ["sh", "-c", "echo"]
