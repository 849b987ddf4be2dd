"""The ``grpc`` probe: one call of the standard gRPC health protocol (``grpc.health.v1.Health/Check``).

The two messages are tiny protobufs (``HealthCheckRequest{string service = 1}``,
``HealthCheckResponse{ServingStatus status = 1}``), encoded here by hand so the probe needs only
``grpcio`` (already installed for the etcd client) and no generated stubs or grpcio-health-checking.
Failure messages are the kubelet's (``pkg/probe/grpc``), since ``kubectl describe`` shows them in the
``Unhealthy`` events.
"""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]
METHOD = "/grpc.health.v1.Health/Check"
STATUSES = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def encode_request(service: str) -> bytes:
    """``HealthCheckRequest``: field 1 (length-delimited) when a service is named, else empty."""
    raw = service.encode()
    return b"\x0a" + _varint(len(raw)) + raw if raw else b""


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    value, shift = 0, 0
    while i < len(data):
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return value, i


def decode_status(data: bytes) -> int:
    """The ``status`` field (1, varint) of a ``HealthCheckResponse``; 0 (UNKNOWN) when absent."""
    i, status = 0, 0
    while i < len(data):
        key, i = _read_varint(data, i)
        if key & 7 == 0:
            value, i = _read_varint(data, i)
            if key >> 3 == 1:
                status = value
        elif key & 7 == 2:  # length-delimited (unknown fields from newer servers): skipped
            length, i = _read_varint(data, i)
            i += length
        else:
            break  # fixed-width fields do not occur in this message
    return status


async def grpc_probe(host: str, port: int, service: str, limit: float) -> tuple[bool, str]:
    """Call Check on ``host:port``; success only for SERVING."""
    import grpc  # deferred: only pods with a grpc probe pay for loading it

    target = f"{host}:{port}"
    async with grpc.aio.insecure_channel(target) as channel:
        call = channel.unary_unary(METHOD, request_serializer=None, response_deserializer=None)
        try:
            reply = await call(encode_request(service), timeout=limit, wait_for_ready=False)
        except grpc.aio.AioRpcError as err:
            code = err.code()
            if code == grpc.StatusCode.UNIMPLEMENTED:
                return False, ("timeout: this server does not implement the grpc health protocol "
                               f"(grpc.health.v1.Health): {err.details()}")
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                return False, f"timeout: health rpc did not complete within {limit:g}s"
            if code == grpc.StatusCode.UNAVAILABLE:
                return False, f'timeout: failed to connect service "{target}" within {limit:g}s: {err.details()}'
            return False, f"error: health rpc probe failed: rpc error: code = {code.name} desc = {err.details()}"
    status = decode_status(bytes(reply))
    if status != 1:
        return False, f'service unhealthy (responded with "{STATUSES.get(status, str(status))}")'
    return True, ""
