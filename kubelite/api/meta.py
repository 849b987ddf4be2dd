"""Object metadata: name rules, generateName, uids, timestamps, owner references and finalizers.

Public surface (pure; randomness and time are always passed in):

- Name checks returning kube's message strings (empty list = valid): :func:`is_dns1123_subdomain`,
  :func:`is_dns1123_label`, :func:`is_dns1035_label`, :func:`is_qualified_name`,
  :func:`is_valid_label_value`; :func:`name_rule_for(resource)` says which one a resource uses.
- :func:`validate_object_meta(meta, resource_plural, namespaced, path="metadata")` -> ``FieldError`` list
  (name or generateName, namespace, labels, annotations, finalizers, ownerReferences).
- :func:`generate_name(base, rng)` - ``base`` + 5 chars of kube's alphabet (``bcdfghjklmnpqrstvwxz2456789``).
- :func:`new_uid(rng)` - a version-4 UUID string.
- :func:`format_time(dt)` / :func:`format_micro_time(dt)` / :func:`parse_time(s)` - RFC 3339 in UTC, as
  ``metav1.Time`` (seconds) and ``metav1.MicroTime`` (microseconds) serialise.
- :func:`fill_create_meta(obj, now, rng)` - a copy with uid, creationTimestamp,
  generation set (the server's bookkeeping on create); :func:`next_generation(old, new)`.
- Owner references: :func:`owner_reference`, :func:`controller_ref`, :func:`is_owned_by`.
- Finalizers: :func:`has_finalizer`, :func:`add_finalizer`, :func:`remove_finalizer` (return copies).
"""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from kubelite.api.jsonutil import clone
from kubelite.api.status import FieldError, forbidden_field, invalid_value, required

JsonDict = dict[str, Any]

DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*"
DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?"

_DNS1123_LABEL = re.compile(f"^{DNS1123_LABEL_FMT}$")
_DNS1123_SUBDOMAIN = re.compile(f"^{DNS1123_SUBDOMAIN_FMT}$")
_DNS1035_LABEL = re.compile(f"^{DNS1035_LABEL_FMT}$")
_QUALIFIED_NAME = re.compile(f"^{QUALIFIED_NAME_FMT}$")
_LABEL_VALUE = re.compile(f"^{LABEL_VALUE_FMT}$")

NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
GENERATED_SUFFIX_LENGTH = 5
MAX_GENERATED_BASE = 63 - GENERATED_SUFFIX_LENGTH
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """kube's ``RegexError``, double space before "or" included."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    msg += " (e.g. "
    for i, ex in enumerate(examples):
        if i:
            msg += " or "
        msg += f"'{ex}', "
    return msg + f"regex used for validation is '{fmt}')"


def _max_len(n: int) -> str:
    return f"must be no more than {n} characters"


def is_dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(_max_len(63))
    if not _DNS1123_LABEL.match(value):
        errs.append(regex_error(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
            "must start and end with an alphanumeric character", DNS1123_LABEL_FMT, "my-name", "123-abc",
        ))
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append(_max_len(253))
    if not _DNS1123_SUBDOMAIN.match(value):
        errs.append(regex_error(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
            "'.', and must start and end with an alphanumeric character", DNS1123_SUBDOMAIN_FMT,
            "example.com",
        ))
    return errs


def is_dns1035_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(_max_len(63))
    if not _DNS1035_LABEL.match(value):
        errs.append(regex_error(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
            "alphabetic character, and end with an alphanumeric character", DNS1035_LABEL_FMT,
            "my-name", "abc-123",
        ))
    return errs


def is_qualified_name(value: str) -> list[str]:
    """Label keys, annotation keys, finalizers: ``[prefix/]name``."""
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            return ["prefix part must be non-empty"]
        sub = is_dns1123_subdomain(prefix)
        if sub:
            return ["prefix part " + e for e in sub]
    else:
        return [regex_error(
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start "
            "and end with an alphanumeric character", QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc",
        ) + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    errs = []
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + _max_len(63))
    if name and not _QUALIFIED_NAME.match(name):
        errs.append("name part " + regex_error(
            "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character", QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc",
        ))
    return errs


def is_valid_label_value(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(_max_len(63))
    if not _LABEL_VALUE.match(value):
        errs.append(regex_error(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
            "'.', and must start and end with an alphanumeric character", LABEL_VALUE_FMT,
            "MyValue", "my_value", "12345",
        ))
    return errs


def is_path_segment_name(value: str) -> list[str]:
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


# Resources whose names are DNS-1123 labels or DNS-1035 labels; every other one is a subdomain.
_LABEL_NAMED = {"namespaces"}
_DNS1035_NAMED = {"services"}


def name_rule_for(resource: str) -> str:
    """``"dns1123-label"``, ``"dns1035-label"`` or ``"dns1123-subdomain"`` for a plural resource."""
    if resource in _LABEL_NAMED:
        return "dns1123-label"
    if resource in _DNS1035_NAMED:
        return "dns1035-label"
    return "dns1123-subdomain"


def validate_name(resource: str, name: str, prefix: bool = False) -> list[str]:
    """kube's per-resource name validator; ``prefix`` for generateName (a trailing '-' is allowed)."""
    if prefix:
        name = name.removesuffix("-") + "a" if name else name
    rule = name_rule_for(resource)
    if rule == "dns1123-label":
        return is_dns1123_label(name)
    if rule == "dns1035-label":
        return is_dns1035_label(name)
    return is_dns1123_subdomain(name)


