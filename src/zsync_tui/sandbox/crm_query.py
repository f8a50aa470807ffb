"""COQL: `POST /crm/v8/coql` with `select ... from Module [where ...] [order by ...]
[limit n [offset m] | limit m, n]`, for simple selects over the sandbox's modules."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from zsync_tui.sandbox.criteria import compare, field_value
from zsync_tui.sandbox.crm_common import (
    json_body,
    known_fields,
    module_named,
    project,
    require_scope,
    sandbox_of,
    set_credits,
)
from zsync_tui.sandbox.responses import crm_error, json_reply
from zsync_tui.sandbox.world import Record

MAX_SELECT = 50
MAX_WHERE = 25
DEFAULT_LIMIT = 200
MAX_LIMIT = 2000
MAX_OFFSET = 100_000
TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><=|>=|!=|<>|=|<|>)"
    r"|(?P<punct>[(),*])|(?P<word>[A-Za-z_$][A-Za-z0-9_.$]*|`[^`]+`|\"[^\"]+\"))"
)
KEYWORDS = {
    "select",
    "from",
    "where",
    "and",
    "or",
    "order",
    "by",
    "asc",
    "desc",
    "limit",
    "offset",
    "like",
    "in",
    "not",
    "is",
    "null",
    "between",
    "true",
    "false",
}
Predicate = Callable[[Record], bool]


class CoqlError(ValueError):
    """A query the sandbox cannot run; `code` is Zoho's error code for it."""

    def __init__(self, message: str, code: str = "SYNTAX_ERROR") -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Tok:
    kind: str
    text: str

    @property
    def lower(self) -> str:
        return self.text.lower()


def tokenize(query: str) -> list[Tok]:
    """Split a COQL query into tokens; CoqlError at the first character that fits none."""
    tokens: list[Tok] = []
    pos = 0
    query = query.rstrip().rstrip(";")
    while pos < len(query):
        match = TOKEN.match(query, pos)
        if not match or match.end() == pos:
            if query[pos:].strip() == "":
                break
            raise CoqlError(f"unexpected character at position {pos}: {query[pos : pos + 10]!r}")
        kind = match.lastgroup or ""
        text = match.group(kind)
        if kind == "word" and text[0] in '`"':
            text = text[1:-1]
            kind = "name"
        tokens.append(Tok(kind, text))
        pos = match.end()
    return tokens


@dataclass
class Query:
    """A parsed select."""

    columns: list[str]
    module: str
    where: Predicate | None = None
    order: list[tuple[str, bool]] = field(default_factory=list)
    limit: int = DEFAULT_LIMIT
    offset: int = 0


