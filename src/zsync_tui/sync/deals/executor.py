"""At-most-once execution of deal-trigger actions.

Protocol per action (deal, action, generation), for a round of actions at once:
1. `begin_many` records them as pending (one transaction) — an action pending or done is
   never sent again;
2. checkpoint "deal action recorded"; the Billing calls; checkpoint "deal action sent";
3. `finish_many` records how each ended (one transaction): done (with the document ID and,
   for creates, the trigger link), or failed when Billing refused it.

A crash between 1 and 3 leaves the row pending. `reconcile` settles such rows before anything
else acts: a create is looked up by its reference (the quote by `zcrm_potential_id`, the
invoice among its customer's invoices) and adopted if found, else marked failed so the
decision makes it again; a status change is read back from the document.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zsync_tui.store import DealAction
from zsync_tui.sync.crashpoints import checkpoint
from zsync_tui.sync.deals.config import ItemMapping
from zsync_tui.sync.deals.documents import (
    document_body,
    document_id,
    find_trigger_document,
    get_document,
    trigger_reference,
)
from zsync_tui.sync.deals.ledger import Closing, DealLedger, decode
from zsync_tui.sync.deals.model import Deal, PlannedAction
from zsync_tui.zoho.errors import (
    AmbiguousWrite,
    AuthenticationError,
    MalformedResponse,
    RateLimited,
    ServerError,
    Unreachable,
    ZohoError,
)

log = logging.getLogger(__name__)

CrashHook = Callable[[str], None]
#: Errors after which the write may have landed: the row stays pending for `reconcile`.
UNCERTAIN = (AmbiguousWrite, ServerError, Unreachable, MalformedResponse)
#: Errors that stopped the call before Billing acted on it, and pass with time.
NOT_SENT = (RateLimited, AuthenticationError)
STATUS_AFTER = {
    "mark_quote_sent": "sent",
    "accept_quote": "accepted",
    "decline_quote": "declined",
    "void_invoice": "void",
}


@dataclass
class ActionOutcome:
    """How one action ended: done, already (done or pending before), failed, pending, or
    retry (found not to have reached Billing after a crash: the decision sends it again)."""

    deal_id: str
    action: str
    generation: int
    state: str
    billing_id: str | None = None
    message: str = ""
    transient: bool = False
    error: Exception | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.state in ("done", "already")

    def as_dict(self) -> dict[str, Any]:
        return {
            "deal_id": self.deal_id,
            "action": self.action,
            "generation": self.generation,
            "state": self.state,
            "billing_id": self.billing_id,
            "message": self.message,
        }


@dataclass(frozen=True)
class RoundItem:
    """One action of one deal in a round; `last` marks the deal's last action."""

    deal: Deal
    planned: PlannedAction
    customer_id: str | None
    last: bool = False

    @property
    def reference(self) -> str | None:
        if not self.planned.creates:
            return None
        return trigger_reference(self.deal.id, self.planned.action, self.planned.generation)


