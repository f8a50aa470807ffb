"""Search criteria, `((Field:op:value)and(Field:op:value))`, parsed into predicates on records.

Shared by `/search`, `/actions/count` and custom views; COQL has its own parser (coql.py) but
uses the same comparison helpers defined here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zsync_tui.sandbox.clock import parse_time
from zsync_tui.sandbox.world import Record

Predicate = Callable[[Record], bool]
MAX_CRITERIA = 10
OPERATORS = frozenset(
    {
        "equals",
        "not_equal",
        "starts_with",
        "in",
        "not_in",
        "greater_than",
        "greater_equal",
        "less_than",
        "less_equal",
        "between",
    }
)
TIME_FIELDS = frozenset({"Created_Time", "Modified_Time", "Last_Activity_Time"})


class CriteriaError(ValueError):
    """Criteria that cannot be parsed; the message says where."""


def field_value(record: Record, field: str) -> Any:
    """A record's value for a criteria field; `Lookup.id` / `Lookup.name` reach into lookups."""
    if "." in field:
        base, _, sub = field.partition(".")
        value = record.get(base)
        return value.get(sub) if isinstance(value, dict) else None
    return record.get(field)


def _comparable(value: Any, field: str) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("name")
    if field in TIME_FIELDS and isinstance(value, str):
        try:
            return parse_time(value)
        except ValueError:
            return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return str(value)


def coerce_like(sample: Any, raw: str, field: str) -> Any:
    """The literal `raw` converted to compare with a value like `sample` of `field`."""
    if field in TIME_FIELDS:
        try:
            return parse_time(raw)
        except ValueError as exc:
            raise CriteriaError(f"{field}: {raw!r} is not a date-time") from exc
    if isinstance(sample, bool):
        return raw.lower() == "true"
    if isinstance(sample, int | float):
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw


def compare(op: str, actual: Any, field: str, values: list[Any]) -> bool:
    """Apply one comparator; text compares case-insensitively, as Zoho search does."""
    if isinstance(actual, dict):
        lookup_id = actual.get("id")
        if op in ("equals", "in") and any(str(v) == lookup_id for v in values):
            return True
    value = _comparable(actual, field)
    targets = [coerce_like(value, str(v), field) if isinstance(v, str) else v for v in values]
    if isinstance(value, str):
        value = value.lower()
        targets = [t.lower() if isinstance(t, str) else t for t in targets]
    if op in ("equals", "in"):
        return any(value == t for t in targets)
    if op in ("not_equal", "not_in"):
        return all(value != t for t in targets)
    if op == "starts_with":
        return isinstance(value, str) and any(
            isinstance(t, str) and value.startswith(t) for t in targets
        )
    if value is None:
        return False
    try:
        if op == "greater_than":
            return bool(value > targets[0])
        if op == "greater_equal":
            return bool(value >= targets[0])
        if op == "less_than":
            return bool(value < targets[0])
        if op == "less_equal":
            return bool(value <= targets[0])
        if op == "between":
            return bool(targets[0] <= value <= targets[1])
    except TypeError:
        return False
    raise CriteriaError(f"unknown comparator {op!r}")


def _split_values(raw: str, split: bool = True) -> list[str]:
    """Split on unescaped commas (unless `split` is false) and drop the backslash escapes."""
    values: list[str] = []
    current: list[str] = []
    escaped = False
    for ch in raw:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "," and split:
            values.append("".join(current))
            current = []
        else:
            current.append(ch)
    values.append("".join(current))
    return values


class _Parser:
    def __init__(self, text: str, known_fields: frozenset[str]) -> None:
        self.text = text
        self.pos = 0
        self.known = known_fields
        self.count = 0

    def parse(self) -> Predicate:
        predicate = self._expression()
        if self.pos != len(self.text):
            raise CriteriaError(
                f"unexpected text at position {self.pos}: {self.text[self.pos :]!r}"
            )
        return predicate

    def _expression(self) -> Predicate:
        left = self._group()
        while True:
            rest = self.text[self.pos :].lower()
            if rest.startswith("and"):
                self.pos += 3
                right = self._group()
                left = (lambda a, b: lambda r: a(r) and b(r))(left, right)
            elif rest.startswith("or"):
                self.pos += 2
                right = self._group()
                left = (lambda a, b: lambda r: a(r) or b(r))(left, right)
            else:
                return left

    def _group(self) -> Predicate:
        if self.pos >= len(self.text) or self.text[self.pos] != "(":
            raise CriteriaError(f"expected '(' at position {self.pos}")
        if self.pos + 1 < len(self.text) and self.text[self.pos + 1] == "(":
            self.pos += 1
            inner = self._expression()
            self._expect(")")
            return inner
        self.pos += 1
        return self._condition()

    def _expect(self, ch: str) -> None:
        if self.pos >= len(self.text) or self.text[self.pos] != ch:
            raise CriteriaError(f"expected {ch!r} at position {self.pos}")
        self.pos += 1

    def _condition(self) -> Predicate:
        start = self.pos
        escaped = False
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == ")":
                break
            self.pos += 1
        else:
            raise CriteriaError("a condition is missing its closing ')'")
        body = self.text[start : self.pos]
        self.pos += 1
        field, _, rest = body.partition(":")
        op, _, raw = rest.partition(":")
        field, op = field.strip(), op.strip().lower()
        if not field or not op or not _:
            raise CriteriaError(f"condition {body!r} must look like Field:operator:value")
        if field.split(".")[0] not in self.known:
            raise CriteriaError(f"unknown field {field!r}")
        if op not in OPERATORS:
            raise CriteriaError(f"unknown comparator {op!r}")
        self.count += 1
        if self.count > MAX_CRITERIA:
            raise CriteriaError(f"more than {MAX_CRITERIA} criteria")
        values = _split_values(raw) if op in ("in", "not_in", "between") else [_unescape(raw)]
        if op == "between" and len(values) != 2:
            raise CriteriaError("between takes two values separated by a comma")
        return lambda record: compare(op, field_value(record, field), field, values)


def _unescape(raw: str) -> str:
    """Drop the backslash escapes of a single value (commas stay)."""
    return _split_values(raw, split=False)[0]


def parse_criteria(text: str, known_fields: frozenset[str]) -> Predicate:
    """A predicate for `text`; CriteriaError if it is malformed or names unknown fields."""
    stripped = text.strip()
    if not stripped:
        raise CriteriaError("empty criteria")
    return _Parser(stripped, known_fields).parse()
