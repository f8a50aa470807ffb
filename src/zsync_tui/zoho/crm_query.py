"""Building CRM queries: search criteria (escaped), field lists, `If-Modified-Since` values."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

MAX_FIELDS_PER_CALL = 50
#: Every field chunk carries these, so chunks can be merged and pages stay ordered.
KEY_FIELDS = ("id", "Modified_Time")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


def module_name(name: str) -> str:
    """A module (or field) API name safe to put in a path or a criterion."""
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a CRM module API name")
    return name


def checked_id(value: str) -> str:
    """A record ID safe to put in a path (no slash, no query)."""
    if not _ID.match(str(value)):
        raise ValueError(f"{value!r} is not a CRM record ID")
    return str(value)


def escape_criteria_value(value: object) -> str:
    """Backslash-escape what the Search API treats as syntax: `\\`, `(`, `)` and `,`."""
    text = str(value)
    for char in ("\\", "(", ")", ","):
        text = text.replace(char, "\\" + char)
    return text


def criterion(field: str, operator: str, value: object) -> str:
    """One search criterion, e.g. `(Email:equals:a@b.example)`, with the value escaped."""
    return f"({module_name(field)}:{operator}:{escape_criteria_value(value)})"


def all_of(*criteria: str) -> str:
    """Criteria joined with `and`, grouped in pairs as Zoho asks for more than two."""
    if not criteria:
        raise ValueError("at least one criterion is needed")
    grouped = criteria[0]
    for item in criteria[1:]:
        grouped = f"({grouped}and{item})"
    return grouped


def http_date(moment: datetime | str) -> str:
    """`If-Modified-Since` in Zoho's ISO 8601 form with an offset."""
    if isinstance(moment, str):
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def field_chunks(fields: Sequence[str]) -> list[list[str]]:
    """Split a field list into calls of at most 50, each carrying the key fields."""
    wanted = list(dict.fromkeys(fields))
    rest = [name for name in wanted if name not in KEY_FIELDS]
    room = MAX_FIELDS_PER_CALL - len(KEY_FIELDS)
    chunks = [list(KEY_FIELDS) + rest[i : i + room] for i in range(0, len(rest), room)]
    return chunks or [list(KEY_FIELDS)]
