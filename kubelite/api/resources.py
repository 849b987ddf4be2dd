"""The registry of every resource kubelite serves, with the facts discovery and storage need.

Public surface (all pure, all immutable):

- :class:`Resource` - one served resource: ``group``, ``version``, ``kind``, ``plural``, ``singular``,
  ``namespaced``, ``short_names``, ``categories``, ``verbs``, ``subresources``; derived ``api_version``
  (``"v1"`` / ``"apps/v1"``), ``group_version``, ``list_kind``, ``scope`` (``"Namespaced"``/``"Cluster"``),
  ``storage_key(namespace, name)`` and ``storage_prefix(namespace=None)``.
- :class:`Subresource` - ``name`` plus the response kind (``group``/``version``/``kind``) and ``verbs``.
- :data:`REGISTRY` - the one :class:`Registry`; lookups:
  ``by_gvr(group, version, plural)``, ``by_gvk(group, version, kind)``, ``by_kind(kind)`` (core first),
  ``by_short_name(name)``, ``resolve(name)`` (plural, singular or short name, as kubectl resolves it),
  ``group_versions()`` (discovery order), ``in_group_version(group, version)``, ``with_category(c)``.

Storage keys follow kube-apiserver's etcd layout so a real etcd holding kubelite data looks familiar:
``/registry/<resource>/<namespace>/<name>`` for namespaced resources and ``/registry/<resource>/<name>``
for cluster-scoped ones, with kube's historic prefixes: services live under ``/registry/services/specs``,
endpoints under ``/registry/services/endpoints``, nodes under ``/registry/minions``, replication
controllers under ``/registry/controllers``. Core ``events`` and ``events.k8s.io`` events share
``/registry/events`` exactly as in Kubernetes; the stored form is the core/v1 Event, and
:mod:`kubelite.api.events` converts at the edge (``Resource.storage_gvk`` says which form is stored).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

READ_WRITE = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
"""The verbs of an ordinary namespaced or cluster resource, sorted as kube-apiserver lists them."""

STATUS_VERBS = ("get", "patch", "update")


@dataclass(frozen=True, slots=True)
class Subresource:
    """``<resource>/<name>``: what it answers with and which verbs it accepts."""

    name: str
    kind: str
    verbs: tuple[str, ...]
    group: str = ""
    version: str = "v1"


@dataclass(frozen=True, slots=True)
class Resource:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = READ_WRITE
    subresources: tuple[Subresource, ...] = ()
    # Path segment(s) under /registry; kube's historic names where they differ from the plural.
    storage_resource: str = ""
    # (group, version, kind) of the form kept in storage when it differs (events.k8s.io -> core Event).
    storage_gvk: tuple[str, str, str] | None = None
    singular: str = field(default="")

    def __post_init__(self) -> None:
        if not self.singular:
            object.__setattr__(self, "singular", self.kind.lower())
        if not self.storage_resource:
            object.__setattr__(self, "storage_resource", self.plural)

    @property
    def group_version(self) -> str:
        """``"v1"`` for core, ``"apps/v1"`` otherwise: the ``apiVersion`` of the objects."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def api_version(self) -> str:
        return self.group_version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def scope(self) -> str:
        """Aggregated discovery's ``scope`` value."""
        return "Namespaced" if self.namespaced else "Cluster"

    @property
    def gvk(self) -> tuple[str, str, str]:
        return (self.group, self.version, self.kind)

    @property
    def qualified_name(self) -> str:
        """``deployments.apps`` / ``pods``: how Kubernetes names the resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def subresource(self, name: str) -> Subresource | None:
        for sub in self.subresources:
            if sub.name == name:
                return sub
        return None

    def storage_prefix(self, namespace: str | None = None) -> str:
        """The key prefix (ending in ``/``) holding every object, or those of one namespace."""
        base = f"/registry/{self.storage_resource}/"
        if namespace and self.namespaced:
            return f"{base}{namespace}/"
        return base

    def storage_key(self, namespace: str | None, name: str) -> str:
        """``/registry/pods/default/web``; the namespace is ignored for cluster-scoped resources."""
        if self.namespaced:
            if not namespace:
                raise ValueError(f"{self.plural} is namespaced: a namespace is required")
            return f"/registry/{self.storage_resource}/{namespace}/{name}"
        return f"/registry/{self.storage_resource}/{name}"


def _status(kind: str, group: str = "", version: str = "v1") -> Subresource:
    return Subresource("status", kind, STATUS_VERBS, group, version)


def _scale() -> Subresource:
    return Subresource("scale", "Scale", STATUS_VERBS, "autoscaling", "v1")


_CONNECT = ("create", "delete", "get", "patch", "update")

_RESOURCES: tuple[Resource, ...] = (
    # Groups in kube-apiserver's discovery priority order (core, apps, events.k8s.io, batch,
    # coordination.k8s.io, discovery.k8s.io); resources alphabetical within a group, as kube lists them.
    # ---- core/v1
    Resource("", "v1", "ConfigMap", "configmaps", True, ("cm",)),
    Resource(
        "", "v1", "Endpoints", "endpoints", True, ("ep",), storage_resource="services/endpoints",
        singular="endpoints",
    ),
    Resource("", "v1", "Event", "events", True, ("ev",)),
    Resource(
        "", "v1", "Namespace", "namespaces", False, ("ns",),
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
        subresources=(
            Subresource("finalize", "Namespace", ("update",)),
            _status("Namespace"),
        ),
    ),
    Resource(
        "", "v1", "Node", "nodes", False, ("no",), storage_resource="minions",
        subresources=(Subresource("proxy", "NodeProxyOptions", _CONNECT), _status("Node")),
    ),
    Resource(
        "", "v1", "Pod", "pods", True, ("po",), ("all",),
        subresources=(
            Subresource("attach", "PodAttachOptions", ("create", "get")),
            Subresource("binding", "Binding", ("create",)),
            Subresource("ephemeralcontainers", "Pod", STATUS_VERBS),
            Subresource("eviction", "Eviction", ("create",), "policy", "v1"),
            Subresource("exec", "PodExecOptions", ("create", "get")),
            Subresource("log", "Pod", ("get",)),
            Subresource("portforward", "PodPortForwardOptions", ("create", "get")),
            Subresource("proxy", "PodProxyOptions", _CONNECT),
            _status("Pod"),
        ),
    ),
    Resource(
        "", "v1", "ReplicationController", "replicationcontrollers", True, ("rc",), ("all",),
        storage_resource="controllers", subresources=(_scale(), _status("ReplicationController")),
    ),
    Resource("", "v1", "Secret", "secrets", True),
    Resource(
        "", "v1", "ServiceAccount", "serviceaccounts", True, ("sa",),
        subresources=(Subresource("token", "TokenRequest", ("create",), "authentication.k8s.io", "v1"),),
    ),
    Resource(
        "", "v1", "Service", "services", True, ("svc",), ("all",), storage_resource="services/specs",
        subresources=(Subresource("proxy", "ServiceProxyOptions", _CONNECT), _status("Service")),
    ),
    # ---- apps/v1
    Resource(
        "apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), ("all",),
        subresources=(_status("DaemonSet", "apps"),),
    ),
    Resource(
        "apps", "v1", "Deployment", "deployments", True, ("deploy",), ("all",),
        subresources=(_scale(), _status("Deployment", "apps")),
    ),
    Resource(
        "apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), ("all",),
        subresources=(_scale(), _status("ReplicaSet", "apps")),
    ),
    Resource(
        "apps", "v1", "StatefulSet", "statefulsets", True, ("sts",), ("all",),
        subresources=(_scale(), _status("StatefulSet", "apps")),
    ),
    # ---- events.k8s.io/v1 (stored as core/v1 Event, as in Kubernetes)
    Resource("events.k8s.io", "v1", "Event", "events", True, ("ev",), storage_gvk=("", "v1", "Event")),
    # ---- batch/v1
    Resource(
        "batch", "v1", "CronJob", "cronjobs", True, ("cj",), ("all",),
        subresources=(_status("CronJob", "batch"),),
    ),
    Resource("batch", "v1", "Job", "jobs", True, (), ("all",), subresources=(_status("Job", "batch"),)),
    # ---- coordination.k8s.io/v1
    Resource("coordination.k8s.io", "v1", "Lease", "leases", True),
    # ---- discovery.k8s.io/v1
    Resource("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True),
)


class Registry:
    """Immutable index over a tuple of :class:`Resource`; build once, share freely."""

    def __init__(self, resources: tuple[Resource, ...]) -> None:
        self._all = resources
        self._by_gvr = {(r.group, r.version, r.plural): r for r in resources}
        self._by_gvk = {r.gvk: r for r in resources}
        self._gvs: list[tuple[str, str]] = []
        for r in resources:
            if (r.group, r.version) not in self._gvs:
                self._gvs.append((r.group, r.version))

    def __iter__(self) -> Iterator[Resource]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def by_gvr(self, group: str, version: str, plural: str) -> Resource | None:
        return self._by_gvr.get((group, version, plural))

    def by_gvk(self, group: str, version: str, kind: str) -> Resource | None:
        return self._by_gvk.get((group, version, kind))

    def by_api_version_kind(self, api_version: str, kind: str) -> Resource | None:
        """Lookup by an object's own ``apiVersion``/``kind`` (``"apps/v1"``, ``"Deployment"``)."""
        group, _, version = api_version.rpartition("/")
        return self.by_gvk(group, version, kind)

    def by_kind(self, kind: str) -> Resource | None:
        """First resource with this kind; the core group wins ties (``Event``)."""
        for r in self._all:
            if r.kind == kind:
                return r
        return None

    def by_short_name(self, name: str) -> Resource | None:
        for r in self._all:
            if name in r.short_names:
                return r
        return None

    def resolve(self, name: str) -> Resource | None:
        """A kubectl-style name: plural, singular or short name, optionally ``plural.group``."""
        base, _, group = name.partition(".")
        for r in self._all:
            if group and r.group != group:
                continue
            if base in (r.plural, r.singular) or base in r.short_names:
                return r
        return None

    def group_versions(self) -> list[tuple[str, str]]:
        """Every served (group, version), core first, in registry order."""
        return list(self._gvs)

    def groups(self) -> list[str]:
        """Every served API group name except core (``""``), in discovery order."""
        return [g for g, _ in self._gvs if g]

    def in_group_version(self, group: str, version: str) -> list[Resource]:
        return [r for r in self._all if r.group == group and r.version == version]

    def with_category(self, category: str) -> list[Resource]:
        """Resources carrying a category (``all``), in discovery order, as ``kubectl get all`` expands."""
        return [r for r in self._all if category in r.categories]


REGISTRY = Registry(_RESOURCES)
