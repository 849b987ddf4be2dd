"""Pod volumes on the node: each volume becomes a host directory that containers bind-mount.

Layout (under the kubelet's state directory)::

    <root>/kubelet/pods/<pod uid>/
      etc-hosts                         the pod's /etc/hosts
      volumes/empty-dir/<name>/         emptyDir (shared by every container of the pod)
      volumes/configmap/<name>/<key>    configMap items (updates follow, see below)
      volumes/secret/<name>/<key>       secret items (decoded)
      volumes/downward-api/<name>/      downwardAPI items (fieldRef; labels/annotations as key="value")
      volumes/projected/<name>/         projected sources merged (configMap, secret, downwardAPI,
                                        serviceAccountToken from a TokenRequest the worker made)

configMap and secret volumes are rewritten at every sync of a running pod (files whose content is
unchanged are left alone), so updates reach containers within a sync period, as with Kubernetes'
atomic writer (minus its symlink swap: a reader may see one file updated before another).
``hostPath`` volumes are the host's path itself (created for ``DirectoryOrCreate``/``FileOrCreate``).
Secret volumes and ``emptyDir`` with ``medium: Memory`` are tmpfs mounts when the agent asks for it.
A missing ConfigMap or Secret that is not ``optional`` raises :class:`VolumeError`: the pod waits in
ContainerCreating with a FailedMount event, as with Kubernetes.
"""

from __future__ import annotations

import base64
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from typing import Any

from kubelite.kubelet.envvars import ConfigError, field_value

JsonDict = dict[str, Any]
Lookup = Callable[[str, str, str], JsonDict | None]


class VolumeError(Exception):
    """A volume cannot be set up (its source is missing or invalid); ``volume`` names it once known."""

    volume: str = ""


def pod_dir(root: str, uid: str) -> str:
    return os.path.join(root, "kubelet", "pods", uid)


def _write_items(directory: str, data: dict[str, bytes], items: list[JsonDict] | None, mode: int) -> None:
    os.makedirs(directory, exist_ok=True)
    wanted: dict[str, str] = {str(i["key"]): str(i.get("path", i["key"])) for i in items} if items \
        else {k: k for k in data}
    written = set()
    for key, rel in wanted.items():
        if key not in data:
            continue
        path = os.path.join(directory, rel)
        written.add(rel)
        if _same(path, data[key], mode):
            continue  # re-syncs compare first: an unchanged volume costs reads, not writes
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data[key])
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    for name in os.listdir(directory):
        if name not in written and os.path.isfile(os.path.join(directory, name)):
            os.unlink(os.path.join(directory, name))


def _same(path: str, data: bytes, mode: int) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read() == data and (os.fstat(fh.fileno()).st_mode & 0o777) == mode
    except OSError:
        return False


