"""Label and field selectors, parsed and matched as k8s.io/apimachinery does.

Public surface:

- :func:`parse_label_selector(text) -> LabelSelector` - the ``labelSelector=`` query syntax
  (``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``, ``a notin (x)``, ``a``, ``!a``, ``a>3``/``a<3``);
  raises :class:`SelectorError` worded like kube's parser. ``LabelSelector.matches(labels)``,
  ``str(selector)`` gives kube's canonical form (requirements sorted by key).
- :func:`from_label_selector(obj) -> LabelSelector` - a ``metav1.LabelSelector`` dict
  (matchLabels/matchExpressions); ``None`` matches nothing, ``{}`` matches everything (as
  ``LabelSelectorAsSelector``). :func:`validate_label_selector(obj, path)` -> field errors.
- :func:`format_label_selector(obj) -> str` - the string form (e.g. Scale ``status.selector``).
- :func:`parse_field_selector(text) -> FieldSelector` - ``fieldSelector=`` terms ``k=v``/``k==v``/``k!=v``.
- :func:`compile_field_selector(resource, text, group="") -> FieldSelector` - parse and check every field
  is one the resource supports, else :class:`~kubelite.api.status.ApiError` 400
  ``field label not supported: x`` (events.k8s.io names are translated to the stored core ones).
- Field selectors live in :mod:`kubelite.api.field_selectors` and are re-exported here:
  :func:`field_set(resource, obj) -> dict[str, str]` - the selectable fields of an object;
  ``FieldSelector.matches(fields)``. :data:`SUPPORTED_FIELDS` lists them per resource plural.
- :func:`parse_label_selector_or_400` - the parser with errors as an ApiError 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubelite.api.field_selectors import (
    SUPPORTED_FIELDS,
    FieldRequirement,
    FieldSelector,
    SelectorError,
    compile_field_selector,
    field_set,
    parse_field_selector,
    supported_fields,
)
from kubelite.api.meta import is_qualified_name, is_valid_label_value
from kubelite.api.status import ApiError, FieldError, bad_request, invalid_value, required

JsonDict = dict[str, Any]


# ------------------------------------------------------------------------------------ label selectors

IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS = "in", "notin", "=", "==", "!="
EXISTS, DOES_NOT_EXIST, GT, LT = "exists", "!", "gt", "lt"
_BINARY = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GT, LT)


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    op: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        has = self.key in labels
        if self.op in (IN, EQUALS, DOUBLE_EQUALS):
            return has and labels[self.key] in self.values
        if self.op in (NOT_IN, NOT_EQUALS):
            return not has or labels[self.key] not in self.values
        if self.op == EXISTS:
            return has
        if self.op == DOES_NOT_EXIST:
            return not has
        if self.op in (GT, LT):
            if not has:
                return False
            try:
                have, want = int(labels[self.key]), int(self.values[0])
            except ValueError:
                return False
            return have > want if self.op == GT else have < want
        return False

    def __str__(self) -> str:
        if self.op == EXISTS:
            return self.key
        if self.op == DOES_NOT_EXIST:
            return f"!{self.key}"
        if self.op in (IN, NOT_IN):
            return f"{self.key} {self.op} ({','.join(self.values)})"
        if self.op in (GT, LT):
            return f"{self.key}{'>' if self.op == GT else '<'}{self.values[0]}"
        return f"{self.key}{self.op}{self.values[0]}"


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A conjunction of requirements; ``nothing=True`` is the selector that matches no object."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def empty(self) -> bool:
        return not self.nothing and not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def new_requirement(key: str, op: str, values: list[str]) -> Requirement:
    """``labels.NewRequirement`` with its validation."""
    errs = is_qualified_name(key)
    if errs:
        raise SelectorError(f'key: Invalid value: "{key}": {"; ".join(errs)}')
    if op in (IN, NOT_IN):
        if not values:
            raise SelectorError("values: Invalid value: null: for 'in', 'notin' operators, values set can't "
                                "be empty")
    elif op in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(values) != 1:
            raise SelectorError("values: Invalid value: null: exact-match compatibility requires one single "
                                "value")
    elif op in (EXISTS, DOES_NOT_EXIST):
        if values:
            raise SelectorError("values: Invalid value: null: values set must be empty for exists and does "
                                "not exist")
    elif op in (GT, LT):
        if len(values) != 1:
            raise SelectorError("values: Invalid value: null: for 'Gt', 'Lt' operators, exactly one value is "
                                "required")
        try:
            int(values[0])
        except ValueError:
            raise SelectorError(
                f"values[0]: Invalid value: \"{values[0]}\": for 'Gt', 'Lt' operators, the value must be "
                "an integer"
            ) from None
    else:
        raise SelectorError(f'operator: Unsupported value: "{op}"')
    for i, v in enumerate(values):
        verrs = is_valid_label_value(v)
        if verrs:
            raise SelectorError(f'values[{i}]: Invalid value: "{v}": {"; ".join(verrs)}')
    return Requirement(key, op, tuple(sorted(set(values))))


# Tokens of kube's lexer.
_ID, _END, _COMMA, _OPEN, _CLOSE, _NOT, _NE, _EQ, _DEQ, _GT, _LT, _IN, _NOTIN, _ERR = range(14)
_SPECIAL = "=!(),><"
_SYMBOLS = {"!": _NOT, "!=": _NE, "(": _OPEN, ")": _CLOSE, ",": _COMMA, "=": _EQ, "==": _DEQ,
            ">": _GT, "<": _LT}
_OP_OF_TOKEN = {_IN: IN, _NOTIN: NOT_IN, _EQ: EQUALS, _DEQ: DOUBLE_EQUALS, _NE: NOT_EQUALS,
                _GT: GT, _LT: LT}


def _lex(text: str) -> list[tuple[int, str]]:
    tokens: list[tuple[int, str]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            tokens.append((_END, ""))
            return tokens
        if text[i] in _SPECIAL:
            j = i
            best = (_ERR, "")
            while j < n and text[j] in _SPECIAL and text[i:j + 1] in _SYMBOLS:
                best = (_SYMBOLS[text[i:j + 1]], text[i:j + 1])
                j += 1
            if best[0] == _ERR:  # cannot happen: every single special char is a symbol
                raise SelectorError(f"error expected: keyword found '{text[i]}'")
            tokens.append(best)
            i = j
            continue
        j = i
        while j < n and text[j] not in _SPECIAL and text[j] not in " \t\r\n":
            j += 1
        word = text[i:j]
        tokens.append(({"in": _IN, "notin": _NOTIN}.get(word, _ID), word))
        i = j


class _Parser:
    def __init__(self, text: str) -> None:
        self.items = _lex(text)
        self.pos = 0

    def _tok(self, values: bool, advance: bool) -> tuple[int, str]:
        tok, lit = self.items[min(self.pos, len(self.items) - 1)]
        if advance:
            self.pos += 1
        if values and tok in (_IN, _NOTIN):
            tok = _ID
        return tok, lit

    def lookahead(self, values: bool = True) -> tuple[int, str]:
        return self._tok(values, False)

    def consume(self, values: bool = True) -> tuple[int, str]:
        return self._tok(values, True)

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.lookahead()
            if tok in (_ID, _NOT):
                try:
                    reqs.append(self.requirement())
                except SelectorError as e:
                    raise SelectorError(f"unable to parse requirement: {e}") from None
                t, lit2 = self.consume()
                if t == _END:
                    return reqs
                if t == _COMMA:
                    t2, l2 = self.lookahead()
                    if t2 not in (_ID, _NOT):
                        raise SelectorError(f"found '{l2}', expected: identifier after ','")
                    continue
                raise SelectorError(f"found '{lit2}', expected: ',' or 'end of string'")
            if tok == _END:
                return reqs
            raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def requirement(self) -> Requirement:
        op = ""
        tok, lit = self.consume()
        if tok == _NOT:
            op = DOES_NOT_EXIST
            tok, lit = self.consume()
        if tok != _ID:
            raise SelectorError(f"found '{lit}', expected: identifier")
        key = lit
        errs = is_qualified_name(key)
        if errs:
            raise SelectorError(f'Invalid value: "{key}": {"; ".join(errs)}')
        if op == DOES_NOT_EXIST or self.lookahead()[0] in (_END, _COMMA):
            # '!key' is complete on its own; whatever follows is the caller's to reject.
            return new_requirement(key, op or EXISTS, [])
        tok, lit = self.consume(values=False)
        if tok not in _OP_OF_TOKEN:
            raise SelectorError(f"found '{lit}', expected: {', '.join(_BINARY)}")
        op = _OP_OF_TOKEN[tok]
        values = self.set_values() if op in (IN, NOT_IN) else self.exact_value()
        return new_requirement(key, op, values)

    def exact_value(self) -> list[str]:
        tok, _ = self.lookahead()
        if tok in (_END, _COMMA):
            return [""]
        tok, lit = self.consume()
        if tok == _ID:
            return [lit]
        raise SelectorError(f"found '{lit}', expected: identifier")

    def set_values(self) -> list[str]:
        tok, lit = self.consume()
        if tok != _OPEN:
            raise SelectorError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead()
        if tok in (_ID, _COMMA):
            values = self.identifiers()
            tok, lit2 = self.consume()
            if tok != _CLOSE:
                raise SelectorError(f"found '{lit2}', expected: ')'")
            return values
        if tok == _CLOSE:
            self.consume()
            return [""]
        raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")

    def identifiers(self) -> list[str]:
        values: list[str] = []
        while True:
            tok, lit = self.consume()
            if tok == _ID:
                values.append(lit)
                t2, l2 = self.lookahead()
                if t2 == _COMMA:
                    continue
                if t2 == _CLOSE:
                    return values
                raise SelectorError(f"found '{l2}', expected: ',' or ')'")
            if tok == _COMMA:
                if not values:
                    values.append("")
                t2, _ = self.lookahead()
                if t2 == _CLOSE:
                    values.append("")
                    return values
                if t2 == _COMMA:
                    self.consume()
                    values.append("")
                continue
            raise SelectorError(f"found '{lit}', expected: ',', or identifier")


def parse_label_selector(text: str) -> LabelSelector:
    reqs = _Parser(text).parse()
    return LabelSelector(tuple(sorted(reqs, key=lambda r: r.key)))


def parse_label_selector_or_400(text: str) -> LabelSelector:
    try:
        return parse_label_selector(text)
    except SelectorError as e:
        raise bad_request(str(e)) from None


_EXPR_OPS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}


def from_label_selector(obj: JsonDict | None) -> LabelSelector:
    """``metav1.LabelSelectorAsSelector``: nil matches nothing, empty matches everything."""
    if obj is None:
        return LabelSelector(nothing=True)
    if not isinstance(obj, dict):
        raise SelectorError("a label selector must be an object")
    labels = obj.get("matchLabels") or {}
    exprs = obj.get("matchExpressions") or []
    if not isinstance(labels, dict) or not isinstance(exprs, list):
        raise SelectorError("matchLabels must be a map and matchExpressions a list")
    reqs: list[Requirement] = []
    for key, value in sorted(labels.items(), key=lambda kv: str(kv[0])):
        if not isinstance(value, str):
            raise SelectorError(f"matchLabels[{key}]: label values must be strings")
        reqs.append(new_requirement(str(key), EQUALS, [value]))
    for expr in exprs:
        if not isinstance(expr, dict):
            raise SelectorError("matchExpressions entries must be objects")
        op = _EXPR_OPS.get(str(expr.get("operator", "")))
        if op is None:
            raise SelectorError(f'"{expr.get("operator", "")}" is not a valid label selector operator')
        values = expr.get("values") or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise SelectorError("matchExpressions values must be a list of strings")
        reqs.append(new_requirement(str(expr.get("key", "")), op, list(values)))
    return LabelSelector(tuple(sorted(reqs, key=lambda r: r.key)))


def format_label_selector(obj: JsonDict | None) -> str:
    """The selector as a query string, e.g. for autoscaling/v1 Scale ``status.selector``."""
    try:
        return str(from_label_selector(obj or {}))
    except SelectorError:
        return ""


def validate_label_selector(obj: Any, path: str) -> list[FieldError]:
    """``ValidateLabelSelector`` (apimachinery/pkg/apis/meta/v1/validation)."""
    if obj is None:
        return []
    if not isinstance(obj, dict):
        return [invalid_value(path, obj, "must be an object")]
    errs: list[FieldError] = []
    for i, expr in enumerate(obj.get("matchExpressions") or []):
        p = f"{path}.matchExpressions[{i}]"
        op = expr.get("operator")
        values = expr.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                errs.append(required(f"{p}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(FieldError(
                    "FieldValueForbidden", f"{p}.values",
                    detail="may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                ))
        else:
            errs.append(invalid_value(f"{p}.operator", op, "not a valid selector operator"))
        for msg in is_qualified_name(str(expr.get("key", ""))):
            errs.append(invalid_value(f"{p}.key", expr.get("key", ""), msg))
    for key, value in (obj.get("matchLabels") or {}).items():
        for msg in is_qualified_name(str(key)):
            errs.append(invalid_value(f"{path}.matchLabels", key, msg))
        for msg in is_valid_label_value(str(value)):
            errs.append(invalid_value(f"{path}.matchLabels", value, msg))
    return errs


def matches(
    resource: str, obj: JsonDict, labels: LabelSelector | None = None, fields: FieldSelector | None = None
) -> bool:
    """Both selectors against one object (None = everything)."""
    if labels is not None and not labels.matches((obj.get("metadata") or {}).get("labels")):
        return False
    return fields is None or fields.matches(field_set(resource, obj))


__all__ = [
    "SUPPORTED_FIELDS",
    "ApiError", "FieldRequirement", "FieldSelector", "LabelSelector", "Requirement", "SelectorError",
    "compile_field_selector", "field_set", "format_label_selector", "from_label_selector", "matches",
    "parse_field_selector", "parse_label_selector", "parse_label_selector_or_400", "supported_fields",
    "validate_label_selector",
]
