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


def _config(c: dict[str, Any], image_user: str = "", **spec: Any) -> Any:
    return container_config(_pod(c, **spec), c, attempt=0, init=False, services=[], lookup=_nothing, volumes={},
                            image_user=image_user)


def test_security_context_reaches_the_runtime() -> None:
    c = {"name": "c", "image": "busybox", "securityContext": {
        "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
        "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]}}}
    cfg = _config(c)
    assert cfg.readonly_rootfs and cfg.no_new_privileges and not cfg.privileged
    assert cfg.cap_add == ["NET_ADMIN"] and cfg.cap_drop == ["ALL"]
    plain = _config({"name": "c", "image": "busybox", "securityContext": {"privileged": True}})
    assert plain.privileged and not plain.readonly_rootfs and not plain.no_new_privileges


def test_cpu_request_becomes_shares_as_the_kubelet_computes_them() -> None:
    def shares(resources: dict[str, Any]) -> int:
        return int(_config({"name": "c", "image": "busybox", "resources": resources}).cpu_shares)

    assert shares({"requests": {"cpu": "250m"}}) == 256
    assert shares({"requests": {"cpu": "1"}, "limits": {"cpu": "2"}}) == 1024
    assert shares({"limits": {"cpu": "500m"}}) == 512  # the request defaults to the limit
    assert shares({"requests": {"cpu": "1m"}}) == 2  # never below the kernel's minimum
    assert shares({}) == 0  # no request: the runtime's default weight
    with pytest.raises(ConfigError, match="invalid resource request"):
        shares({"requests": {"cpu": "lots"}})


def test_run_as_non_root_refuses_root_with_the_kubelets_messages() -> None:
    where = '(pod: "p_ns(u)", container: c)'
    c = {"name": "c", "image": "busybox", "securityContext": {"runAsNonRoot": True}}
    with pytest.raises(ConfigError) as err:
        _config(c)
    assert str(err.value) == f"container has runAsNonRoot and image will run as root {where}"
    with pytest.raises(ConfigError, match="image will run as root"):
        _config(c, image_user="0:0")
    with pytest.raises(ConfigError) as err:
        _config(c, image_user="nobody")
    assert str(err.value) == ("container has runAsNonRoot and image has non-numeric user (nobody), "
                              f"cannot verify user is non-root {where}")
    assert _config(c, image_user="1000").user == ""  # the image's own non-root user
    as_root = {"name": "c", "image": "busybox", "securityContext": {"runAsUser": 0}}
    with pytest.raises(ConfigError) as err:
        _config(as_root, securityContext={"runAsNonRoot": True})
    assert str(err.value) == f"container's runAsUser breaks non-root policy {where}"
    assert _config({"name": "c", "image": "busybox"}, securityContext={"runAsNonRoot": True,
                                                                        "runAsUser": 65534}).user == "65534"
    assert _config({"name": "c", "image": "busybox"}).user == ""  # no policy: root is fine


@pytest.mark.parametrize("sub", ["/etc", "../up", "a/../../b"])
def test_sub_path_must_stay_relative(sub: str) -> None:
    c = {"name": "c", "image": "busybox", "volumeMounts": [{"name": "v", "mountPath": "/m", "subPath": sub}]}
    with pytest.raises(ConfigError, match=r'must be a relative path without "\.\."'):
        container_config(_pod(c), c, attempt=0, init=False, services=[], lookup=_nothing, volumes={"v": "/h"})
