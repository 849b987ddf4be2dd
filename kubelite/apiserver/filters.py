"""Label and field selectors from the query string, compiled once per request (api.selectors)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from multidict import MultiMapping

from kubelite.api import selectors
from kubelite.api.resources import Resource


@dataclass(frozen=True, slots=True)
class Filter:
    resource: Resource
    labels: selectors.LabelSelector | None
    fields: selectors.FieldSelector | None

    @property
    def everything(self) -> bool:
        return self.labels is None and self.fields is None

    def matches(self, obj: dict[str, Any]) -> bool:
        return selectors.matches(self.resource.plural, obj, self.labels, self.fields)

    def exact_name(self) -> str | None:
        """``metadata.name=x`` narrows a list to one key: a get instead of a scan."""
        return self.fields.exact("metadata.name") if self.fields is not None else None


def from_query(resource: Resource, query: MultiMapping[str]) -> Filter:
    label_text = query.get("labelSelector", "")
    field_text = query.get("fieldSelector", "")
    labels = selectors.parse_label_selector_or_400(label_text) if label_text else None
    if labels is not None and labels.empty():
        labels = None
    fields = selectors.compile_field_selector(resource.plural, field_text) if field_text else None
    if fields is not None and fields.empty():
        fields = None
    return Filter(resource, labels, fields)
