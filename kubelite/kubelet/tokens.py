"""Service account tokens for projected volumes: a TokenRequest bound to the pod, renewed after 80% of
its lifetime (the kubelet's token manager), cached per pod uid in memory (a restarted agent asks again)."""

from __future__ import annotations

import logging
from typing import Any

from kubelite.base.clock import Clock
from kubelite.client.errors import ApiError, TransportError
from kubelite.client.rest import Client
from kubelite.client.store import meta_namespace_key

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]


class ServiceAccountTokens:
    def __init__(self, client: Client, clock: Clock) -> None:
        self.client = client
        self.clock = clock
        self._tokens: dict[str, tuple[JsonDict, float]] = {}  # pod uid -> ({"token": t}, renew after)

    async def get(self, pod: JsonDict, wanted: JsonDict) -> JsonDict | None:
        """``{"token": ...}`` for ``pod``'s service account (``wanted`` is the projection: audience,
        expirationSeconds); the last good token, or None, when the API refuses."""
        meta = pod.get("metadata") or {}
        uid = meta.get("uid", "")
        now = self.clock.monotonic()
        cached = self._tokens.get(uid)
        if cached is not None and now < cached[1]:
            return cached[0]
        expires = max(600, int(wanted.get("expirationSeconds") or 3600))
        spec: JsonDict = {"expirationSeconds": expires,
                          "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": meta.get("name"),
                                             "uid": uid}}
        if wanted.get("audience"):
            spec["audiences"] = [wanted["audience"]]
        sa = (pod.get("spec") or {}).get("serviceAccountName") or "default"
        try:
            answer = await self.client.resource("v1", "serviceaccounts").create_subresource(
                sa, "token", {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec},
                meta.get("namespace"))
        except (ApiError, TransportError) as err:
            log.warning("service account token request failed", extra={"pod": meta_namespace_key(pod),
                                                                         "error": str(err)})
            return cached[0] if cached else None
        token = {"token": (answer.get("status") or {}).get("token", "")}
        self._tokens[uid] = (token, now + expires * 0.8)
        return token

    def forget(self, uid: str) -> None:
        self._tokens.pop(uid, None)
