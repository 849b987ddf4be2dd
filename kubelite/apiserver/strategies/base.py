"""The default strategy: what every resource does unless its own strategy says otherwise.

Hooks are pure functions of dicts (the store does the I/O), so each is testable alone. ``obj`` arguments
are private copies the hook may mutate.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import defaults, meta
from kubelite.api.resources import Resource

Obj = dict[str, Any]


class Strategy:
    allow_create_on_update = False

    def __init__(self, resource: Resource) -> None:
        self.resource = resource
        self.has_status = resource.subresource("status") is not None
        self.has_scale = resource.subresource("scale") is not None

    # ----- create / update

    def prepare_for_create(self, obj: Obj) -> Obj:
        """Reset what a client may not set on create (Kubernetes' PrepareForCreate, api.defaults)."""
        out: Obj = defaults.prepare_for_create(obj)
        return out

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        """A main-resource update keeps the old status and bumps generation on a spec change only."""
        if self.has_status:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        self.bump_generation(new, old)

    def bump_generation(self, new: Obj, old: Obj) -> None:
        generation = meta.next_generation(old, new)
        if generation is not None:
            new["metadata"]["generation"] = generation

    def prepare_for_status_update(self, new: Obj, old: Obj) -> Obj:
        """A status update changes status only: everything else comes from ``old``."""
        out = dict(old)
        out["metadata"] = dict(old["metadata"])
        if "status" in new:
            out["status"] = new["status"]
        else:
            out.pop("status", None)
        # Status writers may update labels/annotations in k8s only for some kinds; keep old.
        out["metadata"]["resourceVersion"] = new.get("metadata", {}).get("resourceVersion", "")
        return out

    # ----- delete

    def on_deleted(self, obj: Obj) -> None:
        """Called once an object is gone from storage (release what it held)."""
        del obj

    def grace_period(self, obj: Obj, requested: int | None) -> int:
        """Seconds of graceful deletion; 0 deletes at once (subject to finalizers)."""
        del obj, requested
        return 0

    # ----- scale

    def scale_of(self, obj: Obj) -> Obj:
        raise NotImplementedError

    def apply_scale(self, obj: Obj, replicas: int) -> None:
        raise NotImplementedError
