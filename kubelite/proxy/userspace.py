"""The userspace proxy mode, for hosts without nftables: the proxy itself relays connections.

Each service address becomes a listening socket in this process: cluster IPs are added as /32
addresses on a link of our own (``kl-svc0``, as kube-proxy's IPVS mode does with kube-ipvs0), so
traffic from the host and, routed through it, from pods is delivered locally; node ports listen on every
address (127.0.0.1 included); external and load-balancer IPs on themselves when they are local. A TCP
connection is relayed to a random usable endpoint; a UDP client gets an upstream socket of its own
for ``UDP_IDLE`` seconds. Slower than the kernel (every byte crosses this process) and the client's address
is not kept, which is why nftables is the default.

``sync(ports)`` is level-triggered like the nft backend: it opens what is missing, closes what is gone
and swaps the endpoints of what stays, without touching live connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from kubelite.proxy.model import Endpoint, ServicePort, usable_endpoints

log = logging.getLogger(__name__)
DUMMY = "kl-svc0"
UDP_IDLE = 30.0  # seconds a UDP client keeps its upstream socket (and so its endpoint)


@dataclass(frozen=True)
class Listen:
    ip: str  # "" = every address
    protocol: str  # TCP | UDP
    port: int


def listeners(ports: Sequence[ServicePort], node_name: str = "") -> dict[Listen, list[Endpoint]]:
    """Every address to listen on, with the endpoints it relays to (pure)."""
    out: dict[Listen, list[Endpoint]] = {}
    for sp in ports:
        if sp.protocol not in ("TCP", "UDP"):
            continue
        internal = usable_endpoints(sp.endpoints, node_name if sp.internal_local else None)
        external = usable_endpoints(sp.endpoints, node_name if sp.external_local else None)
        for ip in sp.cluster_ips:
            out[Listen(ip, sp.protocol, sp.port)] = internal
        for ip in sp.external_ips:
            out[Listen(ip, sp.protocol, sp.port)] = external
        if sp.node_port:
            out[Listen("", sp.protocol, sp.node_port)] = external
    return {k: v for k, v in out.items() if v}


@dataclass
class _Open:
    endpoints: list[Endpoint]
    closer: asyncio.AbstractServer | asyncio.BaseTransport | None = None
    upstreams: dict[tuple[str, int], asyncio.DatagramTransport] = field(default_factory=dict)


class UserspaceBackend:
    def __init__(self, *, dummy: str = DUMMY, ip_argv: Sequence[str] = ("ip",)) -> None:
        self.dummy = dummy
        self._ip = list(ip_argv)
        self._open: dict[Listen, _Open] = {}
        self._addresses: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def sync(self, ports: Sequence[ServicePort]) -> bool:
        want = listeners(ports)
        changed = False
        for key in [k for k in self._open if k not in want]:
            self._close(self._open.pop(key))
            changed = True
        cluster_ips = {ip for sp in ports for ip in sp.cluster_ips}
        await self._ensure_addresses({k.ip for k in want if k.ip in cluster_ips})
        for key, endpoints in want.items():
            current = self._open.get(key)
            if current is not None:
                changed |= current.endpoints != endpoints
                current.endpoints = endpoints  # live relays keep their endpoint; new ones pick from these
                continue
            entry = _Open(endpoints)
            try:
                entry.closer = await (self._tcp(key, entry) if key.protocol == "TCP" else self._udp(key, entry))
            except OSError as err:
                log.warning("userspace proxy cannot listen", extra={"listen": key, "error": str(err)})
                continue
            self._open[key] = entry
            changed = True
        return changed

    async def verify(self) -> bool:
        return False  # our sockets cannot vanish behind our back

    async def cleanup(self) -> None:
        for entry in self._open.values():
            self._close(entry)
        self._open.clear()
        await self._run(["link", "del", self.dummy], check=False)
        self._addresses.clear()

    # ------------------------------------------------------------------------------- plumbing

    async def _run(self, args: list[str], *, check: bool = True) -> None:
        proc = await asyncio.create_subprocess_exec(*self._ip, *args, stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.PIPE)
        _, err = await proc.communicate()
        if check and proc.returncode != 0:
            raise OSError(f"ip {' '.join(args)}: {err.decode(errors='replace').strip()}")

    async def _ensure_addresses(self, wanted: set[str]) -> None:
        """Cluster IPs as /32s on our dummy link, so they are local addresses of this host."""
        if wanted and not self._addresses:
            # A dummy link where the kernel has the driver; else a bridge with no ports, which holds
            # local addresses just as well (every kubelite host has bridges).
            for kind in ("dummy", "bridge"):
                await self._run(["link", "add", self.dummy, "type", kind], check=False)
            await self._run(["link", "set", self.dummy, "up"])
        for ip in sorted(wanted - self._addresses):
            await self._run(["addr", "replace", f"{ip}/32", "dev", self.dummy])
        for ip in sorted(self._addresses - wanted):
            await self._run(["addr", "del", f"{ip}/32", "dev", self.dummy], check=False)
        self._addresses = set(wanted)

    @staticmethod
    def _close(entry: _Open) -> None:
        if entry.closer is not None:
            entry.closer.close()
        for upstream in entry.upstreams.values():
            upstream.close()

    async def _tcp(self, key: Listen, entry: _Open) -> asyncio.AbstractServer:
        async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if not entry.endpoints:
                writer.close()
                return
            ep = random.choice(entry.endpoints)
            try:
                up_reader, up_writer = await asyncio.open_connection(ep.ip, ep.port)
            except OSError:
                writer.close()
                return
            try:
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            finally:
                for w in (writer, up_writer):
                    with contextlib.suppress(OSError):
                        w.close()

        return await asyncio.start_server(relay, key.ip or None, key.port, reuse_address=True)

    async def _udp(self, key: Listen, entry: _Open) -> asyncio.BaseTransport:
        loop = asyncio.get_running_loop()
        backend = self

        class Front(asyncio.DatagramProtocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self.transport = transport

            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                task = loop.create_task(backend._udp_forward(entry, self.transport, data, addr))
                backend._tasks.add(task)  # held until done, so the loop cannot drop it
                task.add_done_callback(backend._tasks.discard)

        transport, _ = await loop.create_datagram_endpoint(Front, local_addr=(key.ip or "0.0.0.0", key.port))
        return transport

    async def _udp_forward(self, entry: _Open, front: asyncio.BaseTransport, data: bytes,
                           client: tuple[str, int]) -> None:
        upstream = entry.upstreams.get(client)
        if upstream is None or upstream.is_closing():
            if not entry.endpoints:
                return
            ep = random.choice(entry.endpoints)
            loop = asyncio.get_running_loop()

            class Back(asyncio.DatagramProtocol):
                def datagram_received(self, reply: bytes, _addr: tuple[str, int]) -> None:
                    front.sendto(reply, client)  # type: ignore[attr-defined]

            try:
                created, _ = await loop.create_datagram_endpoint(Back, remote_addr=(ep.ip, ep.port))
            except OSError:
                return
            upstream = created
            entry.upstreams[client] = upstream
            loop.call_later(UDP_IDLE, _expire, entry.upstreams, client, upstream)
        upstream.sendto(data)


def _expire(upstreams: dict[tuple[str, int], asyncio.DatagramTransport], client: tuple[str, int],
            transport: asyncio.DatagramTransport) -> None:
    if upstreams.get(client) is transport:
        del upstreams[client]
    transport.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until EOF, then half-close the other side (a client that shuts its sending side still gets
    its answer); the caller closes both sockets when both directions are done."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        with contextlib.suppress(OSError):
            writer.write_eof()
    except (ConnectionError, OSError):
        pass
