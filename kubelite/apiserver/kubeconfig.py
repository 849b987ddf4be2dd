"""Writes ``DATA_DIR/kubeconfig`` so real kubectl reaches the server with no questions asked.

kubectl prompts for a username over HTTPS when the kubeconfig user holds no credential, and fails without
a tty, so the admin token is always written. The CA is embedded so verification works, and the file is
mode 0600 because it holds a credential.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import yaml


def kubeconfig_text(server: str, token: str, *, ca_pem: bytes | None = None,
                    cluster: str = "kubelite") -> str:
    cluster_entry: dict[str, object] = {"server": server}
    if ca_pem is not None:
        cluster_entry["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": cluster_entry}],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": "admin",
                                                   "namespace": "default"}}],
        "current-context": cluster,
        "preferences": {},
    }
    return yaml.safe_dump(doc, sort_keys=False)


def write_kubeconfig(path: Path, server: str, token: str, *, ca_pem: bytes | None = None) -> Path:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(kubeconfig_text(server, token, ca_pem=ca_pem))
    os.replace(tmp, path)
    return path
