"""What the operating screens show, read from the state store in short read transactions.

Rows (operate_rows.py) out, SQL in; no textual and no wire. `OperateBackend` (operate_backend.py)
builds on these and adds the calls that reach Zoho through the sync service.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, or_, select

from zsync_tui.operate_rows import (
    Budget,
    ConflictRow,
    CustomerFilter,
    CustomerRow,
    DuplicateRow,
    DuplicateState,
    ErrorGroup,
    FieldValues,
    Health,
    JournalRow,
    RunSummary,
    as_utc,
    customer_row,
    journal_row,
    link_name,
    run_summary,
    text_value,
)
from zsync_tui.store import (
    Conflict,
    DuplicateMatch,
    JournalEntry,
    RecordError,
    RecordLink,
    Store,
    SyncRun,
)
from zsync_tui.sync.ledger import link_values

#: A run with these went through every record; record errors do not make it less finished.
FINISHED_STATUSES = ("ok", "finished_with_errors")


class StoreQueries:
    """Reads for one profile's operating screens; every call is one short read transaction."""

    def __init__(self, store: Store, profile_id: int) -> None:
        self.store = store
        self.profile_id = profile_id

    # -- runs and health -------------------------------------------------------------------

    def last_run(self, session: Session, *, finished_only: bool = False) -> SyncRun | None:
        """The newest real run that is over; with `finished_only`, the newest that went
        through every record (with or without record errors)."""
        query = select(SyncRun).where(
            SyncRun.profile_id == self.profile_id,
            SyncRun.dry_run == False,  # noqa: E712
            SyncRun.status != "running",
        )
        if finished_only:
            query = query.where(col(SyncRun.status).in_(FINISHED_STATUSES))
        return session.exec(query.order_by(col(SyncRun.id).desc())).first()

    def failing_by_reason(self, session: Session, run_id: int) -> dict[str, int]:
        rows = session.exec(
            select(RecordError.reason, func.count())
            .where(RecordError.run_id == run_id)
            .group_by(RecordError.reason)
        ).all()
        return dict(sorted(((reason, int(n)) for reason, n in rows), key=lambda kv: -kv[1]))

    def health(self, status: dict[str, Any], interval_s: int) -> Health:
        """The service's counts (`SyncService.status()`) with the last runs and the errors of
        the last one grouped by reason."""
        with self.store.read() as session:
            last = self.last_run(session)
            last_finished = self.last_run(session, finished_only=True)
            last_errors = self.failing_by_reason(session, int(last.id or 0)) if last else {}
        failing = still_failing(dict(status.get("failing_by_reason") or {}), last_errors)
        summary = run_summary(last) if last else None
        enabled = bool(status.get("enabled", True))
        next_run = None
        if enabled and summary and summary.finished_at:
            next_run = summary.finished_at + timedelta(seconds=interval_s)
        return Health(
            enabled=enabled,
            in_sync=int(status.get("in_sync", 0)),
            crm_deleted=int(status.get("crm_deleted", 0)),
            excluded=dict(status.get("excluded") or {}),
            failing=failing,
            conflicts_waiting=int(status.get("conflicts_waiting", 0)),
            duplicates_waiting=int(status.get("duplicates_waiting", 0)),
            last_run=summary,
            last_finished=run_summary(last_finished) if last_finished else None,
            next_run_at=next_run,
        )

    def budget(self, now: datetime, crm_limit: int | None, billing_limit: int) -> Budget:
        since = now - timedelta(hours=24)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        buckets = [0] * 24
        crm_used = billing_today = 0
        with self.store.read() as session:
            rows = session.exec(
                select(SyncRun.started_at, SyncRun.crm_calls, SyncRun.billing_calls).where(
                    SyncRun.profile_id == self.profile_id,
                    SyncRun.started_at >= since,
                )
            ).all()
        for started, crm_calls, billing_calls in rows:
            moment = as_utc(started) or now
            crm_used += crm_calls
            if moment >= midnight:
                billing_today += billing_calls
            hour = int((now - moment).total_seconds() // 3600)
            if 0 <= hour < 24:
                buckets[23 - hour] += crm_calls + billing_calls
        return Budget(crm_used, crm_limit, billing_today, billing_limit, tuple(buckets))

    def runs(self, limit: int = 200) -> list[RunSummary]:
        with self.store.read() as session:
            rows = session.exec(
                select(SyncRun)
                .where(SyncRun.profile_id == self.profile_id)
                .order_by(col(SyncRun.id).desc())
                .limit(limit)
            ).all()
        return [run_summary(row) for row in rows]

    def run_errors(self, run_id: int) -> list[ErrorGroup]:
        with self.store.read() as session:
            rows = session.exec(
                select(RecordError).where(RecordError.run_id == run_id).order_by(RecordError.reason)
            ).all()
        grouped: dict[str, list[tuple[str, str | None, str]]] = {}
        for row in rows:
            grouped.setdefault(row.reason, []).append((row.side, row.record_id, row.message))
        order = Counter({reason: len(items) for reason, items in grouped.items()})
        return [ErrorGroup(reason, tuple(grouped[reason])) for reason, _ in order.most_common()]

    def journal(
        self, *, run_id: int | None = None, remote_ids: tuple[str, ...] = (), limit: int = 500
    ) -> list[JournalRow]:
        query = select(JournalEntry).where(JournalEntry.profile_id == self.profile_id)
        if run_id is not None:
            query = query.where(JournalEntry.run_id == run_id)
        if remote_ids:
            query = query.where(col(JournalEntry.remote_id).in_(remote_ids))
        with self.store.read() as session:
            rows = session.exec(query.order_by(col(JournalEntry.id).desc()).limit(limit)).all()
        return [journal_row(row) for row in rows]

    # -- conflicts -------------------------------------------------------------------------

    def conflicts(self) -> list[ConflictRow]:
        with self.store.read() as session:
            rows = session.exec(
                select(Conflict, RecordLink)
                .join(RecordLink, col(RecordLink.id) == Conflict.link_id)
                .where(Conflict.profile_id == self.profile_id, Conflict.state == "open")
                .order_by(col(Conflict.id))
            ).all()
        return [
            ConflictRow(
                int(c.id or 0),
                c.link_id,
                link_name(link),
                c.field,
                c.base_value,
                c.crm_value,
                c.billing_value,
                link.crm_module,
                link.crm_id,
                link.billing_id,
            )
            for c, link in rows
        ]

    def link_fields(self, link_id: int) -> list[FieldValues]:
        """Every mapped field of a link side by side, open conflicts first."""
        with self.store.read() as session:
            link = session.get(RecordLink, link_id)
            open_rows = session.exec(
                select(Conflict).where(Conflict.link_id == link_id, Conflict.state == "open")
            ).all()
        if link is None or link.profile_id != self.profile_id:
            return []
        values = link_values(link)
        base, crm, billing = values["base"], values["crm"], values["billing"]
        waiting = {
            row.field: FieldValues(
                row.field, row.base_value, row.crm_value, row.billing_value, row.id
            )
            for row in open_rows
        }
        names = sorted((set(base) | set(crm) | set(billing)) - set(waiting))
        agreed = [
            FieldValues(
                name,
                text_value(base.get(name)),
                text_value(crm.get(name)),
                text_value(billing.get(name)),
            )
            for name in names
        ]
        return [*waiting.values(), *agreed]

    # -- duplicates ------------------------------------------------------------------------

    def _duplicate_where(
        self, state: DuplicateState, min_score: float
    ) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [
            col(DuplicateMatch.profile_id) == self.profile_id,
            col(DuplicateMatch.score) >= min_score,
        ]
        if state != "all":
            where.append(col(DuplicateMatch.state) == state)
        return where

    def count_duplicates(self, state: DuplicateState = "waiting", min_score: float = 0.0) -> int:
        with self.store.read() as session:
            return int(
                session.exec(
                    select(func.count()).where(*self._duplicate_where(state, min_score))
                ).one()
            )

    def duplicates(
        self,
        offset: int,
        limit: int,
        *,
        state: DuplicateState = "waiting",
        min_score: float = 0.0,
        descending: bool = True,
    ) -> list[DuplicateRow]:
        order = col(DuplicateMatch.score).desc() if descending else col(DuplicateMatch.score)
        with self.store.read() as session:
            rows = session.exec(
                select(DuplicateMatch)
                .where(*self._duplicate_where(state, min_score))
                .order_by(order, col(DuplicateMatch.id))
                .offset(offset)
                .limit(limit)
            ).all()
        return [
            DuplicateRow(
                int(r.id or 0), r.crm_module, r.crm_id, r.billing_id, r.score, r.reasons, r.state
            )
            for r in rows
        ]

    # -- customers -------------------------------------------------------------------------

    def _customer_where(self, session: Session, which: CustomerFilter) -> list[Any]:
        where: list[Any] = [col(RecordLink.profile_id) == self.profile_id]
        if which == "from_crm":
            where.append(col(RecordLink.origin) == "crm")
        elif which == "linked":
            where.append(col(RecordLink.state) == "linked")
        elif which == "unlinked":
            where.append(col(RecordLink.state) != "linked")
        elif which == "failing":
            last = self.last_run(session)
            failed_ids = select(RecordError.record_id).where(
                RecordError.run_id == (last.id if last else -1)
            )
            in_conflict = select(Conflict.link_id).where(
                Conflict.profile_id == self.profile_id, Conflict.state == "open"
            )
            where.append(
                or_(
                    col(RecordLink.crm_id).in_(failed_ids),
                    col(RecordLink.billing_id).in_(failed_ids),
                    col(RecordLink.id).in_(in_conflict),
                )
            )
        return where

    def count_customers(self, which: CustomerFilter = "all") -> int:
        with self.store.read() as session:
            where = self._customer_where(session, which)
            return int(session.exec(select(func.count()).where(*where)).one())

    def customers(
        self, offset: int, limit: int, which: CustomerFilter = "all"
    ) -> list[CustomerRow]:
        with self.store.read() as session:
            where = self._customer_where(session, which)
            links = session.exec(
                select(RecordLink)
                .where(*where)
                .order_by(col(RecordLink.id))
                .offset(offset)
                .limit(limit)
            ).all()
            ids = [int(link.id or 0) for link in links]
            waiting = dict(
                session.exec(
                    select(Conflict.link_id, func.count())
                    .where(col(Conflict.link_id).in_(ids), Conflict.state == "open")
                    .group_by(col(Conflict.link_id))
                ).all()
            )
        return [customer_row(link, int(waiting.get(int(link.id or 0), 0))) for link in links]

    def customer(self, link_id: int) -> tuple[CustomerRow, list[FieldValues]] | None:
        with self.store.read() as session:
            link = session.get(RecordLink, link_id)
        if link is None or link.profile_id != self.profile_id:
            return None
        fields = self.link_fields(link_id)
        waiting = sum(1 for f in fields if f.conflict_id is not None)
        return customer_row(link, waiting), fields


def still_failing(standing: dict[str, int], last_run: dict[str, int]) -> dict[str, int]:
    """Records failing now, by reason: the refusals the ledger keeps (a run that skips an
    unchanged refused record logs no error for it) with the last run's errors (a network or
    ambiguous failure is retried, not kept); a record in both is counted once."""
    merged = dict(standing)
    for reason, count in last_run.items():
        merged[reason] = max(merged.get(reason, 0), count)
    return dict(sorted(merged.items(), key=lambda kv: -kv[1]))
