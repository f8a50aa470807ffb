"""The rows the operating screens show: plain dataclasses, built from the store's tables.

The store's models are named for type hints only: the dashboard imports these rows before its
first paint, and the store (SQLModel, SQLAlchemy) costs most of a second to import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from zsync_tui.store import JournalEntry, RecordLink, SyncRun

CustomerFilter = Literal["all", "from_crm", "linked", "unlinked", "failing"]
CUSTOMER_FILTERS: tuple[CustomerFilter, ...] = ("all", "from_crm", "linked", "unlinked", "failing")
DuplicateState = Literal["waiting", "approved", "rejected", "all"]


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; they were written in UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def link_name(link: RecordLink) -> str:
    """The party's name as last synced, else its CRM id."""
    try:
        values = json.loads(link.last_values_json or "{}")
    except json.JSONDecodeError:
        values = {}
    for side in ("crm", "base", "billing"):
        name = (values.get(side) or {}).get("display_name")
        if isinstance(name, str) and name.strip():
            return name
    return link.crm_id


@dataclass(frozen=True)
class RunSummary:
    """One run as the dashboard and the history list show it."""

    id: int
    kind: str
    dry_run: bool
    status: str
    started_at: datetime
    finished_at: datetime | None
    crm_calls: int
    billing_calls: int
    write_calls: int
    error_count: int
    message: str | None
    counts: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds())


def run_summary(row: SyncRun) -> RunSummary:
    try:
        counts = json.loads(row.counts_json or "{}")
    except json.JSONDecodeError:
        counts = {}
    return RunSummary(
        id=int(row.id or 0),
        kind=row.kind,
        dry_run=row.dry_run,
        status=row.status,
        started_at=as_utc(row.started_at) or row.started_at,
        finished_at=as_utc(row.finished_at),
        crm_calls=row.crm_calls,
        billing_calls=row.billing_calls,
        write_calls=row.write_calls,
        error_count=row.error_count,
        message=row.message,
        counts=counts,
    )


@dataclass(frozen=True)
class Health:
    """In sync, excluded and failing (by reason), what waits for the admin, and the runs."""

    enabled: bool
    in_sync: int
    crm_deleted: int
    excluded: dict[str, int]
    failing: dict[str, int]
    conflicts_waiting: int
    duplicates_waiting: int
    last_run: RunSummary | None
    #: The newest run that went through every record (ok, or with record errors).
    last_finished: RunSummary | None
    next_run_at: datetime | None


@dataclass(frozen=True)
class Budget:
    """API calls zsync's own runs spent, against the daily allowances."""

    crm_used_24h: int
    crm_limit: int | None
    billing_used_today: int
    billing_limit: int
    hourly_calls: tuple[int, ...]  # oldest hour first, 24 buckets ending now


@dataclass(frozen=True)
class ConflictRow:
    """An open conflict with the record it belongs to."""

    id: int
    link_id: int
    name: str
    field: str
    base_value: str | None
    crm_value: str | None
    billing_value: str | None
    crm_module: str
    crm_id: str
    billing_id: str


@dataclass(frozen=True)
class FieldValues:
    """One field of a linked pair: last synced, CRM and Billing values, and whether it waits."""

    field: str
    base: str | None
    crm: str | None
    billing: str | None
    conflict_id: int | None = None


@dataclass(frozen=True)
class DuplicateRow:
    """A CRM record and a Billing customer that look like the same party."""

    id: int
    crm_module: str
    crm_id: str
    billing_id: str
    score: float
    reasons: str
    state: str


@dataclass(frozen=True)
class CustomerRow:
    """A linked (or formerly linked) customer."""

    link_id: int
    name: str
    crm_module: str
    crm_id: str
    billing_id: str
    origin: str
    state: str
    last_synced_at: datetime | None
    conflicts: int = 0


@dataclass(frozen=True)
class JournalRow:
    """One remote write, with the values before and after."""

    id: int
    run_id: int | None
    side: str
    entity: str
    remote_id: str | None
    action: str
    before: str | None
    after: str | None
    at: datetime


@dataclass(frozen=True)
class ErrorGroup:
    """Errors of a run sharing one reason, with the records they hit."""

    reason: str
    records: tuple[tuple[str, str | None, str], ...]  # (side, record id, message)


@dataclass(frozen=True)
class DealRow:
    """A deal with what it is linked to and what its triggers did."""

    deal_id: str
    links: tuple[tuple[str, str, str], ...]  # (entity, billing id, origin)
    actions: tuple[tuple[str, int, str, str | None], ...]  # (action, generation, state, error)
    stage: str | None = None
    skipped: str | None = None
    locked: tuple[str, ...] = ()  # one line per document locked by a change in Billing


def journal_row(row: JournalEntry) -> JournalRow:
    return JournalRow(
        int(row.id or 0),
        row.run_id,
        row.side,
        row.entity,
        row.remote_id,
        row.action,
        row.before_json,
        row.after_json,
        as_utc(row.at) or row.at,
    )


def customer_row(link: RecordLink, conflicts: int) -> CustomerRow:
    return CustomerRow(
        int(link.id or 0),
        link_name(link),
        link.crm_module,
        link.crm_id,
        link.billing_id,
        link.origin,
        link.state,
        as_utc(link.last_synced_at),
        conflicts,
    )


def text_value(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
