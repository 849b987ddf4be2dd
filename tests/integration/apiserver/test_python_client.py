"""The official ``kubernetes`` Python client against the in-process server over HTTPS: list, watch
(resuming after 410 by re-listing), patch and delete. The client is synchronous, so it runs in a thread
while the server runs on the test's event loop."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch
from kubernetes.client.rest import ApiException

from kubelite.apiserver.config import ApiServerConfig
from kubelite.apiserver.context import Limits
from kubelite.testing.apiserver import running_apiserver

pytestmark = pytest.mark.integration


def _core(kubeconfig: Path) -> k8s.CoreV1Api:
    api_client = k8s_config.new_client_from_config(config_file=str(kubeconfig))
    return k8s.CoreV1Api(api_client)


def _scenario(kubeconfig: Path) -> dict[str, Any]:
    core = _core(kubeconfig)
    out: dict[str, Any] = {}
    for i in range(3):
        core.create_namespaced_config_map("default", k8s.V1ConfigMap(
            metadata=k8s.V1ObjectMeta(name=f"c{i}", labels={"set": "py"}), data={"i": str(i)}))
    listed = core.list_namespaced_config_map("default", label_selector="set=py")
    out["listed"] = [c.metadata.name for c in listed.items]
    rv = listed.metadata.resource_version
    patched = core.patch_namespaced_config_map("c1", "default", {"metadata": {"labels": {"extra": "1"}}})
    out["patched_labels"] = patched.metadata.labels
    core.delete_namespaced_config_map("c2", "default")
    seen = []
    for event in k8s_watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version=rv,
                                          timeout_seconds=2):
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == 2:
            break
    out["watched"] = seen
    try:
        core.read_namespaced_config_map("c2", "default")
    except ApiException as err:
        out["read_deleted"] = err.status
    return out


@pytest.mark.skipif(importlib.util.find_spec("kubelite.api.strategic") is None,
                    reason="the client patches with strategic merge: api.strategic has not landed")
async def test_official_client_list_patch_delete_watch(tmp_path: Path) -> None:
    async with running_apiserver(tmp_path / "d") as api:
        out = await asyncio.to_thread(_scenario, api.kubeconfig)
    assert out["listed"] == ["c0", "c1", "c2"]
    assert out["patched_labels"] == {"set": "py", "extra": "1"}
    assert out["watched"] == [("MODIFIED", "c1"), ("DELETED", "c2")]
    assert out["read_deleted"] == 404


def _resume_after_410(kubeconfig: Path) -> dict[str, Any]:
    """An informer-style loop: watch from an old version, get 410, re-list and watch again."""
    core = _core(kubeconfig)
    def cm(name: str) -> k8s.V1ConfigMap:
        return k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name=name))

    first = core.create_namespaced_config_map("default", cm("old"))
    for i in range(6):
        core.create_namespaced_config_map("default", cm(f"n{i}"))
    out: dict[str, Any] = {}
    try:
        for _ in k8s_watch.Watch().stream(core.list_namespaced_config_map, "default",
                                          resource_version=first.metadata.resource_version,
                                          timeout_seconds=2):
            pass
    except ApiException as err:
        out["error"] = err.status
    relisted = core.list_namespaced_config_map("default")
    out["relisted"] = len(relisted.items)
    core.create_namespaced_config_map("default", cm("after"))
    for event in k8s_watch.Watch().stream(core.list_namespaced_config_map, "default",
                                          resource_version=relisted.metadata.resource_version,
                                          timeout_seconds=2):
        out["resumed"] = (event["type"], event["object"].metadata.name)
        break
    return out


async def test_official_client_resumes_after_410(tmp_path: Path) -> None:
    config = ApiServerConfig(data_dir=tmp_path / "d", port=0, limits=Limits(watch_ring_size=3))
    async with running_apiserver(tmp_path / "d", config=config) as api:
        out = await asyncio.to_thread(_resume_after_410, api.kubeconfig)
    assert out["error"] == 410
    assert out["relisted"] == 7
    assert out["resumed"] == ("ADDED", "after")
