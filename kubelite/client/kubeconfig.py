"""Kubeconfig parsing: clusters, users and contexts resolved into one typed :class:`ClientConfig`.

Parsing is pure (:func:`parse_kubeconfig` takes the decoded YAML and the file's directory); only
:func:`load_kubeconfig` reads the file. As kubectl does, relative ``certificate-authority``,
``client-certificate``, ``client-key`` and ``tokenFile`` paths are relative to the kubeconfig's
directory, and ``*-data`` fields (base64) win over their file counterparts.

Supported: ``server``, ``certificate-authority(-data)``, ``insecure-skip-tls-verify``, ``tls-server-name``,
``client-certificate(-data)``, ``client-key(-data)``, ``token``, ``tokenFile``, ``username``/``password``
(basic auth), the context's ``namespace``, and ``current-context``. Not supported: exec and auth-provider
plugins (an error says so rather than silently connecting anonymously).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

JsonDict = dict[str, Any]


class KubeconfigError(ValueError):
    """The kubeconfig is malformed or names something it does not define."""


@dataclass(frozen=True)
class ClientConfig:
    """Everything needed to reach one API server as one user. Secrets are excluded from ``repr``."""

    server: str
    namespace: str = "default"
    ca_data: bytes | None = field(default=None, repr=False)
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    client_cert_data: bytes | None = field(default=None, repr=False)
    client_key_data: bytes | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    # Where ``token`` came from, re-read periodically: ServiceAccount tokens are rotated on disk.
    token_file: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def uses_tls(self) -> bool:
        return self.server.startswith("https://")


@dataclass(frozen=True)
class Kubeconfig:
    """The decoded file: named clusters, users and contexts, and the current context's name."""

    clusters: dict[str, JsonDict]
    users: dict[str, JsonDict]
    contexts: dict[str, JsonDict]
    current_context: str
    base_dir: Path

    def resolve(self, context: str | None = None) -> ClientConfig:
        """The :class:`ClientConfig` of ``context`` (default: ``current-context``)."""
        name = context or self.current_context
        if not name:
            raise KubeconfigError("current-context is not set and no context was given")
        ctx = self.contexts.get(name)
        if ctx is None:
            raise KubeconfigError(f"context {name!r} not found")
        cluster_name = ctx.get("cluster") or ""
        cluster = self.clusters.get(cluster_name)
        if cluster is None:
            raise KubeconfigError(f"cluster {cluster_name!r} of context {name!r} not found")
        user_name = ctx.get("user") or ""
        user = self.users.get(user_name, {}) if user_name else {}
        if user_name and user_name not in self.users:
            raise KubeconfigError(f"user {user_name!r} of context {name!r} not found")
        if user.get("exec") or user.get("auth-provider"):
            raise KubeconfigError(f"user {user_name!r}: exec and auth-provider plugins are not supported")
        server = str(cluster.get("server") or "")
        if not server:
            raise KubeconfigError(f"cluster {cluster_name!r} has no server")
        return ClientConfig(
            server=server.rstrip("/"),
            namespace=str(ctx.get("namespace") or "default"),
            ca_data=self._data_or_file(cluster, "certificate-authority"),
            insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify", False)),
            tls_server_name=cluster.get("tls-server-name") or None,
            client_cert_data=self._data_or_file(user, "client-certificate"),
            client_key_data=self._data_or_file(user, "client-key"),
            token=self._token(user),
            token_file=None if user.get("token") or not user.get("tokenFile")
            else str(self._path(str(user["tokenFile"]))),
            username=user.get("username") or None,
            password=user.get("password") or None,
        )

    def _path(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    def _data_or_file(self, section: JsonDict, name: str) -> bytes | None:
        data = section.get(f"{name}-data")
        if data:
            try:
                return base64.b64decode(str(data), validate=True)
            except (binascii.Error, ValueError) as err:
                raise KubeconfigError(f"{name}-data is not valid base64: {err}") from None
        path = section.get(name)
        if path:
            try:
                return self._path(str(path)).read_bytes()
            except OSError as err:
                raise KubeconfigError(f"{name}: cannot read {path}: {err.strerror}") from None
        return None

    def _token(self, user: JsonDict) -> str | None:
        if user.get("token"):
            return str(user["token"])
        token_file = user.get("tokenFile")
        if token_file:
            try:
                return self._path(str(token_file)).read_text().strip()
            except OSError as err:
                raise KubeconfigError(f"tokenFile: cannot read {token_file}: {err.strerror}") from None
        return None


def _named(doc: JsonDict, section: str, inner: str) -> dict[str, JsonDict]:
    out: dict[str, JsonDict] = {}
    for entry in doc.get(section) or []:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise KubeconfigError(f"{section}: every entry needs a name")
        body = entry.get(inner) or {}
        if not isinstance(body, dict):
            raise KubeconfigError(f"{section}[{entry['name']}].{inner} must be a mapping")
        out[str(entry["name"])] = body
    return out


def parse_kubeconfig(doc: Any, base_dir: Path) -> Kubeconfig:
    """Decode an already-parsed kubeconfig document; ``base_dir`` anchors relative paths."""
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise KubeconfigError("a kubeconfig must be a mapping")
    return Kubeconfig(
        clusters=_named(doc, "clusters", "cluster"),
        users=_named(doc, "users", "user"),
        contexts=_named(doc, "contexts", "context"),
        current_context=str(doc.get("current-context") or ""),
        base_dir=base_dir,
    )


def load_kubeconfig(path: str | Path) -> Kubeconfig:
    """Read and parse the kubeconfig at ``path``."""
    p = Path(path).expanduser()
    try:
        text = p.read_text()
    except OSError as err:
        raise KubeconfigError(f"cannot read kubeconfig {p}: {err.strerror}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise KubeconfigError(f"kubeconfig {p} is not valid YAML: {err}") from None
    return parse_kubeconfig(doc, p.parent.resolve())


SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


def in_cluster_config(env: Mapping[str, str], sa_dir: Path = SERVICE_ACCOUNT_DIR) -> ClientConfig:
    """The config of a process running in a pod: ``KUBERNETES_SERVICE_HOST``/``_PORT`` plus the
    ServiceAccount token, CA and namespace mounted at ``sa_dir`` (``rest.InClusterConfig``)."""
    host, port = env.get("KUBERNETES_SERVICE_HOST"), env.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        raise KubeconfigError("not running in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set")
    try:
        token = (sa_dir / "token").read_text().strip()
        ca = (sa_dir / "ca.crt").read_bytes()
    except OSError as err:
        raise KubeconfigError(f"in-cluster credentials unreadable: {err.filename}: {err.strerror}") from None
    try:
        namespace = (sa_dir / "namespace").read_text().strip() or "default"
    except OSError:
        namespace = "default"
    bracketed = f"[{host}]" if ":" in host else host  # IPv6
    return ClientConfig(server=f"https://{bracketed}:{port}", namespace=namespace, ca_data=ca, token=token,
                        token_file=str(sa_dir / "token"))


def merge_kubeconfigs(configs: list[Kubeconfig]) -> Kubeconfig:
    """kubectl's merge of ``KUBECONFIG=a:b``: the first file defining a name wins, as does the first
    ``current-context``. Relative paths stay relative to the file that held them: entries are resolved
    against their own file's directory before merging."""
    if not configs:
        raise KubeconfigError("no kubeconfig files to merge")
    clusters: dict[str, JsonDict] = {}
    users: dict[str, JsonDict] = {}
    contexts: dict[str, JsonDict] = {}
    current = ""
    for cfg in configs:
        for name, body in cfg.clusters.items():
            clusters.setdefault(name, _absolute(body, cfg.base_dir, ("certificate-authority",)))
        for name, body in cfg.users.items():
            users.setdefault(name, _absolute(body, cfg.base_dir, ("client-certificate", "client-key", "tokenFile")))
        for name, body in cfg.contexts.items():
            contexts.setdefault(name, body)
        current = current or cfg.current_context
    return Kubeconfig(clusters, users, contexts, current, configs[0].base_dir)


def _absolute(section: JsonDict, base: Path, keys: tuple[str, ...]) -> JsonDict:
    out = dict(section)
    for key in keys:
        value = out.get(key)
        if value and not Path(str(value)).expanduser().is_absolute():
            out[key] = str(base / str(value))
    return out


def default_client_config(env: Mapping[str, str], *, context: str | None = None,
                          home: Path | None = None) -> ClientConfig:
    """kubectl's loading rules: ``$KUBECONFIG`` (a ``:``-separated list, merged), else
    ``~/.kube/config``, else the in-cluster ServiceAccount."""
    listed = [p for p in (env.get("KUBECONFIG") or "").split(":") if p]
    if listed:
        existing = [Path(p).expanduser() for p in listed if Path(p).expanduser().exists()]
        if not existing:
            raise KubeconfigError(f"none of the KUBECONFIG files exist: {env['KUBECONFIG']}")
        return merge_kubeconfigs([load_kubeconfig(p) for p in existing]).resolve(context)
    default = (home or Path.home()) / ".kube" / "config"
    if default.exists():
        return load_kubeconfig(default).resolve(context)
    return in_cluster_config(env)
