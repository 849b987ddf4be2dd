"""The protocol doc's command matrix (the commands that need no nodes), run by real kubectl against a
real ``kubelite server`` process on SQLite over HTTPS. Commands that need an object-model module that has
not landed yet (tables, protobuf generators, server-side apply, explain schemas) are skipped by name."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.e2e.apiserver.conftest import KUBECTL_DIR, Kubectl

pytestmark = pytest.mark.e2e


def _has(module: str) -> bool:
    return importlib.util.find_spec(f"kubelite.api.{module}") is not None


needs_tables = pytest.mark.skipif(not _has("tables"), reason="api.tables has not landed")
needs_protobuf = pytest.mark.skipif(not _has("protobuf"), reason="api.protobuf has not landed")
needs_apply = pytest.mark.skipif(not _has("apply"), reason="api.apply has not landed")
needs_openapi = pytest.mark.skipif(not _has("openapi"), reason="api.openapi has not landed")


def deployment(name: str, image: str = "nginx:1.25", replicas: int = 2) -> str:
    return yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": name, "image": image,
                                                       "ports": [{"containerPort": 80}]}]}}}})


def pod(name: str, **labels: str) -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": name, "labels": {"app": name, **labels}},
                           "spec": {"containers": [{"name": "c", "image": "nginx"}]}})


def test_version_reports_132_and_dispatches(kubectl: Kubectl) -> None:
    out = kubectl.run("version", "-o", "json").stdout
    info = json.loads(out)
    assert info["serverVersion"]["minor"] == "32"
    assert info["clientVersion"]["gitVersion"].startswith("v1.32.")


def test_api_resources(kubectl: Kubectl) -> None:
    out = kubectl.run("api-resources").stdout
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "po" in lines["pods"] and "deploy" in lines["deployments"]
    assert {"leases", "endpointslices", "cronjobs", "statefulsets"} <= set(lines)


def test_default_namespaces(kubectl: Kubectl) -> None:
    out = kubectl.run("get", "ns", "-o", "name").stdout.split()
    assert {"namespace/default", "namespace/kube-system", "namespace/kube-public",
            "namespace/kube-node-lease"} <= set(out)


def test_create_get_outputs_delete(kubectl: Kubectl) -> None:
    kubectl.run("create", "-f", "-", input=pod("p1", tier="a"))
    dup = kubectl.run("create", "-f", "-", input=pod("p1"), check=False)
    assert dup.returncode != 0 and "AlreadyExists" in dup.stderr
    as_yaml = yaml.safe_load(kubectl.run("get", "pod", "p1", "-o", "yaml").stdout)
    assert as_yaml["metadata"]["labels"] == {"app": "p1", "tier": "a"}
    as_json = json.loads(kubectl.run("get", "pods", "-o", "json").stdout)
    assert "p1" in [i["metadata"]["name"] for i in as_json["items"]]
    assert kubectl.run("get", "pods", "-l", "tier=a", "-o", "name").stdout.split() == ["pod/p1"]
    assert "p1" in kubectl.run("get", "pods", "-A").stdout
    assert "p1" in kubectl.run("get", "pods", "-o", "wide").stdout
    assert "Name:" in kubectl.run("describe", "pod", "p1").stdout
    assert 'pod "p1" deleted' in kubectl.run("delete", "pod", "p1").stdout
    missing = kubectl.run("get", "pod", "p1", check=False)
    assert missing.returncode != 0 and "NotFound" in missing.stderr


def test_apply_twice_then_change(kubectl: Kubectl) -> None:
    assert "created" in kubectl.run("apply", "-f", "-", input=deployment("ap")).stdout
    assert "unchanged" in kubectl.run("apply", "-f", "-", input=deployment("ap")).stdout
    assert "configured" in kubectl.run("apply", "-f", "-", input=deployment("ap", "nginx:1.27")).stdout
    image = kubectl.run("get", "deploy", "ap", "-o", "jsonpath={.spec.template.spec.containers[0].image}").stdout
    assert image == "nginx:1.27"


def test_label_annotate_scale_set_image_patch_replace(kubectl: Kubectl, tmp_path: Path) -> None:
    kubectl.run("create", "-f", "-", input=deployment("ed"))
    kubectl.run("label", "deploy", "ed", "tier=x")
    kubectl.run("annotate", "deploy", "ed", "note=y")
    kubectl.run("scale", "deploy", "ed", "--replicas=3")
    kubectl.run("scale", "deploy", "ed", "--current-replicas=3", "--replicas=4")
    kubectl.run("set", "image", "deploy/ed", "ed=nginx:1.28")
    kubectl.run("patch", "deploy", "ed", "--type=merge", "-p", '{"metadata":{"labels":{"m":"1"}}}')
    kubectl.run("patch", "deploy", "ed", "--type=json", "-p",
                '[{"op":"add","path":"/metadata/labels/j","value":"2"}]')
    kubectl.run("patch", "deploy", "ed", "-p", '{"spec":{"template":{"spec":{"containers":'
                '[{"name":"ed","env":[{"name":"A","value":"b"}]}]}}}}')
    obj = json.loads(kubectl.run("get", "deploy", "ed", "-o", "json").stdout)
    assert obj["metadata"]["labels"] == {"app": "ed", "tier": "x", "m": "1", "j": "2"}
    assert obj["metadata"]["annotations"]["note"] == "y"
    assert obj["spec"]["replicas"] == 4
    container = obj["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.28" and container["env"] == [{"name": "A", "value": "b"}]
    obj["spec"]["replicas"] = 1
    path = tmp_path / "ed.json"
    path.write_text(json.dumps(obj))
    kubectl.run("replace", "-f", str(path))
    assert kubectl.run("get", "deploy", "ed", "-o", "jsonpath={.spec.replicas}").stdout == "1"
    stale = kubectl.run("replace", "-f", str(path), check=False)
    assert stale.returncode != 0 and "Conflict" in stale.stderr


def test_scale_rc_and_delete_with_wait(kubectl: Kubectl) -> None:
    rc = {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc1"},
          "spec": {"replicas": 1, "selector": {"app": "rc1"}, "template": {
              "metadata": {"labels": {"app": "rc1"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    kubectl.run("create", "-f", "-", input=json.dumps(rc))
    kubectl.run("scale", "rc", "rc1", "--replicas=2")
    assert kubectl.run("get", "rc", "rc1", "-o", "jsonpath={.spec.replicas}").stdout == "2"
    kubectl.run("delete", "rc", "rc1", "--wait=true")
    kubectl.run("create", "configmap", "w1", "--from-literal=a=b", check=False)


def test_wait_for_delete(kubectl: Kubectl) -> None:
    kubectl.run("create", "-f", "-", input=pod("waiter"))
    kubectl.run("delete", "pod", "waiter", "--wait=false")
    kubectl.run("wait", "--for=delete", "pod/waiter", "--timeout=10s")


def test_get_watch_prints_new_rows(kubectl: Kubectl) -> None:
    env = dict(os.environ, KUBECONFIG=str(kubectl.server.kubeconfig))
    proc = subprocess.Popen(["kubectl", f"--cache-dir={kubectl.cache_dir}", "get", "configmaps", "-w"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines: list[str] = []
        assert proc.stdout is not None
        kubectl.run("create", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "watched"}}))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "watched" in line:
                break
        assert any("watched" in line for line in lines), lines
    finally:
        proc.kill()
        proc.wait(timeout=10)


@needs_tables
def test_tables_show_kind_columns(kubectl: Kubectl) -> None:
    kubectl.run("create", "-f", "-", input=pod("tp"))
    header = kubectl.run("get", "pods").stdout.splitlines()[0].split()
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]


@needs_protobuf
@pytest.mark.parametrize("args", [
    ["namespace", "gen-ns"], ["configmap", "gen-cm", "--from-literal=a=b"],
    ["secret", "generic", "gen-s", "--from-literal=a=b"], ["serviceaccount", "gen-sa"],
    ["deployment", "gen-d", "--image=nginx"], ["service", "clusterip", "gen-svc", "--tcp=80:80"],
    ["job", "gen-j", "--image=busybox"], ["cronjob", "gen-cj", "--image=busybox", "--schedule=* * * * *"],
])
def test_create_generators(kubectl: Kubectl, args: list[str]) -> None:
    assert "created" in kubectl.run("create", *args).stdout


@needs_apply
def test_server_side_apply(kubectl: Kubectl) -> None:
    assert "serverside-applied" in kubectl.run("apply", "--server-side", "-f", "-",
                                               input=deployment("ssa")).stdout
    kubectl.run("apply", "--server-side", "-f", "-", input=deployment("ssa", "nginx:1.27"))
    image = kubectl.run("get", "deploy", "ssa", "-o", "jsonpath={.spec.template.spec.containers[0].image}").stdout
    assert image == "nginx:1.27"


@needs_openapi
def test_explain(kubectl: Kubectl) -> None:
    assert "containers" in kubectl.run("explain", "pod.spec").stdout


@pytest.mark.parametrize("minor", ["29", "31", "33"])
def test_other_kubectl_versions(kubectl: Kubectl, minor: str) -> None:
    binary = KUBECTL_DIR / f"kubectl.1.{minor}"
    if not binary.exists():
        pytest.skip(f"{binary} not installed")
    k = Kubectl(kubectl.server, kubectl.cache_dir.with_name(f"cache{minor}"), str(binary))
    name = f"v{minor}"
    k.run("apply", "-f", "-", input=deployment(name))
    k.run("scale", "deploy", name, "--replicas=3")
    assert k.run("get", "deploy", name, "-o", "jsonpath={.spec.replicas}").stdout == "3"
    assert name in k.run("get", "deploy").stdout
    k.run("delete", "deploy", name)
