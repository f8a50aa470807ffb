"""One customer sync run: read Billing, stream CRM page by page, merge, write, commit.

Order of a run (see `CustomerSync.run`):
1. settle the outbox: CRM creates left pending by a crash are looked up and adopted;
2. read every Billing customer page: adopt Billing creates left pending, note linked customers
   whose `updated_time` moved, index the unlinked ones for duplicate matching;
3. per CRM module, stream the records changed since the cursor (all with `full`); each page's
   writes are sent, then its links, outbox states, journal and the cursor commit together;
   the cursor never passes a record whose work did not commit;
4. push Billing-side edits of links whose CRM record did not change;
5. both ways: create in CRM the Billing customers nobody matched.

In a dry run nothing is written anywhere: every decision becomes a `PlanItem`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from zsync_tui.store import RecordLink, SyncRun
from zsync_tui.sync.config import FieldMapEntry, IntegrationConfig
from zsync_tui.sync.crashpoints import checkpoint
from zsync_tui.sync.crm_writer import CrmWriter
from zsync_tui.sync.duplicates import DuplicateIndex, Party
from zsync_tui.sync.events import PlanItem, RunReport, SyncProgress
from zsync_tui.sync.ledger import Ledger, link_values, now_utc, store_link_values
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
from zsync_tui.sync.records import CustomerRecords, parse_time
from zsync_tui.zoho.errors import AmbiguousWrite, RateLimited, ZohoError

log = logging.getLogger(__name__)
ProgressCallback = Callable[[SyncProgress], None]


@dataclass
class PageWork:
    """Everything one CRM page decided, committed together after its writes."""

    new_links: list[RecordLink] = field(default_factory=list)
    changed_links: list[RecordLink] = field(default_factory=list)
    intents_done: list[tuple[int, str, str | None, str | None]] = field(default_factory=list)
    journal: list[tuple[str, str, str | None, str, Any, Any]] = field(default_factory=list)
    conflicts: list[tuple[RecordLink, str, str | None, str | None, str | None]] = field(
        default_factory=list
    )
    agreed: list[tuple[RecordLink, list[str]]] = field(default_factory=list)
    oldest_failure: str | None = None


class CustomerSync(CustomerRecords):
    """One run of the customer sync for one profile (see the module docstring)."""

    def __init__(
        self,
        config: IntegrationConfig,
        crm: Any,
        billing: Any,
        ledger: Ledger,
        *,
        dry_run: bool = False,
        full: bool = False,
        one_way: bool = False,
        views: dict[str, str] | None = None,
        progress: ProgressCallback | None = None,
        cancel: asyncio.Event | None = None,
    ) -> None:
        super().__init__(config, crm, billing, one_way=one_way or config.direction != "both_ways")
        self.ledger = ledger
        self.dry_run = dry_run
        self.full = full
        self.views = views or {}
        self.progress = progress
        self.cancel = cancel or asyncio.Event()
        self.report = RunReport(dry_run=dry_run)
        self.index = DuplicateIndex()
        self.unlinked: dict[str, dict[str, Any]] = {}
        self.dirty: dict[int, dict[str, Any]] = {}
        self.run_id: int | None = None
        self.crm_writer = CrmWriter(self)
        self._done = 0
        self._calls_at_start = (0, 0, 0)

    # -- bookkeeping -----------------------------------------------------------------------

    def emit(self, item: PlanItem) -> None:
        self.report.count(item)
        if self.dry_run or item.action in ("error", "conflict"):
            self.report.items.append(item)

    def tick(self, phase: str, total: int | None = None) -> None:
        self._done += 1
        if self.progress and (self._done % 50 == 0 or total is not None):
            self.progress(self._progress(phase, total))

    def _progress(self, phase: str, total: int | None = None) -> SyncProgress:
        crm, billing, _ = self._calls()
        return SyncProgress(phase, self._done, total, crm, billing)

    def _calls(self) -> tuple[int, int, int]:
        c, b = self.crm.counts, self.billing.counts
        start = self._calls_at_start
        return (
            c.api_calls - start[0],
            b.api_calls - start[1],
            c.write_calls + b.write_calls - start[2],
        )

    # -- the run ---------------------------------------------------------------------------

    async def run(self) -> RunReport:
        started = time.perf_counter()
        c, b = self.crm.counts, self.billing.counts
        self._calls_at_start = (c.api_calls, b.api_calls, c.write_calls + b.write_calls)
        if not self.dry_run:
            with self.ledger.store.write() as session:
                row = SyncRun(profile_id=self.ledger.profile_id, kind="customers")
                session.add(row)
                session.flush()
                self.run_id = row.id
        self.report.run_id = self.run_id
        try:
            await self.crm_writer.settle_pending_creates()
            await self.read_billing()
            for module in self.config.crm_modules:
                if self.cancel.is_set():
                    break
                await self.stream_crm(module)
            if not self.cancel.is_set():
                await self.push_billing_edits()
            if not self.cancel.is_set() and not self.one_way:
                await self.crm_writer.create_unmatched_in_crm()
            self.report.status = "cancelled" if self.cancel.is_set() else self._final_status()
        except RateLimited as exc:
            self.report.status = "budget_spent"
            self.report.resumes_at = exc.resumes_at
            self.report.message = str(exc)
        finally:
            crm_calls, billing_calls, writes = self._calls()
            self.report.api_calls = {"crm": crm_calls, "billing": billing_calls}
            self.report.write_calls = writes
            self.report.duration_s = time.perf_counter() - started
            self._finish_run_row()
            if self.progress:
                self.progress(self._progress("done", self._done))
        return self.report

    def _final_status(self) -> str:
        return "finished_with_errors" if self.report.errors else "ok"

    def _finish_run_row(self) -> None:
        if self.run_id is None:
            return
        import json

        from zsync_tui.store import RecordError

        with self.ledger.store.write() as session:
            row = session.get(SyncRun, self.run_id)
            if row is None:
                return
            row.status = self.report.status
            row.finished_at = now_utc()
            row.counts_json = json.dumps(self.report.as_dict())
            row.crm_calls = self.report.api_calls["crm"]
            row.billing_calls = self.report.api_calls["billing"]
            row.write_calls = self.report.write_calls
            row.error_count = self.report.errors
            row.message = self.report.message
            session.add(row)
            for item in self.report.items:
                if item.action == "error":
                    session.add(
                        RecordError(
                            run_id=self.run_id,
                            side="crm" if item.crm_id else "billing",
                            record_id=item.crm_id or item.billing_id,
                            reason=(item.reason or "error")[:60],
                            message=item.reason or "",
                        )
                    )

    # -- phase 2: Billing ------------------------------------------------------------------

    async def read_billing(self) -> None:
        held = self.ledger.held_billing_ids()
        pending = self.crm_writer.pending_billing_creates()
        async for page in self.billing.list_customers():
            ids = [str(c.get("customer_id")) for c in page]
            with self.ledger.store.read() as session:
                links = self.ledger.links_by_billing(session, ids)
            for customer in page:
                customer_id = str(customer.get("customer_id"))
                link = links.get(customer_id)
                self.tick("reading_billing")
                if link is not None:
                    if link.state != "crm_deleted" and (
                        customer.get("updated_time") != link.billing_modified_time
                    ):
                        self.dirty[int(link.id or 0)] = customer
                    continue
                if pending and self.crm_writer.adopt_billing_create(customer, pending):
                    continue
                if customer_id in held:
                    continue
                self.unlinked[customer_id] = {
                    "name": customer.get("display_name"),
                    "sub_type": customer.get("customer_sub_type"),
                    "email": customer.get("email"),
                }
                self.index.add(
                    Party(
                        customer_id,
                        customer.get("display_name") or customer.get("company_name"),
                        customer.get("email"),
                        customer.get("phone") or customer.get("mobile"),
                    )
                )
        self.crm_writer.abandon_unadopted_billing_creates(pending)

    # -- phase 3: CRM ----------------------------------------------------------------------

    async def stream_crm(self, module: str) -> None:
        cursor_name = f"crm:{module}"
        since = None if self.full else self.ledger.cursor(cursor_name)
        fields = self.crm_fields(module)
        newest: str | None = since
        async for page in self.crm.iter_records(
            module, fields, modified_since=since, cvid=self.views.get(module)
        ):
            work = PageWork()
            ids = [str(r.get("id")) for r in page]
            with self.ledger.store.read() as session:
                links = self.ledger.links_by_crm(session, module, ids)
                parents = self.parent_links(session, module, page)
            for record in page:
                self.tick("reading_crm")
                await self.handle_crm_record(
                    module, record, links.get(str(record["id"])), parents, work
                )
                stamp = record.get("Modified_Time")
                if isinstance(stamp, str) and (newest is None or _later(stamp, newest)):
                    newest = stamp
            await self.crm_writer.flush_updates(work)
            cursor = _cursor_value(newest, work.oldest_failure)
            self.commit(work, cursor_name if cursor else None, cursor)
            checkpoint("page committed")
            if self.cancel.is_set():
                return
        await self.mark_crm_deletes(module)

    def commit(self, work: PageWork, cursor_name: str | None, cursor: str | None) -> None:
        """One transaction: links, outbox states, journal, conflicts, cursor."""
        if self.dry_run:
            return
        with self.ledger.store.write() as session:
            for link in work.new_links + work.changed_links:
                link.last_synced_at = now_utc()
                session.add(link)
            session.flush()
            for intent_id, state, remote_id, error in work.intents_done:
                self.ledger.finish_intent(session, intent_id, state, remote_id, error)
            for side, entity, remote_id, action, before, after in work.journal:
                self.ledger.journal(
                    session, self.run_id, side, entity, remote_id, action, before, after
                )
            for link, path, base, crm, billing in work.conflicts:
                self.ledger.open_conflict(session, int(link.id or 0), path, base, crm, billing)
            for link, paths in work.agreed:
                self.ledger.close_conflicts_for(session, int(link.id or 0), paths)
            if cursor_name and cursor:
                self.ledger.set_cursor(session, cursor_name, cursor)

    async def mark_crm_deletes(self, module: str) -> None:
        name = f"crm_deleted:{module}"
        since = self.ledger.cursor(name)
        newest = since
        async for page in self.crm.deleted_records(module, modified_since=since):
            ids = {str(r.get("id")): r for r in page}
            with self.ledger.store.read() as session:
                links = self.ledger.links_by_crm(session, module, ids)
            work = PageWork()
            for crm_id, link in links.items():
                if link.state == "crm_deleted":
                    continue
                self.report.crm_deleted += 1
                self.emit(PlanItem("skip", None, module, crm_id, link.billing_id, "deleted in CRM"))
                link.state = "crm_deleted"
                link.crm_deleted_at = now_utc()
                work.changed_links.append(link)
                work.journal.append(("crm", module, crm_id, "deleted_in_crm", None, None))
            for record in page:
                stamp = record.get("deleted_time")
                if isinstance(stamp, str) and (newest is None or _later(stamp, newest)):
                    newest = stamp
            self.commit(work, name, newest)

    async def handle_crm_record(
        self,
        module: str,
        record: dict[str, Any],
        link: RecordLink | None,
        parents: dict[str, RecordLink],
        work: PageWork,
    ) -> None:
        crm_id = str(record["id"])
        try:
            if module == "Contacts" and self.config.module == "accounts_and_contacts":
                account = record.get("Account_Name")
                if isinstance(account, dict) and account.get("id"):
                    await self.crm_writer.sync_contact_person(record, link, parents, work)
                    return
                if not self.config.include_contacts_without_account:
                    self.emit(
                        PlanItem(
                            "skip", _name(record), module, crm_id, None, "contact has no account"
                        )
                    )
                    return
            entries = self.entries_for(module)
            if link is None:
                await self.handle_unlinked(module, record, entries, work)
            else:
                await self.handle_linked(module, record, link, entries, work)
        except AmbiguousWrite as exc:
            self.fail(work, record, f"ambiguous write, will be looked up next run: {exc}")
        except RateLimited:
            raise
        except ZohoError as exc:
            self.fail(work, record, str(exc))

    def fail(self, work: PageWork, record: dict[str, Any], reason: str) -> None:
        self.emit(PlanItem("error", _name(record), None, str(record.get("id")), None, reason))
        stamp = record.get("Modified_Time")
        if isinstance(stamp, str) and (
            work.oldest_failure is None or _later(work.oldest_failure, stamp)
        ):
            work.oldest_failure = stamp

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
        crm_time = parse_time((record or {}).get("Modified_Time") or link.crm_modified_time)
        billing_time = parse_time((current or {}).get("updated_time") or link.billing_modified_time)
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
                link.billing_modified_time = saved.get("updated_time")
                work.journal.append(
                    ("billing", "customer", link.billing_id, "update", billing_now, body)
                )
        elif current is not None:
            link.billing_modified_time = current.get("updated_time")
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
                module, link, crm_payload(result.to_crm, entries), crm_now, work
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

    async def handle_unlinked(
        self, module: str, record: dict[str, Any], entries: list[FieldMapEntry], work: PageWork
    ) -> None:
        crm_id = str(record["id"])
        crm_now = crm_values(record, entries)
        name = _name(record)
        party = Party(
            crm_id,
            name,
            _text(record.get("Email")),
            _text(record.get("Phone") or record.get("Mobile")),
        )
        decision = self.duplicate_decision(module, crm_id)
        match = (
            None
            if decision == "create"
            else self.index.best_match(party, by_email=module == "Contacts")
        )
        if match is not None:
            billing_party, scored = match
            handled = await self.crm_writer.handle_duplicate(
                module, record, entries, crm_now, billing_party, scored, decision, work
            )
            if handled:
                return
        await self.crm_writer.create_in_billing(module, record, entries, crm_now, work)

    # -- phase 4: Billing edits of unchanged CRM records -----------------------------------

    async def push_billing_edits(self) -> None:
        if not self.dirty:
            return
        with self.ledger.store.read() as session:
            links = [self.ledger.link_by_id(session, link_id) for link_id in list(self.dirty)]
        work = PageWork()
        for link in links:
            if link is None or link.billing_entity != "customer":
                continue
            self.dirty.pop(int(link.id or 0), None)
            entries = self.entries_for(link.crm_module, standalone=True)
            stored = link_values(link)
            try:
                current = await self.billing.get_customer(link.billing_id)
            except RateLimited:
                raise
            except ZohoError as exc:
                self.emit(
                    PlanItem("error", None, link.crm_module, link.crm_id, link.billing_id, str(exc))
                )
                continue
            billing_now = billing_values(current, entries)
            crm_now = stored["crm"] or dict(stored["base"])
            if values_hash(billing_now) == link.billing_hash:
                link.billing_modified_time = current.get("updated_time")
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
            self.tick("writing")
        await self.crm_writer.flush_updates(work)
        self.commit(work, None, None)


def _later(a: str, b: str) -> bool:
    ta, tb = parse_time(a), parse_time(b)
    if ta is None or tb is None:
        return a > b
    return ta > tb


def _cursor_value(newest: str | None, oldest_failure: str | None) -> str | None:
    """One second before the newest change seen (CRM times have whole seconds, so a change in
    the same second after the read is not missed), and never past a failed record."""
    stamp = newest
    if oldest_failure is not None and (stamp is None or _later(stamp, oldest_failure)):
        stamp = oldest_failure
    moment = parse_time(stamp) if stamp else None
    if moment is None:
        return stamp
    return (moment - timedelta(seconds=1)).isoformat(timespec="seconds")


def _name(record: dict[str, Any]) -> str | None:
    for key in ("Account_Name", "Full_Name", "Last_Name", "display_name"):
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


__all__ = ["CustomerSync", "PageWork", "datetime"]
