"""Decode ``application/vnd.kubernetes.protobuf`` request bodies into the JSON dict of the object.

Public surface:

- :func:`decode_protobuf(body) -> dict` - ``body`` is the whole request body: the magic ``k8s\\0``
  then a ``runtime.Unknown`` envelope (1: TypeMeta {1: apiVersion, 2: kind}, 2: raw object bytes,
  3: contentEncoding, 4: contentType). Returns ``{"apiVersion": ..., "kind": ..., ...fields}`` in the
  same shape the JSON body would have had. Raises :class:`ProtobufError` (``.to_api_error()`` gives the
  400 Status) on bad magic, broken wire data or a kind we hold no table for.
- :func:`read_fields(data) -> list[(number, wire_type, value)]` - the generic wire decoder.
- :func:`encode_unknown(api_version, kind, raw) -> bytes` - build an envelope (tests, tools).

Conversions: ``Time`` {1: seconds, 2: nanos} -> RFC 3339 (the zero message -> absent);
``IntOrString`` {1: type, 2: intVal, 3: strVal} -> int or str; ``Quantity`` {1: string} -> str;
``map<string, bytes>`` (Secret/ConfigMap data) -> base64 strings. Field numbers we have no entry for
are skipped: the tables in :mod:`kubelite.api.protobuf_tables` cover what the generators set.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from kubelite.api.meta import format_micro_time, format_time
from kubelite.api.protobuf_tables import KINDS, TABLES
from kubelite.api.status import ApiError, bad_request

MAGIC = b"k8s\x00"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ProtobufError(ValueError):
    def to_api_error(self) -> ApiError:
        return bad_request(str(self))


# ------------------------------------------------------------------------------------ wire format


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("protobuf: unexpected end of data in varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("protobuf: varint overflow")


def read_fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value): varints as int, fixed as int, length-delimited as bytes."""
    if not isinstance(data, bytes | bytearray):
        raise ProtobufError("protobuf: a message field arrived with a scalar wire type")
    out: list[tuple[int, int, Any]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("protobuf: illegal field number 0")
        value: Any
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            if pos + 8 > len(data):
                raise ProtobufError("protobuf: unexpected end of data")
            value = struct.unpack_from("<q", data, pos)[0]
            pos += 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ProtobufError("protobuf: unexpected end of data in length-delimited field")
            value = data[pos:pos + length]
            pos += length
        elif wire == 5:
            if pos + 4 > len(data):
                raise ProtobufError("protobuf: unexpected end of data")
            value = struct.unpack_from("<i", data, pos)[0]
            pos += 4
        else:
            raise ProtobufError(f"protobuf: unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


# ------------------------------------------------------------------------------------ tables


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    type: str
    repeated: bool
    pointer: bool


@cache
def _tables() -> dict[str, dict[int, _Field]]:
    tables: dict[str, dict[int, _Field]] = {}
    for line in TABLES.replace("\\\n", " ").splitlines():
        words = line.split()
        if not words:
            continue
        fields: dict[int, _Field] = {}
        for word in words[1:]:
            pointer = word.endswith("*")
            parts = word.rstrip("*").split(":", 2)
            number, name = int(parts[0]), parts[1]
            ftype = parts[2] if len(parts) > 2 else "string"
            repeated = ftype.startswith("[")
            fields[number] = _Field(name, ftype.strip("[]"), repeated, pointer)
        tables[words[0]] = fields
    return tables


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _text(raw: Any) -> str:
    if not isinstance(raw, bytes):
        raise ProtobufError("protobuf: expected a length-delimited string")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProtobufError(f"protobuf: invalid UTF-8 string: {e}") from None


def _time(raw: bytes, micro: bool) -> str | None:
    seconds = nanos = 0
    for number, _, value in read_fields(raw):
        if number == 1:
            seconds = _signed(value, 64)
        elif number == 2:
            nanos = _signed(value, 32)
    if seconds == 0 and nanos == 0:
        return None
    dt = EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)
    return format_micro_time(dt) if micro else format_time(dt)


def _int_or_string(raw: bytes) -> int | str:
    kind, int_val, str_val = 0, 0, ""
    for number, _, value in read_fields(raw):
        if number == 1:
            kind = value
        elif number == 2:
            int_val = _signed(value, 32)
        elif number == 3:
            str_val = _text(value)
    return str_val if kind == 1 else int_val


def _quantity(raw: bytes) -> str:
    for number, _, value in read_fields(raw):
        if number == 1:
            return _text(value)
    return "0"


def _map_entry(raw: bytes, value_type: str) -> tuple[str, Any]:
    key, value = "", b"" if value_type == "bytes" else ""
    for number, _, v in read_fields(raw):
        if number == 1:
            key = _text(v)
        elif number == 2:
            value = v
    if value_type == "bytes":
        return key, base64.b64encode(value if isinstance(value, bytes) else b"").decode()
    if value_type == "Quantity":
        return key, _quantity(value) if isinstance(value, bytes) else "0"
    return key, _text(value) if isinstance(value, bytes) else ""


_NUMERIC = frozenset({"int32", "int64", "bool", "double"})


def _scalar(ftype: str, wire: int, value: Any) -> Any:
    if (ftype in _NUMERIC) == (wire == 2):
        raise ProtobufError(f"protobuf: wire type {wire} does not fit a {ftype} field")
    if ftype == "string":
        return _text(value)
    if ftype == "bytes":
        return base64.b64encode(value).decode()
    if ftype == "int32":
        return _signed(value, 32)
    if ftype == "int64":
        return _signed(value, 64)
    if ftype == "bool":
        return bool(value)
    if ftype == "double":
        return struct.unpack("<d", struct.pack("<q", value))[0] if wire == 1 else float(value)
    if ftype in ("Time", "MicroTime"):
        return _time(value, ftype == "MicroTime")
    if ftype == "IntOrString":
        return _int_or_string(value)
    if ftype == "Quantity":
        return _quantity(value)
    return decode_message(ftype, value)


def _is_zero(value: Any) -> bool:
    return value is None or value is False or (not isinstance(value, bool) and value in ("", 0))


def decode_message(message: str, data: bytes) -> dict[str, Any]:
    table = _tables().get(message)
    if table is None:
        raise ProtobufError(f"protobuf: no field table for message {message}")
    out: dict[str, Any] = {}
    for number, wire, value in read_fields(data):
        spec = table.get(number)
        if spec is None:
            continue
        if spec.type.startswith("map"):
            value_type = spec.type[4:-1] if spec.type.startswith("map<") else "string"
            key, entry = _map_entry(value, value_type)
            out.setdefault(spec.name, {})[key] = entry
            continue
        if wire == 2 and spec.type in ("int32", "int64", "bool") and spec.repeated:
            decoded = _packed(spec.type, value)
            out.setdefault(spec.name, []).extend(decoded)
            continue
        decoded = _scalar(spec.type, wire, value)
        if spec.repeated:
            out.setdefault(spec.name, []).append(decoded)
        elif decoded is None or (_is_zero(decoded) and not spec.pointer and not isinstance(decoded, dict)):
            out.pop(spec.name, None)
        else:
            out[spec.name] = decoded
    return out


def _packed(ftype: str, data: bytes) -> list[Any]:
    values = []
    pos = 0
    while pos < len(data):
        v, pos = _varint(data, pos)
        values.append(_scalar(ftype, 0, v))
    return values


# ------------------------------------------------------------------------------------ envelope


def decode_protobuf(body: bytes) -> dict[str, Any]:
    if not body.startswith(MAGIC):
        raise ProtobufError("provided data does not appear to be a protobuf message, expected prefix "
                            "[107 56 115 0]")
    api_version = kind = ""
    raw = b""
    for number, _, value in read_fields(body[len(MAGIC):]):
        if number == 1 and isinstance(value, bytes):
            for n, _, v in read_fields(value):
                if n == 1:
                    api_version = _text(v)
                elif n == 2:
                    kind = _text(v)
        elif number == 2 and isinstance(value, bytes):
            raw = value
        elif number == 3 and value:
            raise ProtobufError(f"protobuf: unsupported content encoding {_text(value)!r}")
    message = KINDS.get((api_version, kind))
    if message is None:
        version = api_version.rpartition("/")[2]
        raise ProtobufError(f'no kind "{kind}" is registered for version "{api_version}" in scheme '
                            f'"kubelite" (protobuf tables cover {version or "no"} generators only)')
    obj: dict[str, Any] = {"kind": kind, "apiVersion": api_version}
    obj.update(decode_message(message, raw))
    return obj


def _key(number: int, wire: int) -> bytes:
    return _encode_varint(number << 3 | wire)


def _encode_varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_bytes(number: int, payload: bytes) -> bytes:
    """One length-delimited field (strings, bytes, sub-messages)."""
    return _key(number, 2) + _encode_varint(len(payload)) + payload


def encode_varint_field(number: int, value: int) -> bytes:
    return _key(number, 0) + _encode_varint(value)


def encode_unknown(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = encode_bytes(1, api_version.encode()) + encode_bytes(2, kind.encode())
    envelope = encode_bytes(1, type_meta) + encode_bytes(2, raw) + encode_bytes(3, b"") + encode_bytes(4, b"")
    return MAGIC + envelope
