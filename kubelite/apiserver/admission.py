"""Admission on the write path: defaults, validation, unknown fields, and namespace lifecycle.

Validation is the object model's (:mod:`kubelite.api.validation`); this module decides when it runs.
Defaults are applied by the store before admission, as Kubernetes decodes with defaulting.
Namespace lifecycle is Kubernetes' NamespaceLifecycle
plug-in: no new objects in a namespace that does not exist or is terminating.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from kubelite.api import status as st
from kubelite.api.resources import Resource
from kubelite.apiserver.store import Admit, ResourceStore

Obj = dict[str, Any]


def _api(module: str, name: str) -> Callable[..., Any] | None:
    try:
        mod = importlib.import_module(f"kubelite.api.{module}")
    except ImportError:
        return None
    fn = getattr(mod, name, None)
    return fn if callable(fn) else None


def check_fields(resource: Resource, obj: Obj, mode: str) -> list[str]:
    """Wrong JSON types -> 400 always; unknown fields: Strict -> 400, Warn -> warnings, Ignore -> none
    (api.strict, checked against the type schema)."""
    type_error = _api("strict", "type_error")
    if type_error is not None:
        message = type_error(obj)
        if message:
            decode_error = _api("strict", "decode_error")
            raise decode_error(obj, message) if decode_error else st.bad_request(message)
    if mode == "Ignore":
        return []
    finder = _api("strict", "unknown_fields")
    if finder is None:
        return []
    unknown = list(finder(obj))
    if not unknown:
        return []
    if mode == "Strict":
        strict_error = _api("strict", "strict_error")
        if strict_error is not None:
            raise strict_error(obj, unknown)
        raise st.bad_request("strict decoding error: " + ", ".join(f'unknown field "{p}"' for p in unknown))
    to_warnings = _api("strict", "warnings")
    return list(to_warnings(unknown)) if to_warnings else [f'unknown field "{p}"' for p in unknown]


def warning_headers(warnings: list[str]) -> dict[str, str] | None:
    if not warnings:
        return None
    # One header with comma-separated values, as HTTP allows for Warning.
    return {"Warning": ", ".join(f'299 - "{w}"' for w in warnings)}


def validate(resource: Resource, obj: Obj, old: Obj | None) -> None:
    """Per-kind validation (api.validation): create rules, plus immutability on update -> 422."""
    if old is None:
        fn = _api("validation", "validate")
        errors = fn(obj) if fn is not None else []
    else:
        fn = _api("validation", "validate_update")
        errors = fn(old, obj) if fn is not None else []
    if errors:
        name = str((obj.get("metadata") or {}).get("name") or "")
        raise st.invalid(resource.kind, name, list(errors), resource.group)


def make_admit(namespaces: Callable[[], ResourceStore]) -> Admit:
    """The store's admission hook: namespace lifecycle, then validation (defaults ran before)."""

    async def admit(resource: Resource, obj: Obj, old: Obj | None) -> None:
        if old is None and resource.namespaced:
            ns = str((obj.get("metadata") or {}).get("namespace") or "")
            store = namespaces()
            try:
                # Like kube's NamespaceLifecycle: the cache first (no wait on every create), storage on
                # a miss (a namespace created a moment ago).
                namespace = await store.get("", ns, resource_version="0")
            except st.ApiError as err:
                if err.code != 404:
                    raise
                try:
                    namespace = await store.get_from_storage("", ns)
                except st.ApiError as err2:
                    if err2.code == 404:
                        raise st.not_found("namespaces", ns) from None
                    raise
            if namespace.get("metadata", {}).get("deletionTimestamp") and resource.plural != "events":
                raise st.forbidden(resource.plural, str(obj["metadata"].get("name", "")),
                                   f"unable to create new content in namespace {ns} because it is being "
                                   "terminated", resource.group)
        validate(resource, obj, old)

    return admit
