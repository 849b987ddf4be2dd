"""A pod's ``imagePullSecrets`` as the credentials of its image pulls.

Each named Secret of type ``kubernetes.io/dockerconfigjson`` (``.dockerconfigjson``: ``{"auths": {host:
{...}}}``) or the legacy ``kubernetes.io/dockercfg`` (``.dockercfg``: ``{host: {...}}``) contributes its
registries; the first secret naming a registry wins, as the kubelet tries them in order. The result is
one Docker config document the runtime's puller reads like its own auth file. Pure: the Secrets come
through a lookup (the worker's informer).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

JsonDict = dict[str, Any]
Lookup = Callable[[str, str, str], JsonDict | None]


def _decoded(secret: JsonDict, key: str) -> Any:
    raw = (secret.get("data") or {}).get(key)
    if raw is None:
        return None
    try:
        return json.loads(base64.b64decode(raw))
    except (ValueError, binascii.Error):
        return None


def pull_auth(pod: JsonDict, lookup: Lookup) -> tuple[str, list[str]]:
    """(the Docker config document for the pod's pulls or "", the secrets that could not be used)."""
    namespace = (pod.get("metadata") or {}).get("namespace", "default")
    auths: dict[str, Any] = {}
    unusable: list[str] = []
    for ref in (pod.get("spec") or {}).get("imagePullSecrets") or []:
        name = ref.get("name", "")
        secret = lookup("Secret", namespace, name) if name else None
        doc = None
        if secret is not None:
            doc = _decoded(secret, ".dockerconfigjson")
            doc = doc.get("auths") if isinstance(doc, dict) else _decoded(secret, ".dockercfg")
        if not isinstance(doc, dict):
            unusable.append(name)
            continue
        for host, entry in doc.items():
            auths.setdefault(host, entry)
    return (json.dumps({"auths": auths}) if auths else ""), unusable
