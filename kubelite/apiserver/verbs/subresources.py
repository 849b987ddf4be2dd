"""Subresources: status, scale, binding, eviction, namespace finalize, ServiceAccount tokens, and the
streaming ones (log, exec, attach, portforward, proxy).

Streaming subresources are proxied to the node's kubelet by a :class:`StreamProxy` in the context
(:class:`kubelite.apiserver.streamproxy.KubeletProxy`, plugged in by the server); without one they answer a
clear 503 Status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from aiohttp import web

from kubelite.api import meta
from kubelite.api import status as st
from kubelite.apiserver import objectmeta as om
from kubelite.apiserver.store import DeleteOptions
from kubelite.apiserver.tokens import ServiceAccountRef
from kubelite.apiserver.verbs import get, patch
from kubelite.apiserver.verbs.request import ResourceRequest, delete_options, json_response

Obj = dict[str, Any]
STREAMING = frozenset({"log", "exec", "attach", "portforward", "proxy"})


class StreamProxy(Protocol):
    """Forwards a streaming subresource request to the kubelet serving the pod (or node)."""

    async def handle(self, rr: ResourceRequest, target: Obj) -> web.StreamResponse: ...


async def handle(rr: ResourceRequest, method: str) -> web.StreamResponse:
    sub = rr.info.subresource
    if rr.resource.subresource(sub) is None:
        raise st.not_found(f"{rr.resource.plural}/{sub}", rr.name, rr.resource.group)
    if sub == "status":
        return await _status(rr, method)
    if sub == "scale":
        return await _scale(rr, method)
    if sub == "binding" and method == "POST":
        return await _binding(rr)
    if sub == "eviction" and method == "POST":
        return await _eviction(rr)
    if sub == "finalize" and method == "PUT":
        return await _finalize(rr)
    if sub == "token" and method == "POST":
        return await _token(rr)
    if sub in STREAMING:
        return await _streaming(rr)
    raise st.method_not_allowed(f"{rr.resource.plural}/{sub}", method.lower(), rr.resource.group)


async def _status(rr: ResourceRequest, method: str) -> web.StreamResponse:
    if method == "GET":
        return await get.handle(rr)
    if method == "PUT":
        obj = await rr.body_object()
        rr.check_body_type(obj)
        result = await rr.store.update_status(rr.namespace, rr.name, obj, rr.write_options())
        return json_response(result)
    if method == "PATCH":
        return await patch.handle(rr, subresource_apply=rr.store.strategy.prepare_for_status_update)
    raise st.method_not_allowed(f"{rr.resource.plural}/status", method.lower(), rr.resource.group)


async def _scale(rr: ResourceRequest, method: str) -> web.StreamResponse:
    strategy = rr.store.strategy
    if method == "GET":
        obj = await rr.store.get(rr.namespace, rr.name)
        return json_response(strategy.scale_of(obj))
    if method not in ("PUT", "PATCH"):
        raise st.method_not_allowed(f"{rr.resource.plural}/scale", method.lower(), rr.resource.group)
    make_scale: Callable[[Obj], Obj]
    if method == "PUT":
        scale_body = await rr.body_object()
        rr.check_body_type(scale_body, kind="Scale", api_version="autoscaling/v1")

        def make_scale_put(_current: Obj) -> Obj:
            return scale_body

        make_scale = make_scale_put
    else:
        from kubelite.apiserver import codec

        content_type = rr.http.headers.get("Content-Type", "")
        media = codec.media_type(content_type)
        if media == patch.APPLY:
            raise st.unsupported_media_type(media, patch.PATCH_TYPES[:3])
        patch_body = codec.decode_body(content_type, await rr.body())
        make_scale = patch.patcher(media, patch_body)

    def mutate(old: Obj) -> Obj:
        scale = make_scale(strategy.scale_of(old))
        replicas = (scale.get("spec") or {}).get("replicas", 0) if isinstance(scale, dict) else None
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise st.invalid("Scale", rr.name, [st.invalid_value("spec.replicas", replicas,
                                                                 "must be greater than or equal to 0")],
                             "autoscaling")
        rv = str((scale.get("metadata") or {}).get("resourceVersion") or "")
        new = om.deep_copy(old)
        strategy.apply_scale(new, replicas)
        strategy.bump_generation(new, old)
        new["metadata"]["resourceVersion"] = rv
        return new

    obj, _ = await rr.store.guaranteed_update(rr.namespace, rr.name, mutate, rr.write_options())
    return json_response(strategy.scale_of(obj))


async def _binding(rr: ResourceRequest) -> web.StreamResponse:
    body = await rr.body_object()
    target = body.get("target") if isinstance(body.get("target"), dict) else None
    node = str((target or {}).get("name") or "")
    if not node:
        raise st.invalid("Binding", rr.name, [st.required("target.name")])

    def mutate(old: Obj) -> Obj:
        spec = old.setdefault("spec", {})
        if old["metadata"].get("deletionTimestamp"):
            raise st.conflict("pods", rr.name, "pod is being deleted, cannot be assigned to a host")
        if spec.get("nodeName"):
            raise st.conflict("pods", rr.name,
                              f"pod {rr.name} is already assigned to node {st.go_quote(spec['nodeName'])}")
        spec["nodeName"] = node
        status = old.setdefault("status", {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        conditions.append({"type": "PodScheduled", "status": "True",
                           "lastTransitionTime": om.timestamp(rr.ctx.clock), "lastProbeTime": None})
        status["conditions"] = conditions
        return old

    # Binding writes spec.nodeName, which pod update validation forbids: kube's binding REST skips it.
    opts = replace(rr.write_options(), validate=False)
    await rr.store.guaranteed_update(rr.namespace, rr.name, mutate, opts)
    return json_response(st.success_status(), 201)


async def _eviction(rr: ResourceRequest) -> web.StreamResponse:
    body = await rr.body_object()
    options = body.get("deleteOptions") if isinstance(body.get("deleteOptions"), dict) else None
    opts: DeleteOptions = delete_options(rr.query, options, rr.write_options().dry_run)
    # No PodDisruptionBudgets are served, so every eviction is allowed.
    await rr.store.delete(rr.namespace, rr.name, opts)
    return json_response(st.success_status(), 201)


async def _finalize(rr: ResourceRequest) -> web.StreamResponse:
    body = await rr.body_object()
    rr.check_body_type(body)
    result = await rr.store.finalize_namespace(rr.name, body, rr.write_options())
    return json_response(result)


async def _token(rr: ResourceRequest) -> web.StreamResponse:
    signer = rr.ctx.signer
    if signer is None:
        raise st.service_unavailable("ServiceAccount token signing is not configured")
    sa = await rr.store.get(rr.namespace, rr.name)
    body = await rr.body_object()
    raw_spec = body.get("spec")
    spec: Obj = raw_spec if isinstance(raw_spec, dict) else {}
    expires = spec.get("expirationSeconds") or 3600
    if not isinstance(expires, int) or expires < 600:
        raise st.invalid("TokenRequest", rr.name, [st.invalid_value(
            "spec.expirationSeconds", expires, "may not specify a duration less than 10 minutes")],
            "authentication.k8s.io")
    audiences = spec.get("audiences") or None
    ref = ServiceAccountRef(rr.namespace, rr.name, str(sa["metadata"].get("uid", "")))
    now = rr.ctx.clock.now()
    token = signer.sign(ref, audiences=audiences, expires_in=expires, now=now.timestamp())
    from datetime import timedelta

    return json_response({
        "kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": rr.name, "namespace": rr.namespace, "creationTimestamp": None},
        "spec": {"audiences": audiences or [signer.issuer], "expirationSeconds": expires},
        "status": {"token": token,
                   "expirationTimestamp": meta.format_time(now + timedelta(seconds=expires))},
    }, 201)


async def _streaming(rr: ResourceRequest) -> web.StreamResponse:
    target = await rr.store.get(rr.namespace, rr.name)
    proxy: StreamProxy | None = rr.ctx.stream_proxy
    if proxy is not None:
        return await proxy.handle(rr, target)
    node = (target.get("spec") or {}).get("nodeName") if rr.resource.plural == "pods" else rr.name
    raise st.service_unavailable(
        f"{rr.info.subresource} is not available yet: no kubelet is connected"
        + (f" for node {node}" if node else " (the pod is not scheduled to a node)"))


__all__ = ["STREAMING", "StreamProxy", "handle"]
