"""The engine's durable state for one profile: links, cursors, the outbox, conflicts, the
journal and duplicate matches, read and written in short SQLite transactions.

Every method that writes takes the caller's session, so one batch's links, outbox states,
journal entries and cursor commit together (or not at all).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, delete
from sqlalchemy import select as sqlalchemy_select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from zsync_tui.store import (
    Conflict,
    DuplicateMatch,
    JournalEntry,
    OutboxIntent,
    RecordIssue,
    RecordLink,
    Store,
    SyncCursor,
    bulk,
    new_record_link,
)
from zsync_tui.sync.mapping import Values

_LINKS = RecordLink.__table__  # type: ignore[attr-defined]
_LINK_COLUMNS = tuple(name for name in _LINKS.c.keys() if name != "id")
_INTENTS = OutboxIntent.__table__  # type: ignore[attr-defined]
_JOURNAL = JournalEntry.__table__  # type: ignore[attr-defined]
_STAMP = bulk.datetime_converter()
_ISSUES = RecordIssue.__table__  # type: ignore[attr-defined]
_CURSORS = SyncCursor.__table__  # type: ignore[attr-defined]
_UPSERT_CURSOR = sqlite_insert(_CURSORS).on_conflict_do_update(
    index_elements=["profile_id", "name"],
    set_={
        "value": sqlite_insert(_CURSORS).excluded.value,
        "updated_at": sqlite_insert(_CURSORS).excluded.updated_at,
    },
)
_SETTLE_ISSUE = delete(_ISSUES).where(
    _ISSUES.c.profile_id == bindparam("profile"),
    _ISSUES.c.side == bindparam("the_side"),
    _ISSUES.c.module == bindparam("the_module"),
    _ISSUES.c.record_id == bindparam("record"),
)
_UPSERT_ISSUE = sqlite_insert(_ISSUES).on_conflict_do_update(
    index_elements=["profile_id", "side", "module", "record_id"],
    set_={
        name: sqlite_insert(_ISSUES).excluded[name]
        for name in ("name", "reason", "message", "record_modified_time", "last_seen")
    },
)


def now_utc() -> datetime:
    return datetime.now(UTC)


def journal_json(value: Any) -> str | None:
    """A journal entry's before/after snapshot as JSON; None stays None (nothing to show)."""
    return None if value is None else orjson.dumps(value, default=str).decode()


def link_values(link: RecordLink) -> dict[str, Values]:
    """`base`, `crm` and `billing` values stored on a link at its last sync."""
    try:
        data = json.loads(link.last_values_json or "{}")
    except json.JSONDecodeError:
        data = {}
    return {key: dict(data.get(key) or {}) for key in ("base", "crm", "billing", "override")}


def store_link_values(
    link: RecordLink, base: Values, crm: Values, billing: Values, override: Values | None = None
) -> None:
    """Store the values of a sync; `override` holds an admin's choice for the next run."""
    link.last_values_json = values_json(base, crm, billing, override)


def values_json(base: Values, crm: Values, billing: Values, override: Values | None = None) -> str:
    """What `store_link_values` stores, for a link still to be built."""
    data: dict[str, Values] = {"base": base, "crm": crm, "billing": billing}
    if override:
        data["override"] = override
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


