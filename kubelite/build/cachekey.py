"""Cache keys, pure: what makes two build steps "the same step" (Docker's classic rules).

A step's key is the sha256 of its parent's *result* id (the base image id, or the previous step's
result), its ``created_by`` text after substitution (for RUN prefixed by the build args it sees,
``|1 V=x /bin/sh -c ...``; for COPY/ADD naming the copied content's hash, ``file:<sha256>``) and the
options not in that text. A step's result id is the sha256 of its key and what it produced (the layer's
diff id, the creation time). So a miss gives a new result, which changes every later key: every step
after the first miss rebuilds, as with Docker, while an unchanged Dockerfile over an unchanged context
maps to the same chain of keys and hits all the way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

SCRATCH = "scratch"


def _digest(payload: object) -> str:
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def step_key(parent: str, created_by: str, extra: Mapping[str, str] | None = None) -> str:
    """The cache key of a step on ``parent`` (a result id, an image id or :data:`SCRATCH`)."""
    return _digest({"v": 1, "parent": parent, "created_by": created_by, "extra": dict(extra or {})})


def result_id(key: str, diff_id: str | None, created: str) -> str:
    """The id of a step's result: what the next step's key hangs on."""
    return _digest({"key": key, "diff_id": diff_id, "created": created})
