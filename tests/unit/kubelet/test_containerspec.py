"""A pod container translated into the runtime's ContainerConfig."""

from typing import Any

import pytest

from kubelite.kubelet.containerspec import ATTEMPT_LABEL, container_config
from kubelite.kubelet.envvars import ConfigError

pytestmark = pytest.mark.unit


def _pod(container: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": "ns", "uid": "u"}, "spec": {"containers": [container], **spec}}


def _nothing(_kind: str, _ns: str, _name: str) -> None:
    return None


def test_command_env_mounts_limits_user() -> None:
    c = {"name": "c", "image": "busybox", "command": ["echo", "$(GREETING)"], "args": ["$$(NOT)"],
         "env": [{"name": "GREETING", "value": "hi"}], "workingDir": "/srv",
         "volumeMounts": [{"name": "data", "mountPath": "/data", "subPath": "sub", "readOnly": True}],
         "resources": {"limits": {"memory": "64Mi", "cpu": "500m"}}, "securityContext": {"runAsUser": 1000}}
    cfg = container_config(_pod(c, securityContext={"runAsGroup": 50}), c, attempt=2, init=False, services=[],
                           lookup=_nothing, volumes={"data": "/host/data"}, hosts_file="/k/etc-hosts")
    assert cfg.command == ["echo", "hi"] and cfg.args == ["$(NOT)"]
    assert cfg.env["GREETING"] == "hi" and cfg.working_dir == "/srv"
    assert [(m.host_path, m.container_path, m.readonly) for m in cfg.mounts] == [
        ("/host/data/sub", "/data", True), ("/k/etc-hosts", "/etc/hosts", False)]
    assert cfg.memory == 64 << 20 and cfg.cpus == 0.5 and cfg.user == "1000:50"
    assert cfg.labels[ATTEMPT_LABEL] == "2" and cfg.attempt == 2


def test_unknown_volume_and_missing_config_map_are_config_errors() -> None:
    c = {"name": "c", "image": "busybox", "volumeMounts": [{"name": "nope", "mountPath": "/x"}]}
    with pytest.raises(ConfigError, match="nope"):
        container_config(_pod(c), c, attempt=0, init=False, services=[], lookup=_nothing, volumes={})
    c = {"name": "c", "image": "busybox",
         "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}}]}
    with pytest.raises(ConfigError):
        container_config(_pod(c), c, attempt=0, init=False, services=[], lookup=_nothing, volumes={})
