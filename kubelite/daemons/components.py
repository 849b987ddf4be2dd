"""Composition roots of the controller manager and the scheduler, standalone or inside ``kubelite server``.

Each runs against the API through a :class:`~kubelite.client.rest.Client` only. With leader election
(the default, as in Kubernetes) the work starts once this process holds the component's Lease in
``kube-system``; losing it ends the process's work with an error (Kubernetes exits), so a supervisor or
the user restarts it rather than letting two leaders act.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from kubelite.client.events import EventRecorder
from kubelite.client.informer import InformerFactory
from kubelite.client.leaderelection import LeaderElectionConfig, LeaderElector
from kubelite.client.rest import Client
from kubelite.controllers.deployment.controller import DeploymentController
from kubelite.controllers.endpoints.controller import EndpointsController
from kubelite.controllers.endpointslicemirroring.controller import EndpointSliceMirroring
from kubelite.controllers.gc.controller import GarbageCollector
from kubelite.controllers.namespace.controller import NamespaceController
from kubelite.controllers.nodeipam.controller import NodeIpamConfig, NodeIpamController
from kubelite.controllers.nodelifecycle.controller import NodeLifecycleController
from kubelite.controllers.podgc.controller import PodGC
from kubelite.controllers.replication.compute import REPLICA_SET, REPLICATION_CONTROLLER
from kubelite.controllers.replication.controller import ReplicationManager
from kubelite.controllers.servicelb.controller import ServiceLB
from kubelite.scheduler.scheduler import Scheduler, SchedulerConfig

CONTROLLERS = ("replicationcontroller", "replicaset", "deployment", "endpoints", "garbagecollector",
               "nodelifecycle", "namespace", "podgc", "servicelb", "nodeipam", "endpointslicemirroring")


class LeadershipLost(RuntimeError):
    """This process stopped holding its component's Lease; it must not keep acting."""


@dataclass(frozen=True)
class ComponentConfig:
    leader_elect: bool = True
    identity: str = ""  # defaults to hostname_pid, as Kubernetes' components use
    workers: int = 2
    controllers: tuple[str, ...] = CONTROLLERS
    allocate_node_cidrs: bool = False  # node-ipam acts only when asked, as in kube-controller-manager
    cluster_cidr: str = "10.244.0.0/16"
    node_cidr_mask_size: int = 24

    def who(self) -> str:
        return self.identity or f"{socket.gethostname()}_{os.getpid()}"


async def run_controllers(client: Client, config: ComponentConfig) -> None:
    """Every enabled controller on one shared informer factory, until cancelled."""
    factory = InformerFactory(client)
    parts: list[Any] = []
    if "replicationcontroller" in config.controllers:
        parts.append(ReplicationManager(REPLICATION_CONTROLLER, client, factory, workers=config.workers))
    if "replicaset" in config.controllers:
        parts.append(ReplicationManager(REPLICA_SET, client, factory, workers=config.workers))
    if "deployment" in config.controllers:
        parts.append(DeploymentController(client, factory, workers=config.workers))
    if "endpoints" in config.controllers:
        parts.append(EndpointsController(client, factory, workers=config.workers))
    if "garbagecollector" in config.controllers:
        parts.append(GarbageCollector(client, factory))
    if "nodelifecycle" in config.controllers:
        parts.append(NodeLifecycleController(client, factory))
    if "namespace" in config.controllers:
        parts.append(NamespaceController(client, factory))
    if "podgc" in config.controllers:
        parts.append(PodGC(client, factory))
    if "servicelb" in config.controllers:
        parts.append(ServiceLB(client, factory))
    if "endpointslicemirroring" in config.controllers:
        parts.append(EndpointSliceMirroring(client, factory))
    if "nodeipam" in config.controllers and config.allocate_node_cidrs:
        parts.append(NodeIpamController(client, factory, NodeIpamConfig(config.cluster_cidr,
                                                                         config.node_cidr_mask_size)))
    async with asyncio.TaskGroup() as tg:
        factory.start(tg)
        for part in parts:
            tg.create_task(part.run(), name=type(part).__name__)


async def run_scheduler(client: Client, config: ComponentConfig) -> None:
    factory = InformerFactory(client)
    scheduler = Scheduler(SchedulerConfig(), client=client, informers=factory,
                          events=EventRecorder(client, "default-scheduler"))
    async with asyncio.TaskGroup() as tg:
        factory.start(tg)
        await factory.wait_synced()
        tg.create_task(scheduler.run(), name="scheduler")


async def _elected(client: Client, config: ComponentConfig, lease: str,
                   work: Callable[[], Coroutine[Any, Any, None]]) -> None:
    if not config.leader_elect:
        await work()
        return
    elector = LeaderElector(LeaderElectionConfig(name=lease, namespace="kube-system", identity=config.who()),
                            client, on_started_leading=work)
    await elector.run()
    raise LeadershipLost(f"{lease}: leadership lost by {config.who()}")


async def controller_manager(client: Client, config: ComponentConfig) -> None:
    await _elected(client, config, "kube-controller-manager", lambda: run_controllers(client, config))


async def scheduler(client: Client, config: ComponentConfig) -> None:
    await _elected(client, config, "kube-scheduler", lambda: run_scheduler(client, config))