def validate_labels(labels: Any, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if labels is None:
        return errs
    if not isinstance(labels, dict):
        return [invalid_value(path, labels, "must be a map of string to string")]
    for key, value in labels.items():
        for msg in is_qualified_name(str(key)):
            errs.append(invalid_value(path, key, msg))
        if not isinstance(value, str):
            errs.append(invalid_value(f"{path}", value, "label values must be strings"))
            continue
        for msg in is_valid_label_value(value):
            errs.append(invalid_value(path, value, msg))
    return errs


def validate_annotations(annotations: Any, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if annotations is None:
        return errs
    if not isinstance(annotations, dict):
        return [invalid_value(path, annotations, "must be a map of string to string")]
    total = 0
    for key, value in annotations.items():
        for msg in is_qualified_name(str(key).lower()):
            errs.append(invalid_value(path, key, msg))
        total += len(str(key)) + len(str(value))
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(FieldError(
            "FieldValueTooLong", path, detail=f"may not be more than {TOTAL_ANNOTATION_SIZE_LIMIT} bytes"
        ))
    return errs


def validate_object_meta(
    meta: Any, resource: str, namespaced: bool, path: str = "metadata"
) -> list[FieldError]:
    """ObjectMeta checks shared by every kind (``ValidateObjectMeta``)."""
    if not isinstance(meta, dict):
        return [required(f"{path}.name", "name or generateName is required")]
    errs: list[FieldError] = []
    name = meta.get("name")
    generate = meta.get("generateName")
    if generate:
        for msg in validate_name(resource, str(generate), prefix=True):
            errs.append(invalid_value(f"{path}.generateName", generate, msg))
    if not name:
        if not generate:
            errs.append(required(f"{path}.name", "name or generateName is required"))
    else:
        for msg in validate_name(resource, str(name)):
            errs.append(invalid_value(f"{path}.name", name, msg))
    namespace = meta.get("namespace")
    if namespaced:
        if not namespace:
            errs.append(required(f"{path}.namespace"))
        else:
            for msg in is_dns1123_label(str(namespace)):
                errs.append(invalid_value(f"{path}.namespace", namespace, msg))
    elif namespace:
        errs.append(forbidden_field(f"{path}.namespace", "not allowed on this type"))
    errs += validate_labels(meta.get("labels"), f"{path}.labels")
    errs += validate_annotations(meta.get("annotations"), f"{path}.annotations")
    for i, fin in enumerate(meta.get("finalizers") or []):
        for msg in is_qualified_name(str(fin)):
            errs.append(invalid_value(f"{path}.finalizers[{i}]", fin, msg))
    for i, ref in enumerate(meta.get("ownerReferences") or []):
        errs += _validate_owner_ref(ref, f"{path}.ownerReferences[{i}]")
    refs = meta.get("ownerReferences") or []
    controllers = [r for r in refs if isinstance(r, dict) and r.get("controller")]
    if len(controllers) > 1:
        errs.append(invalid_value(
            f"{path}.ownerReferences", meta["ownerReferences"],
            "Only one reference can have Controller set to true",
        ))
    return errs


def _validate_owner_ref(ref: Any, path: str) -> list[FieldError]:
    if not isinstance(ref, dict):
        return [invalid_value(path, ref, "must be an object")]
    errs: list[FieldError] = []
    for key in ("apiVersion", "kind", "name", "uid"):
        if not ref.get(key):
            errs.append(invalid_value(f"{path}.{key}", ref.get(key, ""), f"{key} must not be empty"))
    return errs


# ------------------------------------------------------------------------------ names, uids, times


def generate_name(base: str, rng: random.Random) -> str:
    """``names.SimpleNameGenerator``: truncate the base to 58 chars, add 5 random alphabet chars."""
    if len(base) > MAX_GENERATED_BASE:
        base = base[:MAX_GENERATED_BASE]
    return base + "".join(rng.choice(NAME_ALPHABET) for _ in range(GENERATED_SUFFIX_LENGTH))


def new_uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def format_time(dt: datetime) -> str:
    """``metav1.Time``: RFC 3339, whole seconds, ``Z``."""
    u = _utc(dt)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def format_micro_time(dt: datetime) -> str:
    """``metav1.MicroTime``: RFC 3339 with exactly six fractional digits."""
    u = _utc(dt)
    return (f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}."
            f"{u.microsecond:06d}Z")


def parse_time(value: str) -> datetime:
    """Parse an RFC 3339 time (``Z`` or offset, optional fraction) into an aware UTC datetime."""
    try:  # the common, canonical case; Python 3.11 reads "Z" itself
        fast = datetime.fromisoformat(value)
    except ValueError:
        fast = None
    if fast is not None and fast.tzinfo is not None:
        return fast.astimezone(UTC)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", text)
    if m and m.group(2) and len(m.group(2)) > 7:  # Python accepts at most 6 fractional digits
        text = m.group(1) + m.group(2)[:7] + m.group(3)
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        raise ValueError(f"time {value!r} has no zone")
    return dt.astimezone(UTC)


def from_timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# Kinds whose spec changes bump metadata.generation (their strategies set it to 1 on create).
GENERATION_KINDS = frozenset({
    "Deployment", "ReplicaSet", "ReplicationController", "DaemonSet", "StatefulSet", "Job", "CronJob",
    "EndpointSlice",
})


def fill_create_meta(obj: JsonDict, now: datetime, rng: random.Random) -> JsonDict:
    """A copy of ``obj`` with the fields the server owns on create: name from generateName, uid,
    creationTimestamp, generation (kinds in :data:`GENERATION_KINDS`); deletion fields cleared."""
    out = clone(obj)
    meta = out.get("metadata")
    if not isinstance(meta, dict):
        meta = out["metadata"] = {}
    if not meta.get("name") and isinstance(meta.get("generateName"), str) and meta["generateName"]:
        meta["name"] = generate_name(meta["generateName"], rng)
    meta["uid"] = new_uid(rng)
    meta["creationTimestamp"] = format_time(now)
    meta.pop("deletionTimestamp", None)
    meta.pop("deletionGracePeriodSeconds", None)
    if out.get("kind") in GENERATION_KINDS:
        meta["generation"] = 1
    else:
        meta.pop("generation", None)
    return out


def next_generation(old: JsonDict, new: JsonDict) -> int | None:
    """The generation ``new`` should carry: bumped when anything outside metadata and status changed."""
    gen = (old.get("metadata") or {}).get("generation")
    if gen is None:
        return None
    ignore = {"metadata", "status"}
    old_rest = {k: v for k, v in old.items() if k not in ignore}
    new_rest = {k: v for k, v in new.items() if k not in ignore}
    return int(gen) + 1 if old_rest != new_rest else int(gen)


# -------------------------------------------------------------------------- owners and finalizers


def owner_reference(owner: JsonDict, controller: bool = True, block_owner_deletion: bool = True) -> JsonDict:
    """The ownerReference a controller puts on what it creates (``metav1.NewControllerRef``)."""
    meta = owner.get("metadata") or {}
    return {
        "apiVersion": owner.get("apiVersion", ""),
        "kind": owner.get("kind", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "controller": controller,
        "blockOwnerDeletion": block_owner_deletion,
    }


def controller_ref(obj: JsonDict) -> JsonDict | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def is_owned_by(obj: JsonDict, uid: str) -> bool:
    return any(r.get("uid") == uid for r in (obj.get("metadata") or {}).get("ownerReferences") or [])


def has_finalizer(obj: JsonDict, finalizer: str) -> bool:
    return finalizer in ((obj.get("metadata") or {}).get("finalizers") or [])


def add_finalizer(obj: JsonDict, finalizer: str) -> JsonDict:
    out = clone(obj)
    fins = out.setdefault("metadata", {}).setdefault("finalizers", [])
    if finalizer not in fins:
        fins.append(finalizer)
    return out


def remove_finalizer(obj: JsonDict, finalizer: str) -> JsonDict:
    out = clone(obj)
    meta = out.setdefault("metadata", {})
    fins = [f for f in meta.get("finalizers") or [] if f != finalizer]
    if fins:
        meta["finalizers"] = fins
    else:
        meta.pop("finalizers", None)
    return out
