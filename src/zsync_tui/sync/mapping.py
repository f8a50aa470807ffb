"""Field mapping between a CRM record and a Billing customer.

Values are compared in one canonical form, keyed by the entry's Billing path: text, stripped,
with empty and missing both meaning None. Lookups (`{"id", "name"}`) compare by name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from zsync_tui.sync.config import FieldMapEntry
from zsync_tui.sync.field_defaults import CUSTOM_FIELD_PREFIX

Values = dict[str, str | None]


def canonical(value: Any) -> str | None:
    """The comparable form of one field value."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = value.get("name") if "name" in value else value.get("id")
        if value is None:
            return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, list):
        return ";".join(str(item) for item in value) or None
    text = str(value).strip()
    return text or None


def crm_values(record: Mapping[str, Any], entries: Iterable[FieldMapEntry]) -> Values:
    """The mapped values of a CRM record, keyed by Billing path."""
    return {entry.billing: canonical(record.get(entry.crm)) for entry in entries}


def billing_value(customer: Mapping[str, Any], path: str) -> str | None:
    """One value of a Billing customer by path (`phone`, `billing_address.city`, custom fields)."""
    if path.startswith(CUSTOM_FIELD_PREFIX):
        label = path[len(CUSTOM_FIELD_PREFIX) :]
        for custom in customer.get("custom_fields") or ():
            if isinstance(custom, Mapping) and label in (
                custom.get("label"),
                custom.get("api_name"),
            ):
                return canonical(custom.get("value"))
        return None
    if "." in path:
        outer, inner = path.split(".", 1)
        nested = customer.get(outer)
        return canonical(nested.get(inner)) if isinstance(nested, Mapping) else None
    return canonical(customer.get(path))


def billing_values(customer: Mapping[str, Any], entries: Iterable[FieldMapEntry]) -> Values:
    """The mapped values of a Billing customer, keyed by Billing path."""
    return {entry.billing: billing_value(customer, entry.billing) for entry in entries}


def billing_payload(
    changes: Mapping[str, str | None], current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A Billing create/update body setting `changes` (path → value).

    An address is sent whole (the current one with the changes applied) so that an update never
    blanks the address keys that are not mapped.
    """
    body: dict[str, Any] = {}
    customs: list[dict[str, Any]] = []
    for path, value in changes.items():
        if path.startswith(CUSTOM_FIELD_PREFIX):
            customs.append({"label": path[len(CUSTOM_FIELD_PREFIX) :], "value": value or ""})
        elif "." in path:
            outer, inner = path.split(".", 1)
            if outer not in body:
                existing = (current or {}).get(outer)
                body[outer] = dict(existing) if isinstance(existing, Mapping) else {}
            body[outer][inner] = value or ""
        else:
            body[path] = value or ""
    if customs:
        body["custom_fields"] = customs
    return body


def crm_payload(
    changes: Mapping[str, str | None], entries: Iterable[FieldMapEntry]
) -> dict[str, Any]:
    """A CRM record body setting the CRM fields behind the Billing paths in `changes`."""
    by_path = {entry.billing: entry.crm for entry in entries}
    return {by_path[path]: value for path, value in changes.items() if path in by_path}


def values_hash(values: Mapping[str, str | None]) -> str:
    """A short stable digest of mapped values: equal values, equal hash, whatever the order."""
    # orjson writes the same bytes as json.dumps(..., ensure_ascii=False, separators=(",", ":"))
    # for these [str, str | None] pairs (stored hashes stay valid), several times faster.
    return hashlib.blake2b(orjson.dumps(sorted(values.items())), digest_size=12).hexdigest()


def diff(
    before: Mapping[str, str | None], after: Mapping[str, str | None]
) -> dict[str, list[str | None]]:
    """Field → [old, new] for every key whose value changes."""
    return {
        key: [before.get(key), value] for key, value in after.items() if before.get(key) != value
    }
