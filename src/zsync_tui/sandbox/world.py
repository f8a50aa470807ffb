"""The sandbox's data: plain dicts and lists, indexed for the queries the API serves."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CRM_MODULES = ("Accounts", "Contacts", "Deals")
CRM_ID_BASE = 4_876_876_000_000_000_000
BILLING_ID_BASE = 982_000_000_000_000
STATE_FORMAT = 1

Record = dict[str, Any]


class StateFileError(ValueError):
    """A saved state file that cannot be loaded; the message says why."""


@dataclass
class CrmModule:
    """One CRM module's live and deleted records; `version` moves on every write."""

    name: str
    records: dict[str, Record] = field(default_factory=dict)
    deleted: list[Record] = field(default_factory=list)
    version: int = 0
    # Filtered views keyed by (sort_by, If-Modified-Since, cvid); dropped when `version` moves.
    views: dict[tuple[str, str, str], list[Any]] = field(default_factory=dict)
    views_version: int = -1
    # (time, id) keys sorted, per time field; built on first use, then kept current by writes.
    time_index: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # The records themselves, in step with `time_index` (same field, same positions), so a
    # page of an unfiltered view is a slice rather than 200 lookups by id.
    time_records: dict[str, list[Record]] = field(default_factory=dict)
    id_keys: list[str] = field(default_factory=list)
    id_keys_version: int = -1
    # lookup field → parent id → child ids (related lists), rebuilt when `version` moves.
    lookup_maps: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    lookup_version: int = -1

    def children(self, lookup_field: str, parent_id: str) -> list[Record]:
        """Records whose `lookup_field` points at `parent_id`, in id order."""
        if self.lookup_version != self.version:
            self.lookup_maps.clear()
            self.lookup_version = self.version
        index = self.lookup_maps.get(lookup_field)
        if index is None:
            index = {}
            for record in self.records.values():
                target = record.get(lookup_field)
                if isinstance(target, dict) and target.get("id"):
                    index.setdefault(target["id"], []).append(record["id"])
            self.lookup_maps[lookup_field] = index
        return [self.records[i] for i in index.get(parent_id, [])]

    # Unique-field indexes, value → id; built lazily, kept current by writes, not saved.
    unique: dict[str, dict[str, str]] = field(default_factory=dict)

    def touch(self) -> None:
        """Mark the module changed so cached views are rebuilt."""
        self.version += 1

    def compact(self) -> None:
        """Reallocate the records in the order a sync reads them: by Modified_Time.

        The seeder allocates records in id order while a sync walks them by Modified_Time,
        so each page of 200 touched dicts spread over the whole heap (tens of MB for 50,000
        Accounts) and a list call spent most of its time waiting on memory. Fresh copies made
        in walk order sit side by side. Same ids, same values, same id order of `records`."""
        fresh = {
            record_id: _copy_containers(self.records[record_id], {})
            for _, record_id in self.sorted_by("Modified_Time")
        }
        self.records.update(fresh)  # existing keys: the id order stays
        # The walk lists still point at the old dicts.
        records = self.records
        self.time_records = {
            time_field: [records[record_id] for _, record_id in index]
            for time_field, index in self.time_index.items()
        }

    def sorted_by(self, time_field: str) -> list[tuple[str, str]]:
        """All records' (time, id) in order: sorted once, then kept current by every write."""
        index = self.time_index.get(time_field)
        if index is None:
            index = sorted((r.get(time_field) or "", r["id"]) for r in self.records.values())
            self.time_index[time_field] = index
            records = self.records
            self.time_records[time_field] = [records[record_id] for _, record_id in index]
        return index

    def records_by(self, time_field: str) -> list[Record]:
        """All records in `sorted_by(time_field)` order, position for position."""
        self.sorted_by(time_field)
        return self.time_records[time_field]


def _copy_containers(value: Any, copies: dict[int, Any]) -> Any:
    """`value` with its dicts and lists newly allocated (shared ones stay shared, via `copies`);
    strings and numbers are immutable and kept."""
    if not isinstance(value, dict | list):
        return value
    done = copies.get(id(value))
    if done is not None:
        return done
    if isinstance(value, dict):
        copied: Any = {key: _copy_containers(item, copies) for key, item in value.items()}
    else:
        copied = [_copy_containers(item, copies) for item in value]
    copies[id(value)] = copied
    return copied


