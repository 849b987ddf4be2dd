"""The REST client against the real in-process API server."""

from __future__ import annotations

import asyncio

import pytest

from kubelite.client import errors
from kubelite.client.rest import Client
from kubelite.testing.apiserver import RunningApiServer

from .conftest import eventually, pod

pytestmark = pytest.mark.integration


async def test_crud_round_trip(client: Client) -> None:
    pods = client.resource("v1", "pods")
    created = await pods.create(pod("web", app="x"))
    assert created["metadata"]["uid"]
    got = await pods.get("web")
    assert got["metadata"]["uid"] == created["metadata"]["uid"]
    got["metadata"]["labels"]["tier"] = "fe"
    updated = await pods.update(got)
    assert updated["metadata"]["labels"] == {"app": "x", "tier": "fe"}
    assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    listed = await pods.list(namespace="default", label_selector="app=x")
    assert [p["metadata"]["name"] for p in listed["items"]] == ["web"]
    assert (await pods.list(namespace="default", label_selector="app=y"))["items"] == []
    await pods.delete("web", grace_period_seconds=0)
    with pytest.raises(errors.NotFoundError) as info:
        await pods.get("web")
    assert info.value.status["reason"] == "NotFound"
    assert info.value.code == 404


async def test_errors_are_mapped(client: Client) -> None:
    cms = client.resource("v1", "configmaps")
    cm = await cms.create({"metadata": {"name": "c"}, "data": {"a": "1"}})
    with pytest.raises(errors.AlreadyExistsError):
        await cms.create({"metadata": {"name": "c"}})
    stale = dict(cm, data={"a": "2"})
    await cms.update(stale)
    with pytest.raises(errors.ConflictError):
        await cms.update(dict(cm, data={"a": "3"}))  # still carries the old resourceVersion
    with pytest.raises(errors.InvalidError) as info:
        await cms.create({"metadata": {"name": "Bad_Name"}})
    assert info.value.causes
    with pytest.raises(errors.ConflictError):
        await cms.delete("c", uid="00000000-0000-0000-0000-000000000000")
    await cms.delete("c", uid=cm["metadata"]["uid"])


async def test_unauthorized_with_wrong_token(api: RunningApiServer) -> None:
    from dataclasses import replace

    good = Client.from_kubeconfig(api.kubeconfig)
    async with Client(replace(good.config, token="wrong")) as bad:
        with pytest.raises(errors.UnauthorizedError):
            await bad.resource("v1", "pods").list()


async def test_list_paging_and_list_all(client: Client) -> None:
    cms = client.resource("v1", "configmaps")
    for i in range(7):
        await cms.create({"metadata": {"name": f"cm-{i}", "labels": {"n": str(i % 2)}}})
    pages = [p async for p in cms.pages("default", page_size=3)]
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    everything = await cms.list_all("default", page_size=2)
    assert sorted(o["metadata"]["name"] for o in everything["items"]) == [f"cm-{i}" for i in range(7)]
    assert everything["metadata"]["resourceVersion"]
    assert "continue" not in everything["metadata"]
    odd = await cms.list_all("default", label_selector="n=1", page_size=2)
    assert sorted(o["metadata"]["name"] for o in odd["items"]) == ["cm-1", "cm-3", "cm-5"]


async def test_patch_types(client: Client) -> None:
    cms = client.resource("v1", "configmaps")
    await cms.create({"metadata": {"name": "p"}, "data": {"a": "1", "b": "2"}})
    merged = await cms.patch("p", {"data": {"a": None, "c": "3"}})
    assert merged["data"] == {"b": "2", "c": "3"}
    jsoned = await cms.patch("p", [{"op": "replace", "path": "/data/b", "value": "20"}], patch_type="json")
    assert jsoned["data"]["b"] == "20"
    pods = client.resource("v1", "pods")
    p = pod("sp")
    p["spec"]["containers"].append({"name": "d", "image": "nginx"})
    await pods.create(p)
    strategic = await pods.patch(
        "sp", {"spec": {"containers": [{"name": "d", "image": "nginx:2"}]}}, patch_type="strategic")
    assert [(c["name"], c["image"]) for c in strategic["spec"]["containers"]] == [("c", "busybox"), ("d", "nginx:2")]
    applied = await cms.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"},
                               "data": {"x": "1"}}, field_manager="tester")
    assert applied["data"] == {"x": "1"}
    with pytest.raises(ValueError, match="unknown patch type"):
        await cms.patch("p", {}, patch_type="bogus")


