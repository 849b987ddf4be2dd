"""The writes the UI offers, each done as kubectl does it, so the cluster cannot tell them apart:

- ``POST /api/scale`` ``{kind, namespace, name, replicas}``: the ``scale`` subresource;
- ``POST /api/restart`` ``{namespace, name}``: a strategic merge patch of the Deployment's pod template
  annotation ``kubectl.kubernetes.io/restartedAt`` (``kubectl rollout restart``);
- ``POST /api/undo`` ``{namespace, name}``: the previous revision's ReplicaSet template sent back as a
  JSON patch (``kubectl rollout undo``);
- ``POST /api/create`` with YAML or JSON (several documents, or a List): each object created, or with
  ``?mode=apply`` applied server-side (the detail page's Edit sends the object back this way).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml
from aiohttp import web

from kubelite.api.resources import REGISTRY
from kubelite.client.errors import ApiError
from kubelite.dashboard.errors import bad_request, status
from kubelite.dashboard.paths import valid_name
from kubelite.dashboard.proxy import CLIENT

JsonDict = dict[str, Any]
REVISION = "deployment.kubernetes.io/revision"
SCALABLE = {"Deployment": ("apps/v1", "deployments"), "ReplicaSet": ("apps/v1", "replicasets"),
            "ReplicationController": ("v1", "replicationcontrollers"), "StatefulSet": ("apps/v1", "statefulsets")}
MAX_MANIFEST_BYTES = 1 << 20
FIELD_MANAGER = "kubelite-dashboard"


async def _json_body(request: web.Request) -> JsonDict | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _target(body: JsonDict) -> tuple[str, str] | None:
    ns, name = str(body.get("namespace") or ""), str(body.get("name") or "")
    return (ns, name) if valid_name(ns) and valid_name(name) else None


async def scale(request: web.Request) -> web.StreamResponse:
    body = await _json_body(request)
    if body is None or (target := _target(body)) is None or body.get("kind") not in SCALABLE:
        return bad_request("scale needs kind (Deployment, ReplicaSet, ReplicationController), namespace, name")
    replicas = body.get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        return bad_request("replicas must be a whole number, 0 or more")
    api_version, plural = SCALABLE[str(body["kind"])]
    result = await request.app[CLIENT].resource(api_version, plural).scale(target[1], replicas, target[0])
    return web.json_response(result)


async def restart(request: web.Request) -> web.StreamResponse:
    body = await _json_body(request)
    if body is None or (target := _target(body)) is None:
        return bad_request("restart needs the deployment's namespace and name")
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    patch = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}}
    result = await request.app[CLIENT].resource("apps/v1", "deployments").patch(
        target[1], patch, target[0], patch_type="strategic", field_manager="kubectl-rollout")
    return web.json_response(result)


def previous_template(deployment: JsonDict, replicasets: list[JsonDict]) -> JsonDict | None:
    """The pod template of the newest ReplicaSet owned by ``deployment`` that is not its current
    revision, without the controller's ``pod-template-hash`` label; None when there is no history."""
    uid = deployment["metadata"].get("uid")
    current = (deployment["metadata"].get("annotations") or {}).get(REVISION, "")
    owned = [rs for rs in replicasets
             if any(r.get("uid") == uid for r in rs["metadata"].get("ownerReferences") or [])
             and (rs["metadata"].get("annotations") or {}).get(REVISION) != current]
    if not owned:
        return None
    owned.sort(key=lambda rs: int((rs["metadata"].get("annotations") or {}).get(REVISION, "0") or 0))
    template = dict(owned[-1]["spec"]["template"])
    meta = dict(template.get("metadata") or {})
    labels = dict(meta.get("labels") or {})
    labels.pop("pod-template-hash", None)
    template["metadata"] = {**meta, "labels": labels}
    return template


async def undo(request: web.Request) -> web.StreamResponse:
    body = await _json_body(request)
    if body is None or (target := _target(body)) is None:
        return bad_request("undo needs the deployment's namespace and name")
    ns, name = target
    client = request.app[CLIENT]
    deployments = client.resource("apps/v1", "deployments")
    d = await deployments.get(name, ns)
    selector = ",".join(f"{k}={v}" for k, v in ((d["spec"].get("selector") or {}).get("matchLabels") or {}).items())
    rss = (await client.resource("apps/v1", "replicasets").list(ns, label_selector=selector or None))["items"]
    template = previous_template(d, rss)
    if template is None:
        return status(400, "BadRequest", "no rollout history found for deployment " + name)
    result = await deployments.patch(name, [{"op": "replace", "path": "/spec/template", "value": template}], ns,
                                     patch_type="json")
    return web.json_response(result)


def parse_manifests(text: str) -> list[JsonDict]:
    """The objects of a pasted manifest; ValueError with the line of a YAML mistake."""
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ValueError(f"invalid YAML: {where}{getattr(err, 'problem', None) or err}") from None
    out: list[JsonDict] = []
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, dict) or not doc.get("apiVersion") or not doc.get("kind"):
            raise ValueError("every object needs apiVersion and kind")
        if str(doc["kind"]).endswith("List") and isinstance(doc.get("items"), list):
            out.extend(item for item in doc["items"] if isinstance(item, dict))
        else:
            out.append(doc)
    if not out:
        raise ValueError("the manifest holds no object")
    return out


async def create(request: web.Request) -> web.StreamResponse:
    """Create (or with ``?mode=apply``, server-side apply as field manager ``kubelite-dashboard``, taking
    over conflicting fields as ``kubectl apply --server-side --force-conflicts`` does) every object of
    the pasted manifest, in order; stops at the first failure and says which objects were done before."""
    mode = request.query.get("mode", "create")
    if mode not in ("create", "apply"):
        return bad_request("mode is create or apply")
    raw = await request.content.read(MAX_MANIFEST_BYTES + 1)
    if len(raw) > MAX_MANIFEST_BYTES:
        return bad_request("the manifest is larger than 1 MiB")
    try:
        objects = parse_manifests(raw.decode("utf-8", "replace"))
    except ValueError as err:
        return bad_request(str(err))
    namespace = request.query.get("namespace", "default")
    if not valid_name(namespace):
        return bad_request("namespace is not a valid name")
    client = request.app[CLIENT]
    done: list[str] = []
    for obj in objects:
        resource = REGISTRY.by_api_version_kind(str(obj["apiVersion"]), str(obj["kind"]))
        if resource is None:
            return bad_request(f'no kind "{obj["kind"]}" in version "{obj["apiVersion"]}"')
        if not (obj.get("metadata") or {}).get("name"):
            return bad_request(f"a {obj['kind']} needs metadata.name here")
        ns = (obj.get("metadata") or {}).get("namespace") or namespace if resource.namespaced else None
        api = client.resource(resource.api_version, resource.plural, namespaced=resource.namespaced)
        try:
            if mode == "apply":
                made = await api.apply(obj, ns, field_manager=FIELD_MANAGER, force=True)
            else:
                made = await api.create(obj, ns)
        except ApiError as err:
            message = f"{err}" + (f" (done before it: {', '.join(done)})" if done else "")
            return web.json_response({**err.status, "message": message}, status=int(err.status.get("code") or 500))
        done.append(f"{resource.kind.lower()}/{made['metadata']['name']}")
    return web.json_response({"created" if mode == "create" else "applied": done})
