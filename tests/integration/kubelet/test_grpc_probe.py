"""The grpc probe against a real gRPC server on loopback speaking grpc.health.v1 (a generic handler
answering the hand-encoded messages as the protocol's generated code would)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from kubelite.kubelet.grpcprobe import decode_status, encode_request
from kubelite.kubelet.probes import run_probe
from tests.e2e.apiserver.conftest import free_port

pytestmark = pytest.mark.integration
STATUS = {"": 1, "db": 2}  # per service: SERVING, NOT_SERVING


async def _no_exec(cmd: list[str], limit: float) -> tuple[int, bytes]:
    raise AssertionError("a grpc probe never execs")


def _check(request: bytes, context: Any) -> bytes:
    service = request[2:].decode() if request else ""
    if service not in STATUS:
        context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
    return b"\x08" + bytes([STATUS[service]])


class _Health(grpc.GenericRpcHandler):  # type: ignore[misc]
    def service(self, details: Any) -> Any:
        if details.method == "/grpc.health.v1.Health/Check":
            return grpc.unary_unary_rpc_method_handler(_check)
        return None


@pytest.fixture
async def health_port() -> AsyncIterator[int]:
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((_Health(),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield port
    finally:
        await server.stop(None)


def test_messages_round_trip() -> None:
    assert encode_request("") == b""
    assert encode_request("db") == b"\x0a\x02db"
    assert decode_status(b"\x08\x01") == 1 and decode_status(b"") == 0
    assert decode_status(b"\x12\x03abc\x08\x02") == 2  # an unknown field before the status is skipped


async def test_serving_passes_and_not_serving_fails_with_the_kubelets_message(health_port: int) -> None:
    assert await run_probe({"grpc": {"port": health_port}}, {}, "127.0.0.1", _no_exec) == (True, "")
    ok, message = await run_probe({"grpc": {"port": health_port, "service": "db"}}, {}, "127.0.0.1", _no_exec)
    assert not ok and message == 'service unhealthy (responded with "NOT_SERVING")'
    ok, message = await run_probe({"grpc": {"port": health_port, "service": "nope"}}, {}, "127.0.0.1", _no_exec)
    assert not ok and message.startswith("error: health rpc probe failed: rpc error: code = NOT_FOUND")


async def test_nothing_listening_is_a_failed_probe_not_an_error() -> None:
    port = free_port()
    ok, message = await run_probe({"grpc": {"port": port}, "timeoutSeconds": 2}, {}, "127.0.0.1", _no_exec)
    assert not ok and message.startswith(f'timeout: failed to connect service "127.0.0.1:{port}" within 2s')
