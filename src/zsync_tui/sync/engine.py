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
from collections.abc import Awaitable, Callable
from typing import Any

from zsync_tui.store import RecordLink, SyncRun
from zsync_tui.sync.config import IntegrationConfig
from zsync_tui.sync.crashpoints import checkpoint
from zsync_tui.sync.crm_writer import CrmWriter
from zsync_tui.sync.duplicates import DuplicateIndex, Party
from zsync_tui.sync.events import PlanItem, RunReport, SyncProgress
from zsync_tui.sync.ledger import Ledger, link_values, now_utc
from zsync_tui.sync.mapping import canonical
from zsync_tui.sync.page_work import PageWork, commit_page, cursor_value, finish_run_row, later
from zsync_tui.sync.records import UNSETTLED, billing_time_mark
from zsync_tui.sync.unlinked import UnlinkedRecords, record_name
from zsync_tui.zoho.errors import (
    AmbiguousWrite,
    AuthenticationError,
    RateLimited,
    ValidationFailed,
    ZohoError,
)

log = logging.getLogger(__name__)
ProgressCallback = Callable[[SyncProgress], None]
COMMIT_EVERY = 50


class CustomerSync(UnlinkedRecords):
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
        self.issues: dict[str, dict[str, str | None]] = {}
        #: CRM account id → the first email among its contacts (Billing requires an email),
        #: read in one pass before a first or full read of Accounts; None: ask per account.
        self.account_emails: dict[str, str] | None = None
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
        """The whole customer sync (see the module docstring)."""
        reads_all = self.full or any(
            self.ledger.cursor(f"crm:{module}") is None for module in self.config.crm_modules
        )
        # A run that reads every record knows every exclusion; status shows its reasons.
        return await self._run("customers_full" if reads_all else "customers", self._all_phases)

    async def run_one(self, module: str, crm_id: str) -> RunReport:
        """Pull one CRM record now: merge it with its customer, or import it (duplicate
        rules apply), without a full sync."""

        async def one() -> None:
            record = await self.crm.get_record(module, crm_id)
            with self.ledger.store.read() as session:
                link = self.ledger.links_by_crm(session, module, [crm_id]).get(crm_id)
                parents = self.parent_links(session, module, [record])
            if link is None:
                await self.read_billing()
            elif link.billing_entity == "customer":
                self.dirty[int(link.id or 0)] = {}
                link.crm_hash = None
            work = PageWork()
            await self.handle_crm_record(module, record, link, parents, work)
            await self.crm_writer.flush(work)
            self.commit(work, None, None)

        return await self._run("fetch_one", one)

    async def _all_phases(self) -> None:
        await self.crm_writer.settle_pending_creates()
        await self.read_billing()
        for module in self.config.crm_modules:
            if self.cancel.is_set():
                break
            await self.stream_crm(module)
            await self.apply_admin_decisions(module)
        if not self.cancel.is_set():
            await self.push_billing_edits()
        if not self.cancel.is_set() and not self.one_way:
            await self.crm_writer.create_unmatched_in_crm()

    async def _run(self, kind: str, phases: Callable[[], Awaitable[None]]) -> RunReport:
        started = time.perf_counter()
        c, b = self.crm.counts, self.billing.counts
        self._calls_at_start = (c.api_calls, b.api_calls, c.write_calls + b.write_calls)
        if not self.dry_run:
            with self.ledger.store.write() as session:
                row = SyncRun(profile_id=self.ledger.profile_id, kind=kind)
                session.add(row)
                session.flush()
                self.run_id = row.id
        self.report.run_id = self.run_id
        try:
            await phases()
            self.report.status = "cancelled" if self.cancel.is_set() else self._final_status()
        except RateLimited as exc:
            self.report.status = "budget_spent"
            self.report.resumes_at = exc.resumes_at
            self.report.message = str(exc)
        except AuthenticationError:
            raise
        except ZohoError as exc:
            # A list page could not be read (after the client's retries): what is committed
            # stays; the cursor did not pass the unread page, so the next run resumes there.
            self.report.status = "failed"
            self.report.message = str(exc)
            self.emit(PlanItem("error", None, None, None, None, f"run stopped: {exc}"))
        finally:
            crm_calls, billing_calls, writes = self._calls()
            self.report.api_calls = {"crm": crm_calls, "billing": billing_calls}
            self.report.write_calls = writes
            self.report.duration_s = time.perf_counter() - started
            finish_run_row(self.ledger, self.run_id, self.report)
            if self.progress:
                self.progress(self._progress("done", self._done))
        return self.report

    def commit(self, work: PageWork, cursor_name: str | None, cursor: str | None) -> None:
        """Commit one batch (nothing in a dry run); its writes are counted in the report."""
        if not self.dry_run:
            commit_page(self.ledger, self.run_id, work, cursor_name, cursor)
            for side, _, _, operation, _, _ in work.journal:
                self.report.wrote(side, operation)

    def _final_status(self) -> str:
        return "finished_with_errors" if self.report.errors else "ok"

    async def read_billing(self) -> None:
        held = self.ledger.held_billing_ids()
        pending = self.crm_writer.pending_billing_creates()
        async for page in self.billing.list_customers():
            ids = [str(c.get("customer_id")) for c in page]
            with self.ledger.store.read() as session:
                links = self.ledger.links_by_billing(session, ids)
            settled = PageWork()
            for customer in page:
                customer_id = str(customer.get("customer_id"))
                link = links.get(customer_id)
                self.tick("reading_billing")
                if link is not None:
                    if link.state == "crm_deleted":
                        continue
                    stamp = customer.get("updated_time")
                    if stamp == link.billing_modified_time:
                        continue
                    if f"{stamp}{UNSETTLED}" == link.billing_modified_time and (
                        self.list_agrees(link, customer)
                    ):
                        # Our own write, and what the list shows of it is what we wrote: a
                        # same-second edit there would show. Trust the time once its second
                        # is over (until then an edit could still come with the same time).
                        trusted = billing_time_mark(stamp, ours=False)
                        if trusted != link.billing_modified_time:
                            link.billing_modified_time = trusted
                            settled.changed_links.append(link)
                        continue
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
            if settled.changed_links:
                self.commit(settled, None, None)
        self.crm_writer.abandon_unadopted_billing_creates(pending)

    def list_agrees(self, link: RecordLink, customer: dict[str, Any]) -> bool:
        """Whether the mapped fields a list entry carries equal what the link last stored."""
        if link.billing_entity != "customer":
            return True
        stored = link_values(link)["billing"]
        for entry in self.entries_for(link.crm_module):
            path = entry.billing
            if "." in path or path not in customer:
                continue
            if canonical(customer.get(path)) != stored.get(path):
                return False
        return True

    # -- phase 3: CRM ----------------------------------------------------------------------

    async def stream_crm(self, module: str) -> None:
        """Read the module's changes page by page; commit every `COMMIT_EVERY` records."""
        cursor_name = f"crm:{module}"
        since = None if self.full else self.ledger.cursor(cursor_name)
        self.issues[module] = self.ledger.issue_ids("crm", module)
        fields = self.crm_fields(module)
        newest: str | None = since
        if module == "Accounts" and since is None:
            await self.read_account_emails()
        async for page in self.crm.iter_records(
            module, fields, modified_since=since, cvid=self.views.get(module)
        ):
            ids = [str(r.get("id")) for r in page]
            with self.ledger.store.read() as session:
                links = self.ledger.links_by_crm(session, module, ids)
                parents = self.parent_links(session, module, page)
            work = PageWork()
            for done, record in enumerate(page, start=1):
                self.tick("reading_crm")
                try:
                    await self.handle_crm_record(
                        module, record, links.get(str(record["id"])), parents, work
                    )
                    stamp = record.get("Modified_Time")
                    if isinstance(stamp, str) and (newest is None or later(stamp, newest)):
                        newest = stamp
                    if done % COMMIT_EVERY == 0 or done == len(page):
                        await self.crm_writer.flush(work)
                        cursor = cursor_value(newest, work.oldest_failure)
                        self.commit(work, cursor_name if cursor else None, cursor)
                        checkpoint("batch committed")
                        held = work.oldest_failure
                        work = PageWork()
                        work.oldest_failure = held
                except RateLimited:
                    # Keep what is done; the cursor stops before the first record not done.
                    self.crm_writer.discard_updates()
                    for unsent in work.billing_creates:
                        work.hold_cursor_at(unsent[1].get("Modified_Time"))
                    for person in work.person_creates:
                        work.hold_cursor_at(person[0].get("Modified_Time"))
                    work.billing_creates, work.person_creates = [], []
                    work.hold_cursor_at(record.get("Modified_Time"))
                    self.commit(work, cursor_name, cursor_value(newest, work.oldest_failure))
                    raise
            if self.cancel.is_set():
                return
        await self.mark_crm_deletes(module)

    async def read_account_emails(self) -> None:
        """One pass over Contacts (two fields) instead of one call per new account."""
        emails: dict[str, str] = {}
        async for page in self.crm.iter_records("Contacts", ["Email", "Account_Name"]):
            for contact in page:
                account = contact.get("Account_Name")
                email = contact.get("Email")
                if isinstance(account, dict) and isinstance(email, str) and email.strip():
                    emails.setdefault(str(account.get("id")), email.strip())
        self.account_emails = emails

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
                if isinstance(stamp, str) and (newest is None or later(stamp, newest)):
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
                            "skip",
                            record_name(record),
                            module,
                            crm_id,
                            None,
                            "contact has no account",
                        )
                    )
                    return
            entries = self.entries_for(module)
            if link is None and self.refused_unchanged(module, record):
                self.emit(
                    PlanItem("skip", record_name(record), module, crm_id, None, "refused earlier")
                )
                return
            if link is None:
                await self.handle_unlinked(module, record, entries, work)
            else:
                await self.handle_linked(module, record, link, entries, work)
            if crm_id in self.issues.get(module, {}):
                work.settled.append(("crm", module, crm_id))
        except AmbiguousWrite as exc:
            self.fail(work, record, f"ambiguous write, looked up before any retry: {exc}")
        except RateLimited:
            raise
        except ValidationFailed as exc:
            self.refuse(work, module, record, exc)
        except ZohoError as exc:
            self.fail(work, record, str(exc))

    def fail(self, work: PageWork, record: dict[str, Any], reason: str) -> None:
        """A failure that a retry may cure: the cursor stops before this record."""
        self.emit(PlanItem("error", record_name(record), None, str(record.get("id")), None, reason))
        work.hold_cursor_at(record.get("Modified_Time"))

    def refuse(
        self,
        work: PageWork,
        module: str,
        record: dict[str, Any],
        exc: ValidationFailed,
        sent: bool = True,
    ) -> None:
        """The other side refused the record as it is (or would, `sent=False`): kept as an
        issue (status shows it), committed with its batch, and tried again only when the record
        changes or on a full run."""
        crm_id = str(record.get("id"))
        said = "Billing refused" if sent else "Not sent to Billing"
        reason = f"{said}: {exc.reason}"[:120] + refusal_hint(module, exc)
        self.emit(PlanItem("error", record_name(record), module, crm_id, None, reason))
        issue = (
            "crm",
            module,
            crm_id,
            record_name(record),
            reason,
            str(exc),
            record.get("Modified_Time"),
        )
        work.issues.append(issue)
        self.issues.setdefault(module, {})[crm_id] = record.get("Modified_Time")

    def refused_unchanged(self, module: str, record: dict[str, Any]) -> bool:
        """Refused before and not changed since: not sent again (a full run retries)."""
        crm_id = str(record.get("id"))
        issues = self.issues.get(module, {})
        return (
            not self.full
            and crm_id in issues
            and issues[crm_id] is not None
            and issues[crm_id] == record.get("Modified_Time")
        )


def refusal_hint(module: str, exc: ValidationFailed) -> str:
    """What the admin can do in CRM about a refusal Zoho words only as a field error."""
    text = f"{exc.field or ''} {exc.reason}".lower()
    if "email" in text and "required" in text:
        where = "one of its contacts" if module == "Accounts" else "the contact"
        return f" (Billing needs an email: give {where} an email in CRM)"
    return ""
