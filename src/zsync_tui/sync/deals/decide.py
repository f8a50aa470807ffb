"""The decision: a deal, what the store remembers of it, the stage→probability map and the
configuration in; the Billing writes to make out. Pure: no I/O, so the watcher, the simulation
and the tests share it.

Triggers fire when a deal *enters* a stage: the store keeps the last stage whose triggers were
fully handled (the `seen` row); a deal never seen before is new (`on_create`). A failed or
skipped deal keeps its old `seen` stage, so it is decided again the next time it is read.

Invoices have generations: won makes generation 1; lost voids it; won again makes generation 2,
never the voided one back. A document whose status someone changed in Billing is locked and
never touched again; a paid invoice is never voided.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from zsync_tui.sync.deals.config import TriggerConfig
from zsync_tui.sync.deals.model import (
    LOCK_INVOICE,
    LOCK_QUOTE,
    SEEN,
    ActionName,
    ActionRecord,
    Deal,
    Decision,
    Lock,
    PlannedAction,
    StageMap,
)

PAID_STATUSES = frozenset({"paid", "partially_paid"})
QUOTE_STATUS_AFTER = {
    "create_quote": "draft",
    "mark_quote_sent": "sent",
    "accept_quote": "accepted",
    "decline_quote": "declined",
}


@dataclass(frozen=True)
class QuoteState:
    """The trigger quote of a deal (one per deal), as the store knows it."""

    create: ActionRecord | None
    expected_status: str | None
    locked: bool

    @property
    def live_id(self) -> str | None:
        """The quote's ID when it exists and triggers may still act on it."""
        if self.create is None or self.create.state != "done" or self.locked:
            return None
        return self.create.billing_id


@dataclass(frozen=True)
class InvoiceState:
    """The newest trigger invoice generation of a deal."""

    generation: int  # 0: none yet
    create: ActionRecord | None
    voided: bool
    locked: bool

    @property
    def live_id(self) -> str | None:
        if self.create is None or self.create.state != "done" or self.voided or self.locked:
            return None
        return self.create.billing_id


def last_handled_stage(history: Sequence[ActionRecord]) -> str | None:
    """The stage whose triggers were fully handled, or None for a deal never seen."""
    for row in history:
        if row.action == SEEN:
            return row.message
    return None


def _row(history: Sequence[ActionRecord], action: str, generation: int) -> ActionRecord | None:
    return next((r for r in history if r.action == action and r.generation == generation), None)


def _done(history: Sequence[ActionRecord], action: str, generation: int) -> bool:
    row = _row(history, action, generation)
    return row is not None and row.state == "done"


def quote_state(history: Sequence[ActionRecord]) -> QuoteState:
    create = _row(history, "create_quote", 1)
    expected = None
    if create is not None and create.state == "done":
        expected = "draft"
        for action in ("mark_quote_sent", "accept_quote", "decline_quote"):
            if _done(history, action, 1):
                expected = QUOTE_STATUS_AFTER[action]
    return QuoteState(create, expected, _row(history, LOCK_QUOTE, 1) is not None)


def invoice_state(history: Sequence[ActionRecord]) -> InvoiceState:
    generations = [r.generation for r in history if r.action == "create_invoice"]
    generation = max(generations, default=0)
    create = _row(history, "create_invoice", generation) if generation else None
    return InvoiceState(
        generation,
        create,
        _done(history, "void_invoice", generation),
        _row(history, LOCK_INVOICE, generation) is not None,
    )


def documents_to_check(
    deal: Deal, history: Sequence[ActionRecord], stages: StageMap, config: TriggerConfig
) -> list[tuple[str, str]]:
    """(entity, id) of the documents whose Billing status `decide` needs for this stage."""
    wanted: list[tuple[str, str]] = []
    quote = quote_state(history)
    if (
        quote.live_id
        and deal.stage in (config.quote_accept_stage, config.quote_decline_stage)
        and quote.expected_status in ("draft", "sent")
    ):
        wanted.append(("estimate", quote.live_id))
    invoice = invoice_state(history)
    if invoice.live_id and config.void_on_lost and stages.is_lost(deal.stage):
        wanted.append(("invoice", invoice.live_id))
    return wanted


def owner_missing(deal: Deal, module: str) -> str | None:
    """Why the deal cannot trigger anything for lack of a customer, or None."""
    if module == "contacts":
        return None if deal.contact_id else "the deal has no Contact (module contacts)"
    return None if deal.account_id else "the deal has no Account"


