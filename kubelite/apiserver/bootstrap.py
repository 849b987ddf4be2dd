"""What exists from the first start: the default namespaces (default, kube-system, kube-public,
kube-node-lease), created through the store so they get the same metadata any namespace gets."""

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
