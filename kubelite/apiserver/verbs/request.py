"""The parsed form of one resource request, shared by every verb handler, and response helpers."""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web
from multidict import MultiMapping

from kubelite.api import status as st
from kubelite.api.resources import Resource
from kubelite.apiserver import codec
from kubelite.apiserver.context import ApiContext
from kubelite.apiserver.requestinfo import RequestInfo
from kubelite.apiserver.store import DeleteOptions, ResourceStore, WriteOptions

JSON_CT = "application/json"


@dataclass
class ResourceRequest:
    ctx: ApiContext
    resource: Resource
    info: RequestInfo
    http: web.Request

    @property
    def store(self) -> ResourceStore:
        return self.ctx.store(self.resource)

    @property
    def query(self) -> MultiMapping[str]:
        return self.http.query

    @property
    def namespace(self) -> str:
        return self.info.namespace

    @property
    def name(self) -> str:
        return self.info.name

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("true", "1")

    def int_param(self, name: str) -> int | None:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            raise st.bad_request(f"invalid value for {name}: {raw!r} is not an integer") from None

    async def body(self) -> bytes:
        return await self.http.read()

    async def body_object(self) -> dict[str, Any]:
        return codec.decode_object(self.http.headers.get("Content-Type", ""), await self.body())

    def write_options(self) -> WriteOptions:
        dry = self.query.getall("dryRun", [])
        for value in dry:
            if value != "All":
                raise st.bad_request(f"Invalid dry run value: {value}; valid values are All")
        manager = self.query.get("fieldManager", "")
        if len(manager) > 128:
            raise st.bad_request("fieldManager must not be longer than 128 characters")
        if not manager:
            # Kubernetes names an anonymous writer after its User-Agent's product ("kubectl").
            manager = self.http.headers.get("User-Agent", "unknown").split("/", 1)[0][:128] or "unknown"
        sub = self.info.subresource if self.info.subresource in ("status", "scale") else ""
        return WriteOptions(dry_run=bool(dry), field_manager=manager, subresource=sub)

    def field_validation(self) -> str:
        value = self.query.get("fieldValidation", "")
        if value not in ("", "Strict", "Warn", "Ignore"):
            raise st.bad_request(f"fieldValidation must be one of Strict, Warn or Ignore, not {value!r}")
        return value or "Warn"

    def check_body_type(self, obj: dict[str, Any], *, kind: str | None = None,
                        api_version: str | None = None) -> None:
        """The body's apiVersion/kind, when given, must be the URL's (400 otherwise, as Kubernetes)."""
        want_kind = kind or self.resource.kind
        want_av = api_version or self.resource.api_version
        got_av = obj.get("apiVersion")
        got_kind = obj.get("kind")
        if got_av not in (None, "") and got_av != want_av:
            raise st.bad_request(
                f"the API version in the data ({got_av}) does not match the expected API version ({want_av})")
        if got_kind not in (None, "") and got_kind != want_kind:
            raise st.bad_request(f"the kind in the data ({got_kind}) does not match the expected kind "
                                 f"({want_kind})")
        obj["apiVersion"] = want_av
        obj["kind"] = want_kind


def delete_options(query: MultiMapping[str], body: dict[str, Any] | None, dry_run: bool) -> DeleteOptions:
    grace: int | None = None
    raw = query.get("gracePeriodSeconds")
    if raw not in (None, ""):
        try:
            grace = int(raw)
        except ValueError:
            raise st.bad_request(f"invalid gracePeriodSeconds {raw!r}") from None
    propagation = query.get("propagationPolicy", "")
    uid = rv = None
    if body:
        if body.get("gracePeriodSeconds") is not None:
            if not isinstance(body["gracePeriodSeconds"], int):
                raise st.bad_request("gracePeriodSeconds must be an integer")
            grace = body["gracePeriodSeconds"]
        propagation = body.get("propagationPolicy") or propagation
        if body.get("orphanDependents") is True and not propagation:
            propagation = "Orphan"
        pre = body.get("preconditions") or {}
        if isinstance(pre, dict):
            uid = pre.get("uid") or None
            rv = pre.get("resourceVersion") or None
        if body.get("dryRun"):
            dry_run = True
    if propagation not in ("", "Orphan", "Background", "Foreground"):
        raise st.bad_request(f"unsupported propagationPolicy {propagation!r}")
    return DeleteOptions(grace_period=grace, precondition_uid=uid, precondition_rv=rv,
                         propagation=propagation, dry_run=dry_run)


def json_response(value: Any, status: int = 200, *, content_type: str = JSON_CT,
                  headers: dict[str, str] | None = None) -> web.Response:
    return raw_response(orjson.dumps(value), status, content_type=content_type, headers=headers)


GZIP_MIN_BYTES = 128 * 1024  # kube-apiserver compresses responses above 128 KiB for gzip clients


def accepts_gzip(request: web.Request) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


async def large_response(request: web.Request, body: bytes, *, content_type: str = JSON_CT) -> web.Response:
    """A big body (lists): gzip level 1 in a worker thread when the client accepts it, as
    kube-apiserver does; zlib releases the GIL, so other requests keep being served meanwhile."""
    if len(body) < GZIP_MIN_BYTES or not accepts_gzip(request):
        return raw_response(body, content_type=content_type)
    packed = await asyncio.to_thread(_gzip, body)
    return raw_response(packed, content_type=content_type, headers={"Content-Encoding": "gzip",
                                                                    "Vary": "Accept-Encoding"})


def _gzip(body: bytes) -> bytes:
    comp = zlib.compressobj(1, zlib.DEFLATED, 31)  # wbits 31: gzip framing
    return comp.compress(body) + comp.flush()


def raw_response(body: bytes, status: int = 200, *, content_type: str = JSON_CT,
                 headers: dict[str, str] | None = None) -> web.Response:
    resp = web.Response(body=body, status=status, headers=headers)
    resp.content_type = content_type.split(";", 1)[0]
    if ";" in content_type:
        resp.headers["Content-Type"] = content_type
    return resp
