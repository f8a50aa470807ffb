"""Linked pairs: compare each side with what was agreed at the last sync, merge field by
field, send what each side is missing, and remember the new agreed values on the link.

Echoes are suppressed by hashes of the mapped values (CRM) and by `updated_time` (Billing,
whose list has no mapped fields beyond a few; a moved time costs one GET to compare).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from zsync_tui.store import RecordLink
from zsync_tui.sync.config import FieldMapEntry
from zsync_tui.sync.crashpoints import checkpoint
from zsync_tui.sync.events import PlanItem, RunReport
from zsync_tui.sync.ledger import Ledger, link_values, store_link_values
from zsync_tui.sync.mapping import (
    Values,
    billing_payload,
    billing_values,
    crm_payload,
    crm_values,
    diff,
    values_hash,
)
from zsync_tui.sync.merge import merge_fields
from zsync_tui.sync.page_work import PageWork
from zsync_tui.sync.records import CustomerRecords, billing_time_mark, parse_time
from zsync_tui.zoho.errors import RateLimited, ZohoError

if TYPE_CHECKING:
    from zsync_tui.sync.crm_writer import CrmWriter

LinkSnapshot = tuple[str, str | None, str | None, str | None, str | None]


def snapshot(link: RecordLink) -> LinkSnapshot:
    """The link's state before a merge, to restore if the CRM refuses the update."""
    return (
        link.last_values_json,
        link.crm_hash,
        link.billing_hash,
        link.crm_modified_time,
        link.billing_modified_time,
    )


def restore(link: RecordLink, saved: LinkSnapshot) -> None:
    """Put back the pre-merge state; Billing's time is cleared so the next run merges again."""
    link.last_values_json, link.crm_hash, link.billing_hash, link.crm_modified_time, _ = saved
    link.billing_modified_time = None
    link.crm_hash = None


