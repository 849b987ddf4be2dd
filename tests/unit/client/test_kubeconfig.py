import base64
from pathlib import Path

import pytest

from kubelite.client.kubeconfig import KubeconfigError, load_kubeconfig, parse_kubeconfig

pytestmark = pytest.mark.unit


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


DOC = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [
        {"name": "c1", "cluster": {"server": "https://10.0.0.1:6443/", "certificate-authority-data": b64(b"CA1")}},
        {"name": "c2", "cluster": {"server": "https://c2", "certificate-authority": "ca.crt",
                                    "tls-server-name": "api.local"}},
        {"name": "c3", "cluster": {"server": "https://c3", "insecure-skip-tls-verify": True}},
    ],
    "users": [
        {"name": "tok", "user": {"token": "secret-token"}},
        {"name": "cert", "user": {"client-certificate": "client.crt", "client-key-data": b64(b"KEY")}},
        {"name": "tf", "user": {"tokenFile": "/nonexistent/token"}},
        {"name": "plugin", "user": {"exec": {"command": "aws"}}},
    ],
    "contexts": [
        {"name": "one", "context": {"cluster": "c1", "user": "tok", "namespace": "team"}},
        {"name": "two", "context": {"cluster": "c2", "user": "cert"}},
        {"name": "three", "context": {"cluster": "c3", "user": "tf"}},
        {"name": "plug", "context": {"cluster": "c1", "user": "plugin"}},
        {"name": "lost", "context": {"cluster": "nope", "user": "tok"}},
    ],
    "current-context": "one",
}


def test_current_context_with_data_fields(tmp_path: Path) -> None:
    cfg = parse_kubeconfig(DOC, tmp_path).resolve()
    assert cfg.server == "https://10.0.0.1:6443"
    assert cfg.ca_data == b"CA1"
    assert cfg.token == "secret-token"
    assert cfg.namespace == "team"
    assert cfg.uses_tls
    assert "secret-token" not in repr(cfg)


def test_relative_files_resolve_against_kubeconfig_dir(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_bytes(b"CA2")
    (tmp_path / "client.crt").write_bytes(b"CERT")
    cfg = parse_kubeconfig(DOC, tmp_path).resolve("two")
    assert cfg.ca_data == b"CA2"
    assert cfg.client_cert_data == b"CERT"
    assert cfg.client_key_data == b"KEY"
    assert cfg.tls_server_name == "api.local"
    assert cfg.namespace == "default"
    assert cfg.token is None


def test_errors_name_the_problem(tmp_path: Path) -> None:
    kc = parse_kubeconfig(DOC, tmp_path)
    with pytest.raises(KubeconfigError, match="tokenFile"):
        kc.resolve("three")
    with pytest.raises(KubeconfigError, match="not supported"):
        kc.resolve("plug")
    with pytest.raises(KubeconfigError, match="cluster 'nope'"):
        kc.resolve("lost")
    with pytest.raises(KubeconfigError, match="context 'missing' not found"):
        kc.resolve("missing")
    with pytest.raises(KubeconfigError, match=r"ca\.crt"):
        kc.resolve("two")  # ca.crt does not exist in tmp_path
    with pytest.raises(KubeconfigError, match="current-context"):
        parse_kubeconfig({}, tmp_path).resolve()
    with pytest.raises(KubeconfigError, match="base64"):
        parse_kubeconfig({"clusters": [{"name": "x", "cluster": {"server": "https://x",
                          "certificate-authority-data": "!!!"}}], "contexts": [{"name": "x", "context":
                          {"cluster": "x"}}]}, tmp_path).resolve("x")


def test_insecure_and_token_file(tmp_path: Path) -> None:
    (tmp_path / "tok").write_text("from-file\n")
    doc = {
        "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:8080", "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"tokenFile": "tok"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    path = tmp_path / "config"
    import yaml

    path.write_text(yaml.safe_dump(doc))
    cfg = load_kubeconfig(path).resolve()
    assert cfg.token == "from-file"
    assert cfg.insecure_skip_tls_verify
    assert not cfg.uses_tls
    with pytest.raises(KubeconfigError, match="cannot read"):
        load_kubeconfig(tmp_path / "missing")


def test_in_cluster_config(tmp_path: Path) -> None:
    from kubelite.client.kubeconfig import in_cluster_config

    (tmp_path / "token").write_text("sa-token\n")
    (tmp_path / "ca.crt").write_bytes(b"CA")
    (tmp_path / "namespace").write_text("team")
    env = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    cfg = in_cluster_config(env, tmp_path)
    assert (cfg.server, cfg.token, cfg.ca_data, cfg.namespace) == ("https://10.96.0.1:443", "sa-token", b"CA", "team")
    assert in_cluster_config({"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"},
                             tmp_path).server == "https://[fd00::1]:6443"
    with pytest.raises(KubeconfigError, match="not running in a cluster"):
        in_cluster_config({}, tmp_path)
    with pytest.raises(KubeconfigError, match="unreadable"):
        in_cluster_config(env, tmp_path / "missing")


def test_kubeconfig_env_list_is_merged_first_wins(tmp_path: Path) -> None:
    import yaml

    from kubelite.client.kubeconfig import default_client_config

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (b / "ca.crt").write_bytes(b"CA-B")
    (a / "config").write_text(yaml.safe_dump({
        "clusters": [{"name": "shared", "cluster": {"server": "https://from-a"}}],
        "users": [{"name": "u", "user": {"token": "tok-a"}}],
        "contexts": [{"name": "ctx-a", "context": {"cluster": "shared", "user": "u"}}],
    }))
    (b / "config").write_text(yaml.safe_dump({
        "clusters": [{"name": "shared", "cluster": {"server": "https://from-b"}},
                     {"name": "only-b", "cluster": {"server": "https://b", "certificate-authority": "ca.crt"}}],
        "contexts": [{"name": "ctx-b", "context": {"cluster": "only-b", "user": "u"}}],
        "current-context": "ctx-b",
    }))
    env = {"KUBECONFIG": f"{a / 'config'}:{tmp_path / 'nope'}:{b / 'config'}"}
    cfg = default_client_config(env)
    assert cfg.server == "https://b" and cfg.token == "tok-a"
    assert cfg.ca_data == b"CA-B", "relative paths resolve against the file that held them"
    assert default_client_config(env, context="ctx-a").server == "https://from-a"
    with pytest.raises(KubeconfigError, match="none of the KUBECONFIG"):
        default_client_config({"KUBECONFIG": str(tmp_path / "nope")})
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    doc = yaml.safe_load((a / "config").read_text())
    doc["current-context"] = "ctx-a"
    (home / ".kube" / "config").write_text(yaml.safe_dump(doc))
    assert default_client_config({}, home=home).server == "https://from-a"