class _Parser:
    def __init__(self, tokens: list[Tok]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.criteria = 0
        self.known: frozenset[str] = frozenset()

    def peek(self) -> Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise CoqlError("the query ends too early")
        self.pos += 1
        return tok

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "word" and tok.lower == word:
            self.pos += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.keyword(word):
            tok = self.peek()
            raise CoqlError(f"expected {word!r} but found {tok.text if tok else 'the end'!r}")

    def name(self) -> str:
        tok = self.take()
        if tok.kind == "name" or (tok.kind == "word" and tok.lower not in KEYWORDS):
            return tok.text
        raise CoqlError(f"expected a field name, found {tok.text!r}")

    def parse(self, resolve_module: Callable[[str], str]) -> Query:
        self.expect("select")
        columns = [self.name()]
        while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
            self.take()
            columns.append(self.name())
        if len(columns) > MAX_SELECT:
            raise CoqlError(f"at most {MAX_SELECT} fields can be selected", "LIMIT_EXCEEDED")
        self.expect("from")
        module = resolve_module(self.name())
        self.known = known_fields(module)
        for column in columns:
            self._check_field(column)
        query = Query(columns, module)
        if self.keyword("where"):
            query.where = self.expression()
        if self.keyword("order"):
            self.expect("by")
            query.order.append(self.order_item())
            while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                self.take()
                query.order.append(self.order_item())
        if self.keyword("limit"):
            first = self.integer()
            if self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                self.take()
                query.offset, query.limit = first, self.integer()
            else:
                query.limit = first
                if self.keyword("offset"):
                    query.offset = self.integer()
        if self.peek() is not None:
            raise CoqlError(f"unexpected {self.peek().text!r}")  # type: ignore[union-attr]
        if not 1 <= query.limit <= MAX_LIMIT:
            raise CoqlError(f"LIMIT must be between 1 and {MAX_LIMIT}", "LIMIT_EXCEEDED")
        if query.offset > MAX_OFFSET:
            raise CoqlError(f"OFFSET must be at most {MAX_OFFSET}", "LIMIT_EXCEEDED")
        return query

    def _check_field(self, name: str) -> None:
        if name.split(".")[0] not in self.known:
            raise CoqlError(f"unknown field {name!r}", "INVALID_QUERY")

    def integer(self) -> int:
        tok = self.take()
        if tok.kind != "num" or "." in tok.text:
            raise CoqlError(f"expected a whole number, found {tok.text!r}")
        return int(tok.text)

    def order_item(self) -> tuple[str, bool]:
        name = self.name()
        self._check_field(name)
        if self.keyword("desc"):
            return name, False
        self.keyword("asc")
        return name, True

    def expression(self) -> Predicate:
        left = self.term()
        while self.keyword("or"):
            right = self.term()
            left = (lambda a, b: lambda r: a(r) or b(r))(left, right)
        return left

    def term(self) -> Predicate:
        left = self.factor()
        while self.keyword("and"):
            right = self.factor()
            left = (lambda a, b: lambda r: a(r) and b(r))(left, right)
        return left

    def factor(self) -> Predicate:
        tok = self.peek()
        if tok is not None and tok.text == "(":
            self.take()
            inner = self.expression()
            if self.take().text != ")":
                raise CoqlError("a '(' is not closed")
            return inner
        return self.condition()

    def literal(self) -> Any:
        tok = self.take()
        if tok.kind == "str":
            return tok.text[1:-1].replace("''", "'")
        if tok.kind == "num":
            return float(tok.text)
        if tok.kind == "word" and tok.lower in ("true", "false"):
            return tok.lower == "true"
        if tok.kind == "word" and tok.lower == "null":
            return None
        raise CoqlError(f"expected a value, found {tok.text!r}")

    def condition(self) -> Predicate:
        name = self.name()
        self._check_field(name)
        self.criteria += 1
        if self.criteria > MAX_WHERE:
            raise CoqlError(f"at most {MAX_WHERE} criteria", "LIMIT_EXCEEDED")
        negate = self.keyword("not")
        if self.keyword("is"):
            is_not = self.keyword("not")
            self.expect("null")
            return lambda r: (field_value(r, name) in (None, "")) != is_not
        if self.keyword("in"):
            values = self.value_list()
            op = "not_in" if negate else "in"
            return lambda r: compare(op, field_value(r, name), name, values)
        if self.keyword("like"):
            pattern = self.literal()
            if not isinstance(pattern, str):
                raise CoqlError("like needs a quoted pattern")
            regex = re.compile(
                "^" + ".*".join(re.escape(p) for p in pattern.lower().split("%")) + "$", re.S
            )
            return lambda r: negate != bool(regex.match(str(_text(field_value(r, name))).lower()))
        if self.keyword("between"):
            low = self.literal()
            self.expect("and")
            high = self.literal()
            op = "between"
            values = [_str(low), _str(high)]
            return lambda r: negate != compare(op, field_value(r, name), name, values)
        if negate:
            raise CoqlError("'not' must be followed by in, like or between")
        op_tok = self.take()
        ops = {
            "=": "equals",
            "!=": "not_equal",
            "<>": "not_equal",
            ">": "greater_than",
            ">=": "greater_equal",
            "<": "less_than",
            "<=": "less_equal",
        }
        if op_tok.kind != "op":
            raise CoqlError(f"expected a comparison after {name!r}, found {op_tok.text!r}")
        value = self.literal()
        if value is None:
            raise CoqlError("compare with null using 'is null'")
        op = ops[op_tok.text]
        values = [_str(value)]
        return lambda r: compare(op, field_value(r, name), name, values)

    def value_list(self) -> list[str]:
        if self.take().text != "(":
            raise CoqlError("in needs a parenthesised list")
        values = [_str(self.literal())]
        while True:
            tok = self.take()
            if tok.text == ")":
                return values
            if tok.text != ",":
                raise CoqlError("values in a list are separated by commas")
            values.append(_str(self.literal()))


def _str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(value: Any) -> Any:
    return value.get("name") if isinstance(value, dict) else ("" if value is None else value)


def _sort_key(name: str) -> Callable[[Record], Any]:
    def key(record: Record) -> Any:
        value = _text(field_value(record, name))
        if name == "id":
            return (0, int(record["id"]))
        if value is None or value == "":
            return (1, "")
        return (0, value.lower() if isinstance(value, str) else value)

    return key


def run(query: Query, records: list[Record]) -> tuple[list[Record], bool]:
    """Rows of `query` over `records` and whether more lie beyond the limit."""
    rows = [r for r in records if query.where is None or query.where(r)]
    rows.sort(key=lambda r: int(r["id"]))
    for name, ascending in reversed(query.order):
        rows.sort(key=_sort_key(name), reverse=not ascending)
    chunk = rows[query.offset : query.offset + query.limit]
    return chunk, query.offset + query.limit < len(rows)


async def coql(request: Request) -> Response:
    """POST /crm/v8/coql `{"select_query": "..."}`."""
    require_scope(request, "ZohoCRM.coql.READ")
    sandbox = sandbox_of(request)
    body = await json_body(request)
    text = body.get("select_query")
    if not isinstance(text, str) or not text.strip():
        raise crm_error(
            400,
            "REQUIRED_PARAM_MISSING",
            "One of the expected parameter is missing",
            {"param": "select_query"},
        )
    try:
        query = _Parser(tokenize(text)).parse(lambda n: module_named(sandbox, n).name)
    except CoqlError as exc:
        raise crm_error(400, exc.code, str(exc), {}) from None
    require_scope(request, f"ZohoCRM.modules.{query.module.lower()}.READ")
    # Zoho charges COQL by the LIMIT asked for: 1-200 → 1, 201-1000 → 2, 1001-2000 → 3.
    set_credits(request, 1 if query.limit <= 200 else 2 if query.limit <= 1000 else 3)
    rows, more = run(query, list(sandbox.world.crm[query.module].records.values()))
    if not rows:
        return Response(status_code=204)
    columns = [c for c in query.columns if c != "id"]
    return json_reply(
        {
            "data": [project(r, columns) for r in rows],
            "info": {"count": len(rows), "more_records": more},
        }
    )
