"""Pod workers: make the runtime run the pods bound to this node, and report what runs.

A level-triggered reconciler keyed by ``namespace/name``. Event handlers only enqueue; :meth:`sync`
re-reads the pod from the informer (field selector ``spec.nodeName=<node>``) and the runtime (the pod's
sandboxes and containers, found by label, so a restarted agent adopts what already runs and never
starts duplicates), asks :func:`kubelite.kubelet.podplan.plan` what to do, does it, and writes the
status :func:`~kubelite.kubelet.podplan.pod_status` computes. Containers exit without any API event,
so a live pod is re-synced every ``resync`` seconds (our PLEG), and a container in backoff when its
backoff ends.

Failures are said explicitly: a pull, configuration or start error is remembered per container, shown
as its waiting reason and recorded as an Event, and retried under the container's backoff
(``KeyedBackoff(10, 300, 600)``: 10 s doubling to 5 min, reset after 10 min). API failures are
transient: the key is requeued with rate limiting.

Deletion: a pod with ``deletionTimestamp`` is stopped (STOPSIGNAL or SIGTERM, then SIGKILL after the
grace period), its sandbox removed, then the pod object is deleted for good (grace period 0, the pod's
uid as precondition). A sandbox whose pod is gone or has another uid is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubelite.base.clock import Clock, RealClock
from kubelite.client.errors import ApiError, ConflictError, NotFoundError, TransportError
from kubelite.client.events import EventRecorder
from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.client.store import DeletedFinalStateUnknown, meta_namespace_key
from kubelite.client.workqueue import ShutDownError, WorkQueue
from kubelite.kubelet import podplan, termination
from kubelite.kubelet.containerspec import ATTEMPT_LABEL, container_config
from kubelite.kubelet.dnsconfig import ResolvConf, pod_hosts_file, pod_resolv_conf
from kubelite.kubelet.envvars import ConfigError
from kubelite.kubelet.hostports import host_port_mappings
from kubelite.kubelet.podplan import CreateSandbox, Observed, ObservedContainer, RemoveContainer, StartContainer
from kubelite.kubelet.prober import Prober
from kubelite.kubelet.pullsecrets import pull_auth
from kubelite.kubelet.runtimecalls import RuntimeCalls
from kubelite.kubelet.tokens import ServiceAccountTokens
from kubelite.kubelet.volumes import (
    VolumeError,
    ensure_sub_paths,
    has_synced_volumes,
    pod_dir,
    prepare_volumes,
    remove_pod_dir,
    wants_token,
)
from kubelite.runtime.container_errors import CommandNotFound, ContainerError
from kubelite.runtime.cri import (
    CONTAINER_CREATED,
    CONTAINER_EXITED,
    CONTAINER_RUNNING,
    SANDBOX_READY,
    ContainerStatus,
    RuntimeService,
    SandboxConfig,
    SandboxStatus,
)

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
NAME_LABEL = "io.kubernetes.pod.name"
NAMESPACE_LABEL = "io.kubernetes.pod.namespace"
UID_LABEL = "io.kubernetes.pod.uid"
DEFAULT_GRACE = 30


@dataclass(frozen=True)
class _Snapshot:
    """Every sandbox and container of the runtime at one moment, shared by the periodic syncs of all
    pods (one listing per half resync period instead of one per pod per period)."""

    at: float
    generation: int
    sandboxes: list[SandboxStatus]
    containers: list[ContainerStatus]


@dataclass(frozen=True)
class KubeletConfig:
    node_name: str
    root: str = "/var/lib/kubelite"
    host_ip: str = "127.0.0.1"
    cluster_dns: tuple[str, ...] = ()
    cluster_domain: str = "cluster.local"
    workers: int = 4
    resync: float = 1.0
    tmpfs_volumes: bool = False  # secrets and medium: Memory on tmpfs (needs root: the agent sets it)


def _ts(clock: Clock) -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def _pod_of(obj: Any) -> JsonDict:
    return obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj


def _default_pull_policy(image: str) -> str:
    tail = image.rsplit("/", 1)[-1]
    if "@" in tail:
        return "IfNotPresent"
    return "Always" if ":" not in tail or tail.endswith(":latest") else "IfNotPresent"


class PodWorkers:
    """Runs this node's pods on ``runtime``; informers are started by the caller (a shared factory)."""

    def __init__(self, config: KubeletConfig, *, client: Client, informers: InformerFactory,
                 runtime: RuntimeService, clock: Clock | None = None, events: EventRecorder | None = None) -> None:
        self.config = config
        self.client = client
        self.clock: Clock = clock or RealClock()
        self.runtime = runtime
        self.calls = RuntimeCalls(runtime)
        self.events = events or EventRecorder(client, "kubelet", host=config.node_name, clock=self.clock)
        self.queue = WorkQueue("kubelet-pods", clock=self.clock)
        self.pods = informers.informer("v1", "pods", field_selector=f"spec.nodeName={config.node_name}")
        self.services = informers.informer("v1", "services")
        self.configmaps = informers.informer("v1", "configmaps")
        self.secrets = informers.informer("v1", "secrets")
        self.pods.add_event_handler(self._enqueue, lambda _old, new: self._enqueue(new),
                                    lambda obj: self._enqueue(_pod_of(obj)))
        self.backoff = podplan.restart_backoff()
        self.failures: dict[str, dict[str, podplan.Failure]] = {}  # pod uid -> container -> failure
        self.api = client.resource("v1", "pods")
        self._host_resolv = ResolvConf()
        self.prober = Prober(self.calls, self.events, self.clock)
        self._snapshot: _Snapshot | None = None
        self.tokens = ServiceAccountTokens(client, self.clock)
        self._backoff_reported: dict[str, float] = {}  # uid/container -> the delay last reported
        self._messages: dict[str, str] = {}  # exited container id -> its termination message

    # --- plumbing ----------------------------------------------------------------------------------

    def _enqueue(self, pod: JsonDict) -> None:
        self.queue.add(meta_namespace_key(pod))

    async def _volume_lookup(self, pod: JsonDict) -> Callable[[str, str, str], JsonDict | None]:
        """The lookup volumes read, with the pod's service account token when it projects one."""
        token: JsonDict | None = None
        wanted = wants_token(pod)
        if wanted is not None:
            token = await self.tokens.get(pod, wanted)

        def lookup(kind: str, namespace: str, name: str) -> JsonDict | None:
            return token if kind == "ServiceAccountToken" else self._lookup(kind, namespace, name)

        return lookup

    def _prepare_volumes(self, pod: JsonDict, lookup: Callable[[str, str, str], JsonDict | None]) -> dict[str, str]:
        return prepare_volumes(self.config.root, pod, lookup, tmpfs=self.config.tmpfs_volumes)

    def _lookup(self, kind: str, namespace: str, name: str) -> JsonDict | None:
        informer = self.configmaps if kind == "ConfigMap" else self.secrets
        return informer.get(name, namespace)

    async def run(self) -> None:
        """Adopt what already runs, then work until cancelled (the informers must be started)."""
        self._host_resolv = ResolvConf.parse(await asyncio.to_thread(_read_file, "/etc/resolv.conf"))
        await asyncio.gather(self.pods.wait_synced(), self.services.wait_synced(),
                             self.configmaps.wait_synced(), self.secrets.wait_synced())
        for sb in await self.calls.call(self.runtime.list_pod_sandboxes, None):
            if sb.labels.get(NAME_LABEL):
                self.queue.add(f"{sb.labels.get(NAMESPACE_LABEL, 'default')}/{sb.labels[NAME_LABEL]}")
        try:
            async with asyncio.TaskGroup() as tg:
                for i in range(self.config.workers):
                    tg.create_task(self._worker(), name=f"pod-worker-{i}")
        finally:
            self.calls.close()

    async def _worker(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except ShutDownError:
                return
            try:
                await self.sync(key)
                self.queue.forget(key)
            except (ApiError, TransportError, ContainerError) as err:
                log.warning("pod sync failed", extra={"pod": key, "error": str(err)})
                self.queue.add_rate_limited(key)
            except Exception:
                log.exception("pod sync crashed", extra={"pod": key})
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    async def runtime_health(self) -> str:
        """For the node's Ready condition: "" when the runtime answers a listing, else the kubelet's
        "container runtime is down" with the cause. A slow answer is not a failure (a burst of pod
        starts can keep every runtime thread busy for a while)."""
        try:
            await asyncio.wait_for(self.calls.call(self.runtime.list_pod_sandboxes, None), 5)
        except TimeoutError:
            return ""
        except Exception as err:
            return f"container runtime is down: {err}"
        return ""

    # --- sync --------------------------------------------------------------------------------------

    async def _snap(self, *, fresh: bool = False) -> _Snapshot:
        """The runtime's sandboxes and containers, re-listed when stale or after any mutation."""
        now = self.clock.monotonic()
        snap = self._snapshot
        if (not fresh and snap is not None and snap.generation == self.calls.generation
                and now - snap.at < self.config.resync / 2):
            return snap
        generation = self.calls.generation
        sandboxes = await self.calls.call(self.runtime.list_pod_sandboxes, None)
        containers = await self.calls.call(self.runtime.list_containers, None, None)
        snap = _Snapshot(now, generation, sandboxes, containers)
        if generation == self.calls.generation:
            self._snapshot = snap
        return snap

    async def sync(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        pod = self.pods.get(name, namespace)
        sandboxes = [sb for sb in (await self._snap()).sandboxes
                     if sb.labels.get(NAME_LABEL) == name and sb.labels.get(NAMESPACE_LABEL) == namespace]
        if pod is None or (pod.get("spec") or {}).get("nodeName") != self.config.node_name:
            for sb in sandboxes:
                await self._remove_sandbox(sb, grace=0)
            return
        uid = (pod.get("metadata") or {}).get("uid", "")
        for sb in sandboxes:
            if sb.uid != uid or sb.state != SANDBOX_READY:
                await self._remove_sandbox(sb, grace=0)
        mine = [sb for sb in sandboxes if sb.uid == uid and sb.state == SANDBOX_READY]
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            await self._terminate(pod, mine)
            return
        sandbox = mine[0] if mine else None
        observed = await self._observe(sandbox, pod)
        result = self._plan(pod, observed)
        if any(isinstance(a, CreateSandbox) for a in result.actions):
            try:
                sandbox = await self._create_sandbox(pod)
            except ContainerError:
                # As Kubernetes shows it: Pending, containers waiting in ContainerCreating, while the
                # sandbox is retried under the queue's backoff (the FailedCreatePodSandBox Event says why,
                # e.g. a hostPort already taken on the node).
                status = podplan.pod_status(pod, result, observed, self.config.host_ip, _ts(self.clock))
                with contextlib.suppress(ApiError, TransportError):
                    await self._write_status(pod, status)
                raise
            observed = await self._observe(sandbox, pod, fresh=True)
            result = self._plan(pod, observed)
        acted = False
        for action in result.actions:
            if isinstance(action, StartContainer) and sandbox is not None:
                await self._start(pod, sandbox, action)
                acted = True
            elif isinstance(action, RemoveContainer):
                await self.calls.call(self.runtime.remove_container, action.id)
                self._messages.pop(action.id, None)
        if await self.prober.check(pod, observed):
            acted = True
        if acted:
            observed = await self._observe(sandbox, pod, fresh=True)
        result = self._plan(pod, observed)
        self._report_backoff(pod, result)
        if sandbox is not None and has_synced_volumes(pod):
            with contextlib.suppress(VolumeError, OSError):  # a missing source keeps the last content
                await asyncio.to_thread(self._prepare_volumes, pod, await self._volume_lookup(pod))
        status = podplan.pod_status(pod, result, observed, self.config.host_ip, _ts(self.clock))
        await self._write_status(pod, status)
        if status["phase"] in ("Succeeded", "Failed"):
            return
        # Our PLEG: exits and backoff ends raise no API event, so a live pod is looked at again soon.
        self.queue.add_after(key, self.config.resync)

    def _plan(self, pod: JsonDict, observed: Observed) -> podplan.Plan:
        uid = (pod.get("metadata") or {}).get("uid", "")
        now = self.clock.monotonic()
        specs = {c.get("name"): c for c in (pod.get("spec") or {}).get("containers") or []}

        def ready(name: str) -> bool:
            attempts = observed.attempts(name)
            return bool(attempts) and name in specs and self.prober.tracker.ready(specs[name], attempts[0].id)

        def started(name: str) -> bool:
            attempts = observed.attempts(name)
            return bool(attempts) and name in specs and self.prober.tracker.started(specs[name], attempts[0].id)

        return podplan.plan(pod, observed, self.failures.get(uid, {}),
                            in_backoff=lambda name: self.backoff.in_backoff(f"{uid}/{name}", now), ready=ready,
                            delay=lambda name: self.backoff.current(f"{uid}/{name}"), started=started)

    def _report_backoff(self, pod: JsonDict, result: podplan.Plan) -> None:
        """One BackOff Event each time a container enters a (longer) backoff, not one per sync."""
        uid = (pod.get("metadata") or {}).get("uid", "")
        by_name = {s.get("name"): s for s in [*result.init_statuses, *result.statuses]}
        for name in result.waiting_on:
            key = f"{uid}/{name}"
            delay = self.backoff.current(key)
            if self._backoff_reported.get(key) == delay:
                continue
            self._backoff_reported[key] = delay
            reason = ((by_name.get(name) or {}).get("state") or {}).get("waiting", {}).get("reason")
            if reason == "CrashLoopBackOff":
                self.events.emit(pod, "Warning", "BackOff", "Back-off restarting failed container "
                                 f"{name} in pod {podplan.pod_ref(pod)}")
            elif reason == "ImagePullBackOff":
                spec = pod.get("spec") or {}
                specs = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
                image = next((c.get("image", "") for c in specs if c.get("name") == name), "")
                self.events.emit(pod, "Normal", "BackOff", f'Back-off pulling image "{image}"')

    async def _observe(self, sandbox: SandboxStatus | None, pod: JsonDict, *, fresh: bool = False) -> Observed:
        if sandbox is None:
            return Observed()
        found = []
        for c in [c for c in (await self._snap(fresh=fresh)).containers if c.sandbox_id == sandbox.id]:
            state = {CONTAINER_RUNNING: podplan.RUNNING, CONTAINER_EXITED: podplan.EXITED,
                     CONTAINER_CREATED: podplan.CREATED}.get(c.state, podplan.EXITED)
            attempt = int(c.labels.get(ATTEMPT_LABEL, "0") or 0)
            message = ""
            if state == podplan.EXITED:
                message = await self._termination_message(pod, c, attempt) or c.message
            found.append(ObservedContainer(
                id=c.id, name=c.name, attempt=attempt, state=state, exit_code=c.exit_code, reason=c.reason,
                message=message, started_at=c.started_at, finished_at=c.finished_at, image_id=c.image_id))
        return Observed(sandbox_id=sandbox.id, pod_ip=sandbox.ip, containers=tuple(found))

    async def _termination_message(self, pod: JsonDict, c: ContainerStatus, attempt: int) -> str:
        """What the exited container left at its terminationMessagePath, or its log's tail under
        FallbackToLogsOnError; read once per container (an exited container does not change)."""
        if c.id in self._messages:
            return self._messages[c.id]
        spec = pod.get("spec") or {}
        container: JsonDict = next((x for x in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
                                     if x.get("name") == c.name), {})
        uid = (pod.get("metadata") or {}).get("uid", "")
        message = termination.read_message(termination.message_file(self.config.root, uid, c.name, attempt))
        if not message and c.exit_code != 0 and container.get("terminationMessagePolicy") == "FallbackToLogsOnError":
            with contextlib.suppress(ContainerError, OSError):
                lines = await self.calls.call(self.runtime.read_logs, c.id, termination.FALLBACK_LINES)
                message = termination.from_logs([text for _t, _s, text in lines])
        self._messages[c.id] = message
        return message

    # --- actions -----------------------------------------------------------------------------------

    async def _create_sandbox(self, pod: JsonDict) -> SandboxStatus | None:
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        resolv = pod_resolv_conf(pod, self._host_resolv, list(self.config.cluster_dns), self.config.cluster_domain)
        config = SandboxConfig(
            name=meta.get("name", ""), namespace=meta.get("namespace", "default"), uid=meta.get("uid", ""),
            hostname=(spec.get("hostname") or meta.get("name", ""))[:63],
            labels={k: v for k, v in (meta.get("labels") or {}).items() if isinstance(v, str)},
            resolv_conf=resolv.render(), network="host" if spec.get("hostNetwork") else "bridge",
            port_mappings=host_port_mappings(pod))
        try:
            sid = await self.calls.call(self.runtime.run_pod_sandbox, config)
        except ContainerError as err:
            self.events.emit(pod, "Warning", "FailedCreatePodSandBox", f"Failed to create pod sandbox: {err}")
            raise
        sandbox = await self.calls.call(self.runtime.pod_sandbox_status, sid)
        if not spec.get("hostNetwork"):
            path = os.path.join(pod_dir(self.config.root, meta.get("uid", "")), "etc-hosts")
            text = pod_hosts_file(pod, [sandbox.ip] if sandbox.ip else [], self.config.cluster_domain)
            await asyncio.to_thread(_write_file, path, text)
        log.info("pod sandbox created", extra={"pod": f"{config.namespace}/{config.name}", "ip": sandbox.ip})
        return sandbox

    async def _ensure_image(self, pod: JsonDict, container: JsonDict) -> str | None:
        """The image's failure reason, or None when the image is there (pulled if the policy says so)."""
        image = container.get("image", "")
        policy = container.get("imagePullPolicy") or _default_pull_policy(image)
        # Always is honoured as IfNotPresent when the node holds the image: images built or loaded on
        # this node are usable at once (issue 9), and the engine resolves tags locally first.
        if await self.calls.call(self.runtime.image_status, image) is not None:
            self.events.emit(pod, "Normal", "Pulled", f'Container image "{image}" already present on machine')
            return None
        if policy == "Never":
            message = f'Container image "{image}" is not present with pull policy of Never'
            self.events.emit(pod, "Warning", "ErrImageNeverPull", message)
            return "ErrImageNeverPull:" + message
        auth, unusable = pull_auth(pod, self._lookup)
        if unusable:
            self.events.emit(pod, "Warning", "FailedToRetrieveImagePullSecret",
                             f"Unable to retrieve some image pull secrets ({', '.join(unusable)}); attempting "
                             "to pull the image may not succeed.")
        self.events.emit(pod, "Normal", "Pulling", f'Pulling image "{image}"')
        try:
            await self.calls.call(self.runtime.pull_image, image, auth)
        except ContainerError as err:
            message = f'Failed to pull image "{image}": {err}'
            self.events.emit(pod, "Warning", "Failed", message)
            return "ErrImagePull:" + message
        self.events.emit(pod, "Normal", "Pulled", f'Successfully pulled image "{image}"')
        return None

    def _with_addresses(self, pod: JsonDict, sandbox: SandboxStatus) -> JsonDict:
        """The pod as the downward API must see it at container start: podIP(s) from the sandbox and hostIP
        from this node, which the API object lacks until the first status is written back."""
        status = dict(pod.get("status") or {})
        if sandbox.ip and not status.get("podIP"):
            status["podIP"], status["podIPs"] = sandbox.ip, [{"ip": sandbox.ip}]
        if self.config.host_ip and not status.get("hostIP"):
            status["hostIP"], status["hostIPs"] = self.config.host_ip, [{"ip": self.config.host_ip}]
        return {**pod, "status": status}

    def _fail(self, pod: JsonDict, name: str, reason: str, message: str) -> None:
        uid = (pod.get("metadata") or {}).get("uid", "")
        self.failures.setdefault(uid, {})[name] = (reason, message)
        self.backoff.next(f"{uid}/{name}", self.clock.monotonic())
        log.info("container failed to start", extra={"pod": meta_namespace_key(pod), "container": name,
                                                      "reason": reason})

    async def _start(self, pod: JsonDict, sandbox: SandboxStatus, action: StartContainer) -> None:
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        uid = meta.get("uid", "")
        pool = spec.get("initContainers") if action.init else spec.get("containers")
        container = next((c for c in pool or [] if c.get("name") == action.name), None)
        if container is None:
            return
        if action.restart:
            self.backoff.next(f"{uid}/{action.name}", self.clock.monotonic())
        failed = await self._ensure_image(pod, container)
        if failed is not None:
            reason, _, message = failed.partition(":")
            self._fail(pod, action.name, reason, message)
            return
        try:
            volumes = await asyncio.to_thread(self._prepare_volumes, pod, await self._volume_lookup(pod))
            await asyncio.to_thread(ensure_sub_paths, volumes, container)
        except (VolumeError, OSError) as err:
            volume = getattr(err, "volume", "")
            where = f' for volume "{volume}" :' if volume else ":"
            self.events.emit(pod, "Warning", "FailedMount", f"MountVolume.SetUp failed{where} {err}")
            self._fail(pod, action.name, "ContainerCreating", "")
            return
        hosts = "" if spec.get("hostNetwork") else os.path.join(pod_dir(self.config.root, uid), "etc-hosts")
        message_file = termination.message_file(self.config.root, uid, action.name, action.attempt)
        await asyncio.to_thread(termination.prepare, message_file)
        image = await self.calls.call(self.runtime.image_status, container.get("image", ""))
        try:
            config = container_config(self._with_addresses(pod, sandbox), container, attempt=action.attempt,
                                      init=action.init,
                                      services=self.services.store.list(), lookup=self._lookup,
                                      volumes=volumes, hosts_file=hosts if sandbox.ip else "",
                                      image_user=image.user if image is not None else "",
                                      termination_log=message_file)
        except ConfigError as err:
            self.events.emit(pod, "Warning", "Failed", f"Error: {err}")
            self._fail(pod, action.name, "CreateContainerConfigError", str(err))
            return
        try:
            cid = await self.calls.call(self.runtime.create_container, sandbox.id, config)
        except CommandNotFound as err:  # the engine checks the executable at create; runc would at start
            self.events.emit(pod, "Warning", "Failed", f"Error: failed to start container \"{action.name}\": {err}")
            self._fail(pod, action.name, "RunContainerError", str(err))
            return
        except ContainerError as err:
            self.events.emit(pod, "Warning", "Failed", f"Error: {err}")
            self._fail(pod, action.name, "CreateContainerError", str(err))
            return
        self.events.emit(pod, "Normal", "Created", f"Created container {action.name}")
        try:
            await self.calls.call(self.runtime.start_container, cid)
        except ContainerError as err:
            self.events.emit(pod, "Warning", "Failed", f"Error: failed to start container \"{action.name}\": {err}")
            self._fail(pod, action.name, "RunContainerError", str(err))
            return
        self.failures.get(uid, {}).pop(action.name, None)
        self.events.emit(pod, "Normal", "Started", f"Started container {action.name}")
        failed_hook = await self.prober.hook(container, cid, "postStart", sandbox.ip, DEFAULT_GRACE)
        if failed_hook:
            # As the kubelet: the container is killed and its restart policy decides what follows.
            self.events.emit(pod, "Warning", "FailedPostStartHook", failed_hook)
            await self.calls.stop(cid, int(spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE)))

    async def _remove_sandbox(self, sandbox: SandboxStatus, *, grace: int, pod: JsonDict | None = None) -> None:
        containers = await self.calls.call(self.runtime.list_containers, sandbox.id, None)
        specs = {c.get("name"): c for c in ((pod or {}).get("spec") or {}).get("containers") or []}

        async def stop(c: ContainerStatus) -> None:
            left = grace
            if grace > 0 and c.name in specs:  # preStop runs inside the grace period, then the signal
                began = self.clock.monotonic()
                failed = await self.prober.hook(specs[c.name], c.id, "preStop", sandbox.ip, grace)
                if failed and pod is not None:
                    self.events.emit(pod, "Warning", "FailedPreStopHook", failed)
                left = max(2, math.ceil(grace - (self.clock.monotonic() - began)))  # never rounds the grace down
            await self.calls.stop(c.id, left)

        await asyncio.gather(*(stop(c) for c in containers if c.state == CONTAINER_RUNNING),
                             return_exceptions=True)
        await self.calls.call(self.runtime.remove_pod_sandbox, sandbox.id)
        for c in containers:
            self._messages.pop(c.id, None)
        await asyncio.to_thread(remove_pod_dir, self.config.root, sandbox.uid)
        self.failures.pop(sandbox.uid, None)
        self.tokens.forget(sandbox.uid)
        for key in [k for k in self._backoff_reported if k.startswith(f"{sandbox.uid}/")]:
            del self._backoff_reported[key]
        log.info("pod sandbox removed", extra={"pod": f"{sandbox.namespace}/{sandbox.name}"})

    async def _terminate(self, pod: JsonDict, sandboxes: list[SandboxStatus]) -> None:
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        grace = meta.get("deletionGracePeriodSeconds")
        if grace is None:
            grace = spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE)
        for sb in sandboxes:
            for c in await self.calls.call(self.runtime.list_containers, sb.id, None):
                if c.state == CONTAINER_RUNNING:
                    self.events.emit(pod, "Normal", "Killing", f"Stopping container {c.name}")
            await self._remove_sandbox(sb, grace=max(0, int(grace)), pod=pod)
        for name in [c.get("name") for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]]:
            self.backoff.forget(f"{meta.get('uid')}/{name}")
        with contextlib.suppress(NotFoundError, ConflictError):
            await self.api.delete(meta.get("name", ""), meta.get("namespace"), grace_period_seconds=0,
                                  uid=meta.get("uid"))

    async def _write_status(self, pod: JsonDict, status: JsonDict) -> None:
        current = pod.get("status") or {}
        if all(current.get(k) == v for k, v in status.items()):
            return
        body = copy.deepcopy(pod)  # the informer's object is shared: never mutate it
        body["status"] = {**current, **status}
        try:
            await self.api.update_status(body)
        except ConflictError:
            fresh = await self.api.get(pod["metadata"]["name"], pod["metadata"].get("namespace"))
            if fresh["metadata"].get("uid") != pod["metadata"].get("uid"):
                return
            fresh["status"] = {**(fresh.get("status") or {}), **status}
            await self.api.update_status(fresh)


def _write_file(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _read_file(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        return ""
