"""Validating and applying CRM writes: field types, mandatory and unique fields, lookups,
derived fields (Full_Name, Probability, Expected_Revenue) and the timestamps."""

from __future__ import annotations

import re
from typing import Any

from zsync_tui.sandbox.catalog import (
    FIELD_INDEX,
    MODULE_FIELDS,
    MODULE_IDS,
    NAME_FIELD,
    PIPELINE_NAME,
    STAGE_PROBABILITY,
    FieldDef,
)
from zsync_tui.sandbox.clock import crm_time
from zsync_tui.sandbox.crm_pages import index_add, index_remove
from zsync_tui.sandbox.state import Sandbox
from zsync_tui.sandbox.world import CrmModule, Record

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RecordError(Exception):
    """One record of a batch is refused; carries the per-record error object."""

    def __init__(self, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.body = {"code": code, "details": details, "message": message, "status": "error"}


def _path(index: int, name: str) -> str:
    return f"$.data[{index}].{name}"


def _invalid(index: int, field: FieldDef, expected: str, **extra: Any) -> RecordError:
    details = {"api_name": field.api_name, "json_path": _path(index, field.api_name)}
    details["expected_data_type"] = expected
    details.update(extra)
    return RecordError("INVALID_DATA", "invalid data", details)


def unique_key(value: Any) -> str | None:
    """How a unique field's value is compared: trimmed, case-insensitive."""
    if value is None or value == "":
        return None
    return str(value).strip().lower()


def _coerce(sandbox: Sandbox, field: FieldDef, value: Any, index: int) -> Any:
    if value is None:
        return None
    kind = field.data_type
    if kind in ("text", "textarea", "phone", "website", "email", "picklist"):
        if not isinstance(value, str):
            raise _invalid(index, field, "text")
        if len(value) > field.length:
            raise _invalid(index, field, "text", maximum_length=field.length)
        if kind == "email" and value and not EMAIL.match(value):
            raise _invalid(index, field, "email")
        if kind == "picklist" and field.picklist and value and value not in field.picklist:
            raise _invalid(index, field, "picklist")
        return value
    if kind in ("integer", "currency"):
        if isinstance(value, bool):
            raise _invalid(index, field, kind)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _invalid(index, field, kind) from None
        if number != number or abs(number) >= 10.0**field.length:  # NaN, or too many digits
            raise _invalid(index, field, kind, maximum_length=field.length)
        return int(number) if kind == "integer" else round(number, 2)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _invalid(index, field, "boolean")
        return value
    if kind == "date":
        if not isinstance(value, str) or not DATE.match(value):
            raise _invalid(index, field, "date")
        return value
    if kind == "lookup":
        target_id = value.get("id") if isinstance(value, dict) else value
        target = sandbox.world.crm[field.lookup].records.get(str(target_id))
        if target is None:
            raise RecordError(
                "INVALID_DATA",
                "the related id given seems to be invalid",
                {
                    "api_name": field.api_name,
                    "json_path": _path(index, field.api_name),
                    "id": str(target_id),
                },
            )
        return {"id": target["id"], "name": target.get(NAME_FIELD[field.lookup])}
    if kind == "ownerlookup":
        user_id = value.get("id") if isinstance(value, dict) else value
        for user in sandbox.world.crm_users:
            if user["id"] == str(user_id):
                return {"id": user["id"], "name": user["full_name"], "email": user["email"]}
        raise _invalid(index, field, "ownerlookup")
    if kind == "multiselectlookup":
        return value if isinstance(value, list) else []
    return value


def clean_fields(sandbox: Sandbox, module: str, item: Any, index: int, creating: bool) -> Record:
    """The writable fields of one `data[i]`, validated; RecordError on the first problem."""
    if not isinstance(item, dict):
        raise RecordError("INVALID_DATA", "invalid data", {"json_path": f"$.data[{index}]"})
    defs = FIELD_INDEX[module]
    cleaned: Record = {}
    for name, value in item.items():
        if name in ("id", "$approval", "$append_values"):
            continue
        field = defs.get(name)
        if field is None:
            raise RecordError(
                "INVALID_DATA", "invalid data", {"api_name": name, "json_path": _path(index, name)}
            )
        if field.read_only:
            continue
        cleaned[name] = _coerce(sandbox, field, value, index)
    for field in MODULE_FIELDS[module]:
        if not field.mandatory:
            continue
        if (creating and cleaned.get(field.api_name) in (None, "")) or (
            field.api_name in cleaned and cleaned[field.api_name] in (None, "")
        ):
            raise RecordError(
                "MANDATORY_NOT_FOUND",
                "required field not found",
                {"api_name": field.api_name, "json_path": _path(index, field.api_name)},
            )
    return cleaned


def check_unique(
    sandbox: Sandbox, module: CrmModule, cleaned: Record, index: int, own_id: str | None
) -> None:
    """DUPLICATE_DATA when a unique field's value is already taken by another record."""
    for name in sandbox.options.unique_fields.get(module.name, ()):
        key = unique_key(cleaned.get(name))
        if key is None:
            continue
        other = unique_index(module, name).get(key)
        if other is not None and other != own_id:
            owner = module.records[other].get("Owner") or {}
            raise RecordError(
                "DUPLICATE_DATA",
                "duplicate data",
                {
                    "api_name": name,
                    "json_path": _path(index, name),
                    "duplicate_record": {
                        "id": other,
                        "module": {"api_name": module.name, "id": MODULE_IDS[module.name]},
                        "Owner": {"id": owner.get("id"), "name": owner.get("name")},
                    },
                },
            )


def unique_index(module: CrmModule, field: str) -> dict[str, str]:
    """value → id for one unique field, built on first use and kept current by writes."""
    index = module.unique.get(field)
    if index is None:
        index = {}
        for record in module.records.values():
            key = unique_key(record.get(field))
            if key is not None:
                index.setdefault(key, record["id"])
        module.unique[field] = index
    return index


def _reindex(module: CrmModule, record: Record, before: Record | None) -> None:
    for field, index in module.unique.items():
        if before is not None:
            old = unique_key(before.get(field))
            if old is not None and index.get(old) == record["id"]:
                del index[old]
        new = unique_key(record.get(field))
        if new is not None:
            index.setdefault(new, record["id"])


def _derive(module: str, record: Record, cleaned: Record) -> None:
    if module == "Contacts":
        first = record.get("First_Name")
        record["Full_Name"] = (
            f"{first} {record.get('Last_Name')}" if first else record.get("Last_Name")
        )
    elif module == "Deals":
        if "Stage" in cleaned and "Probability" not in cleaned:
            record["Probability"] = STAGE_PROBABILITY.get(record["Stage"], 0)
        record.setdefault("Pipeline", PIPELINE_NAME)
        amount = record.get("Amount") or 0
        record["Expected_Revenue"] = round(
            float(amount) * float(record.get("Probability") or 0) / 100, 2
        )


def _by(sandbox: Sandbox) -> Record:
    user = sandbox.world.current_user()
    return {"id": user["id"], "name": user["full_name"], "email": user["email"]}


def insert(sandbox: Sandbox, module: CrmModule, cleaned: Record) -> Record:
    """Store a new record; returns it."""
    now = crm_time(sandbox.now())
    by = _by(sandbox)
    record: Record = {"id": sandbox.world.next_crm_id()}
    for field in MODULE_FIELDS[module.name]:
        if not field.read_only and field.api_name != "Owner":
            record[field.api_name] = None
    record.update(cleaned)
    if record.get("Owner") is None:
        record["Owner"] = by
    record.update({"Created_Time": now, "Modified_Time": now, "Created_By": by, "Modified_By": by})
    _derive(module.name, record, cleaned)
    module.records[record["id"]] = record
    _reindex(module, record, None)
    index_add(module, record)
    module.touch()
    return record


def update(sandbox: Sandbox, module: CrmModule, record: Record, cleaned: Record) -> Record:
    """Apply a change to a stored record; its Modified_Time moves even if no value changed."""
    before = dict(record)
    index_remove(module, before)
    record.update(cleaned)
    record["Modified_Time"] = crm_time(sandbox.now())
    record["Modified_By"] = _by(sandbox)
    _derive(module.name, record, cleaned)
    _reindex(module, record, before)
    index_add(module, record)
    module.touch()
    name_field = NAME_FIELD[module.name]
    if record.get(name_field) != before.get(name_field):
        _rename_lookups(sandbox, module.name, record["id"], record.get(name_field))
    return record


# Lookups that show another record's name; Zoho answers with the current name, so a rename
# shows through them (the referring records' Modified_Time does not move).
LOOKUPS_TO = {
    "Accounts": (
        ("Contacts", "Account_Name"),
        ("Deals", "Account_Name"),
        ("Accounts", "Parent_Account"),
    ),
    "Contacts": (("Deals", "Contact_Name"), ("Contacts", "Reporting_To")),
    "Deals": (),
}


def _rename_lookups(sandbox: Sandbox, module: str, record_id: str, name: Any) -> None:
    for other, field in LOOKUPS_TO[module]:
        target = sandbox.world.crm[other]
        changed = False
        for referring in target.records.values():
            lookup = referring.get(field)
            if isinstance(lookup, dict) and lookup.get("id") == record_id:
                referring[field] = {**lookup, "name": name}
                changed = True
        if changed:
            target.touch()


def delete(sandbox: Sandbox, module: CrmModule, record_id: str) -> Record:
    """Move a record to the recycle bin."""
    record = module.records.pop(record_id)
    _reindex_remove(module, record)
    index_remove(module, record)
    entry = {
        "id": record_id,
        "display_name": record.get(NAME_FIELD[module.name]),
        "type": "recycle",
        "created_by": record.get("Created_By"),
        "deleted_by": _by(sandbox),
        "deleted_time": crm_time(sandbox.now()),
    }
    module.deleted.append(entry)
    module.touch()
    return entry


def _reindex_remove(module: CrmModule, record: Record) -> None:
    for field, index in module.unique.items():
        key = unique_key(record.get(field))
        if key is not None and index.get(key) == record["id"]:
            del index[key]


def success(record: Record, message: str, **extra: Any) -> Record:
    """The per-record success object of a write."""
    body: Record = {
        "code": "SUCCESS",
        "details": {
            "Modified_Time": record["Modified_Time"],
            "Modified_By": record["Modified_By"],
            "Created_Time": record["Created_Time"],
            "id": record["id"],
            "Created_By": record["Created_By"],
        },
        "message": message,
        "status": "success",
    }
    body.update(extra)
    return body
