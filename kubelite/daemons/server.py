"""``kubelite server``: the whole control plane in one process, as k3s runs it.

Start order is by readiness, never by sleeping: storage, then the API server; once it is ready (its
kubeconfig written), the controller manager, the scheduler and cluster DNS start on a client to it.
Cluster DNS publishes itself as the ``kube-system/kube-dns`` Service (``dns/kube_dns.py``), whose
Endpoints name the address and port it listens on, so each node's proxy sends 10.96.0.10:53 there.
Every part runs under one :class:`~kubelite.base.tasks.Supervisor`, so a part that fails takes the
server down loudly with its name. Components keep leader election (several servers may share an etcd)
with a stable identity per host, so a restarted server takes its own Lease back at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from dataclasses import dataclass, field

from kubelite.apiserver.server import ApiServer
from kubelite.base.backoff import Backoff
from kubelite.base.tasks import Supervisor
from kubelite.client.errors import ApiError, TransportError
from kubelite.client.informer import InformerFactory
from kubelite.client.rest import Client
from kubelite.daemons.apiserver import ServerConfig, open_storage_url
from kubelite.daemons.components import ComponentConfig, controller_manager, scheduler
from kubelite.dns.component import ClusterDNS
from kubelite.dns.kube_dns import DEFAULT_SERVICE_IP, KubeDNS
from kubelite.dns.kube_dns import ensure as ensure_kube_dns
from kubelite.dns.server import DNSConfig

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class AllInOneConfig:
    server: ServerConfig
    components: ComponentConfig = field(
        default_factory=lambda: ComponentConfig(identity=f"{socket.gethostname()}-server"))
    controllers: bool = True
    scheduler: bool = True
    dns: DNSConfig | None = None  # where cluster DNS listens; None: no DNS
    dns_service_ip: str = DEFAULT_SERVICE_IP  # the kube-dns Service's cluster IP; "": no Service
    dns_resync: float = 30.0  # seconds between checks that kube-dns still points at us


async def _dns(client: Client, config: AllInOneConfig) -> None:
    assert config.dns is not None
    factory = InformerFactory(client)
    dns = ClusterDNS(config.dns, factory=factory)
    async with asyncio.TaskGroup() as tg:
        factory.start(tg)
        tg.create_task(dns.run())
        await dns.started.wait()
        if config.dns_service_ip:
            where = KubeDNS(config.dns_service_ip, config.dns.listen, dns.server.port)
            tg.create_task(_publish_dns(client, where, config.dns_resync))


async def _publish_dns(client: Client, where: KubeDNS, resync: float) -> None:
    """Keep kube-dns pointing at this server's DNS (level-triggered: re-checked every ``resync``)."""
    backoff = Backoff(initial=0.5, maximum=resync)
    while True:
        try:
            await ensure_kube_dns(client, where)
        except (ApiError, TransportError) as err:
            delay = backoff.next_delay()
            log.warning("kube-dns not published, retrying", extra={"error": str(err), "delay": delay})
            await asyncio.sleep(delay)
            continue
        backoff.reset()
        await asyncio.sleep(resync)


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
                sup.start("dns", lambda: _dns(api, config))
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
