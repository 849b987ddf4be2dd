"""What exists from the first start, created through the stores so it gets the metadata any object
gets: the default namespaces (default, kube-system, kube-public, kube-node-lease) and the ``kubernetes``
Service in ``default`` (clusterIP 10.96.0.1, port 443) with Endpoints pointing at this server, which
in-cluster clients reach as ``kubernetes.default.svc``."""

from __future__ import annotations

from kubelite.api import status as st
from kubelite.apiserver.context import ApiContext
from kubelite.apiserver.store import WriteOptions

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


async def ensure_default_namespaces(ctx: ApiContext) -> None:
    resource = ctx.registry.by_gvr("", "v1", "namespaces")
    assert resource is not None
    store = ctx.store(resource)
    for name in DEFAULT_NAMESPACES:
        try:
            await store.create("", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
                               WriteOptions())
        except st.ApiError as err:
            if err.code != 409:
                raise


async def ensure_kubernetes_service(ctx: ApiContext, address: str, port: int) -> None:
    services = ctx.registry.by_gvr("", "v1", "services")
    endpoints = ctx.registry.by_gvr("", "v1", "endpoints")
    assert services is not None and endpoints is not None
    labels = {"component": "apiserver", "provider": "kubernetes"}
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "kubernetes", "namespace": "default", "labels": labels},
               "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.1", "sessionAffinity": "None",
                        "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}]}}
    store = ctx.store(services)
    try:
        await store.get("default", "kubernetes")
    except st.ApiError as err:
        if err.code != 404:
            raise
        await store.create("default", service, WriteOptions(field_manager="kube-apiserver"))
    subsets = [{"addresses": [{"ip": address}], "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}]
    body = {"apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": "kubernetes", "namespace": "default", "labels": labels}, "subsets": subsets}
    eps = ctx.store(endpoints)

    def keep_current(old: dict[str, object]) -> dict[str, object]:
        new = dict(old)
        new["subsets"] = subsets  # the address or port may change between starts
        return new

    await eps.guaranteed_update("default", "kubernetes", keep_current,
                                WriteOptions(field_manager="kube-apiserver"), create_missing=lambda: dict(body))
