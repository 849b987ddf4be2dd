"""Reading the Accept header: Table or plain objects (protobuf requests get JSON, which kubectl
accepts; the server never answers 406 to kubectl's combinations)."""

from __future__ import annotations

TABLE_CT = "application/json;as=Table;v=v1;g=meta.k8s.io"


def wants_table(accept: str) -> bool:
    """True when the client's first acceptable choice is a meta.k8s.io Table."""
    for part in accept.split(","):
        params = {}
        pieces = part.split(";")
        for item in pieces[1:]:
            key, _, value = item.strip().partition("=")
            params[key] = value
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io":
            return True
        media = pieces[0].strip()
        if media in ("application/json", "*/*", "application/vnd.kubernetes.protobuf", "application/yaml"):
            return False
    return False


def include_object(query_value: str) -> str:
    """The Table ``includeObject`` policy: Metadata (default), Object or None."""
    return query_value if query_value in ("None", "Object", "Metadata") else "Metadata"
