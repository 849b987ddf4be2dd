"""RFC 6902 JSON Patch (``application/json-patch+json``), as kube-apiserver applies it.

Public surface:

- :func:`apply_json_patch(doc, patch) -> new doc` - ``patch`` is the decoded list of operations
  (``add``, ``remove``, ``replace``, ``move``, ``copy``, ``test``). The input is never mutated.
  Raises :class:`~kubelite.api.patch_errors.PatchError`: code 400 for a malformed patch, 422 when an
  operation does not apply (missing path, failed test); ``.to_api_error()`` gives the Status.
- :func:`parse_pointer(path) -> list[str]` / :func:`format_pointer(tokens)` - RFC 6901 pointers.
- :func:`json_equal(a, b)` - JSON equality (``1 == 1.0`` but ``true != 1``).
"""

from __future__ import annotations

from typing import Any

from kubelite.api.jsonutil import clone
from kubelite.api.patch_errors import PatchError

MAX_OPERATIONS = 10000


def parse_pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f'JSON pointer must be empty or start with a "/": {path!r}')
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def format_pointer(tokens: list[str]) -> str:
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


def json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _index(token: str, length: int, path: str, op: str, allow_end: bool) -> int:
    if allow_end and token == "-":
        return length
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchError(f"{op} operation does not apply: doc is missing path: {path!r}: invalid index",
                         422)
    i = int(token)
    if i > length or (i == length and not allow_end):
        raise PatchError(f"{op} operation does not apply: doc is missing path: {path!r}: "
                         "index out of range", 422)
    return i


def _parent(doc: Any, tokens: list[str], path: str, op: str) -> Any:
    cur = doc
    for tok in tokens[:-1]:
        if isinstance(cur, dict) and tok in cur:
            cur = cur[tok]
        elif isinstance(cur, list) and tok.isdigit() and int(tok) < len(cur):
            cur = cur[int(tok)]
        else:
            raise PatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value',
                             422)
    return cur


def _get(doc: Any, path: str, op: str) -> Any:
    tokens = parse_pointer(path)
    if not tokens:
        return doc
    parent = _parent(doc, tokens, path, op)
    last = tokens[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(last, len(parent), path, op, allow_end=False)]
    raise PatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value', 422)


def _add(doc: Any, path: str, value: Any, op: str = "add") -> Any:
    tokens = parse_pointer(path)
    if not tokens:
        return value
    parent = _parent(doc, tokens, path, op)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(last, len(parent), path, op, allow_end=True), value)
    else:
        raise PatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value', 422)
    return doc


def _remove(doc: Any, path: str, op: str = "remove") -> tuple[Any, Any]:
    tokens = parse_pointer(path)
    if not tokens:
        raise PatchError(f"{op} operation does not apply: cannot remove the whole document", 422)
    parent = _parent(doc, tokens, path, op)
    last = tokens[-1]
    if isinstance(parent, dict) and last in parent:
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(_index(last, len(parent), path, op, allow_end=False))
    raise PatchError(f'{op} operation does not apply: doc is missing path: "{path}": missing value', 422)


def _field(op: dict[str, Any], name: str) -> Any:
    if name not in op:
        raise PatchError(f"operation {op.get('op')!r} is missing required field {name!r}")
    return op[name]


def apply_json_patch(doc: Any, patch: Any) -> Any:
    if not isinstance(patch, list):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    if len(patch) > MAX_OPERATIONS:
        raise PatchError(
            f"The allowed maximum operations in a JSON patch is {MAX_OPERATIONS}, got {len(patch)}"
        )
    out = clone(doc)
    for op in patch:
        if not isinstance(op, dict) or not isinstance(op.get("op"), str):
            raise PatchError("Unexpected kind: every JSON patch operation needs an \"op\"")
        kind = op["op"]
        path = _field(op, "path")
        if not isinstance(path, str):
            raise PatchError("JSON patch \"path\" must be a string")
        if kind == "add":
            out = _add(out, path, clone(_field(op, "value")))
        elif kind == "remove":
            out, _ = _remove(out, path)
        elif kind == "replace":
            value = clone(_field(op, "value"))
            if not parse_pointer(path):
                out = value
                continue
            out, _ = _remove(out, path, "replace")
            out = _add(out, path, value, "replace")
        elif kind == "move":
            source = _field(op, "from")
            if path != source and path.startswith(source + "/"):
                raise PatchError(f'move operation does not apply: "from" {source!r} is a prefix of "path"',
                                 422)
            out, value = _remove(out, source, "move")
            out = _add(out, path, value, "move")
        elif kind == "copy":
            value = clone(_get(out, _field(op, "from"), "copy"))
            out = _add(out, path, value, "copy")
        elif kind == "test":
            expected = _field(op, "value")
            if not json_equal(_get(out, path, "test"), expected):
                raise PatchError(f"testing value {path} failed: test failed", 422)
        else:
            raise PatchError(f"Unexpected kind: {kind}")
    return out
