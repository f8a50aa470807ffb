"""The three-way field merge of a linked pair against the values agreed at the last sync.

Per field: unchanged on both sides → nothing; changed on one side → copied to the other (if the
field's direction allows it); changed on both to the same value → agreed; changed on both to
different values → the field's policy decides, and `manual` (or `newest_wins` without times)
leaves a conflict for the admin. A field changed on the side that its direction does not read
is left as it is: the other side is the master and will overwrite it on its next change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from zsync_tui.sync.config import FieldMapEntry
from zsync_tui.sync.mapping import Values


@dataclass(frozen=True)
class FieldConflict:
    """A field both sides changed that its policy cannot settle."""

    path: str
    crm_field: str
    base: str | None
    crm: str | None
    billing: str | None


@dataclass
class MergeResult:
    """What to write on each side (keyed by Billing path) and the new agreed values."""

    to_billing: Values = field(default_factory=dict)
    to_crm: Values = field(default_factory=dict)
    base: Values = field(default_factory=dict)
    conflicts: list[FieldConflict] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        return bool(self.to_billing or self.to_crm)


def merge_fields(
    entries: Iterable[FieldMapEntry],
    base: Mapping[str, str | None] | None,
    crm: Mapping[str, str | None],
    billing: Mapping[str, str | None],
    *,
    crm_is_newer: bool | None = None,
    one_way: bool = False,
) -> MergeResult:
    """Merge one linked pair. `base` None means a first link (a duplicate being overwritten):
    CRM's non-empty values win and Billing fills CRM's empty ones.

    `crm_is_newer` settles `newest_wins` (None: unknown, so it becomes a conflict);
    `one_way` (fetch from CRM) never writes CRM.
    """
    result = MergeResult()
    first_link = base is None
    for entry in entries:
        path = entry.billing
        c, b = crm.get(path), billing.get(path)
        o = None if base is None else base.get(path)
        to_billing = entry.direction in ("both", "to_billing")
        to_crm = entry.direction in ("both", "to_crm") and not one_way
        if c == b or not (to_billing or to_crm):
            result.base[path] = c if c == b else o
            continue
        known = not first_link and base is not None and path in base
        if not known:
            # No agreed value yet: the master side's value is copied; for a field both sides
            # own, CRM's value leads where it has one.
            if to_billing and (not to_crm or c is not None):
                result.to_billing[path] = c
                result.base[path] = c
            else:
                result.to_crm[path] = b
                result.base[path] = b
            continue
        if b == o:
            # Only CRM changed.
            if to_billing:
                result.to_billing[path] = c
                result.base[path] = c
            else:
                result.base[path] = o
            continue
        if c == o:
            # Only Billing changed.
            if to_crm:
                result.to_crm[path] = b
                result.base[path] = b
            else:
                result.base[path] = o
            continue
        winner = _settle(entry, to_billing, to_crm, crm_is_newer)
        if winner == "crm":
            result.to_billing[path] = c
            result.base[path] = c
        elif winner == "billing":
            result.to_crm[path] = b
            result.base[path] = b
        else:
            result.base[path] = o
            result.conflicts.append(FieldConflict(path, entry.crm, o, c, b))
    return result


def _settle(
    entry: FieldMapEntry, to_billing: bool, to_crm: bool, crm_is_newer: bool | None
) -> str | None:
    if not to_crm:
        return "crm" if to_billing else None
    if not to_billing:
        return "billing"
    if entry.policy == "crm_wins":
        return "crm"
    if entry.policy == "billing_wins":
        return "billing"
    if entry.policy == "newest_wins" and crm_is_newer is not None:
        return "crm" if crm_is_newer else "billing"
    return None
