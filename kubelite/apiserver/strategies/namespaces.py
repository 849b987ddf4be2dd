"""Namespaces: phase Active on create; deletion moves to Terminating with the ``kubernetes`` finalizer
in spec, which the namespace controller removes through ``/finalize`` once the content is gone."""

from __future__ import annotations

from kubelite.apiserver.strategies.base import Obj, Strategy


class NamespaceStrategy(Strategy):
    def prepare_for_create(self, obj: Obj) -> Obj:
        out = super().prepare_for_create(obj)
        labels = out["metadata"].setdefault("labels", {})
        labels["kubernetes.io/metadata.name"] = out["metadata"]["name"]
        return out

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        new["status"] = old.get("status", {"phase": "Active"})
        # spec.finalizers change only through /finalize.
        new["spec"] = old.get("spec", {})
        labels = new["metadata"].setdefault("labels", {})
        labels["kubernetes.io/metadata.name"] = new["metadata"]["name"]

    def finalize(self, new: Obj, old: Obj) -> Obj:
        out = dict(old)
        out["spec"] = dict(old.get("spec") or {})
        out["spec"]["finalizers"] = list((new.get("spec") or {}).get("finalizers") or [])
        return out
