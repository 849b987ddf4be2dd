import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from kubelite.api import selectors as sel
from kubelite.api.status import ApiError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "db"}, False),
        ("app!=web", {}, True),
        ("app!=web", {"app": "web"}, False),
        ("env in (prod, dev)", {"env": "dev"}, True),
        ("env in (prod)", {}, False),
        ("env notin (prod)", {}, True),
        ("env notin (prod)", {"env": "prod"}, False),
        ("env", {"env": ""}, True),
        ("!env", {"env": ""}, False),
        ("!env", {}, True),
        ("a=b,c", {"a": "b"}, False),
        ("a=b,c", {"a": "b", "c": "x"}, True),
        ("n>3", {"n": "4"}, True),
        ("n<3", {"n": "4"}, False),
        ("n>3", {"n": "x"}, False),
        ("a=", {"a": ""}, True),
        ("", {"x": "y"}, True),
        ("x in (a,in)", {"x": "in"}, True),
    ],
)
def test_label_selector_semantics(text: str, labels: dict[str, str], expected: bool) -> None:
    assert sel.parse_label_selector(text).matches(labels) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ("a in x", "unable to parse requirement: found 'x' expected: '('"),
        ("a,", "found '', expected: identifier after ','"),
        ("=a", "found '=', expected: !, identifier, or 'end of string'"),
        ("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"),
        ("!a=b", "found '=', expected: ',' or 'end of string'"),
        ("a>x", "for 'Gt', 'Lt' operators, the value must be an integer"),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
    ],
)
def test_label_selector_errors(text: str, message: str) -> None:
    with pytest.raises(sel.SelectorError) as info:
        sel.parse_label_selector(text)
    assert message in str(info.value)


def test_label_selector_invalid_key_and_value() -> None:
    with pytest.raises(sel.SelectorError, match="unable to parse requirement"):
        sel.parse_label_selector("-bad=x")
    with pytest.raises(sel.SelectorError, match="values\\[0\\]"):
        sel.parse_label_selector("a=b$")
    with pytest.raises(ApiError) as info:
        sel.parse_label_selector_or_400("a b")
    assert info.value.code == 400


def test_canonical_string_sorted_by_key() -> None:
    s = sel.parse_label_selector("z in (b,a), !y, a!=1, m")
    assert str(s) == "a!=1,m,!y,z in (a,b)"


_key = hs.from_regex(r"\A[a-z][a-z0-9]{0,5}\Z")
_val = hs.from_regex(r"\A[a-z0-9]{1,5}\Z")
_vals = hs.lists(_val, min_size=1, max_size=3)
_req = hs.one_of(
    hs.builds(lambda k, v: sel.new_requirement(k, "=", [v]), _key, _val),
    hs.builds(lambda k, v: sel.new_requirement(k, "!=", [v]), _key, _val),
    hs.builds(lambda k, vs: sel.new_requirement(k, "in", vs), _key, _vals),
    hs.builds(lambda k, vs: sel.new_requirement(k, "notin", vs), _key, _vals),
    hs.builds(lambda k, n: sel.new_requirement(k, "gt", [str(n)]), _key, hs.integers(0, 5)),
    hs.builds(lambda k: sel.new_requirement(k, "exists", []), _key),
    hs.builds(lambda k: sel.new_requirement(k, "!", []), _key),
)


@settings(max_examples=40, deadline=None)
@given(hs.lists(_req, max_size=4), hs.dictionaries(_key, _val, max_size=4))
def test_selector_string_round_trips(reqs: list[sel.Requirement], labels: dict[str, str]) -> None:
    s = sel.LabelSelector(tuple(sorted(reqs, key=lambda r: r.key)))
    again = sel.parse_label_selector(str(s))
    assert str(again) == str(s)
    assert again.matches(labels) == s.matches(labels) == all(r.matches(labels) for r in reqs)