@dataclass
class World:
    """Everything the sandbox knows: CRM org, users, records; Billing org and documents."""

    crm: dict[str, CrmModule] = field(
        default_factory=lambda: {name: CrmModule(name) for name in CRM_MODULES}
    )
    crm_org: Record = field(default_factory=dict)
    crm_users: list[Record] = field(default_factory=list)
    custom_views: dict[str, list[Record]] = field(default_factory=dict)
    billing_org: Record = field(default_factory=dict)
    customers: dict[str, Record] = field(default_factory=dict)
    contact_persons: dict[str, Record] = field(default_factory=dict)
    estimates: dict[str, Record] = field(default_factory=dict)
    invoices: dict[str, Record] = field(default_factory=dict)
    salesorders: dict[str, Record] = field(default_factory=dict)
    billing_custom_fields: list[Record] = field(default_factory=list)
    planted_duplicates: list[Record] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=lambda: {"crm": 0, "billing": 0})
    # Derived indexes, rebuilt on demand (not saved): contact persons by customer, and customers
    # by CRM reference (zcrm ids are read-only: only the seed sets them).
    _persons_by_customer: dict[str, list[str]] | None = field(default=None, repr=False)
    _customer_refs: dict[tuple[str, str], str] | None = field(default=None, repr=False)

    def persons_of(self, customer_id: str) -> list[Record]:
        """A customer's contact persons, in creation order."""
        if self._persons_by_customer is None:
            index: dict[str, list[str]] = {}
            for person in self.contact_persons.values():
                index.setdefault(person["customer_id"], []).append(person["contactperson_id"])
            self._persons_by_customer = index
        ids = self._persons_by_customer.get(customer_id, [])
        return [self.contact_persons[i] for i in ids if i in self.contact_persons]

    def persons_changed(self) -> None:
        """Forget the contact-person index after an add or delete."""
        self._persons_by_customer = None

    def customer_by_reference(self, kind: str, reference: str) -> Record | None:
        """The customer linked to a CRM record (`kind` is zcrm_account_id or zcrm_contact_id)."""
        if self._customer_refs is None:
            self._customer_refs = {
                (key, c[key]): c["customer_id"]
                for c in self.customers.values()
                for key in ("zcrm_account_id", "zcrm_contact_id")
                if c.get(key)
            }
        customer = self.customers.get(self._customer_refs.get((kind, reference), ""))
        return customer if customer is not None and customer.get(kind) == reference else None

    def next_crm_id(self) -> str:
        """A fresh CRM id; ids grow, so dict order is id order."""
        self.counters["crm"] += 1
        return str(CRM_ID_BASE + self.counters["crm"] * 1000 + 1)

    def next_billing_id(self) -> str:
        """A fresh Billing id (customers, contact persons, documents share the sequence)."""
        self.counters["billing"] += 1
        return str(BILLING_ID_BASE + self.counters["billing"] * 1000 + 1)

    def next_number(self, kind: str, prefix: str) -> str:
        """The next document number, e.g. `QT-000012` or `INV-000031`."""
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return f"{prefix}-{self.counters[kind]:06d}"

    def build_indexes(self) -> None:
        """Sort every CRM module by Modified_Time now, so the first list call of a walk does
        not pay for it (a server keeps its indexes; it does not build them per request)."""
        for module in self.crm.values():
            module.sorted_by("Modified_Time")

    def current_user(self) -> Record:
        """The CRM user the tokens belong to (the first, an administrator)."""
        return self.crm_users[0]

    def to_json(self) -> dict[str, Any]:
        """The whole world as JSON-ready data (for save)."""
        return {
            "format": STATE_FORMAT,
            "crm": {
                name: {"records": list(m.records.values()), "deleted": m.deleted}
                for name, m in self.crm.items()
            },
            "crm_org": self.crm_org,
            "crm_users": self.crm_users,
            "custom_views": self.custom_views,
            "billing_org": self.billing_org,
            "customers": list(self.customers.values()),
            "contact_persons": list(self.contact_persons.values()),
            "estimates": list(self.estimates.values()),
            "invoices": list(self.invoices.values()),
            "salesorders": list(self.salesorders.values()),
            "billing_custom_fields": self.billing_custom_fields,
            "planted_duplicates": self.planted_duplicates,
            "counters": self.counters,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> World:
        """Rebuild a world saved by `to_json`."""
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            raise StateFileError(f"not a sandbox state of format {STATE_FORMAT}")
        try:
            world = cls(
                crm_org=data["crm_org"],
                crm_users=data["crm_users"],
                custom_views=data["custom_views"],
                billing_org=data["billing_org"],
                customers={c["customer_id"]: c for c in data["customers"]},
                contact_persons={p["contactperson_id"]: p for p in data["contact_persons"]},
                estimates={e["estimate_id"]: e for e in data["estimates"]},
                invoices={i["invoice_id"]: i for i in data["invoices"]},
                salesorders={s["salesorder_id"]: s for s in data["salesorders"]},
                billing_custom_fields=data["billing_custom_fields"],
                planted_duplicates=data["planted_duplicates"],
                counters=data["counters"],
            )
            for name in CRM_MODULES:
                saved = data["crm"][name]
                module = world.crm[name]
                records = sorted(saved["records"], key=lambda r: int(r["id"]))
                module.records = {r["id"]: r for r in records}
                module.deleted = saved["deleted"]
        except (KeyError, TypeError) as exc:
            raise StateFileError(f"the state is missing {exc}") from exc
        return world

    def save(self, path: Path) -> None:
        """Write the world to `path` (atomically: a crash leaves the old file)."""
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> World:
        """Read a world saved by `save`."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise StateFileError(f"cannot read {path}: {exc.strerror}") from exc
        except json.JSONDecodeError as exc:
            raise StateFileError(f"{path} is not JSON: {exc}") from exc
        return cls.from_json(data)