async def test_status_subresource_and_scale(client: Client) -> None:
    rcs = client.resource("v1", "replicationcontrollers")
    rc = await rcs.create({
        "metadata": {"name": "rc"},
        "spec": {"replicas": 1, "selector": {"app": "r"},
                 "template": {"metadata": {"labels": {"app": "r"}},
                              "spec": {"containers": [{"name": "c", "image": "busybox"}]}}},
    })
    rc["status"] = {"replicas": 1, "observedGeneration": 1}
    rc["spec"]["replicas"] = 5  # ignored by the status endpoint
    after = await rcs.update_status(rc)
    assert after["status"]["replicas"] == 1
    assert after["spec"]["replicas"] == 1
    scale = await rcs.get_scale("rc")
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 1
    await rcs.scale("rc", 3)
    assert (await rcs.get("rc"))["spec"]["replicas"] == 3


async def test_binding_subresource(client: Client) -> None:
    pods = client.resource("v1", "pods")
    await pods.create(pod("b"))
    await pods.bind("b", "node-1")
    assert (await pods.get("b"))["spec"]["nodeName"] == "node-1"


async def test_cluster_scoped_resource_and_namespaces(client: Client) -> None:
    nss = client.resource("v1", "namespaces")
    await nss.create({"metadata": {"name": "team"}})
    assert nss.path(None, "team") == "/api/v1/namespaces/team"
    pods = client.resource("v1", "pods")
    await pods.create(pod("a", "team"))
    await pods.create(pod("a"))
    all_pods = await pods.list()
    assert sorted(p["metadata"]["namespace"] for p in all_pods["items"]) == ["default", "team"]
    deploys = client.resource("apps/v1", "deployments")
    assert deploys.path("ns", "d", "scale") == "/apis/apps/v1/namespaces/ns/deployments/d/scale"


async def test_transport_error_when_nothing_listens() -> None:
    from kubelite.base.clock import FakeClock
    from kubelite.client.kubeconfig import ClientConfig
    from kubelite.client.rest import RetryPolicy

    clock = FakeClock()
    # Port 9 on loopback: nothing listens, the connection is refused at once.
    async with Client(ClientConfig(server="http://127.0.0.1:9"), clock=clock,
                      retry=RetryPolicy(attempts=3, initial=1.0, maximum=1.0)) as c:
        task = asyncio.create_task(c.resource("v1", "pods").list())
        for _ in range(2):  # two retries, each after a backoff on the fake clock
            await eventually(lambda: clock.sleepers > 0 or task.done(), what="a retry backoff")
            await clock.advance(1.5)
        with pytest.raises(errors.TransportError) as info:
            await asyncio.wait_for(task, 5)
        assert info.value.sent is False


