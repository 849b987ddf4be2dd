"""Parsing a request path into what it addresses, the way Kubernetes' RequestInfoFactory does.

``/api/v1/namespaces/default/pods/web/status`` -> group "", version v1, namespace default, resource pods,
name web, subresource status. Pure: tested without a server. The special case to keep in mind is
``/api/v1/namespaces/<name>`` and its subresources (``/finalize``, ``/status``), where the namespace *is*
the object rather than its scope.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestInfo:
    group: str
    version: str
    resource: str
    namespace: str = ""
    name: str = ""
    subresource: str = ""

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})


class NotAResourcePathError(ValueError):
    """The path does not address an API resource (discovery, health, or nonsense)."""


def parse_path(path: str) -> RequestInfo:
    """Decode a resource path; raise :class:`NotAResourcePathError` for anything else."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise NotAResourcePathError(path)
    if not rest:
        raise NotAResourcePathError(path)
    namespace = ""
    if rest[0] == "namespaces" and len(rest) == 3 and rest[2] in _NAMESPACE_SUBRESOURCES:
        return RequestInfo(group, version, "namespaces", "", rest[1], rest[2])
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    elif rest[0] == "namespaces" and len(rest) == 2:
        # /api/v1/namespaces/<name>: the namespace object itself.
        return RequestInfo(group, version, "namespaces", "", rest[1])
    if len(rest) > 3:
        raise NotAResourcePathError(path)
    resource = rest[0]
    name = rest[1] if len(rest) >= 2 else ""
    sub = rest[2] if len(rest) == 3 else ""
    return RequestInfo(group, version, resource, namespace, name, sub)
