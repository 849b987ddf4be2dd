"""Per-resource behaviour plugged into the generic store (Kubernetes' ``rest.RESTCreateStrategy`` and
friends): what is reset on create, what an update may change, how deletion is graceful, and the shape of
the scale subresource. :func:`strategy_for` picks one by resource."""

from __future__ import annotations

from kubelite.api.resources import Resource
from kubelite.apiserver.strategies.base import Strategy
from kubelite.apiserver.strategies.namespaces import NamespaceStrategy
from kubelite.apiserver.strategies.pods import PodStrategy
from kubelite.apiserver.strategies.services import ServiceStrategy
from kubelite.apiserver.strategies.workloads import WorkloadStrategy

_BY_RESOURCE: dict[tuple[str, str], type[Strategy]] = {
    ("", "pods"): PodStrategy,
    ("", "namespaces"): NamespaceStrategy,
    ("", "services"): ServiceStrategy,
    ("", "replicationcontrollers"): WorkloadStrategy,
    ("apps", "deployments"): WorkloadStrategy,
    ("apps", "replicasets"): WorkloadStrategy,
    ("apps", "statefulsets"): WorkloadStrategy,
    ("apps", "daemonsets"): WorkloadStrategy,
    ("batch", "jobs"): WorkloadStrategy,
    ("batch", "cronjobs"): WorkloadStrategy,
}

# PUT of a missing object creates it for these, as in Kubernetes (AllowCreateOnUpdate).
_CREATE_ON_UPDATE = {("", "endpoints"), ("", "events"), ("coordination.k8s.io", "leases"),
                     ("discovery.k8s.io", "endpointslices"), ("events.k8s.io", "events")}


def strategy_for(resource: Resource) -> Strategy:
    cls = _BY_RESOURCE.get((resource.group, resource.plural), Strategy)
    strategy = cls(resource)
    strategy.allow_create_on_update = (resource.group, resource.plural) in _CREATE_ON_UPDATE
    return strategy


__all__ = ["Strategy", "strategy_for"]
