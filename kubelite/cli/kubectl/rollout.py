"""``rollout status|history|undo|restart`` for Deployments, worded as kubectl prints them.

``status`` waits (by watching, bounded by ``--timeout``) until the Deployment's status says the rollout
finished, using kubectl's rule: observedGeneration caught up and updated == replicas == available.
``undo`` sends the previous (or ``--to-revision``) ReplicaSet's template back, as kubectl does.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from typing import Any

from kubelite.cli.errors import CLIError
from kubelite.cli.kubectl.common import kubeconfig_path, run_async, split_target

JsonDict = dict[str, Any]
REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["status", "history", "undo", "restart"])
    parser.add_argument("target", nargs="+")
    parser.add_argument("--timeout", default="0s", help="status: give up after this (e.g. 90s; 0 waits for ever)")
    parser.add_argument("--to-revision", type=int, default=0)
    parser.add_argument("--revision", type=int, default=0)


def status_message(d: JsonDict) -> tuple[str, bool]:
    """kubectl's DeploymentStatusViewer: (message, done)."""
    name = d["metadata"]["name"]
    spec, status = d.get("spec") or {}, d.get("status") or {}
    if status.get("observedGeneration", 0) < d["metadata"].get("generation", 1):
        return "Waiting for deployment spec update to be observed...", False
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            raise CLIError(f'deployment "{name}" exceeded its progress deadline')
    want, updated = int(spec.get("replicas", 1)), int(status.get("updatedReplicas", 0))
    total, available = int(status.get("replicas", 0)), int(status.get("availableReplicas", 0))
    if updated < want:
        return (f'Waiting for deployment "{name}" rollout to finish: {updated} out of {want} new replicas '
                "have been updated..."), False
    if total > updated:
        return (f'Waiting for deployment "{name}" rollout to finish: {total - updated} old replicas are '
                "pending termination..."), False
    if available < updated:
        return (f'Waiting for deployment "{name}" rollout to finish: {available} of {updated} updated '
                "replicas are available..."), False
    return f'deployment "{name}" successfully rolled out', True


def _seconds(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text or 0)


async def _owned(client: Any, d: JsonDict) -> list[JsonDict]:
    selector = ",".join(f"{k}={v}" for k, v in (d["spec"]["selector"].get("matchLabels") or {}).items())
    rss = (await client.resource("apps/v1", "replicasets").list(d["metadata"]["namespace"],
                                                                label_selector=selector))["items"]
    uid = d["metadata"]["uid"]
    owned = [rs for rs in rss if any(r.get("uid") == uid for r in rs["metadata"].get("ownerReferences") or [])]
    return sorted(owned, key=lambda rs: int(rs["metadata"].get("annotations", {}).get(REVISION, "0")))


async def _rollout(args: argparse.Namespace) -> int:
    from kubelite.client.rest import Client

    ((resource, name),) = split_target(args.target)
    if resource.kind != "Deployment" or not name:
        raise CLIError("rollout works on deployments here: rollout ACTION deployment/NAME")
    async with Client.from_kubeconfig(kubeconfig_path(args)) as client:
        api = client.resource("apps/v1", "deployments")
        ns = args.namespace or client.namespace or "default"
        if args.action == "status":
            limit = _seconds(args.timeout)
            try:
                async with asyncio.timeout(limit if limit > 0 else None):
                    return await _status(api, name, ns)
            except TimeoutError:
                raise CLIError("timed out waiting for the condition") from None
        d = await api.get(name, ns)
        if args.action == "restart":
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            await api.patch(name, {"spec": {"template": {"metadata": {"annotations": {
                "kubectl.kubernetes.io/restartedAt": stamp}}}}}, ns, patch_type="strategic",
                field_manager="kubectl-rollout")
            print(f"deployment.apps/{name} restarted")
            return 0
        owned = await _owned(client, d)
        if args.action == "history":
            return _history(name, owned, args.revision)
        return await _undo(api, d, owned, args.to_revision)


async def _status(api: Any, name: str, ns: str) -> int:
    """Print each new status line until the rollout is done (the caller bounds the wait)."""
    last = ""
    while True:
        message, done = status_message(await api.get(name, ns))
        if message != last:
            print(message, flush=True)
            last = message
        if done:
            return 0
        await asyncio.sleep(0.5)


def _history(name: str, owned: list[JsonDict], revision: int) -> int:
    if revision:
        rs = next((r for r in owned if r["metadata"].get("annotations", {}).get(REVISION) == str(revision)), None)
        if rs is None:
            raise CLIError("unable to find the specified revision")
        import yaml

        print(f'deployment.apps/{name} with revision #{revision}')
        print("Pod Template:")
        print("  " + yaml.safe_dump(rs["spec"]["template"], sort_keys=False).rstrip().replace("\n", "\n  "))
        return 0
    print(f"deployment.apps/{name} ")
    print("REVISION  CHANGE-CAUSE")
    for rs in owned:
        ann = rs["metadata"].get("annotations", {})
        print(f"{ann.get(REVISION, ''):<9} {ann.get(CHANGE_CAUSE, '<none>')}")
    print()
    return 0


async def _undo(api: Any, d: JsonDict, owned: list[JsonDict], to_revision: int) -> int:
    current = d["metadata"].get("annotations", {}).get(REVISION, "")
    candidates = [rs for rs in owned if rs["metadata"].get("annotations", {}).get(REVISION) != current]
    if to_revision:
        candidates = [rs for rs in candidates
                      if rs["metadata"].get("annotations", {}).get(REVISION) == str(to_revision)]
    if not candidates:
        raise CLIError("no rollout history found for deployment" if not to_revision
                       else f"unable to find specified revision {to_revision} in history")
    template = dict(candidates[-1]["spec"]["template"])
    labels = dict(template.get("metadata", {}).get("labels") or {})
    labels.pop("pod-template-hash", None)
    template["metadata"] = {**template.get("metadata", {}), "labels": labels}
    await api.patch(d["metadata"]["name"], [{"op": "replace", "path": "/spec/template", "value": template}],
                    d["metadata"]["namespace"], patch_type="json")
    print(f"deployment.apps/{d['metadata']['name']} rolled back")
    return 0


def rollout(args: argparse.Namespace) -> int:
    result: int = run_async(_rollout(args))
    return result