def _source_data(kind: str, obj: JsonDict) -> dict[str, bytes]:
    data = {k: str(v).encode() for k, v in (obj.get("data") or {}).items()} if kind == "ConfigMap" else \
        {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
    if kind == "ConfigMap":
        data |= {k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()}
    else:
        data |= {k: str(v).encode() for k, v in (obj.get("stringData") or {}).items()}
    return data


def _from_object(base: str, kind: str, namespace: str, source: JsonDict, lookup: Lookup, *,
                 name: str, default_mode: int) -> str:
    obj = lookup(kind, namespace, name)
    directory = os.path.join(base, kind.lower(), source.get("_volume", name))
    if obj is None:
        if source.get("optional"):
            os.makedirs(directory, exist_ok=True)
            return directory
        raise VolumeError(f'{kind.lower()} "{name}" not found')
    _write_items(directory, _source_data(kind, obj), source.get("items"),
                 int(source.get("defaultMode", default_mode)))
    return directory


def _map_text(values: dict[str, str]) -> str:
    """labels/annotations as the downward API writes them: ``key="value"`` lines, sorted."""
    return "".join(f'{k}="{v}"\n' for k, v in sorted(values.items()))


def _downward_data(pod: JsonDict, items: list[JsonDict]) -> dict[str, bytes]:
    meta = pod.get("metadata") or {}
    out: dict[str, bytes] = {}
    for item in items:
        path = item.get("path", "")
        ref = (item.get("fieldRef") or {}).get("fieldPath", "")
        if ref in ("metadata.labels", "metadata.annotations"):
            out[path] = _map_text(meta.get(ref.split(".")[1]) or {}).encode()
        elif ref:
            try:
                out[path] = field_value(ref, pod).encode()
            except ConfigError as err:
                raise VolumeError(str(err)) from None
    return out


def _projected_data(pod: JsonDict, namespace: str, sources: list[JsonDict], lookup: Lookup) -> dict[str, bytes]:
    """Every source of a projected volume merged into one file set (later sources win)."""
    out: dict[str, bytes] = {}
    for src in sources:
        if "configMap" in src or "secret" in src:
            kind, ref = ("ConfigMap", src["configMap"]) if "configMap" in src else ("Secret", src["secret"])
            obj = lookup(kind, namespace, ref.get("name", ""))
            if obj is None:
                if ref.get("optional"):
                    continue
                raise VolumeError(f'{kind.lower()} "{ref.get("name")}" not found')
            data = _source_data(kind, obj)
            wanted = {i["key"]: i.get("path", i["key"]) for i in ref.get("items") or []} or {k: k for k in data}
            out |= {rel: data[key] for key, rel in wanted.items() if key in data}
        elif "downwardAPI" in src:
            out |= _downward_data(pod, src["downwardAPI"].get("items") or [])
        elif "serviceAccountToken" in src:
            # The worker requested the token (TokenRequest) and hands it over through the lookup.
            token = lookup("ServiceAccountToken", namespace, (pod.get("spec") or {}).get("serviceAccountName")
                           or "default")
            if token is None:
                raise VolumeError("service account token is not available yet")
            out[src["serviceAccountToken"].get("path", "token")] = str(token.get("token", "")).encode()
    return out


def _on_tmpfs(path: str) -> None:
    """Mount a tmpfs on ``path`` once (secrets and ``medium: Memory`` never touch the disk)."""
    os.makedirs(path, exist_ok=True)
    if os.path.ismount(path):
        return
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", path],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise VolumeError(f"cannot mount tmpfs on {path}: {done.stderr.strip()}")


# hostPath types -> (a test of st_mode, what the kubelet says the path is not).
_HOST_PATH_TYPES: dict[str, tuple[Callable[[int], bool], str]] = {
    "Directory": (stat.S_ISDIR, "a directory"),
    "DirectoryOrCreate": (stat.S_ISDIR, "a directory"),
    "File": (stat.S_ISREG, "a file"),
    "FileOrCreate": (stat.S_ISREG, "a file"),
    "Socket": (stat.S_ISSOCK, "a socket file"),
    "CharDevice": (stat.S_ISCHR, "a character device"),
    "BlockDevice": (stat.S_ISBLK, "a block device"),
}


def _check_host_path(path: str, kind: str) -> None:
    """The kubelet's hostPath ``type`` check: ``...OrCreate`` creates what is missing, the others
    require the path to exist as that kind (an empty type checks nothing)."""
    if kind == "DirectoryOrCreate" and not os.path.lexists(path):
        os.makedirs(path, exist_ok=True)
    elif kind == "FileOrCreate" and not os.path.lexists(path):
        os.makedirs(os.path.dirname(path) or "/", exist_ok=True)
        open(path, "a").close()
    check = _HOST_PATH_TYPES.get(kind)
    if check is None:
        return
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0
    if not check[0](mode):
        raise VolumeError(f"hostPath type check failed: {path} is not {check[1]}")


def prepare_volumes(root: str, pod: JsonDict, lookup: Lookup, *, tmpfs: bool = False) -> dict[str, str]:
    """Set up every volume of ``pod`` and return volume name -> host path (blocking file I/O).

    With ``tmpfs`` (the agent, as root) secret volumes and ``emptyDir.medium: Memory`` are tmpfs
    mounts, as with Kubernetes; :func:`remove_pod_dir` unmounts them."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    namespace = meta.get("namespace", "default")
    base = os.path.join(pod_dir(root, meta.get("uid", "")), "volumes")
    out: dict[str, str] = {}
    for vol in spec.get("volumes") or []:
        name = vol.get("name", "")
        try:
            path = _prepare_one(base, namespace, pod, vol, lookup, tmpfs=tmpfs)
        except VolumeError as err:
            err.volume = name  # the kubelet's event names the volume
            raise
        if path is not None:
            out[name] = path
    return out


def _prepare_one(base: str, namespace: str, pod: JsonDict, vol: JsonDict, lookup: Lookup, *,
                 tmpfs: bool) -> str | None:
    """One volume's host path, set up; None for a type we do not support."""
    name = vol.get("name", "")
    if "emptyDir" in vol:
        path = os.path.join(base, "empty-dir", name)
        if tmpfs and (vol["emptyDir"] or {}).get("medium") == "Memory":
            _on_tmpfs(path)
        os.makedirs(path, exist_ok=True)
        os.chmod(path, 0o777)
    elif "hostPath" in vol:
        hp = vol["hostPath"]
        path = hp.get("path", "")
        _check_host_path(path, hp.get("type", ""))
    elif "configMap" in vol:
        src = {**vol["configMap"], "_volume": name}
        path = _from_object(base, "ConfigMap", namespace, src, lookup, name=src.get("name", ""),
                            default_mode=0o644)
    elif "secret" in vol:
        if tmpfs:
            _on_tmpfs(os.path.join(base, "secret", name))
        src = {**vol["secret"], "_volume": name}
        path = _from_object(base, "Secret", namespace, src, lookup, name=src.get("secretName", ""),
                            default_mode=0o644)
    elif "downwardAPI" in vol:
        path = os.path.join(base, "downward-api", name)
        src = vol["downwardAPI"]
        _write_items(path, _downward_data(pod, src.get("items") or []), None,
                     int(src.get("defaultMode", 0o644)))
    elif "projected" in vol:
        path = os.path.join(base, "projected", name)
        src = vol["projected"]
        _write_items(path, _projected_data(pod, namespace, src.get("sources") or [], lookup), None,
                     int(src.get("defaultMode", 0o644)))
    else:
        return None  # unsupported types are skipped; a mount of one fails as an unknown volume
    return path


def ensure_sub_paths(volumes: dict[str, str], container: JsonDict) -> None:
    """Create the ``subPath`` directories ``container`` mounts that its volumes do not have yet (the
    kubelet does, so a container may mount a part of an empty volume); one that resolves outside its
    volume (through a symlink the pod made) is refused."""
    for vm in container.get("volumeMounts") or []:
        sub, source = vm.get("subPath") or "", volumes.get(vm.get("name", ""))
        if not sub or source is None:
            continue
        base = os.path.realpath(source)
        target = os.path.realpath(os.path.join(source, sub))
        if target != base and not target.startswith(base + os.sep):
            raise VolumeError(f'subPath "{sub}" of volume "{vm.get("name")}" resolves outside the volume')
        if not os.path.lexists(target):
            os.makedirs(target, exist_ok=True)
            os.chmod(target, 0o777)


def has_synced_volumes(pod: JsonDict) -> bool:
    """Whether ``pod`` has volumes whose content follows API objects (configMap, secret, projected,
    downwardAPI: labels and annotations change)."""
    kinds = ("configMap", "secret", "projected", "downwardAPI")
    return any(any(k in v for k in kinds) for v in (pod.get("spec") or {}).get("volumes") or [])


def wants_token(pod: JsonDict) -> dict[str, Any] | None:
    """The first serviceAccountToken projection of ``pod`` (its audience/expiry), if any."""
    for vol in (pod.get("spec") or {}).get("volumes") or []:
        for src in (vol.get("projected") or {}).get("sources") or []:
            if "serviceAccountToken" in src:
                return dict(src["serviceAccountToken"])
    return None


def remove_pod_dir(root: str, uid: str) -> None:
    """Unmount the pod's tmpfs volumes (deepest first), then delete its directory."""
    top = os.path.abspath(pod_dir(root, uid)) + "/"
    try:
        with open("/proc/self/mounts") as fh:
            targets = [line.split()[1] for line in fh if line.split()[1].startswith(top)]
    except OSError:
        targets = []
    for target in sorted(targets, key=len, reverse=True):
        if subprocess.run(["umount", target], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", target], capture_output=True, check=False)
    shutil.rmtree(top, ignore_errors=True)
