"""Checking requests and answers against the published specs (see `oas_specs.py`).

`ConformanceChecker` validates one request or one answer and returns what is wrong, as readable
sentences; `CheckingTransport` wraps an httpx transport so every exchange a client makes is
checked on the way (the client under test is none the wiser).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from oas_specs import (
    BASE_URI,
    BILLING_PREFIX,
    COMMON_API_EXCEPTION,
    CRM_PREFIX,
    Operation,
    Parameter,
    SpecSet,
    schema_ref,
)

#: Error statuses Zoho documents for every CRM call (v8 status-codes page, zoho-api.md §2.11).
CRM_API_ERRORS = frozenset({400, 401, 403, 404, 405, 412, 413, 415, 429})
#: Error statuses Zoho documents for every Billing call (zoho-api.md §3.2).
BILLING_API_ERRORS = frozenset({400, 401, 403, 404, 405, 406, 429})
#: Billing publishes no error schema; its envelope is `{"code": <non-zero>, "message": "..."}`.
BILLING_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "integer", "not": {"enum": [0]}},
        "message": {"type": "string"},
    },
}
_UNDOCUMENTED = re.compile(
    r"^/billing/v1/(organizations|settings/customfields|salesorders(/[^/]+)?)$"
)
_DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    # Zoho writes offsets both as +05:30 (CRM) and -0700 (Billing); both are accepted here.
    return not isinstance(value, str) or bool(_DATE_TIME.match(value))


@FORMATS.checks("date")
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or bool(_DATE.match(value))


@FORMATS.checks("int32")
def _is_int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


@FORMATS.checks("int64")
def _is_int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


def side_of(path: str) -> str | None:
    """`crm`, `billing`, or None for paths outside both APIs (OAuth, sandbox admin)."""
    if path.startswith(CRM_PREFIX + "/"):
        return "crm"
    if path.startswith(BILLING_PREFIX + "/"):
        return "billing"
    return None


@dataclass
class Exchange:
    """One checked request and its answer, with what was found wrong."""

    method: str
    path: str
    operation: str | None
    status: int
    problems: list[str] = field(default_factory=list)


class ConformanceChecker:
    """Validates requests and answers against the used operations of a `SpecSet`."""

    def __init__(self, specs: SpecSet) -> None:
        self.specs = specs
        self._validators: dict[str, Draft7Validator] = {}
        #: operation key → query/header names sent that its spec does not declare.
        self.undeclared: dict[str, set[str]] = defaultdict(set)
        #: calls to endpoints no published spec documents (organizations, sales orders).
        self.undocumented: set[str] = set()
        #: (operation key, status) pairs seen, for the coverage report.
        self.seen: set[tuple[str, int]] = set()

    def validator(self, uri: str) -> Draft7Validator:
        if uri not in self._validators:
            self._validators[uri] = Draft7Validator(
                schema_ref(uri), registry=self.specs.registry, format_checker=FORMATS
            )
        return self._validators[uri]

    def schema_errors(self, uri: str, instance: Any, label: str) -> list[str]:
        """Readable validation errors of `instance` against the schema at `uri`."""
        problems = []
        for error in self.validator(uri).iter_errors(instance):
            deepest = _leaf(error)
            where = "/".join(str(p) for p in deepest.absolute_path) or "(root)"
            problems.append(f"{label}: at {where}: {_short(deepest)}")
        return problems

    # -- requests --------------------------------------------------------------------------

    def check_request(self, request: httpx.Request) -> tuple[Operation | None, list[str]]:
        """The operation a request belongs to and what in it disagrees with the spec."""
        path = request.url.path
        method = request.method
        operation = self.specs.match(method, path)
        if operation is None:
            if _UNDOCUMENTED.match(path):
                self.undocumented.add(f"{method} {path}")
                return None, []
            return None, [f"{method} {path}: no operation in the published spec matches"]
        label = f"request {operation.used.key}"
        problems: list[str] = []
        for name, value in self.specs.path_values(operation, path).items():
            param = operation.parameter(name, "path")
            if param is not None:
                problems += self._param_problems(param, value, label)
        query = list(request.url.params.multi_items())
        problems += self._named_values(operation, "query", query, label)
        headers = [(k, v) for k, v in request.headers.items() if not _transport_header(k)]
        problems += self._named_values(operation, "header", headers, label)
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Zoho-oauthtoken "):
            problems.append(f"{label}: Authorization is not `Zoho-oauthtoken <token>`")
        problems += self._body_problems(operation, request.content, label)
        return operation, problems

    def _named_values(
        self, operation: Operation, location: str, items: list[tuple[str, str]], label: str
    ) -> list[str]:
        problems = []
        sent = {name.lower() for name, _ in items}
        for name, value in items:
            param = operation.parameter(name, location)
            if param is None:
                if location == "query":
                    self.undeclared[operation.used.key].add(name)
                continue
            problems += self._param_problems(param, value, label)
        for param in operation.parameters:
            if param.location == location and param.required and param.name.lower() not in sent:
                problems.append(f"{label}: required {location} `{param.name}` is missing")
        return problems

    def _param_problems(self, param: Parameter, raw: str, label: str) -> list[str]:
        schema = param.schema
        value: Any = raw
        kind = schema.get("type")
        try:
            if kind == "integer":
                value = int(raw)
            elif kind == "number":
                value = float(raw)
            elif kind == "boolean":
                if raw not in ("true", "false"):
                    raise ValueError(raw)
                value = raw == "true"
        except ValueError:
            return [f"{label}: {param.location} `{param.name}`={raw!r} is not a {kind}"]
        errors = Draft7Validator(schema, format_checker=FORMATS).iter_errors(value)
        return [f"{label}: {param.location} `{param.name}`={raw!r}: {e.message}" for e in errors]

    def _body_problems(self, operation: Operation, content: bytes, label: str) -> list[str]:
        if operation.request_body is None:
            return [f"{label}: sends a body the spec does not take"] if content else []
        if not content:
            return (
                [f"{label}: the spec requires a JSON body"]
                if operation.request_body_required
                else []
            )
        try:
            body = json.loads(content)
        except ValueError:
            return [f"{label}: the body is not JSON"]
        return self.schema_errors(operation.request_body, body, f"{label} body")

    # -- answers ---------------------------------------------------------------------------

    def allowed_statuses(self, operation: Operation) -> frozenset[int]:
        """Statuses this operation may answer: its own, plus the API-wide documented errors."""
        api_errors = CRM_API_ERRORS if operation.used.side == "crm" else BILLING_API_ERRORS
        return operation.documented_statuses | api_errors

    def check_answer(self, operation: Operation, status: int, content: bytes) -> list[str]:
        """What in an answer (status and body) disagrees with the operation's spec."""
        self.seen.add((operation.used.key, status))
        label = f"answer {operation.used.key} HTTP {status}"
        problems: list[str] = []
        if status not in self.allowed_statuses(operation):
            allowed = sorted(self.allowed_statuses(operation))
            problems.append(f"{label}: status not documented (documented: {allowed})")
        if status in (204, 304):
            return problems + ([f"{label}: carries a body"] if content.strip() else [])
        try:
            body = json.loads(content)
        except ValueError:
            return problems + [f"{label}: the body is not JSON: {content[:120]!r}"]
        if operation.used.side == "crm":
            problems += self._crm_body(operation, status, body, label)
        else:
            problems += self._billing_body(operation, status, body, label)
        return problems

    def _crm_body(self, operation: Operation, status: int, body: Any, label: str) -> list[str]:
        batch = isinstance(body, dict) and isinstance(body.get("data"), list)
        if status < 300 or (status == 400 and batch and operation.used.method != "GET"):
            if isinstance(body, dict) and body.get("status") == "error":
                return [f"{label}: a success status with a top-level error body"]
            uri = operation.responses.get(status) or self._success_uri(operation)
            problems = self.schema_errors(uri, body, label) if uri else []
            for index, item in enumerate(body.get("data", []) if batch else []):
                if isinstance(item, dict) and item.get("status") == "error":
                    where = f"{label} data/{index}"
                    problems += self.schema_errors(COMMON_API_EXCEPTION, item, where)
            return problems
        problems = self.schema_errors(COMMON_API_EXCEPTION, body, f"{label} (common API_Exception)")
        # The per-operation error lists are samples (one or two codes each); an error must match
        # one of them or record.json's general API_Exception, whose code list is the union.
        candidates = [operation.responses.get(status), self._file_exception(operation)]
        candidates.append(f"{BASE_URI}crm-v8/record.json#/components/schemas/API_Exception")
        uris = [uri for uri in dict.fromkeys(candidates) if uri]
        if not any(self.validator(uri).is_valid(body) for uri in uris):
            problems += self.schema_errors(uris[-1], body, f"{label} (documented exceptions)")
        return problems

    def _success_uri(self, operation: Operation) -> str | None:
        for status in (200, 201):
            if operation.responses.get(status):
                return operation.responses[status]
        return None

    def _file_exception(self, operation: Operation) -> str | None:
        doc = self.specs.document(operation.used.spec_file)
        if "API_Exception" in doc.get("components", {}).get("schemas", {}):
            return f"{BASE_URI}{operation.used.spec_file}#/components/schemas/API_Exception"
        return None

    def _billing_body(self, operation: Operation, status: int, body: Any, label: str) -> list[str]:
        if status >= 400:
            errors = Draft7Validator(BILLING_ERROR_SCHEMA).iter_errors(body)
            return [f"{label} (Billing error envelope): {e.message}" for e in errors]
        uri = operation.responses.get(status) or self._success_uri(operation)
        problems = self.schema_errors(uri, body, label) if uri else []
        if isinstance(body, dict) and body.get("code") != 0:
            problems.append(f"{label}: a success status with code {body.get('code')!r}")
        return problems


