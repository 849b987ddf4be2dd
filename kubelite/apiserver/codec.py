"""Request bodies in, JSON out: the one place content types are decided.

Bodies arrive as JSON, YAML (``application/yaml``; also the apply-patch type, whose text kubectl sends
as JSON, which YAML parses too) or Kubernetes protobuf (``application/vnd.kubernetes.protobuf``, decoded
by :mod:`kubelite.api.protobuf`). Every malformed body is a 400 BadRequest Status and every unknown type
a 415, never a 500.
"""

from __future__ import annotations

import importlib
from typing import Any

import orjson
import yaml

from kubelite.api import status as st

JSON_TYPES = frozenset({
    "application/json", "application/merge-patch+json", "application/strategic-merge-patch+json",
    "application/json-patch+json",
})
YAML_TYPES = frozenset({"application/yaml", "application/apply-patch+yaml", "text/yaml"})
PROTOBUF = "application/vnd.kubernetes.protobuf"

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def decode_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise st.bad_request(f"error decoding JSON: {err}") from None


def decode_yaml(body: bytes) -> Any:
    try:
        return orjson.loads(body)  # kubectl's apply-patch+yaml bodies are JSON text: the fast path
    except orjson.JSONDecodeError:
        pass
    try:
        docs = list(yaml.load_all(body, Loader=_Loader))
    except yaml.YAMLError as err:
        raise st.bad_request(f"error converting YAML to JSON: {str(err).splitlines()[0]}") from None
    except (ValueError, RecursionError) as err:
        raise st.bad_request(f"error converting YAML to JSON: {err}") from None
    docs = [d for d in docs if d is not None]
    if len(docs) != 1:
        raise st.bad_request("error converting YAML to JSON: expected exactly one document")
    try:
        # YAML may produce dates and non-string keys; normalise to JSON types or refuse.
        return orjson.loads(orjson.dumps(docs[0], option=orjson.OPT_NON_STR_KEYS))
    except (TypeError, orjson.JSONEncodeError) as err:
        raise st.bad_request(f"error converting YAML to JSON: {err}") from None


def decode_protobuf(body: bytes) -> Any:
    """The JSON-shaped object a protobuf body holds (api.protobuf; ProtobufError -> its 400 Status)."""
    try:
        protobuf = importlib.import_module("kubelite.api.protobuf")
    except ImportError:
        raise st.unsupported_media_type(PROTOBUF) from None
    try:
        value: Any = protobuf.decode_protobuf(body)
    except st.ApiError:
        raise
    except Exception as err:
        to_api_error = getattr(err, "to_api_error", None)
        if to_api_error is not None:
            raise to_api_error() from None
        raise st.bad_request(f"error decoding protobuf: {err}") from None
    return value


def decode_body(content_type: str, body: bytes) -> Any:
    """Any value the body holds (callers check it is an object or a patch list)."""
    mt = media_type(content_type) if content_type else "application/json"
    if not body.strip():
        raise st.bad_request("the request body is empty")
    if mt in JSON_TYPES or mt == "":
        return decode_json(body)
    if mt in YAML_TYPES:
        return decode_yaml(body)
    if mt == PROTOBUF:
        return decode_protobuf(body)
    raise st.unsupported_media_type(mt)


def decode_object(content_type: str, body: bytes) -> dict[str, Any]:
    value = decode_body(content_type, body)
    if not isinstance(value, dict):
        raise st.bad_request("the request body must be a JSON object")
    return value


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)