async def test_eviction_foreground_delete_and_log_errors(client: Client) -> None:
    pods = client.resource("v1", "pods")
    await pods.create(pod("ev"))
    status = await pods.evict("ev")
    assert status["status"] == "Success"
    with pytest.raises(errors.NotFoundError):
        await pods.get("ev")
    rcs = client.resource("v1", "replicationcontrollers")
    await rcs.create({
        "metadata": {"name": "fg"},
        "spec": {"replicas": 0, "selector": {"app": "fg"},
                 "template": {"metadata": {"labels": {"app": "fg"}},
                              "spec": {"containers": [{"name": "c", "image": "busybox"}]}}},
    })
    deleting = await rcs.delete("fg", propagation_policy="Foreground")
    assert deleting["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert deleting["metadata"]["deletionTimestamp"]
    await pods.create(pod("nolog"))
    assert [line async for line in pods.log("nolog")] == []  # not on a node yet: kube answers an empty log
    with pytest.raises(errors.BadRequestError) as info:
        async for _ in pods.log("nolog", container="other"):
            pass
    assert "container other is not valid for pod nolog" in str(info.value)


async def test_kubeconfig_with_client_certificate_files_and_insecure_mode(api: RunningApiServer, tmp_path) -> None:
    import shutil

    import yaml

    pki = api.server.pki
    assert pki is not None
    home = tmp_path / "kube"
    home.mkdir()
    for src, dst in ((pki.ca_cert, "ca.crt"), (pki.admin_cert, "me.crt"), (pki.admin_key, "me.key")):
        shutil.copy(src, home / dst)
    doc = {
        "clusters": [{"name": "k", "cluster": {"server": api.url, "certificate-authority": "ca.crt"}},
                     {"name": "loose", "cluster": {"server": api.url, "insecure-skip-tls-verify": True}}],
        "users": [{"name": "cert", "user": {"client-certificate": "me.crt", "client-key": "me.key"}},
                  {"name": "tok", "user": {"token": api.token}},
                  {"name": "anon", "user": {}}],
        "contexts": [{"name": "cert", "context": {"cluster": "k", "user": "cert", "namespace": "kube-system"}},
                     {"name": "insecure", "context": {"cluster": "loose", "user": "tok"}},
                     {"name": "anon", "context": {"cluster": "k", "user": "anon"}}],
        "current-context": "cert",
    }
    (home / "config").write_text(yaml.safe_dump(doc))
    async with Client.from_kubeconfig(home / "config") as c:
        assert c.namespace == "kube-system"
        assert (await c.resource("v1", "namespaces").get("default"))["metadata"]["name"] == "default"
    async with Client.from_kubeconfig(home / "config", context="insecure") as c:
        assert (await c.resource("v1", "namespaces").list())["items"]
    async with Client.from_kubeconfig(home / "config", context="anon") as c:
        with pytest.raises((errors.UnauthorizedError, errors.ForbiddenError)):
            await c.resource("v1", "namespaces").list()



async def test_rotated_token_file_is_picked_up(api: RunningApiServer, tmp_path) -> None:
    """ServiceAccount tokens rotate on disk: a 401 makes the client re-read its tokenFile once."""
    import yaml

    token_file = tmp_path / "token"
    token_file.write_text("stale-token")
    assert api.ca_file is not None
    doc = {
        "clusters": [{"name": "k", "cluster": {"server": api.url, "certificate-authority": str(api.ca_file)}}],
        "users": [{"name": "sa", "user": {"tokenFile": "token"}}],
        "contexts": [{"name": "sa", "context": {"cluster": "k", "user": "sa"}}],
        "current-context": "sa",
    }
    (tmp_path / "config").write_text(yaml.safe_dump(doc))
    async with Client.from_kubeconfig(tmp_path / "config") as c:
        assert c.config.token_file == str(token_file)
        with pytest.raises(errors.UnauthorizedError):
            await c.resource("v1", "namespaces").get("default")
        token_file.write_text(api.token + "\n")  # rotated
        assert (await c.resource("v1", "namespaces").get("default"))["metadata"]["name"] == "default"


async def test_delete_collection_and_dry_run(client: Client) -> None:
    cms = client.resource("v1", "configmaps")
    for i in range(3):
        await cms.create({"metadata": {"name": f"dc{i}", "labels": {"batch": "x" if i < 2 else "y"}}})
    dry = await cms.create({"metadata": {"name": "dry"}}, dry_run=True)
    assert dry["metadata"]["name"] == "dry"
    with pytest.raises(errors.NotFoundError):
        await cms.get("dry")
    await cms.delete_collection("default", label_selector="batch=x")
    left = await cms.list("default")
    assert sorted(o["metadata"]["name"] for o in left["items"] if o["metadata"]["name"].startswith("dc")) == ["dc2"]
