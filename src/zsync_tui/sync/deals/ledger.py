"""What the store keeps for the deal triggers: action rows (keyed by deal, action and
generation), the `seen`/`skip`/lock bookkeeping rows, deal links, and the watcher's cursor.

Each method is one short transaction; the executor calls `begin` before a Billing write and
`finish` after it, so a crash in between leaves a `pending` row to reconcile.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select

from zsync_tui.store import DealAction, DealLink, RecordLink, Store, SyncCursor
from zsync_tui.sync.deals.model import SEEN, SKIP, ActionRecord

CURSOR = "deals:modified"


@dataclass
class Closing:
    """How one recorded action ended, for `finish_many`."""

    row: DealAction
    state: str  # done | failed
    billing_id: str | None = None
    link_origin: str | None = None
    seen_stage: str | None = None
    message: dict[str, Any] = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(UTC)


def encode(**values: Any) -> str:
    """The JSON kept in `DealAction.message` (reference, customer, error, stage, ...)."""
    return json.dumps({k: v for k, v in values.items() if v is not None}, sort_keys=True)


def decode(message: str | None) -> dict[str, Any]:
    if not message:
        return {}
    try:
        value = json.loads(message)
    except ValueError:
        return {"text": message}
    return value if isinstance(value, dict) else {"text": message}


class DealLedger:
    """The deal-trigger tables of one profile."""

    def __init__(self, store: Store, profile_id: int) -> None:
        self.store = store
        self.profile_id = profile_id

    # -- reading ---------------------------------------------------------------------------

    def history(self, deal_ids: Iterable[str]) -> dict[str, list[ActionRecord]]:
        """Every action row of these deals, as plain records."""
        ids = list(dict.fromkeys(deal_ids))
        found: dict[str, list[ActionRecord]] = {deal_id: [] for deal_id in ids}
        with self.store.read() as session:
            for start in range(0, len(ids), 500):
                rows = session.exec(
                    select(DealAction).where(
                        DealAction.profile_id == self.profile_id,
                        col(DealAction.deal_id).in_(ids[start : start + 500]),
                    )
                ).all()
                for row in rows:
                    found[row.deal_id].append(_record(row))
        return found

    def get(self, deal_id: str, action: str, generation: int) -> DealAction | None:
        with self.store.read() as session:
            return self._get(session, deal_id, action, generation)

    def _get(self, session: Any, deal_id: str, action: str, generation: int) -> DealAction | None:
        return session.exec(
            select(DealAction).where(
                DealAction.profile_id == self.profile_id,
                DealAction.deal_id == deal_id,
                DealAction.action == action,
                DealAction.generation == generation,
            )
        ).first()

    def pending(self) -> list[DealAction]:
        """Billing writes recorded but not known to be done (a crash or an ambiguous answer)."""
        with self.store.read() as session:
            return list(
                session.exec(
                    select(DealAction).where(
                        DealAction.profile_id == self.profile_id, DealAction.state == "pending"
                    )
                ).all()
            )

    def rows(self, deal_id: str | None = None) -> list[DealAction]:
        with self.store.read() as session:
            query = select(DealAction).where(DealAction.profile_id == self.profile_id)
            if deal_id is not None:
                query = query.where(DealAction.deal_id == deal_id)
            return list(session.exec(query.order_by(col(DealAction.id))).all())

    def customer_links(self, module: str, crm_ids: Iterable[str]) -> dict[str, str]:
        """Billing customer IDs of CRM Accounts/Contacts the customer sync has linked."""
        ids = list(dict.fromkeys(crm_ids))
        found: dict[str, str] = {}
        with self.store.read() as session:
            for start in range(0, len(ids), 500):
                rows = session.exec(
                    select(RecordLink).where(
                        RecordLink.profile_id == self.profile_id,
                        RecordLink.crm_module == module,
                        RecordLink.billing_entity == "customer",
                        col(RecordLink.crm_id).in_(ids[start : start + 500]),
                    )
                ).all()
                found.update({row.crm_id: row.billing_id for row in rows})
        return found

    # -- the at-most-once protocol ---------------------------------------------------------

    def begin(
        self, deal_id: str, action: str, generation: int, entity: str, **message: Any
    ) -> DealAction | None:
        """Record an action as pending before its call; None when it is pending or done
        already (the caller must not send it again)."""
        return self.begin_many([(deal_id, action, generation, entity, message)])[0]

    def begin_many(
        self, actions: list[tuple[str, str, int, str, dict[str, Any]]]
    ) -> list[DealAction | None]:
        """`begin` for many (deal, action, generation, entity, message) in one transaction."""
        rows: list[DealAction | None] = []
        with self.store.write() as session:
            for deal_id, action, generation, entity, message in actions:
                row = self._get(session, deal_id, action, generation)
                if row is not None and row.state in ("pending", "done"):
                    rows.append(None)
                    continue
                row = row or DealAction(
                    profile_id=self.profile_id,
                    deal_id=deal_id,
                    action=action,
                    generation=generation,
                )
                facts = dict(message)
                row.state = "pending"
                row.billing_entity = entity
                row.billing_id = facts.pop("billing_id", None) or row.billing_id
                row.message = encode(**facts)
                row.updated_at = _now()
                session.add(row)
                rows.append(row)
            session.flush()
        return rows

    def finish(
        self,
        row: DealAction,
        state: str,
        *,
        billing_id: str | None = None,
        link_origin: str | None = None,
        seen_stage: str | None = None,
        **message: Any,
    ) -> None:
        """Close an action (done / failed); a create also records its trigger link; with
        `seen_stage`, the deal's stage is handled in the same transaction."""
        self.finish_many([Closing(row, state, billing_id, link_origin, seen_stage, message)])

    def finish_many(self, closings: list[Closing]) -> None:
        """`finish` for many actions in one transaction."""
        with self.store.write() as session:
            for closing in closings:
                self._finish(session, closing)

    def _finish(self, session: Any, closing: Closing) -> None:
        current = session.get(DealAction, closing.row.id)
        if current is None:
            return
        current.state = closing.state
        current.billing_id = closing.billing_id or current.billing_id
        current.message = encode(**{**decode(current.message), **closing.message})
        current.updated_at = _now()
        session.add(current)
        if closing.state != "done":
            return
        if closing.link_origin and current.billing_id:
            self._link(
                session,
                current.deal_id,
                current.billing_entity or "",
                current.billing_id,
                closing.link_origin,
            )
        self._delete_marker(session, current.deal_id, SKIP)
        if closing.seen_stage is not None:
            self._upsert(session, current.deal_id, SEEN, 0, SEEN, None, closing.seen_stage)

    def _upsert(
        self,
        session: Any,
        deal_id: str,
        action: str,
        generation: int,
        state: str,
        billing_id: str | None,
        message: str | None,
    ) -> None:
        row = self._get(session, deal_id, action, generation) or DealAction(
            profile_id=self.profile_id, deal_id=deal_id, action=action, generation=generation
        )
        row.state = state
        row.billing_id = billing_id or row.billing_id
        row.message = message
        row.updated_at = _now()
        session.add(row)

    def mark(self, deal_id: str, action: str, generation: int, state: str, **message: Any) -> None:
        """Upsert a bookkeeping row (`seen`, `skip`, a lock)."""
        with self.store.write() as session:
            billing_id = message.pop("billing_id", None)
            text = encode(**message) if action != SEEN else message.get("stage")
            self._upsert(session, deal_id, action, generation, state, billing_id, text)
            if action == SEEN:
                self._delete_marker(session, deal_id, SKIP)

    def mark_seen_many(self, stages: dict[str, str]) -> None:
        """Record many deals' stages as handled at once (the baseline, a page's quiet deals);
        their skip reasons no longer hold."""
        if not stages:
            return
        ids = list(stages)
        with self.store.write() as session:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = session.exec(
                    select(DealAction).where(
                        DealAction.profile_id == self.profile_id,
                        col(DealAction.deal_id).in_(chunk),
                        col(DealAction.action).in_([SEEN, SKIP]),
                    )
                ).all()
                seen = {row.deal_id: row for row in rows if row.action == SEEN}
                for row in rows:
                    if row.action == SKIP:
                        session.delete(row)
                for deal_id in chunk:
                    row = seen.get(deal_id) or DealAction(
                        profile_id=self.profile_id, deal_id=deal_id, action=SEEN, generation=0
                    )
                    row.state, row.message, row.updated_at = SEEN, stages[deal_id], _now()
                    session.add(row)

    def _delete_marker(self, session: Any, deal_id: str, action: str) -> None:
        row = self._get(session, deal_id, action, 0)
        if row is not None:
            session.delete(row)

    # -- links -----------------------------------------------------------------------------

    def _link(self, session: Any, deal_id: str, entity: str, billing_id: str, origin: str) -> None:
        existing = session.exec(
            select(DealLink).where(
                DealLink.profile_id == self.profile_id,
                DealLink.deal_id == deal_id,
                DealLink.billing_entity == entity,
                DealLink.billing_id == billing_id,
            )
        ).first()
        if existing is None:
            session.add(
                DealLink(
                    profile_id=self.profile_id,
                    deal_id=deal_id,
                    billing_entity=entity,
                    billing_id=billing_id,
                    origin=origin,
                )
            )

    def add_link(self, deal_id: str, entity: str, billing_id: str, origin: str) -> None:
        with self.store.write() as session:
            self._link(session, deal_id, entity, billing_id, origin)

    def links(self, deal_id: str | None = None) -> list[DealLink]:
        with self.store.read() as session:
            query = select(DealLink).where(DealLink.profile_id == self.profile_id)
            if deal_id is not None:
                query = query.where(DealLink.deal_id == deal_id)
            return list(session.exec(query.order_by(col(DealLink.id))).all())

    def link_of(self, entity: str, billing_id: str) -> DealLink | None:
        """The link that holds this document, whichever deal it is."""
        with self.store.read() as session:
            return session.exec(
                select(DealLink).where(
                    DealLink.profile_id == self.profile_id,
                    DealLink.billing_entity == entity,
                    DealLink.billing_id == billing_id,
                )
            ).first()

    def remove_link(self, link_id: int) -> None:
        with self.store.write() as session:
            row = session.get(DealLink, link_id)
            if row is not None:
                session.delete(row)

    # -- cursor ----------------------------------------------------------------------------

    def cursor(self) -> str | None:
        with self.store.read() as session:
            row = session.get(SyncCursor, (self.profile_id, CURSOR))
            return row.value if row else None

    def set_cursor(self, value: str) -> None:
        with self.store.write() as session:
            row = session.get(SyncCursor, (self.profile_id, CURSOR)) or SyncCursor(
                profile_id=self.profile_id, name=CURSOR, value=value
            )
            row.value, row.updated_at = value, _now()
            session.add(row)


def _record(row: DealAction) -> ActionRecord:
    return ActionRecord(row.action, row.generation, row.state, row.billing_id, row.message)