def test_from_label_selector() -> None:
    s = sel.from_label_selector({
        "matchLabels": {"app": "web"},
        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe", "be"]},
                             {"key": "old", "operator": "DoesNotExist"}],
    })
    assert s.matches({"app": "web", "tier": "fe"})
    assert not s.matches({"app": "web", "tier": "fe", "old": "1"})
    assert str(s) == "app=web,!old,tier in (be,fe)"
    assert not sel.from_label_selector(None).matches({})
    assert sel.from_label_selector({}).matches({"a": "b"})
    assert sel.format_label_selector({"matchLabels": {"app": "x"}}) == "app=x"
    with pytest.raises(sel.SelectorError):
        sel.from_label_selector({"matchExpressions": [{"key": "a", "operator": "Foo"}]})


def test_validate_label_selector() -> None:
    errs = sel.validate_label_selector(
        {"matchExpressions": [{"key": "a", "operator": "In"},
                              {"key": "b", "operator": "Exists", "values": ["x"]},
                              {"key": "c", "operator": "Nope"}]},
        "spec.selector",
    )
    assert [e.field for e in errs] == [
        "spec.selector.matchExpressions[0].values",
        "spec.selector.matchExpressions[1].values",
        "spec.selector.matchExpressions[2].operator",
    ]


def test_field_selectors() -> None:
    fs = sel.parse_field_selector("spec.nodeName=n1,status.phase!=Succeeded,metadata.name==a\\,b")
    assert [(r.field, r.op, r.value) for r in fs.requirements] == [
        ("spec.nodeName", "=", "n1"), ("status.phase", "!=", "Succeeded"), ("metadata.name", "=", "a,b"),
    ]
    assert fs.exact("spec.nodeName") == "n1" and fs.exact("status.phase") is None
    pod = {"metadata": {"name": "a,b", "namespace": "d"}, "spec": {"nodeName": "n1"},
           "status": {"phase": "Running"}}
    assert sel.matches("pods", pod, fields=fs)
    assert not sel.matches("pods", {**pod, "status": {"phase": "Succeeded"}}, fields=fs)
    with pytest.raises(sel.SelectorError, match="invalid selector: 'abc'; can't understand 'abc'"):
        sel.parse_field_selector("abc")
    assert sel.parse_field_selector("").empty()


def test_field_selector_support_per_resource() -> None:
    with pytest.raises(ApiError) as info:
        sel.compile_field_selector("pods", "spec.foo=bar")
    assert info.value.code == 400 and info.value.message == "field label not supported: spec.foo"
    with pytest.raises(ApiError):
        sel.compile_field_selector("configmaps", "spec.nodeName=x")
    assert not sel.compile_field_selector("configmaps", "metadata.name=x").empty()
    node = {"metadata": {"name": "n"}, "spec": {"unschedulable": True}}
    assert sel.field_set("nodes", node)["spec.unschedulable"] == "true"
    assert sel.field_set("nodes", {"metadata": {"name": "n"}})["spec.unschedulable"] == "false"
    assert sel.field_set("replicasets", {"metadata": {}})["status.replicas"] == "0"
    ev = {"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "uid": "u"},
          "source": {"component": "kubelet"}, "type": "Normal"}
    fields = sel.field_set("events", ev)
    assert fields["involvedObject.kind"] == "Pod" and fields["source"] == "kubelet"
    sel2 = sel.compile_field_selector("events", "involvedObject.uid=u,type=Normal")
    assert sel.matches("events", ev, fields=sel2)
    assert sel.field_set("secrets", {"type": "Opaque"})["type"] == "Opaque"


def test_events_v1_field_names_translate_to_core() -> None:
    sel2 = sel.compile_field_selector("events", "regarding.name=web,reportingController=kubelet",
                                      group="events.k8s.io")
    assert [(r.field, r.value) for r in sel2.requirements] == [
        ("involvedObject.name", "web"), ("reportingComponent", "kubelet")]
    with pytest.raises(ApiError):
        sel.compile_field_selector("events", "regarding.name=web")
