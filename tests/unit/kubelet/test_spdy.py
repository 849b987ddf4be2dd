"""The SPDY/3.1 codec: the dictionary is the spec's, frames survive a round trip however the bytes are cut,
and the header compression is stateful per direction as the spec (and Go's client) requires."""

from __future__ import annotations

import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelite.kubelet import spdy

pytestmark = pytest.mark.unit

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=20)
values = st.text(max_size=40)
headers = st.dictionaries(names, values, max_size=6)
ids = st.integers(min_value=1, max_value=0x7FFFFFFF)
u32 = st.integers(min_value=0, max_value=0xFFFFFFFF)

frames = st.one_of(
    st.builds(spdy.DataFrame, ids, st.binary(max_size=300), st.booleans()),
    st.builds(spdy.SynStream, ids, headers, st.integers(0, 0x7FFFFFFF), st.integers(0, 7), st.booleans(),
              st.booleans()),
    st.builds(spdy.SynReply, ids, headers, st.booleans()),
    st.builds(spdy.HeadersFrame, ids, headers, st.booleans()),
    st.builds(spdy.RstStream, ids, u32),
    st.builds(spdy.Settings, st.lists(st.tuples(st.integers(0, 255), st.integers(0, 0xFFFFFF), u32), max_size=4),
              st.booleans()),
    st.builds(spdy.Ping, u32),
    st.builds(spdy.GoAway, st.integers(0, 0x7FFFFFFF), u32),
    st.builds(spdy.WindowUpdate, ids, st.integers(1, 0x7FFFFFFF)),
)


def test_dictionary_is_the_spec_one() -> None:
    assert len(spdy.DICTIONARY) == 1423
    assert zlib.adler32(spdy.DICTIONARY) == 0xE3C6A7C2
    assert spdy.DICTIONARY.startswith(b"\x00\x00\x00\x07options") and spdy.DICTIONARY.endswith(b",*,enq=0.")


def test_compressed_header_blocks_name_the_dictionary() -> None:
    block = spdy.FrameCodec().compress({"streamtype": "error"})
    assert block[:2] == b"\x78\xf9" and block[2:6] == struct.pack(">I", 0xE3C6A7C2)


@given(st.lists(frames, max_size=12), st.lists(st.integers(1, 64), min_size=1, max_size=20))
def test_frames_round_trip_through_any_cut(sent: list[spdy.Frame], cuts: list[int]) -> None:
    sender, receiver = spdy.FrameCodec(), spdy.FrameCodec()
    wire = b"".join(sender.encode(f) for f in sent)
    got: list[spdy.Frame] = []
    pos = 0
    for i in range(len(wire) + 1):  # split the stream at arbitrary points, as WebSocket messages do
        step = cuts[i % len(cuts)]
        got += receiver.feed(wire[pos:pos + step])
        pos += step
        if pos >= len(wire):
            break
    assert got == sent


def test_go_style_client_bytes_decode() -> None:
    """A SYN_STREAM as kubectl sends it: compressed with its own zlib stream and the dictionary."""
    deflate = zlib.compressobj(6, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, spdy.DICTIONARY)
    block = struct.pack(">I", 3)
    for k, v in (("streamtype", "data"), ("port", "80"), ("requestid", "0")):
        block += struct.pack(">I", len(k)) + k.encode() + struct.pack(">I", len(v)) + v.encode()
    compressed = deflate.compress(block) + deflate.flush(zlib.Z_SYNC_FLUSH)
    payload = struct.pack(">IIBB", 3, 0, 0, 0) + compressed
    wire = struct.pack(">HHI", 0x8003, 1, len(payload)) + payload
    wire += struct.pack(">HHI", 0x8003, 6, 4) + struct.pack(">I", 1)  # PING 1
    wire += struct.pack(">II", 3, (1 << 24) | 5) + b"hello"  # DATA with FIN
    assert spdy.FrameCodec().feed(wire) == [
        spdy.SynStream(3, {"streamtype": "data", "port": "80", "requestid": "0"}),
        spdy.Ping(1),
        spdy.DataFrame(3, b"hello", fin=True),
    ]


def test_header_compression_state_carries_across_frames() -> None:
    sender, receiver = spdy.FrameCodec(), spdy.FrameCodec()
    first = sender.encode(spdy.SynStream(1, {"streamtype": "stdout"}))
    second = sender.encode(spdy.SynStream(3, {"streamtype": "stdout"}))
    assert len(second) < len(first)  # the second block refers back into the first
    with pytest.raises(spdy.ProtocolError):
        spdy.FrameCodec().feed(second)  # alone, it cannot be inflated
    assert receiver.feed(first + second) == [spdy.SynStream(1, {"streamtype": "stdout"}),
                                             spdy.SynStream(3, {"streamtype": "stdout"})]


def test_bad_input_is_a_protocol_error_not_a_crash() -> None:
    with pytest.raises(spdy.ProtocolError, match="version 2"):
        spdy.FrameCodec().feed(struct.pack(">HHI", 0x8002, 1, 0))
    with pytest.raises(spdy.ProtocolError, match="too short"):
        spdy.FrameCodec().feed(struct.pack(">HHI", 0x8003, 3, 2) + b"\x00\x01")
    with pytest.raises(spdy.ProtocolError):
        spdy.FrameCodec().feed(struct.pack(">HHI", 0x8003, 2, 8) + b"\x00\x00\x00\x01garbage!"[:4] + b"zzzz")


def test_unknown_control_frames_are_skipped_and_partial_frames_wait() -> None:
    codec = spdy.FrameCodec()
    assert codec.feed(struct.pack(">HHI", 0x8003, 0x77, 3) + b"abc") == []
    ping = codec.encode(spdy.Ping(7))
    assert codec.feed(ping[:5]) == [] and codec.feed(ping[5:]) == [spdy.Ping(7)]


def test_data_frames_are_bounded() -> None:
    with pytest.raises(ValueError):
        spdy.FrameCodec().encode(spdy.DataFrame(1, b"x" * (spdy.MAX_LENGTH + 1)))
