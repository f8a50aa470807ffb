"""A batch of decided work (one CRM page, or one write batch) and its single commit.

Links, outbox states, journal entries, conflicts, refused-record issues and the cursor of a
batch commit in one transaction, after the batch's remote writes; so a crash before the commit
leaves the cursor where it was and the outbox intents pending, to be settled by the next run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from zsync_tui.store import RecordError, RecordLink, SyncRun
from zsync_tui.sync.events import RunReport
from zsync_tui.sync.ledger import Ledger, now_utc
from zsync_tui.sync.records import parse_time

# side, module, record id, name, reason, message, the record's modified time when refused
Issue = tuple[str, str, str, str | None, str, str, str | None]


@dataclass
class PageWork:
    """Everything one batch decided, committed together after its writes."""

    new_links: list[RecordLink] = field(default_factory=list)
    changed_links: list[RecordLink] = field(default_factory=list)
    intents_done: list[tuple[int, str, str | None, str | None]] = field(default_factory=list)
    journal: list[tuple[str, str, str | None, str, Any, Any]] = field(default_factory=list)
    conflicts: list[tuple[RecordLink, str, str | None, str | None, str | None]] = field(
        default_factory=list
    )
    agreed: list[tuple[RecordLink, list[str]]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    settled: list[tuple[str, str, str]] = field(default_factory=list)
    #: Duplicate matches moved on: (id, the state the run read, the new state).
    decided: list[tuple[int, str, str]] = field(default_factory=list)
    #: Billing creates decided but not sent: (module, record, entries, CRM values, body).
    billing_creates: list[tuple[str, dict[str, Any], Any, Any, dict[str, Any]]] = field(
        default_factory=list
    )
    #: Contact persons decided but not sent: (record, values, body, parent customer id).
    person_creates: list[tuple[dict[str, Any], Any, dict[str, Any], str]] = field(
        default_factory=list
    )
    #: The customer links of the contact persons in `person_creates`, by Billing id.
    person_parents: dict[str, RecordLink] = field(default_factory=dict)
    #: Modified_Time of the oldest record whose failure may pass with a retry (the cursor
    #: stops before it); refusals (issues) do not hold the cursor.
    oldest_failure: str | None = None

    def hold_cursor_at(self, stamp: Any) -> None:
        if isinstance(stamp, str) and (
            self.oldest_failure is None or later(self.oldest_failure, stamp)
        ):
            self.oldest_failure = stamp

    def abandon_unsent(self, records: Iterable[dict[str, Any]], intent_ids: Iterable[int]) -> None:
        """The budget ran out mid-batch: the cursor stays before the records not sent and their
        intents are abandoned, so the next run decides them again."""
        for record in records:
            self.hold_cursor_at(record.get("Modified_Time"))
        for intent_id in intent_ids:
            self.intents_done.append((intent_id, "abandoned", None, "budget spent"))

    def intent_failed(self, intent_id: int, error: Exception) -> None:
        """The remote create of this intent was answered with an error (kept, shortened)."""
        self.intents_done.append((intent_id, "failed", None, str(error)[:500]))


def commit_page(
    ledger: Ledger,
    run_id: int | None,
    work: PageWork,
    cursor_name: str | None = None,
    cursor: str | None = None,
) -> None:
    """One transaction: links, outbox states, journal, conflicts, issues, cursor."""
    with ledger.store.write() as session:
        ledger.save_links(session, work.new_links + work.changed_links)
        ledger.finish_intents(session, work.intents_done)
        ledger.journal_many(session, run_id, work.journal)
        for link, path, base, crm, billing in work.conflicts:
            ledger.open_conflict(session, int(link.id or 0), path, base, crm, billing)
        ledger.close_agreed_conflicts(
            session, [(int(link.id or 0), paths) for link, paths in work.agreed]
        )
        ledger.record_issues(session, work.issues)
        # A record refused again in this batch keeps its issue.
        refused = {issue[:3] for issue in work.issues}
        ledger.settle_issues(session, [key for key in work.settled if key not in refused])
        for match_id, read, state in work.decided:
            ledger.set_match_state(session, match_id, state, expected=read)
        if cursor_name and cursor:
            ledger.set_cursor(session, cursor_name, cursor)


def finish_run_row(ledger: Ledger, run_id: int | None, report: RunReport) -> None:
    """Close the run's row with its counts and its record errors."""
    if run_id is None:
        return
    with ledger.store.write() as session:
        row = session.get(SyncRun, run_id)
        if row is None:
            return
        row.status = report.status
        row.finished_at = now_utc()
        row.counts_json = json.dumps(report.as_dict())
        row.crm_calls = report.api_calls["crm"]
        row.billing_calls = report.api_calls["billing"]
        row.write_calls = report.write_calls
        row.error_count = report.errors
        row.message = report.message
        session.add(row)
        for item in report.items:
            if item.action == "error":
                session.add(
                    RecordError(
                        run_id=run_id,
                        side="crm" if item.crm_id else "billing",
                        record_id=item.crm_id or item.billing_id,
                        reason=(item.reason or "error")[:60],
                        message=item.reason or "",
                    )
                )


def later(a: str, b: str) -> bool:
    """Whether Zoho time `a` is after `b` (text order when either does not parse)."""
    ta, tb = parse_time(a), parse_time(b)
    if ta is None or tb is None:
        return a > b
    return ta > tb


def cursor_value(newest: str | None, oldest_failure: str | None) -> str | None:
    """One second before the newest change seen (CRM times have whole seconds, so a change in
    the same second after the read is not missed), and never past a failed record."""
    stamp = newest
    if oldest_failure is not None and (stamp is None or later(stamp, oldest_failure)):
        stamp = oldest_failure
    moment = parse_time(stamp) if stamp else None
    if moment is None:
        return stamp
    return (moment - timedelta(seconds=1)).isoformat(timespec="seconds")
