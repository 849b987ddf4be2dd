import orjson
import pytest

from kubelite.api.resources import REGISTRY
from kubelite.apiserver import discovery, negotiation

pytestmark = pytest.mark.unit

K132 = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")
K129 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
TABLE = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
         "application/json")


def test_negotiates_the_offered_version() -> None:
    assert discovery.negotiate_aggregated(K132) == "v2"
    assert discovery.negotiate_aggregated(K129) == "v2beta1"
    assert discovery.negotiate_aggregated("application/json") is None


def test_aggregated_core_has_pods_with_short_names_and_categories() -> None:
    doc = orjson.loads(discovery.aggregated(REGISTRY, core=True, version="v2"))
    assert doc["apiVersion"] == "apidiscovery.k8s.io/v2"
    [core] = doc["items"]
    assert core["metadata"] == {}
    pods = next(r for r in core["versions"][0]["resources"] if r["resource"] == "pods")
    assert pods["shortNames"] == ["po"] and pods["categories"] == ["all"]
    assert pods["scope"] == "Namespaced"


def test_aggregated_groups_include_apps_scale() -> None:
    doc = orjson.loads(discovery.aggregated(REGISTRY, core=False, version="v2beta1"))
    apps = next(i for i in doc["items"] if i["metadata"]["name"] == "apps")
    deploy = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    scale = next(s for s in deploy["subresources"] if s["subresource"] == "scale")
    assert scale["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}


def test_legacy_resource_list_names_subresources() -> None:
    doc = orjson.loads(discovery.legacy_resource_list(REGISTRY, "", "v1"))
    names = {r["name"] for r in doc["resources"]}
    assert {"pods", "pods/eviction", "pods/status", "namespaces"} <= names


def test_table_accept() -> None:
    assert negotiation.wants_table(TABLE)
    assert not negotiation.wants_table("application/json")
    assert not negotiation.wants_table("application/vnd.kubernetes.protobuf,application/json")