class LinkedPairs(CustomerRecords):
    """The engine's handling of records that already have a partner on the other side."""

    ledger: Ledger
    dry_run: bool
    dirty: dict[int, dict[str, Any]]
    report: RunReport
    crm_writer: CrmWriter
    cancel: asyncio.Event

    def emit(self, item: PlanItem) -> None:
        raise NotImplementedError

    def tick(self, phase: str, total: int | None = None) -> None:
        raise NotImplementedError

    def commit(self, work: PageWork, cursor_name: str | None, cursor: str | None) -> None:
        raise NotImplementedError

    async def handle_linked(
        self,
        module: str,
        record: dict[str, Any],
        link: RecordLink,
        entries: list[FieldMapEntry],
        work: PageWork,
    ) -> None:
        crm_now = crm_values(record, entries)
        crm_hash = values_hash(crm_now)
        dirty_customer = self.dirty.pop(int(link.id or 0), None)
        if link.state == "crm_deleted":
            link.state = "linked"
            link.crm_deleted_at = None
        elif crm_hash == link.crm_hash and dirty_customer is None:
            return
        stored = link_values(link)
        current = None
        if dirty_customer is not None:
            current = await self.billing.get_customer(link.billing_id)
            billing_now = billing_values(current, entries)
        else:
            billing_now = stored["billing"] or dict(stored["base"])
        await self.merge_and_write(
            module, record, link, entries, stored["base"], crm_now, billing_now, current, work
        )

    async def merge_and_write(
        self,
        module: str,
        record: dict[str, Any] | None,
        link: RecordLink,
        entries: list[FieldMapEntry],
        base: Values | None,
        crm_now: Values,
        billing_now: Values,
        current: dict[str, Any] | None,
        work: PageWork,
    ) -> None:
        """Merge one pair, queue or send its writes, and update the link."""
        before = snapshot(link)
        crm_time = parse_time((record or {}).get("Modified_Time") or link.crm_modified_time)
        billing_time = parse_time(
            (current or {}).get("updated_time") or (link.billing_modified_time or "").rstrip("~")
        )
        newer = None if crm_time is None or billing_time is None else crm_time > billing_time
        result = merge_fields(
            entries, base, crm_now, billing_now, crm_is_newer=newer, one_way=self.one_way
        )
        for path, value in link_values(link)["override"].items():
            # The admin settled a conflict: the chosen value goes wherever it is not yet.
            result.conflicts = [c for c in result.conflicts if c.path != path]
            if billing_now.get(path) != value:
                result.to_billing[path] = value
            if crm_now.get(path) != value and not self.one_way:
                result.to_crm[path] = value
            result.base[path] = value
        name = crm_now.get("display_name") or link.crm_id
        for conflict in result.conflicts:
            self.emit(
                PlanItem(
                    "conflict",
                    name,
                    module,
                    link.crm_id,
                    link.billing_id,
                    f"{conflict.path}: both sides changed",
                    {conflict.path: [conflict.base, conflict.crm, conflict.billing]},
                )
            )
            work.conflicts.append(
                (link, conflict.path, conflict.base, conflict.crm, conflict.billing)
            )
        billing_after = {**billing_now, **result.to_billing}
        crm_after = {**crm_now, **result.to_crm}
        if result.to_billing:
            self.emit(
                PlanItem(
                    "update_billing",
                    name,
                    module,
                    link.crm_id,
                    link.billing_id,
                    None,
                    diff(billing_now, result.to_billing),
                )
            )
            if not self.dry_run:
                if current is None and any("." in path for path in result.to_billing):
                    current = await self.billing.get_customer(link.billing_id)
                body = billing_payload(result.to_billing, current)
                checkpoint("before billing update")
                saved = await self.billing.update_customer(link.billing_id, body)
                link.billing_modified_time = billing_time_mark(saved.get("updated_time"), ours=True)
                work.journal.append(
                    ("billing", "customer", link.billing_id, "update", billing_now, body)
                )
        elif current is not None:
            link.billing_modified_time = billing_time_mark(current.get("updated_time"), ours=False)
        if result.to_crm:
            self.emit(
                PlanItem(
                    "update_crm",
                    name,
                    module,
                    link.crm_id,
                    link.billing_id,
                    None,
                    diff(crm_now, result.to_crm),
                )
            )
            self.crm_writer.queue_update(
                module, link, crm_payload(result.to_crm, entries), crm_now, before
            )
        if record is not None:
            link.crm_modified_time = record.get("Modified_Time")
        link.crm_hash = values_hash(crm_after)
        link.billing_hash = values_hash(billing_after)
        store_link_values(link, result.base, crm_after, billing_after)
        agreed = [
            p for p, v in result.base.items() if crm_after.get(p) == billing_after.get(p) == v
        ]
        work.agreed.append((link, agreed))
        if link.id is None:
            work.new_links.append(link)
        else:
            work.changed_links.append(link)

    async def push_billing_edits(self) -> None:
        """Billing edits of links whose CRM record did not change (so was not read)."""
        if not self.dirty:
            return
        with self.ledger.store.read() as session:
            links = [self.ledger.link_by_id(session, link_id) for link_id in list(self.dirty)]
        work = PageWork()
        for link in links:
            if link is None or link.billing_entity != "customer":
                continue
            self.dirty.pop(int(link.id or 0), None)
            entries = self.entries_for(link.crm_module)
            stored = link_values(link)
            try:
                current = await self.billing.get_customer(link.billing_id)
                billing_now = billing_values(current, entries)
                crm_now = stored["crm"] or dict(stored["base"])
                if values_hash(billing_now) == link.billing_hash and not stored["override"]:
                    link.billing_modified_time = billing_time_mark(
                        current.get("updated_time"), ours=False
                    )
                    work.changed_links.append(link)
                    continue
                await self.merge_and_write(
                    link.crm_module,
                    None,
                    link,
                    entries,
                    stored["base"],
                    crm_now,
                    billing_now,
                    current,
                    work,
                )
            except RateLimited:
                raise
            except ZohoError as exc:
                self.emit(
                    PlanItem("error", None, link.crm_module, link.crm_id, link.billing_id, str(exc))
                )
                continue
            self.tick("writing")
        await self.crm_writer.flush_updates(work)
        self.commit(work, None, None)