def _leaf(error: ValidationError) -> ValidationError:
    """In an anyOf/oneOf the branch errors say what is actually wrong; `null` branches added
    for nullable references say nothing."""
    while error.context:
        useful = [e for e in error.context if not e.message.endswith("of type 'null'")]
        error = best_match(useful or error.context)  # type: ignore[assignment]
    return error


def _short(error: ValidationError) -> str:
    if error.validator in ("type", "enum", "format", "required", "not", "const"):
        return error.message[:240]
    return f"fails `{error.validator}`"


def _transport_header(name: str) -> bool:
    # Headers httpx adds on its own; the spec documents the API's, not HTTP's.
    return name.lower() in {
        "host",
        "accept",
        "accept-encoding",
        "connection",
        "user-agent",
        "content-length",
        "content-type",
        "authorization",
    }


class CheckingTransport(httpx.AsyncBaseTransport):
    """Checks every CRM/Billing request and answer that passes through to `inner`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, checker: ConformanceChecker) -> None:
        self.inner = inner
        self.checker = checker
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if side_of(request.url.path) is None:
            return await self.inner.handle_async_request(request)
        operation, problems = self.checker.check_request(request)
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        if operation is not None:
            problems += self.checker.check_answer(operation, response.status_code, content)
        key = operation.used.key if operation else None
        self.exchanges.append(
            Exchange(request.method, request.url.path, key, response.status_code, problems)
        )
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    @property
    def problems(self) -> list[str]:
        return [p for exchange in self.exchanges for p in exchange.problems]

    async def aclose(self) -> None:
        await self.inner.aclose()