class Ledger:
    """State store access for one profile's sync."""

    def __init__(self, store: Store, profile_id: int) -> None:
        self.store = store
        self.profile_id = profile_id

    # -- links -----------------------------------------------------------------------------

    def _links_among(
        self,
        session: Session,
        of_kind: ColumnElement[bool],
        id_column: Mapped[str],
        ids: Iterable[str],
    ) -> list[RecordLink]:
        """This profile's links of one kind whose `id_column` is one of `ids`."""
        wanted = list(ids)
        if not wanted:
            return []
        # Read as plain rows and built by `new_record_link`: a page's links without the ORM's
        # identity map (they are written back by `save_links`, never through a session).
        rows = session.execute(
            sqlalchemy_select(_LINKS).where(
                _LINKS.c.profile_id == self.profile_id, of_kind, id_column.in_(wanted)
            )
        )
        return [new_record_link(**row._mapping) for row in rows]

    def links_by_crm(
        self, session: Session, module: str, ids: Iterable[str]
    ) -> dict[str, RecordLink]:
        rows = self._links_among(
            session, col(RecordLink.crm_module) == module, col(RecordLink.crm_id), ids
        )
        return {row.crm_id: row for row in rows}

    def links_by_billing(
        self, session: Session, ids: Iterable[str], entity: str = "customer"
    ) -> dict[str, RecordLink]:
        rows = self._links_among(
            session, col(RecordLink.billing_entity) == entity, col(RecordLink.billing_id), ids
        )
        return {row.billing_id: row for row in rows}

    def save_links(self, session: Session, links: Iterable[RecordLink]) -> None:
        """Write links in two statements: new ones inserted (and given their ids), known ones
        updated by id (see `store.bulk`)."""
        now = now_utc()
        fresh: list[RecordLink] = []
        known: list[RecordLink] = []
        seen: set[int] = set()
        for link in links:
            if id(link) in seen:
                continue
            seen.add(id(link))
            link.last_synced_at = now
            (known if link.id is not None else fresh).append(link)
        names = bulk.column_names(_LINKS)
        ids = bulk.insert_rows(
            session, _LINKS, [{name: getattr(link, name) for name in names} for link in fresh]
        )
        for link, link_id in zip(fresh, ids, strict=True):
            link.id = link_id
        bulk.update_rows(
            session,
            _LINKS,
            names,
            [
                [*bulk.update_values(_LINKS, {n: getattr(link, n) for n in names}), link.id]
                for link in known
            ],
        )

    def link_by_id(self, session: Session, link_id: int) -> RecordLink | None:
        link = session.get(RecordLink, link_id)
        return link if link is not None and link.profile_id == self.profile_id else None

    # -- cursors ---------------------------------------------------------------------------

    def cursor(self, name: str) -> str | None:
        with self.store.read() as session:
            row = session.get(SyncCursor, (self.profile_id, name))
            return row.value if row else None

    def set_cursor(self, session: Session, name: str, value: str) -> None:
        session.execute(
            _UPSERT_CURSOR,
            {"profile_id": self.profile_id, "name": name, "value": value, "updated_at": now_utc()},
        )

    def clear_cursors(self) -> None:
        with self.store.write() as session:
            for row in session.exec(
                select(SyncCursor).where(SyncCursor.profile_id == self.profile_id)
            ).all():
                session.delete(row)

    # -- outbox ----------------------------------------------------------------------------

    def record_intents(
        self, run_id: int | None, side: str, operation: str, items: list[tuple[str, dict[str, Any]]]
    ) -> list[int]:
        """Commit one pending intent per (natural key, payload) before the remote create."""
        if not items:
            return []
        now = now_utc()
        rows = [
            {
                "profile_id": self.profile_id,
                "run_id": run_id,
                "side": side,
                "operation": operation,
                "natural_key": key,
                "payload_json": json.dumps(payload, ensure_ascii=False),
                "state": "pending",
                "attempts": 1,
                "created_at": now,
                "updated_at": now,
            }
            for key, payload in items
        ]
        with self.store.write() as session:
            return bulk.insert_rows(session, _INTENTS, rows)

    def pending_intents(self) -> list[OutboxIntent]:
        with self.store.read() as session:
            return list(
                session.exec(
                    select(OutboxIntent).where(
                        OutboxIntent.profile_id == self.profile_id,
                        OutboxIntent.state == "pending",
                    )
                ).all()
            )

    def finish_intent(
        self,
        session: Session,
        intent_id: int,
        state: str,
        remote_id: str | None = None,
        error: str | None = None,
    ) -> None:
        row = session.get(OutboxIntent, intent_id)
        if row is None:
            return
        row.state = state
        row.remote_id = remote_id
        row.error = error
        row.updated_at = now_utc()
        session.add(row)

    def finish_intents(
        self, session: Session, done: list[tuple[int, str, str | None, str | None]]
    ) -> None:
        """Settle many intents in one statement (by primary key)."""
        if not done:
            return
        now = _STAMP(now_utc())
        bulk.update_rows(
            session,
            _INTENTS,
            ("state", "remote_id", "error", "updated_at"),
            [(state, remote, error, now, i) for i, state, remote, error in done],
        )

    # -- journal, conflicts, duplicates ----------------------------------------------------

    def journal_many(
        self,
        session: Session,
        run_id: int | None,
        entries: list[tuple[str, str, str | None, str, Any, Any]],
    ) -> None:
        """Append journal entries in one statement."""
        if not entries:
            return
        now = now_utc()
        bulk.insert_rows(
            session,
            _JOURNAL,
            [
                {
                    "profile_id": self.profile_id,
                    "run_id": run_id,
                    "side": side,
                    "entity": entity,
                    "remote_id": remote_id,
                    "action": action,
                    "before_json": journal_json(before),
                    "after_json": journal_json(after),
                    "at": now,
                }
                for side, entity, remote_id, action, before, after in entries
            ],
        )

    def journal(
        self,
        session: Session,
        run_id: int | None,
        side: str,
        entity: str,
        remote_id: str | None,
        action: str,
        before: Any = None,
        after: Any = None,
    ) -> None:
        session.add(
            JournalEntry(
                profile_id=self.profile_id,
                run_id=run_id,
                side=side,
                entity=entity,
                remote_id=remote_id,
                action=action,
                before_json=journal_json(before),
                after_json=journal_json(after),
            )
        )

    def open_conflict(
        self,
        session: Session,
        link_id: int,
        field: str,
        base: str | None,
        crm: str | None,
        billing: str | None,
    ) -> bool:
        """Record (or refresh) an open conflict; True when it is new."""
        row = session.exec(
            select(Conflict).where(
                Conflict.profile_id == self.profile_id,
                Conflict.link_id == link_id,
                Conflict.field == field,
                Conflict.state == "open",
            )
        ).first()
        if row is not None:
            row.base_value, row.crm_value, row.billing_value = base, crm, billing
            session.add(row)
            return False
        session.add(
            Conflict(
                profile_id=self.profile_id,
                link_id=link_id,
                field=field,
                base_value=base,
                crm_value=crm,
                billing_value=billing,
            )
        )
        return True

    def close_conflicts_for(self, session: Session, link_id: int, fields: Iterable[str]) -> None:
        """Conflicts whose field now agrees on both sides are settled by the admin's edit."""
        self.close_agreed_conflicts(session, [(link_id, list(fields))])

    def close_agreed_conflicts(
        self, session: Session, agreed: Iterable[tuple[int, Iterable[str]]]
    ) -> None:
        """`close_conflicts_for` for many links: one query for the batch's open conflicts."""
        wanted = {link_id: set(fields) for link_id, fields in agreed if link_id}
        wanted = {link_id: fields for link_id, fields in wanted.items() if fields}
        if not wanted:
            return
        rows = session.exec(
            select(Conflict).where(
                Conflict.profile_id == self.profile_id,
                Conflict.state == "open",
                col(Conflict.link_id).in_(list(wanted)),
            )
        ).all()
        now = now_utc()
        for row in rows:
            if row.field in wanted.get(row.link_id, ()):
                row.state = "resolved"
                row.resolution = "agreed"
                row.resolved_at = now
                session.add(row)

    def duplicate_decisions(self) -> dict[tuple[str, str], DuplicateMatch]:
        """Duplicate matches recorded earlier, by (CRM module, CRM id)."""
        with self.store.read() as session:
            rows = session.exec(
                select(DuplicateMatch).where(DuplicateMatch.profile_id == self.profile_id)
            ).all()
            return {(row.crm_module, row.crm_id): row for row in rows}

    def set_match_state(
        self, session: Session, match_id: int, state: str, *, expected: str | None = None
    ) -> None:
        """Move a match to `state`; with `expected`, only if it is still in that state: an
        admin's approval or rejection made while a run went on is not overwritten by it."""
        row = session.get(DuplicateMatch, match_id)
        if row is not None and (expected is None or row.state == expected):
            row.state = state
            session.add(row)

    def held_billing_ids(self) -> set[str]:
        """Billing customers matched by a duplicate that is waiting or skipped, or unlinked by
        the admin: never matched again by themselves nor cloned."""
        with self.store.read() as session:
            rows = session.exec(
                select(DuplicateMatch.billing_id).where(
                    DuplicateMatch.profile_id == self.profile_id,
                    col(DuplicateMatch.state).in_(["waiting", "skipped", "unlinked"]),
                )
            ).all()
            return set(rows)

    # -- records the other side refused ----------------------------------------------------

    def _issues_of(self, side: str, module: str, record_id: str) -> SelectOfScalar[RecordIssue]:
        """The query for one record's issues on one side."""
        return select(RecordIssue).where(
            RecordIssue.profile_id == self.profile_id,
            RecordIssue.side == side,
            RecordIssue.module == module,
            RecordIssue.record_id == record_id,
        )

    def record_issue(
        self,
        session: Session,
        side: str,
        module: str,
        record_id: str,
        name: str | None,
        reason: str,
        message: str,
        record_modified_time: str | None = None,
    ) -> None:
        self.record_issues(
            session, [(side, module, record_id, name, reason, message, record_modified_time)]
        )

    def record_issues(
        self,
        session: Session,
        issues: Iterable[tuple[str, str, str, str | None, str, str, str | None]],
    ) -> None:
        """Record (or refresh) refused-record issues in one upsert; `first_seen` is kept."""
        now = now_utc()
        rows = [
            {
                "profile_id": self.profile_id,
                "side": side,
                "module": module,
                "record_id": record_id,
                "name": name,
                "reason": reason,
                "message": message,
                "record_modified_time": stamp,
                "first_seen": now,
                "last_seen": now,
            }
            for side, module, record_id, name, reason, message, stamp in issues
        ]
        if rows:
            session.execute(_UPSERT_ISSUE, rows)

    def settle_issue(self, session: Session, side: str, module: str, record_id: str) -> None:
        self.settle_issues(session, [(side, module, record_id)])

    def settle_issues(self, session: Session, records: Iterable[tuple[str, str, str]]) -> None:
        """Forget the issues of records that synced (one statement for the batch)."""
        rows = [
            {"profile": self.profile_id, "the_side": side, "the_module": module, "record": rid}
            for side, module, rid in records
        ]
        if rows:
            session.execute(_SETTLE_ISSUE, rows)

    def issue_ids(self, side: str, module: str) -> dict[str, str | None]:
        """Records with an open issue, with their modified time when refused."""
        with self.store.read() as session:
            rows = session.exec(
                select(RecordIssue.record_id, RecordIssue.record_modified_time).where(
                    RecordIssue.profile_id == self.profile_id,
                    RecordIssue.side == side,
                    RecordIssue.module == module,
                )
            ).all()
            return {record_id: stamp for record_id, stamp in rows}

    def issues_by_reason(self) -> dict[str, int]:
        with self.store.read() as session:
            rows = session.exec(
                select(RecordIssue.reason).where(RecordIssue.profile_id == self.profile_id)
            ).all()
        counts: dict[str, int] = {}
        for reason in rows:
            counts[reason] = counts.get(reason, 0) + 1
        return counts
