"""What the EndpointSliceMirroring controller mirrors: selectorless Services' Endpoints, subset by subset."""

import pytest

from kubelite.controllers.endpointslicemirroring.compute import mirrored_slices, should_mirror

pytestmark = pytest.mark.unit

EXTERNAL = {"metadata": {"name": "external-service"}, "spec": {"ports": [{"port": 80}]}}
ENDPOINTS = {"metadata": {"name": "external-service"},
             "subsets": [{"addresses": [{"ip": "11.11.11.11"}, {"ip": "22.22.22.22", "nodeName": "n1"}],
                          "notReadyAddresses": [{"ip": "33.33.33.33"}],
                          "ports": [{"port": 80}]},
                         {"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 81}]}]}


def test_only_selectorless_services_not_marked_skip() -> None:
    assert should_mirror(EXTERNAL, ENDPOINTS)
    assert not should_mirror({**EXTERNAL, "spec": {"selector": {"app": "x"}}}, ENDPOINTS)
    assert not should_mirror({**EXTERNAL, "spec": {"type": "ExternalName"}}, ENDPOINTS)
    assert not should_mirror(None, ENDPOINTS) and not should_mirror(EXTERNAL, None)
    skip = {**ENDPOINTS, "metadata": {"labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}}}
    assert not should_mirror(EXTERNAL, skip)


def test_each_ipv4_subset_becomes_a_slice() -> None:
    (body,) = mirrored_slices(ENDPOINTS)  # the IPv6-only subset is not an IPv4 slice
    assert body["ports"] == [{"name": "", "port": 80, "protocol": "TCP"}]
    ready = {e["addresses"][0]: e["conditions"]["ready"] for e in body["endpoints"]}
    assert ready == {"11.11.11.11": True, "22.22.22.22": True, "33.33.33.33": False}
    assert next(e for e in body["endpoints"] if e["addresses"] == ["22.22.22.22"])["nodeName"] == "n1"
