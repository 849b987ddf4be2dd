"""The DNS server: UDP and TCP on one address, answers for the cluster zone, forwarding for the rest.

The zone is read through a callable on every query, so the component that watches Services swaps in
a new :class:`~kubelite.dns.records.Zone` without restarting anything. Names outside the zone go to
the upstream resolvers (the host's, from /etc/resolv.conf) as raw packets; an ExternalName CNAME is
chased upstream so stub resolvers, which do not follow CNAMEs themselves, get the address too.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from dnslib import CNAME, PTR, QTYPE, RCODE, RR, SRV, A, DNSError, DNSRecord

from kubelite.dns.records import Record, Zone

log = logging.getLogger(__name__)


def host_resolvers(path: str = "/etc/resolv.conf") -> list[str]:
    """The nameservers of the host's resolv.conf (loopback stub resolvers included)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return []
    return [line.split()[1] for line in lines if line.startswith("nameserver") and len(line.split()) > 1]


@dataclass
class DNSConfig:
    listen: str = "127.0.0.1"
    port: int = 53
    upstreams: list[str] = field(default_factory=host_resolvers)  # "ip" or "ip#port"
    upstream_timeout: float = 2.0


def _rr(record: Record) -> RR:
    qtype = getattr(QTYPE, record.type)
    if record.type == "A":
        rdata: object = A(record.data)
    elif record.type == "CNAME":
        rdata = CNAME(record.data)
    elif record.type == "PTR":
        rdata = PTR(record.data)
    else:
        prio, weight, port, target = record.data.split()
        rdata = SRV(int(prio), int(weight), int(port), target)
    return RR(record.name, qtype, rdata=rdata, ttl=record.ttl)


class _UpstreamProtocol(asyncio.DatagramProtocol):
    def __init__(self, done: asyncio.Future[bytes]) -> None:
        self.done = done

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if not self.done.done():
            self.done.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.done.done():
            self.done.set_exception(exc)


class DNSServer:
    def __init__(self, config: DNSConfig, zone: Callable[[], Zone]) -> None:
        self.config = config
        self._zone = zone
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None

    @property
    def listening(self) -> bool:
        return self._udp is not None and self._tcp is not None

    @property
    def port(self) -> int:
        """The bound port (useful when configured as 0)."""
        assert self._udp is not None
        return int(self._udp.get_extra_info("sockname")[1])

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        server = self

        class _UDP(asyncio.DatagramProtocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                # 3.11's selector datagram transport does not subclass DatagramTransport: cast.
                self.transport = cast(asyncio.DatagramTransport, transport)

            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                task = loop.create_task(server.answer(data))
                task.add_done_callback(lambda t: self._send(t, addr))

            def _send(self, task: asyncio.Task[bytes | None], addr: tuple[str, int]) -> None:
                if not task.cancelled() and task.exception() is None and (reply := task.result()):
                    self.transport.sendto(reply, addr)

        # TCP on the same port UDP got (the configured one, or the one the kernel picked for 0).
        # A kernel-picked UDP port may already be taken for TCP by someone else: pick again.
        attempts = 1 if self.config.port else 20
        for attempt in range(attempts):
            transport, _ = await loop.create_datagram_endpoint(
                _UDP, local_addr=(self.config.listen, self.config.port))
            self._udp = transport
            try:
                self._tcp = await asyncio.start_server(self._serve_tcp, self.config.listen, self.port)
                return
            except OSError as err:
                transport.close()
                self._udp = None
                if err.errno != errno.EADDRINUSE or attempt == attempts - 1:
                    raise

    async def close(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                (length,) = struct.unpack("!H", await reader.readexactly(2))
                reply = await self.answer(await reader.readexactly(length))
                if reply is None:
                    break
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def answer(self, data: bytes) -> bytes | None:
        """The reply to one query packet (None for a packet that is not a query at all)."""
        try:
            request = DNSRecord.parse(data)
        except (DNSError, struct.error, IndexError, ValueError):
            return None
        if not request.questions:
            reply = request.reply()
            reply.header.rcode = RCODE.FORMERR
            return bytes(reply.pack())
        question = request.q
        name, qtype = str(question.qname), QTYPE.get(question.qtype)
        zone = self._zone()
        if not zone.in_zone(name):
            return await self._forward(data, request)
        found = zone.lookup(name, str(qtype))
        reply = request.reply()  # sets QR, RD/RA and AA
        reply.header.rcode = getattr(RCODE, found.rcode)
        for record in found.records:
            reply.add_answer(_rr(record))
        chased = [r for r in found.records if r.type == "CNAME" and not zone.in_zone(r.data)]
        if chased and qtype in ("A", "AAAA"):
            upstream = await self._resolve_upstream(chased[0].data, str(qtype))
            for rr in upstream:
                reply.add_answer(rr)
        return bytes(reply.pack())

    async def _resolve_upstream(self, name: str, qtype: str) -> list[RR]:
        query = DNSRecord.question(name, qtype)
        raw = await self._ask_upstreams(bytes(query.pack()))
        if raw is None:
            return []
        try:
            return list(DNSRecord.parse(raw).rr)
        except (DNSError, struct.error, IndexError, ValueError):
            return []

    async def _forward(self, data: bytes, request: DNSRecord) -> bytes:
        raw = await self._ask_upstreams(data)
        if raw is not None:
            return raw
        reply = request.reply()
        reply.header.rcode = RCODE.SERVFAIL
        return bytes(reply.pack())

    async def _ask_upstreams(self, data: bytes) -> bytes | None:
        loop = asyncio.get_running_loop()
        for upstream in self.config.upstreams:
            if (upstream, self.config.port) == (self.config.listen, self.port):
                continue  # never forward to ourselves
            host, _, port = upstream.partition("#")
            done: asyncio.Future[bytes] = loop.create_future()
            try:
                transport, _ = await loop.create_datagram_endpoint(
                    functools.partial(_UpstreamProtocol, done), remote_addr=(host, int(port or 53)))
            except OSError:
                continue
            try:
                transport.sendto(data)
                return await asyncio.wait_for(done, self.config.upstream_timeout)
            except (TimeoutError, OSError):
                log.debug("upstream did not answer", extra={"upstream": upstream})
            finally:
                transport.close()
        return None
