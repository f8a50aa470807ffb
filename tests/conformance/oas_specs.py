"""Zoho's published OpenAPI specs, loaded for the conformance tests.

The spec files stay outside the project (`ZSYNC_OAS_DIR`); this module reads them, makes their
`$ref`s resolvable offline (each file is a resource of one `referencing.Registry`, loaded on first
use), and indexes the operations the product uses: (method, path template) → parameters, request
schema, documented responses. Loaded by `conftest.py` from its file path (`--import-mode=importlib`
leaves test folders off `sys.path`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from oas_catalog import (  # noqa: F401  (re-exported for the checks and tests)
    BILLING_PREFIX,
    CRM_PREFIX,
    SPEC_PATCHES,
    UNDOCUMENTED_CALLS,
    USED_OPERATIONS,
    SpecPatch,
    UsedOperation,
)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

BASE_URI = "file:///zoho-oas/"
BILLING_ORG_HEADER = "X-com-zoho-subscriptions-organizationid"
COMMON_API_EXCEPTION = f"{BASE_URI}crm-v8/common.json#/components/schemas/API_Exception"
_ERROR_SCHEMA_NAME = re.compile(r"(Exception|Error)[^/]*$")


@dataclass
class RelaxStats:
    """What was changed while loading, for the differences document."""

    patterns_dropped: int = 0
    nullables: int = 0
    mixed_oneofs: int = 0
    nullable_refs: int = 0
    message_enums: int = 0
    patches: int = 0
    files: list[str] = field(default_factory=list)


def _is_error_ref(item: Any) -> bool:
    return isinstance(item, dict) and bool(_ERROR_SCHEMA_NAME.search(str(item.get("$ref", ""))))


def _split_success_and_error(node: dict[str, Any], key: str) -> dict[str, Any] | None:
    """A `oneOf` of success and exception schemas, made to mean something.

    CRM answers are `oneOf [success wrapper, API_Exception]` and `API_Exception` requires nothing,
    so the `oneOf` accepts almost anything. An answer that says `"status": "error"` must match an
    exception branch; any other must match a success branch.
    """
    branches = node[key]
    errors = [b for b in branches if _is_error_ref(b)]
    successes = [b for b in branches if not _is_error_ref(b)]
    if not errors or not successes:
        return None
    rest = {k: v for k, v in node.items() if k != key}
    return {
        **rest,
        "if": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"enum": ["error"]}},
        },
        "then": {"anyOf": errors},
        "else": {"anyOf": successes},
    }


def relax(node: Any, stats: RelaxStats) -> Any:
    """OpenAPI 3.0 schema dialect → JSON Schema draft 7, with the spec's sample artifacts removed.

    - `nullable: true` becomes a `null` type (and a `null` enum member);
    - `pattern`s are dropped: Zoho generated them from sample data (a user's email must be nine
      characters @ five characters .com); each one is counted and listed in the document;
    - mixed success/exception `oneOf`s are split on `status` (see `_split_success_and_error`).
    """
    if isinstance(node, list):
        return [relax(item, stats) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: relax(v, stats) if k not in ("example", "examples") else v for k, v in node.items()}
    if out.get("nullable") is True and isinstance(out.get("type"), str):
        stats.nullables += 1
        out["type"] = [out["type"], "null"]
        if isinstance(out.get("enum"), list):
            out["enum"] = [*out["enum"], None]
    if isinstance(out.get("pattern"), str) and out.get("type") in ("string", ["string", "null"]):
        stats.patterns_dropped += 1
        del out["pattern"]
    props = out.get("properties")
    if isinstance(props, dict) and {"code", "message", "status"} <= set(props):
        message = props["message"]
        if isinstance(message, dict) and "enum" in message:
            # Error and success messages are enumerated from sample answers (human text that
            # varies with the case); the `code` enums stay enforced.
            stats.message_enums += 1
            props["message"] = {k: v for k, v in message.items() if k != "enum"}
    if isinstance(out.get("properties"), dict):
        for name, prop in out["properties"].items():
            if isinstance(prop, dict) and set(prop) == {"$ref"}:
                # OAS 3.0 cannot mark a `$ref` nullable; Zoho sends null for an absent object
                # (the generator marked every inline object property nullable).
                stats.nullable_refs += 1
                out["properties"][name] = {"anyOf": [prop, {"type": "null"}]}
    for key in ("oneOf", "anyOf"):
        if isinstance(out.get(key), list):
            split = _split_success_and_error(out, key)
            if split is not None:
                stats.mixed_oneofs += 1
                out = split
                break
    return out


def apply_patches(relative: str, doc: dict[str, Any], stats: RelaxStats) -> None:
    """Apply the `SPEC_PATCHES` of one file."""
    schemas = doc.get("components", {}).get("schemas", {})
    for patch in SPEC_PATCHES:
        if patch.spec_file != relative:
            continue
        target = schemas[patch.schema]
        if patch.prop is None:
            target.update(patch.changes)
        elif "extend_enum" in patch.changes:
            prop = target["properties"][patch.prop]
            prop["enum"] = [*prop["enum"], *patch.changes["extend_enum"]]
        else:
            target["properties"][patch.prop] = dict(patch.changes)
        stats.patches += 1


def pointer(*parts: str) -> str:
    """A JSON pointer from raw segments (`~` and `/` escaped)."""
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: where it goes, whether it is required, its schema."""

    name: str
    location: str
    required: bool
    schema: dict[str, Any]


