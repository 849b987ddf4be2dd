"""The Deployment controller: carries out :func:`~.plan.plan_sync` through the API and writes status.

Handlers enqueue a Deployment's key on its own events and on events of the ReplicaSets it controls.
``sync(key)`` reads the Deployment and the ReplicaSets it owns from the caches, computes a plan (pure),
then creates, scales, re-revisions and prunes ReplicaSets, sets the Deployment's revision annotation,
and writes the status computed by :func:`~.status.deployment_status`. While a rollout is unfinished it
requeues itself, so ``ProgressDeadlineExceeded`` is noticed even when nothing else happens.

A ReplicaSet name taken by a different template (a hash collision) bumps ``status.collisionCount``, and
the next sync computes a new name, as Kubernetes does.
"""

from __future__ import annotations

import logging
from typing import Any

from kubelite.api.meta import controller_ref
from kubelite.base.clock import Clock, RealClock
from kubelite.client.errors import AlreadyExistsError, NotFoundError
from kubelite.client.events import EventRecorder
from kubelite.client.informer import Informer, InformerFactory
from kubelite.client.reconciler import Reconciler
from kubelite.client.rest import Client
from kubelite.client.store import DeletedFinalStateUnknown
from kubelite.controllers.deployment.plan import REVISION, Plan, plan_sync
from kubelite.controllers.deployment.status import deployment_status
from kubelite.controllers.deployment.templates import equal_ignoring_hash

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
RESYNC_WHILE_ROLLING = 5.0


class DeploymentController:
    def __init__(self, client: Client, factory: InformerFactory, *, recorder: EventRecorder | None = None,
                 clock: Clock | None = None, workers: int = 2) -> None:
        self.client = client
        self.clock = clock or RealClock()
        self.deployments: Informer = factory.informer("apps/v1", "deployments")
        self.replicasets: Informer = factory.informer("apps/v1", "replicasets")
        self.deployments_api = client.resource("apps/v1", "deployments")
        self.replicasets_api = client.resource("apps/v1", "replicasets")
        self.recorder = recorder or EventRecorder(client, "deployment-controller", clock=self.clock)
        self.reconciler = Reconciler("deployment-controller", self.sync, workers=workers, clock=self.clock)
        self.reconciler.watch(self.deployments)
        self.replicasets.add_event_handler(self._rs_changed, lambda _old, new: self._rs_changed(new),
                                           self._rs_changed)

    async def run(self) -> None:
        await self.reconciler.run([self.deployments, self.replicasets])

    def _rs_changed(self, rs: Any) -> None:
        obj = rs.obj if isinstance(rs, DeletedFinalStateUnknown) else rs
        if not isinstance(obj, dict):
            return
        ref = controller_ref(obj)
        if ref is not None and ref.get("kind") == "Deployment":
            self.reconciler.enqueue_key(f"{obj['metadata'].get('namespace', '')}/{ref.get('name', '')}")

    def _owned(self, deployment: JsonDict) -> list[JsonDict]:
        uid = deployment["metadata"].get("uid")
        ns = deployment["metadata"].get("namespace")
        return [rs for rs in self.replicasets.store.select(None, namespace=ns)
                if (controller_ref(rs) or {}).get("uid") == uid]

    async def sync(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        deployment = self.deployments.get(name, namespace)
        if deployment is None or deployment["metadata"].get("deletionTimestamp"):
            return
        owned = self._owned(deployment)
        plan = plan_sync(deployment, owned)
        by_name = {rs["metadata"]["name"]: rs for rs in owned}
        if plan.create is not None:
            created = await self._create(deployment, plan)
            if created is None:
                return  # collision recorded; the next sync uses a new name
            by_name[created["metadata"]["name"]] = created
        await self._apply(deployment, plan, by_name)
        if plan.revision and (deployment["metadata"].get("annotations") or {}).get(REVISION) != plan.revision:
            await self.deployments_api.patch(name, {"metadata": {"annotations": {REVISION: plan.revision}}},
                                             namespace)
        await self._write_status(deployment, list(by_name.values()), by_name.get(plan.new_rs_name),
                                 plan.created_new)

    async def _create(self, deployment: JsonDict, plan: Plan) -> JsonDict | None:
        assert plan.create is not None
        ns = deployment["metadata"]["namespace"]
        try:
            created: JsonDict = await self.replicasets_api.create(plan.create, ns)
        except AlreadyExistsError:
            existing = await self.replicasets_api.get(plan.create["metadata"]["name"], ns)
            same_owner = (controller_ref(existing) or {}).get("uid") == deployment["metadata"].get("uid")
            if same_owner and equal_ignoring_hash(existing["spec"]["template"], plan.create["spec"]["template"]):
                return existing  # ours already (the cache was behind)
            status = dict(deployment.get("status") or {})
            status["collisionCount"] = int(status.get("collisionCount", 0)) + 1
            await self.deployments_api.update_status({**deployment, "status": status}, ns)
            return None
        replicas = created["spec"].get("replicas", 0)
        await self.recorder.normal(deployment, "ScalingReplicaSet",
                                   f"Scaled up replica set {created['metadata']['name']} to {replicas}")
        return created

    async def _apply(self, deployment: JsonDict, plan: Plan, by_name: dict[str, JsonDict]) -> None:
        ns = deployment["metadata"]["namespace"]
        for rs_name, wanted in plan.annotate.items():
            by_name[rs_name] = await self.replicasets_api.patch(
                rs_name, {"metadata": {"annotations": wanted}}, ns)
        for rs_name, replicas in plan.scale.items():
            before = int((by_name[rs_name].get("spec") or {}).get("replicas", 0))
            by_name[rs_name] = await self.replicasets_api.patch(rs_name, {"spec": {"replicas": replicas}}, ns)
            if replicas > before:
                message = f"Scaled up replica set {rs_name} to {replicas} from {before}"
            else:
                message = f"Scaled down replica set {rs_name} to {replicas} from {before}"
            await self.recorder.normal(deployment, "ScalingReplicaSet", message)
        for rs_name in plan.delete:
            try:
                await self.replicasets_api.delete(rs_name, ns)
            except NotFoundError:
                pass
            by_name.pop(rs_name, None)

    async def _write_status(self, deployment: JsonDict, replicasets: list[JsonDict], new_rs: JsonDict | None,
                            created_new: bool) -> None:
        now = self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        status = deployment_status(deployment, replicasets, new_rs, now, created_new)
        replicas = int((deployment.get("spec") or {}).get("replicas", 1))
        done = (status["updatedReplicas"] == replicas and status["replicas"] == replicas
                and status["availableReplicas"] == replicas)
        if status != (deployment.get("status") or {}):
            body = {**deployment, "status": status}
            await self.deployments_api.update_status(body, deployment["metadata"]["namespace"])
        if not done and not (deployment.get("spec") or {}).get("paused"):
            ns, name = deployment["metadata"]["namespace"], deployment["metadata"]["name"]
            self.reconciler.enqueue_after(f"{ns}/{name}", RESYNC_WHILE_ROLLING)
