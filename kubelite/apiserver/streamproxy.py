"""The streaming subresources (pods/log, exec, attach, portforward) proxied to the pod's kubelet.

What kube-apiserver does, and so what we do (pkg/registry/core/pod: LogLocation, streamLocation):

* find the pod; check the container named in the query is one of the pod's (init and ephemeral
  included), or pick the default one: the ``kubectl.kubernetes.io/default-container`` annotation, else
  the only container; several and none named is a 400 listing them;
* a pod without ``spec.nodeName``: logs answer an empty 200 (kube returns "no location"), exec, attach
  and port-forward a 400 "pod X does not have a host assigned";
* find the node, its address (InternalIP first, then Hostname, ExternalIP) and kubelet port
  (``status.daemonEndpoints.kubeletEndpoint.Port``, 10250 when unset);
* map the subresource to the kubelet's path (``/containerLogs/{ns}/{pod}/{container}``,
  ``/exec|/attach/{ns}/{pod}/{container}``, ``/portforward/{ns}/{pod}``) with a query rebuilt from the
  options we understand (never the client's raw query);
* logs are a streamed HTTP proxy; a kubelet error becomes a Status (400 stays BadRequest with the
  kubelet's text, as kube's GenericHttpResponseChecker does);
* exec, attach and port-forward are upgrades relayed byte for byte (:mod:`kubelite.apiserver.upgrade`),
  so WebSocket v4/v5, SPDY/3.1 and SPDY-in-WebSocket all pass unchanged; a refused upgrade is copied back.

Credentials toward the kubelet: the cluster's admin client certificate (``admin.crt``, signed by the
cluster CA, which the agent trusts), with the admin token as a fallback for a kubelet configured with
tokens only. The kubelet's serving certificate is *not* verified: each kubelet signs its own (there is no
CSR signer for serving certificates yet), which is also kube-apiserver's default when
``--kubelet-certificate-authority`` is unset.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from aiohttp import web

from kubelite.api import status as st
from kubelite.apiserver import upgrade
from kubelite.apiserver.context import ApiContext
from kubelite.apiserver.verbs.request import ResourceRequest

log = logging.getLogger(__name__)
Obj = dict[str, Any]
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
DEFAULT_KUBELET_PORT = 10250
ADDRESS_PREFERENCE = ("InternalIP", "Hostname", "InternalDNS", "ExternalIP", "ExternalDNS")
LOG_PARAMS_BOOL = ("follow", "previous", "timestamps")
LOG_PARAMS_INT = ("sinceSeconds", "tailLines", "limitBytes")
STREAM_FLAGS = ("stdin", "stdout", "stderr", "tty")
CLIENT_GONE_CHECK = 2.0  # seconds between looks at a quiet followed log's client


@dataclass(frozen=True)
class KubeletCredentials:
    """How the API server authenticates to kubelets: a client certificate of the cluster CA and/or a
    bearer token (both optional; the kubelet accepts either)."""

    cert_file: str | None = None
    key_file: str | None = None
    token: str | None = None


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    path: str
    query: list[tuple[str, str]]

    @property
    def path_qs(self) -> str:
        return self.path + (f"?{urlencode(self.query)}" if self.query else "")


def _all_containers(pod: Obj) -> list[str]:
    spec = pod.get("spec") or {}
    names: list[str] = []
    for key in ("initContainers", "containers", "ephemeralContainers"):
        names += [str(c.get("name", "")) for c in spec.get(key) or [] if isinstance(c, dict)]
    return names


def choose_container(pod: Obj, requested: str) -> str:
    """The container a request addresses (kube's validateContainer, plus the default-container
    annotation kubectl honours client-side). Pure."""
    name = pod["metadata"]["name"]
    if requested:
        if requested not in _all_containers(pod):
            raise st.bad_request(f"container {requested} is not valid for pod {name}")
        return requested
    annotated = ((pod["metadata"].get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION) or "")
    if annotated and annotated in _all_containers(pod):
        return str(annotated)
    regular = [str(c.get("name", "")) for c in (pod.get("spec") or {}).get("containers") or []]
    if len(regular) == 1:
        return regular[0]
    if not regular:
        raise st.bad_request(f"a container name must be specified for pod {name}")
    raise st.bad_request(f"a container name must be specified for pod {name}, "
                         f"choose one of: [{' '.join(_all_containers(pod))}]")


def node_endpoint(node: Obj) -> tuple[str, int]:
    """The kubelet's address and port from a Node's status. Pure."""
    status = node.get("status") or {}
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or [] if isinstance(a, dict)}
    host = next((str(addresses[t]) for t in ADDRESS_PREFERENCE if addresses.get(t)), "")
    if not host:
        raise st.bad_request(f"node {node['metadata']['name']} has no address the API server can reach")
    port = ((status.get("daemonEndpoints") or {}).get("kubeletEndpoint") or {}).get("Port") or DEFAULT_KUBELET_PORT
    return host, int(port)


def kubelet_query(sub: str, query: Any) -> list[tuple[str, str]]:
    """The kubelet's query for a subresource, from the options we understand (kube's streamParams).
    ``query`` is a multidict (``getall``). Pure but for the 400 on a malformed integer."""
    truthy = ("true", "1")
    out: list[tuple[str, str]] = []
    if sub == "log":
        out += [(p, "true") for p in LOG_PARAMS_BOOL if query.get(p, "").lower() in truthy]
        for p in LOG_PARAMS_INT:
            raw = query.get(p)
            if raw in (None, ""):
                continue
            try:
                value = int(raw)
            except ValueError:
                raise st.bad_request(f"invalid value for {p}: {raw!r} is not an integer") from None
            if value < 0 or (value == 0 and p != "tailLines"):
                raise st.invalid("PodLogOptions", "", [st.invalid_value(p, value, "must be greater than 0")])
            out.append((p, str(value)))
        since_time = query.get("sinceTime")
        if since_time:
            if query.get("sinceSeconds"):
                raise st.invalid("PodLogOptions", "", [st.forbidden_field(
                    "sinceSeconds", "at most one of `sinceTime` or `sinceSeconds` may be specified")])
            try:
                datetime.fromisoformat(since_time.replace("Z", "+00:00"))
            except ValueError:
                raise st.bad_request(f"invalid value for sinceTime: {since_time!r} is not an RFC 3339 time") from None
            out.append(("sinceTime", since_time))
        return out
    if sub in ("exec", "attach"):
        out += [(p, "1") for p in STREAM_FLAGS if query.get(p, "").lower() in truthy]
        if sub == "exec":
            out += [("command", c) for c in query.getall("command", [])]
        return out
    ports = query.getall("ports", [])
    return [("port", ",".join(ports))] if ports else []


class KubeletProxy:
    """The :class:`~kubelite.apiserver.verbs.subresources.StreamProxy` the API server plugs in."""

    def __init__(self, ctx: ApiContext, credentials: KubeletCredentials) -> None:
        self.ctx = ctx
        self.credentials = credentials
        self._ssl = self._client_ssl()
        self._session: aiohttp.ClientSession | None = None

    def _client_ssl(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # kubelets serve self-signed certificates (module docstring)
        if self.credentials.cert_file and self.credentials.key_file:
            ctx.load_cert_chain(self.credentials.cert_file, self.credentials.key_file)
        return ctx

    def _auth_headers(self) -> list[tuple[str, str]]:
        token = self.credentials.token
        return [("Authorization", f"Bearer {token}")] if token else []

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ------------------------------------------------------------------------------------ locating

    async def _node(self, name: str) -> Obj:
        nodes = self.ctx.registry.by_gvr("", "v1", "nodes")
        assert nodes is not None
        return await self.ctx.store(nodes).get("", name)

    async def locate(self, rr: ResourceRequest, pod: Obj) -> Target | None:
        """Where the kubelet serves this request; None for logs of a pod not yet on a node."""
        sub = rr.info.subresource
        ns, name = pod["metadata"].get("namespace", ""), pod["metadata"]["name"]
        container = "" if sub == "portforward" else choose_container(pod, rr.query.get("container", ""))
        query = kubelet_query(sub, rr.query)
        node_name = (pod.get("spec") or {}).get("nodeName") or ""
        if not node_name:
            if sub == "log":
                return None
            raise st.bad_request(f"pod {name} does not have a host assigned")
        host, port = node_endpoint(await self._node(node_name))
        if sub == "portforward":
            path = f"/portforward/{quote(ns)}/{quote(name)}"
        else:
            kubelet_sub = {"log": "containerLogs"}.get(sub, sub)
            path = f"/{kubelet_sub}/{quote(ns)}/{quote(name)}/{quote(container)}"
        return Target(host, port, path, query)

    # ------------------------------------------------------------------------------------ serving

    async def handle(self, rr: ResourceRequest, target: Obj) -> web.StreamResponse:
        sub = rr.info.subresource
        if rr.resource.plural != "pods" or sub not in ("log", "exec", "attach", "portforward"):
            raise st.service_unavailable(f"{rr.resource.plural}/{sub} is not served by kubelite")
        where = await self.locate(rr, target)
        if sub == "log":
            return await self._logs(rr, where)
        assert where is not None
        return await self._upgrade(rr, where)

    async def _logs(self, rr: ResourceRequest, where: Target | None) -> web.StreamResponse:
        if rr.http.method != "GET":
            raise st.method_not_allowed("pods/log", rr.http.method.lower())
        if where is None:
            return web.Response(body=b"", content_type="text/plain")
        if self._session is None:
            # No pool limit: each followed log holds its connection for as long as the client reads.
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                                  timeout=aiohttp.ClientTimeout(total=None, sock_connect=30))
        url = f"https://{upgrade.host_port(where.host, where.port)}{where.path_qs}"
        try:
            backend = await self._session.get(url, ssl=self._ssl, headers=dict(self._auth_headers()))
        except (aiohttp.ClientError, OSError) as err:
            raise st.internal(f"error dialing the kubelet at {where.host}:{where.port}: {err}") from None
        async with backend:
            if backend.status != 200:
                raise _kubelet_error(backend.status, (await backend.read())[:4096].decode(errors="replace"),
                                     rr.name)
            resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
            await resp.prepare(rr.http)
            await _copy_logs(rr.http, backend, resp)
            with contextlib.suppress(ConnectionError):
                await resp.write_eof()
            return resp

    async def _upgrade(self, rr: ResourceRequest, where: Target) -> web.StreamResponse:
        request = rr.http
        if "upgrade" not in request.headers.get("Connection", "").lower():
            raise st.bad_request("Upgrade request required")
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in upgrade.DROPPED_REQUEST_HEADERS]
        headers += self._auth_headers()
        try:
            reader, writer, head = await upgrade.open_backend(where.host, where.port, self._ssl,
                                                              method=request.method, path_qs=where.path_qs,
                                                              headers=headers)
        except upgrade.BackendError as err:
            raise st.internal(f"error dialing backend: {err}") from None
        if head.status != 101:
            try:
                body = await upgrade.read_body(reader, head)
            finally:
                writer.close()
            log.info("kubelet refused an upgrade", extra={"status": head.status, "path": where.path})
            # kube copies the kubelet's refusal back as it is; kubectl then falls back or prints it.
            content_type = head.headers.get("Content-Type", "text/plain")
            return web.Response(status=head.status, body=body, headers={"Content-Type": content_type})
        return await upgrade.relay(request, head, reader, writer)


def _kubelet_error(code: int, text: str, name: str) -> st.ApiError:
    """kube's GenericHttpResponseChecker: the kubelet's text under the kubelet's status."""
    text = text.strip()
    if code == 400:
        return st.bad_request(text)
    if code == 500:
        return st.internal(text)
    if code == 404:
        return st.failure(404, "NotFound", text or f'pods/log "{name}" not found',
                          {"name": name, "group": "", "kind": "pods/log"})
    return st.failure(code, "InternalError" if code >= 500 else "BadRequest", text or f"kubelet answered {code}")


async def _copy_logs(request: web.Request, backend: aiohttp.ClientResponse, resp: web.StreamResponse) -> None:
    """Stream the kubelet's body. A followed log may be quiet for long: every few seconds without data
    we look whether the client is still there, so an abandoned ``logs -f`` releases the kubelet."""
    read: asyncio.Task[bytes] | None = None
    try:
        while True:
            if read is None:
                read = asyncio.ensure_future(backend.content.readany())
            done, _ = await asyncio.wait({read}, timeout=CLIENT_GONE_CHECK)
            if not done:
                if request.transport is None or request.transport.is_closing():
                    return
                continue
            chunk, read = read.result(), None
            if not chunk:
                return
            await resp.write(chunk)
    except (ConnectionError, aiohttp.ClientError, OSError):
        return
    finally:
        if read is not None:
            read.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await read


__all__ = ["KubeletCredentials", "KubeletProxy", "choose_container", "kubelet_query", "node_endpoint"]
