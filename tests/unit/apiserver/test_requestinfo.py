import pytest

from kubelite.apiserver.requestinfo import NotAResourcePathError, RequestInfo, parse_path

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("path", "want"), [
    ("/api/v1/pods", RequestInfo("", "v1", "pods")),
    ("/api/v1/namespaces/default/pods", RequestInfo("", "v1", "pods", "default")),
    ("/api/v1/namespaces/default/pods/web", RequestInfo("", "v1", "pods", "default", "web")),
    ("/api/v1/namespaces/default/pods/web/status", RequestInfo("", "v1", "pods", "default", "web", "status")),
    ("/api/v1/namespaces", RequestInfo("", "v1", "namespaces")),
    ("/api/v1/namespaces/kube-system", RequestInfo("", "v1", "namespaces", "", "kube-system")),
    ("/api/v1/namespaces/x/finalize", RequestInfo("", "v1", "namespaces", "", "x", "finalize")),
    ("/api/v1/namespaces/x/status", RequestInfo("", "v1", "namespaces", "", "x", "status")),
    ("/apis/apps/v1/namespaces/d/deployments/x/scale",
     RequestInfo("apps", "v1", "deployments", "d", "x", "scale")),
    ("/api/v1/nodes/n1", RequestInfo("", "v1", "nodes", "", "n1")),
])
def test_parse(path: str, want: RequestInfo) -> None:
    assert parse_path(path) == want


@pytest.mark.parametrize("path", ["/", "/api", "/apis/apps", "/healthz", "/apis/apps/v1",
                                  "/api/v1/namespaces/d/pods/x/status/extra"])
def test_not_resource(path: str) -> None:
    with pytest.raises(NotAResourcePathError):
        parse_path(path)