class ActionExecutor:
    """Sends planned actions to Billing, each at most once (see the module docstring)."""

    def __init__(
        self,
        ledger: DealLedger,
        billing: Any,
        items: ItemMapping,
        crash_hook: CrashHook = checkpoint,
    ) -> None:
        self.ledger = ledger
        self.billing = billing
        self.items = items
        self.crash_hook = crash_hook

    async def execute(
        self,
        deal: Deal,
        planned: PlannedAction,
        customer_id: str | None,
        *,
        last: bool = False,
    ) -> ActionOutcome:
        """Send `planned` unless it is pending or done already; with `last`, a success also
        records the deal's stage as handled."""
        (outcome,) = await self.execute_round([RoundItem(deal, planned, customer_id, last)])
        return outcome

    async def execute_round(
        self, items: list[RoundItem], concurrency: int = 1
    ) -> list[ActionOutcome]:
        """Send many actions of different deals: one transaction records them all as pending,
        the calls go out `concurrency` at a time, one transaction records how they ended
        (group commit: two disk syncs a round instead of two an action)."""
        rows = self.ledger.begin_many(
            [
                (
                    item.deal.id,
                    item.planned.action,
                    item.planned.generation,
                    item.planned.entity,
                    {
                        "billing_id": item.planned.billing_id,
                        "reference": item.reference,
                        "customer_id": item.customer_id,
                        "stage": item.deal.stage,
                    },
                )
                for item in items
            ]
        )
        outcomes = [
            ActionOutcome(item.deal.id, item.planned.action, item.planned.generation, "already")
            for item in items
        ]
        live = [(index, row) for index, row in enumerate(rows) if row is not None]
        if not live:
            return outcomes
        self.crash_hook("deal action recorded")
        gate = asyncio.Semaphore(max(1, concurrency))

        async def send(item: RoundItem) -> tuple[str | None, Exception | None]:
            async with gate:
                try:
                    return await self._send(item.deal, item.planned, item.customer_id), None
                except Exception as exc:  # noqa: BLE001 - sorted below, per item
                    return None, exc

        answers = await asyncio.gather(*(send(items[index]) for index, _ in live))
        self.crash_hook("deal action sent")
        closings: list[Closing] = []
        for (index, row), (billing_id, error) in zip(live, answers, strict=True):
            item, outcome = items[index], outcomes[index]
            outcome.error = error
            if error is None:
                outcome.state, outcome.billing_id = "done", billing_id
                closings.append(
                    Closing(
                        row,
                        "done",
                        billing_id,
                        "trigger" if item.planned.creates else None,
                        item.deal.stage if item.last else None,
                    )
                )
            elif isinstance(error, NOT_SENT) or (
                isinstance(error, ZohoError) and not isinstance(error, UNCERTAIN)
            ):
                outcome.state, outcome.message = "failed", str(error)
                outcome.transient = isinstance(error, NOT_SENT)
                closings.append(Closing(row, "failed", message={"error": str(error)}))
            else:
                # It may have landed: the row stays pending for `reconcile`.
                outcome.state, outcome.transient, outcome.message = "pending", True, str(error)
                log.warning(
                    "deal %s %s may have been applied: %s", item.deal.id, item.planned.action, error
                )
        self.ledger.finish_many(closings)
        return outcomes

    async def _send(self, deal: Deal, planned: PlannedAction, customer_id: str | None) -> str:
        billing = self.billing
        if planned.creates:
            if not customer_id:
                raise ValueError("a create needs the deal's customer")
            body = document_body(deal, self.items, customer_id, planned.action, planned.generation)
            if planned.action == "create_quote":
                return document_id("estimate", await billing.create_estimate(body))
            return document_id("invoice", await billing.create_invoice(body))
        target = planned.billing_id or ""
        if planned.action == "void_invoice":
            await billing.void_invoice(target)
        else:
            await billing.mark_estimate(target, STATUS_AFTER[planned.action])
        return target

    # -- after a crash ---------------------------------------------------------------------

    async def reconcile(self) -> list[ActionOutcome]:
        """Settle every pending action; raises only on errors that stop the whole poll."""
        outcomes = []
        for row in self.ledger.pending():
            try:
                outcomes.append(await self._reconcile_one(row))
            except (RateLimited, AuthenticationError):
                raise
            except ZohoError as exc:
                log.warning("deal %s %s not reconciled yet: %s", row.deal_id, row.action, exc)
                outcomes.append(
                    ActionOutcome(
                        row.deal_id, row.action, row.generation, "pending", None, str(exc), True
                    )
                )
        return outcomes

    async def _reconcile_one(self, row: DealAction) -> ActionOutcome:
        facts = decode(row.message)
        entity = row.billing_entity or "invoice"
        outcome = ActionOutcome(row.deal_id, row.action, row.generation, "done")
        if row.action in ("create_quote", "create_invoice"):
            found = await find_trigger_document(
                self.billing,
                entity,
                row.deal_id,
                str(facts.get("reference") or ""),
                facts.get("customer_id"),
            )
            if found is not None:
                outcome.billing_id = document_id(entity, found)
                self.ledger.finish(
                    row,
                    "done",
                    billing_id=outcome.billing_id,
                    link_origin="trigger",
                    reconciled=True,
                )
                return outcome
        else:
            document = await get_document(self.billing, entity, row.billing_id or "")
            if str(document.get("status")) == STATUS_AFTER.get(row.action):
                outcome.billing_id = row.billing_id
                self.ledger.finish(row, "done", reconciled=True)
                return outcome
        # Billing never acted on it: the next decision for the deal sends it again.
        self.ledger.finish(row, "failed", error="interrupted before Billing acted; retried")
        outcome.state, outcome.message = "retry", "interrupted before Billing acted; sent again"
        return outcome