def decide(
    deal: Deal,
    history: Sequence[ActionRecord],
    stages: StageMap,
    config: TriggerConfig,
    *,
    module: str,
    billing_status: Mapping[str, str] | None = None,
) -> Decision:
    """The actions, locks and skip reason for `deal` at its current stage (see module doc)."""
    decision = Decision(deal.id, deal.stage)
    if not config.active:
        decision.notes.append("deal-stage triggers are disabled")
        return decision
    previous = last_handled_stage(history)
    if previous == deal.stage:
        decision.notes.append(f"stage {deal.stage!r} was already handled")
        return decision
    status = billing_status or {}
    _quote_actions(deal, history, config, previous is None, status, decision)
    _invoice_actions(deal, history, stages, config, status, decision)
    if decision.actions:
        reason = owner_missing(deal, module)
        if reason:
            decision.skipped = reason
            decision.actions = []
    elif not decision.locks and not decision.notes:
        decision.notes.append(f"no trigger for stage {deal.stage!r}")
    return decision


def _quote_actions(
    deal: Deal,
    history: Sequence[ActionRecord],
    config: TriggerConfig,
    is_new: bool,
    status: Mapping[str, str],
    decision: Decision,
) -> None:
    quote = quote_state(history)
    creates_here = deal.stage in config.quote_create_stages or (
        is_new and config.creates_on_new_deal
    )
    if creates_here:
        create = quote.create
        if create is None or create.state == "failed":
            reason = "new deal" if is_new and config.creates_on_new_deal else deal.stage
            decision.actions.append(
                PlannedAction("create_quote", 1, "estimate", f"quote on {reason}")
            )
        else:
            decision.notes.append(f"the deal already has its quote ({create.billing_id})")
        return
    target = {
        config.quote_accept_stage: "accepted",
        config.quote_decline_stage: "declined",
    }.get(deal.stage)
    if not target:
        return
    quote_id = quote.live_id
    if quote_id is None:
        why = "is locked by Billing" if quote.locked else "does not exist"
        decision.notes.append(f"no quote to mark {target}: the deal's quote {why}")
        return
    actual = status.get(quote_id, quote.expected_status)
    if actual != quote.expected_status:
        decision.locks.append(
            Lock(LOCK_QUOTE, 1, quote_id, f"status changed in Billing to {actual}")
        )
        return
    if quote.expected_status in ("accepted", "declined"):
        decision.notes.append(f"the quote is already {quote.expected_status}")
        return
    if quote.expected_status == "draft":
        # Billing accepts or declines only a sent quote.
        decision.actions.append(
            PlannedAction("mark_quote_sent", 1, "estimate", "before " + target, quote_id)
        )
    action: ActionName = "accept_quote" if target == "accepted" else "decline_quote"
    decision.actions.append(PlannedAction(action, 1, "estimate", deal.stage, quote_id))


def _invoice_actions(
    deal: Deal,
    history: Sequence[ActionRecord],
    stages: StageMap,
    config: TriggerConfig,
    status: Mapping[str, str],
    decision: Decision,
) -> None:
    invoice = invoice_state(history)
    if config.invoice_on_won and stages.is_won(deal.stage):
        create = invoice.create
        if create is None:
            decision.actions.append(PlannedAction("create_invoice", 1, "invoice", "deal won"))
        elif create.state == "failed":
            decision.actions.append(
                PlannedAction("create_invoice", invoice.generation, "invoice", "deal won (retry)")
            )
        elif invoice.voided:
            decision.actions.append(
                PlannedAction("create_invoice", invoice.generation + 1, "invoice", "deal won again")
            )
        else:
            decision.notes.append(f"the deal is already invoiced ({create.billing_id})")
    if config.void_on_lost and stages.is_lost(deal.stage):
        invoice_id = invoice.live_id
        if invoice_id is None:
            if invoice.locked:
                decision.notes.append("the deal's invoice is locked by Billing; not voided")
            return
        actual = status.get(invoice_id, "draft")
        if actual in PAID_STATUSES:
            decision.locks.append(
                Lock(
                    LOCK_INVOICE,
                    invoice.generation,
                    invoice_id,
                    f"{actual.replace('_', ' ')} in Billing; a paid invoice is never voided",
                )
            )
        elif actual != "draft":
            decision.locks.append(
                Lock(
                    LOCK_INVOICE,
                    invoice.generation,
                    invoice_id,
                    f"status changed in Billing to {actual}",
                )
            )
        else:
            decision.actions.append(
                PlannedAction(
                    "void_invoice", invoice.generation, "invoice", "deal lost", invoice_id
                )
            )
