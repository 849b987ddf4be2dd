"""The whole-build memo: an unchanged build answered from one small file, without planning again.

Why: a fully cached rebuild must take at most 0.15 s, and on this machine the interpreter alone takes
~50 ms and importing the planner, the OCI model and the image store another ~150 ms. So before
importing any of that, the CLI asks :func:`replay` whether the last build with the same request can be
reused as is. Only ``os``, ``json`` and ``zlib`` are needed.

A memo (``ROOT/build/memo/<request hash>.json``) holds what the build's result depended on, and it is
reused only if all of it is unchanged:

- the request: context and Dockerfile paths, tags, build args (values resolved), target;
- the bytes of the Dockerfile and of ``.dockerignore`` (kept in the memo and compared, never trusted
  by stat; comparing bytes also spares the fast path importing ``hashlib``);
- the stat (device, inode, size, mtime, ctime, mode) of every file and directory the COPY/ADD steps
  read (a directory's mtime changes when an entry is added, removed or renamed, so a new file in a
  copied tree is seen), where each source path resolved to (a symlink on the way may be re-pointed),
  and for wildcard sources the directories they were matched in. Other files of the context, and
  editors saving them, do not matter;
- the images: each base (FROM, ``COPY --from``) must still resolve to the same manifest and each of
  our tags still name our manifest (whose blobs an image store never deletes while it is named). The
  image index (``ROOT/images/index.json``, the image store's documented layout) is rewritten by every
  tag, rmi, load or build: when its stat is unchanged nothing is read; otherwise its ``refs`` and
  ``images`` are read and those facts checked, so building or tagging another image does not cost
  this build its memo.

Anything else falls back to the full build, whose own cache does the rest, so a memo can only make a
build faster, never different. A memo is not written when a file it depends on changed within the
file system's timestamp granularity of the build (the "racy git" problem: a second write in the same
clock tick would leave the stat unchanged). The replayed output is the one a fully cached build
prints (``---> Using cache`` for every step).
"""

from __future__ import annotations

import json
import os
import time
import zlib
from collections.abc import Iterable, Sequence

from kubelite.build.racy import is_racy, stat_key

MEMO_DIR = os.path.join("build", "memo")
INDEX = os.path.join("images", "index.json")


class Request:
    """What identifies a build for its memo (a plain class: importing dataclasses costs ~10 ms here)."""

    __slots__ = ("build_args", "context", "dockerfile", "tags", "target")

    def __init__(self, context: str, dockerfile: str, tags: Sequence[str], build_args: dict[str, str],
                 target: str | None) -> None:
        self.context = context
        self.dockerfile = dockerfile
        self.tags = list(tags)
        self.build_args = dict(build_args)
        self.target = target

    def key(self) -> str:
        """The request as one string, stored in the memo and compared on replay."""
        return json.dumps([self.context, self.dockerfile, sorted(self.tags), sorted(self.build_args.items()),
                           self.target])

    def id(self) -> str:
        """The memo's file name. A crc is enough: the memo holds :meth:`key` and a collision only
        makes two requests take turns at one memo, never reuse each other's."""
        key = self.key().encode()
        return f"{zlib.crc32(key):08x}{len(key):04x}"


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _text(data: bytes | None) -> str | None:
    """Bytes as a JSON-safe string, exactly (latin-1 maps every byte to one character)."""
    return None if data is None else data.decode("latin-1")


def _memo_path(root: str, rid: str) -> str:
    return os.path.join(root, MEMO_DIR, f"{rid}.json")


def replay(root: str, request: Request) -> tuple[list[str], str] | None:
    """The output lines and image id of an unchanged build, or ``None`` (then build normally)."""
    raw = _read(_memo_path(root, request.id()))
    if raw is None:
        return None
    try:
        memo = json.loads(raw)
        if memo["request"] != request.key():
            return None
        index = os.path.join(root, INDEX)
        if memo["index"] != stat_key(index) and not _images_unchanged(index, memo):
            return None
        if memo["dockerfile"] != _text(_read(request.dockerfile)):
            return None
        if memo["dockerignore"] != _text(_read(os.path.join(request.context, ".dockerignore"))):
            return None
        for path, key in memo["files"]:
            if stat_key(path) != key:
                return None
        for named, resolved in memo["resolved"]:
            if os.path.realpath(named) != resolved:
                return None
        return [str(line) for line in memo["lines"]], str(memo["image_id"])
    except (ValueError, KeyError, TypeError):
        return None


def _images_unchanged(index: str, memo: dict[str, object]) -> bool:
    """Whether every name the build used still names the same manifest, and every manifest it used
    is still registered."""
    raw = _read(index)
    if raw is None:
        return False
    data = json.loads(raw)
    refs, images = data.get("refs") or {}, data.get("images") or {}
    names = memo["names"]
    digests = memo["manifests"]
    if not isinstance(names, dict) or not isinstance(digests, list):
        return False
    return all(refs.get(name) == digest for name, digest in names.items()) and \
        all(digest in images for digest in digests)


def record(root: str, request: Request, *, files: Iterable[str], resolved: dict[str, str] | None = None,
           index_key: list[int] | None,
           lines: list[str], image_id: str, started_ns: int, now_ns: int | None = None,
           names: dict[str, str] | None = None, manifests: Iterable[str] = ()) -> bool:
    """Write the memo of a successful build; ``False`` when it would be unsafe (racy) to: a file
    changed since the build started or within a timestamp tick of now (``now_ns``, injectable).
    ``names`` maps each full image name the build resolved or tagged to its manifest digest;
    ``manifests`` are all the manifests it used (bases by id included, and its own)."""
    context, dockerfile = request.context, request.dockerfile
    watched = {p: stat_key(p) for p in {*files, dockerfile, os.path.join(context, ".dockerignore")}}
    now = time.time_ns() if now_ns is None else now_ns
    if index_key is None or any(is_racy(k, started_ns) or is_racy(k, now) for k in watched.values()):
        return False
    dockerfile_bytes = _read(dockerfile)
    memo = {"request": request.key(), "index": index_key, "dockerfile": _text(dockerfile_bytes),
            "dockerignore": _text(_read(os.path.join(context, ".dockerignore"))),
            "files": sorted([p, k] for p, k in watched.items()),
            "resolved": sorted([named, path] for named, path in (resolved or {}).items()),
            "lines": lines, "image_id": image_id,
            "names": dict(names or {}), "manifests": sorted(set(manifests))}
    path = _memo_path(root, request.id())
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as fh:
        json.dump(memo, fh)
    os.replace(tmp, path)
    return True
