import pytest

from kubelite.api.schema import SCHEMA, parse

pytestmark = pytest.mark.unit


def test_parse_format() -> None:
    types = parse("""
@io.example.v1
Thing gvk=example.io/v1/Thing open -- A thing.
  items []Item k=name s=merge -- The items,
      described on two lines.
  tags []string s=merge
  labels map[string]
  owner meta.ObjectMeta req
Item
  name string req
""")
    thing = types["io.example.v1.Thing"]
    assert thing.gvk == ("example.io", "v1", "Thing") and thing.open and thing.description == "A thing."
    items = thing.fields["items"]
    assert (items.merge_key, items.strategy, items.list_type, items.list_keys) == ("name", ("merge",), "map",
                                                                                  ("name",))
    assert items.description == "The items, described on two lines."
    assert thing.fields["tags"].list_type == "set"
    assert str(thing.fields["labels"].type) == "map[string]"
    assert thing.fields["owner"].required and thing.fields["owner"].type.name.endswith("meta.v1.ObjectMeta")


def test_every_served_kind_has_a_schema_and_refs_resolve() -> None:
    from kubelite.api.resources import REGISTRY

    for r in REGISTRY:
        assert SCHEMA.for_gvk(r.group, r.version, r.kind) is not None, r.kind
    with pytest.raises(ValueError, match="unresolved"):
        from kubelite.api.schema import Schema

        Schema(parse("@a.b\nX\n  y Missing\n"))
