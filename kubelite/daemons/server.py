"""``kubelite server``: the whole control plane in one process, as k3s runs it.

Start order is by readiness, never by sleeping: storage, then the API server; once it is ready (its
kubeconfig written), the controller manager, the scheduler and cluster DNS start on a client to it.
Every part runs under one :class:`~kubelite.base.tasks.Supervisor`, so a part that fails takes the
server down loudly with its name. Components keep leader election (several servers may share an etcd)
with a stable identity per host, so a restarted server takes its own Lease back at once.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from dataclasses import dataclass, field

from kubelite.apiserver.server import ApiServer
from kubelite.base.tasks import Supervisor
from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.daemons.apiserver import ServerConfig, open_storage_url
from kubelite.daemons.components import ComponentConfig, controller_manager, scheduler
from kubelite.dns.component import ClusterDNS
from kubelite.dns.server import DNSConfig


@dataclass(frozen=True)
class AllInOneConfig:
    server: ServerConfig
    components: ComponentConfig = field(
        default_factory=lambda: ComponentConfig(identity=f"{socket.gethostname()}-server"))
    controllers: bool = True
    scheduler: bool = True
    dns: DNSConfig | None = None  # where cluster DNS listens; None: no DNS


async def _dns(client: Client, config: DNSConfig) -> None:
    factory = InformerFactory(client)
    dns = ClusterDNS(config, factory=factory)
    async with asyncio.TaskGroup() as tg:
        factory.start(tg)
        tg.create_task(dns.run())


async def run_server(config: AllInOneConfig, *, started: asyncio.Event | None = None) -> None:
    """Run until cancelled (or SIGTERM/SIGINT when run as the main task)."""
    storage = open_storage_url(config.server.datastore, config.server.apiserver.data_dir)
    await storage.start()
    server = ApiServer(config.server.apiserver, storage=storage)
    client: Client | None = None
    try:
        async with Supervisor("server") as sup:
            sup.start("apiserver", server.run)
            await server.ready.wait()
            # The client outlives every part: components release their Leases through it on the way out.
            client = Client.from_kubeconfig(server.kubeconfig_path)
            await client.open()
            api = client
            if config.controllers:
                sup.start("controller-manager", lambda: controller_manager(api, config.components))
            if config.scheduler:
                sup.start("scheduler", lambda: scheduler(api, config.components))
            if config.dns is not None:
                dns = config.dns
                sup.start("dns", lambda: _dns(api, dns))
            if started is not None:
                started.set()
            await _until_signalled()
            await sup.stop_all_but("apiserver")
    finally:
        if client is not None:
            await client.close()
        await storage.close()


async def _until_signalled() -> None:
    """Wait for SIGTERM/SIGINT (when this is the main thread's loop), or for cancellation."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
        except (RuntimeError, ValueError):
            pass  # not the main thread: the caller cancels instead
    try:
        await stop.wait()
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