@dataclass
class Operation:
    """One used operation as its spec documents it; schema fields are `$ref` URIs."""

    used: UsedOperation
    parameters: list[Parameter]
    request_body: str | None
    request_body_required: bool
    #: status → schema URI, or None when the status is documented without a JSON body.
    responses: dict[int, str | None]

    @property
    def documented_statuses(self) -> frozenset[int]:
        return frozenset(self.responses) | self.used.extra_statuses

    def parameter(self, name: str, location: str) -> Parameter | None:
        for param in self.parameters:
            if param.location == location and param.name.lower() == name.lower():
                return param
        return None


class SpecSet:
    """The spec folder: a lazily filled `referencing.Registry` and the used-operation index."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.stats = RelaxStats()
        self._documents: dict[str, dict[str, Any]] = {}
        self.registry: Registry[Any] = Registry(retrieve=self._retrieve)  # type: ignore[call-arg]
        self.operations = {used.key: self._operation(used) for used in USED_OPERATIONS}

    def document(self, relative: str) -> dict[str, Any]:
        """One spec file, relaxed (see `relax`), by its path under the spec folder."""
        if relative not in self._documents:
            path = self.root / relative
            text = path.read_text(encoding="utf-8")
            raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
            self._documents[relative] = relax(raw, self.stats)
            apply_patches(relative, self._documents[relative], self.stats)
            self.stats.files.append(relative)
        return self._documents[relative]

    def _retrieve(self, uri: str) -> Resource[Any]:
        relative = uri.removeprefix(BASE_URI)
        return Resource(contents=self.document(relative), specification=DRAFT7)

    def uri(self, relative: str, json_pointer: str) -> str:
        return f"{BASE_URI}{relative}{json_pointer}"

    def resolve(self, uri: str) -> Any:
        """The contents a `$ref` URI points at."""
        return self.registry.resolver().lookup(uri).contents

    def _deref(self, relative: str, node: dict[str, Any], ptr: str) -> tuple[dict[str, Any], str]:
        """Follow a `$ref` to a response or parameter object (same file), with its pointer."""
        while "$ref" in node:
            target = node["$ref"]
            if not target.startswith("#"):
                raise ValueError(f"{relative}: cross-file {target} is not expected here")
            ptr = target
            node = self.resolve(self.uri(relative, target))
        return node, ptr

    def _operation(self, used: UsedOperation) -> Operation:
        doc = self.document(used.spec_file)
        spec_path = used.template
        if used.side == "billing":
            spec_path = used.template.removeprefix(BILLING_PREFIX)
        path_item = doc["paths"][spec_path]
        op = path_item[used.method.lower()]
        params: dict[tuple[str, str], Parameter] = {}
        for raw in [*path_item.get("parameters", []), *op.get("parameters", [])]:
            node, _ = self._deref(used.spec_file, raw, "")
            param = Parameter(
                node["name"], node["in"], bool(node.get("required")), node.get("schema", {})
            )
            params[(param.name.lower(), param.location)] = param
        body_uri = None
        body_required = False
        if "requestBody" in op:
            base = pointer("paths", spec_path, used.method.lower(), "requestBody")
            body, ptr = self._deref(used.spec_file, op["requestBody"], base)
            body_required = bool(body.get("required"))
            if "application/json" in body.get("content", {}):
                json_ptr = ptr + "/content/application~1json/schema"
                body_uri = self.uri(used.spec_file, json_ptr)
        responses: dict[int, str | None] = {}
        for status, raw in op.get("responses", {}).items():
            base = pointer("paths", spec_path, used.method.lower(), "responses", str(status))
            node, ptr = self._deref(used.spec_file, raw, base)
            media = node.get("content", {}).get("application/json")
            has_schema = isinstance(media, dict) and "schema" in media
            schema_ptr = ptr + "/content/application~1json/schema"
            responses[int(status)] = self.uri(used.spec_file, schema_ptr) if has_schema else None
        return Operation(used, list(params.values()), body_uri, body_required, responses)

    def match(self, method: str, path: str) -> Operation | None:
        """The used operation a concrete request path belongs to (literal segments win)."""
        segments = path.rstrip("/").split("/")
        best: tuple[int, Operation] | None = None
        for operation in self.operations.values():
            if operation.used.method != method.upper():
                continue
            template = operation.used.template.split("/")
            if len(template) != len(segments):
                continue
            literals = 0
            for want, got in zip(template, segments, strict=True):
                if want.startswith("{"):
                    continue
                if want != got:
                    break
                literals += 1
            else:
                if best is None or literals > best[0]:
                    best = (literals, operation)
        return best[1] if best else None

    def path_values(self, operation: Operation, path: str) -> dict[str, str]:
        """The path parameters of a concrete path, by name."""
        template = operation.used.template.split("/")
        values = path.rstrip("/").split("/")
        return {t[1:-1]: v for t, v in zip(template, values, strict=True) if t.startswith("{")}

    def reachable(self, uri: str) -> set[str]:
        """Every `$ref` target reachable from `uri`, resolved (raises if one is not)."""
        seen: set[str] = set()
        pending = [uri]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            base = current.split("#", 1)[0]
            stack = [self.resolve(current)]
            while stack:
                node = stack.pop()
                if isinstance(node, dict):
                    ref = node.get("$ref")
                    if isinstance(ref, str):
                        pending.append(base + ref if ref.startswith("#") else self._join(base, ref))
                    stack.extend(v for k, v in node.items() if k not in ("example", "examples"))
                elif isinstance(node, list):
                    stack.extend(node)
        return seen

    def _join(self, base: str, ref: str) -> str:
        folder = base.rsplit("/", 1)[0]
        return f"{folder}/{ref}"

    def __iter__(self) -> Iterator[Operation]:
        return iter(self.operations.values())


def schema_ref(uri: str) -> dict[str, Any]:
    """A schema that is just a reference (what validators are built from)."""
    return {"$ref": uri}


def documented_example(specs: SpecSet, uri: str, depth: int = 0) -> Any:
    """The sample a Billing schema documents, assembled from its fields' `example` values.

    Billing gives an `example` for almost every field and none for whole answers; an object's
    sample is its properties' samples, an array's is one item. Properties without any sample are
    left out (there is nothing documented to parse).
    """
    node = specs.resolve(uri)
    return _example(specs, node, uri, depth)


def _example(specs: SpecSet, node: Any, base: str, depth: int) -> Any:
    if depth > 12 or not isinstance(node, dict):
        return None
    if "$ref" in node:
        target = node["$ref"]
        file_part = base.split("#", 1)[0]
        uri = file_part + target if target.startswith("#") else target
        return documented_example(specs, uri, depth + 1)
    if "example" in node:
        return node["example"]
    if node.get("type") == "array" and isinstance(node.get("items"), dict):
        item = _example(specs, node["items"], base, depth + 1)
        return [item] if item is not None else None
    properties = node.get("properties")
    if isinstance(properties, dict):
        built = {}
        for name, schema in properties.items():
            value = _example(specs, schema, base, depth + 1)
            if value is not None:
                built[name] = value
        return built or None
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(node.get(key), list) and node[key]:
            return _example(specs, node[key][0], base, depth + 1)
    return None
