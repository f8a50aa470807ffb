"""One page of changed deals: decide for each (reads only), then send the actions in rounds —
every deal's first action in one round, the second actions (accept after mark-sent, ...) in
the next — so the store commits twice a round instead of twice an action."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from zsync_tui.sync.deals.config import TriggerConfig
from zsync_tui.sync.deals.customers import CustomerResolver
from zsync_tui.sync.deals.decide import decide, documents_to_check
from zsync_tui.sync.deals.documents import get_document
from zsync_tui.sync.deals.executor import ActionExecutor, ActionOutcome, RoundItem
from zsync_tui.sync.deals.ledger import DealLedger
from zsync_tui.sync.deals.model import SKIP, ActionRecord, Deal, Decision, StageMap
from zsync_tui.zoho.errors import AuthenticationError, RateLimited, ZohoError

log = logging.getLogger(__name__)
FATAL = (RateLimited, AuthenticationError)


@dataclass
class DealResult:
    """What happened to one deal of the page."""

    deal: Deal
    decision: Decision | None = None
    customer_id: str | None = None
    outcomes: list[ActionOutcome] = field(default_factory=list)
    skipped: str | None = None
    locked: list[tuple[str, str]] = field(default_factory=list)
    interrupted: bool = False
    failed: bool = False
    fatal: ZohoError | None = None

    @property
    def ready(self) -> bool:
        """Decided, and nothing has gone wrong yet."""
        return self.decision is not None and not (self.skipped or self.interrupted or self.failed)


class PageRunner:
    """Decides and acts for the deals of one page (see the module docstring)."""

    def __init__(
        self,
        ledger: DealLedger,
        billing: Any,
        triggers: TriggerConfig,
        module: str,
        executor: ActionExecutor,
        concurrency: int,
    ) -> None:
        self.ledger = ledger
        self.billing = billing
        self.triggers = triggers
        self.module = module
        self.executor = executor
        self.concurrency = concurrency

    async def run(
        self, deals: list[Deal], stages: StageMap, resolver: CustomerResolver
    ) -> list[DealResult]:
        history = self.ledger.history(deal.id for deal in deals)
        gate = asyncio.Semaphore(self.concurrency)

        async def plan(deal: Deal) -> DealResult:
            async with gate:
                return await self._plan(deal, history[deal.id], stages, resolver)

        results = list(await asyncio.gather(*(plan(deal) for deal in deals)))
        if not any(result.fatal for result in results):
            await self._act(results)
        handled = {
            r.deal.id: r.deal.stage
            for r in results
            if r.ready and not (r.outcomes and r.outcomes[-1].state == "done")
        }
        self.ledger.mark_seen_many(handled)
        return results

    async def _plan(
        self,
        deal: Deal,
        history: list[ActionRecord],
        stages: StageMap,
        resolver: CustomerResolver,
    ) -> DealResult:
        result = DealResult(deal)
        if any(row.state == "pending" for row in history):
            # An earlier write is not settled yet (Billing unreachable during reconcile): no
            # decision before it is, so this deal is read again next poll.
            result.interrupted = True
            result.skipped = "an earlier action is still being reconciled with Billing"
            return result
        try:
            status: dict[str, str] = {}
            for entity, document_id in documents_to_check(deal, history, stages, self.triggers):
                document = await get_document(self.billing, entity, document_id)
                status[document_id] = str(document.get("status") or "")
            decision = decide(
                deal, history, stages, self.triggers, module=self.module, billing_status=status
            )
            for lock in decision.locks:
                self.ledger.mark(
                    deal.id,
                    lock.action,
                    lock.generation,
                    "locked",
                    billing_id=lock.billing_id,
                    reason=lock.reason,
                )
                result.locked.append((lock.billing_id, lock.reason))
            if any(action.creates for action in decision.actions):
                result.customer_id, why = await resolver.customer_for(deal)
                if result.customer_id is None:
                    decision.skipped = why
            if decision.skipped:
                self.ledger.mark(
                    deal.id, SKIP, 0, "skipped", reason=decision.skipped, stage=deal.stage
                )
                result.skipped = decision.skipped
            result.decision = decision
        except FATAL as exc:
            # The rest of the poll stops; this deal is read again after the pause.
            result.interrupted, result.fatal = True, exc
        except ZohoError as exc:
            log.warning("deal %s: %s", deal.id, exc)
            result.skipped, result.interrupted = f"Zoho error, retried next poll: {exc}", True
        except Exception as exc:  # noqa: BLE001 - one bad deal must not stop the others
            log.exception("deal %s could not be handled", deal.id)
            result.skipped = f"could not be handled ({type(exc).__name__}: {exc}); see the log"
        return result

    async def _act(self, results: list[DealResult]) -> None:
        step = 0
        while True:
            batch = [
                r
                for r in results
                if r.ready and r.decision is not None and step < len(r.decision.actions)
            ]
            if not batch:
                return
            items = [
                RoundItem(
                    r.deal,
                    r.decision.actions[step],
                    r.customer_id,
                    last=step == len(r.decision.actions) - 1,
                )
                for r in batch
                if r.decision is not None
            ]
            outcomes = await self.executor.execute_round(items, self.concurrency)
            for result, outcome in zip(batch, outcomes, strict=True):
                result.outcomes.append(outcome)
                if outcome.ok:
                    continue
                result.failed, result.interrupted = True, outcome.transient
                if isinstance(outcome.error, FATAL):
                    result.fatal = outcome.error
                elif outcome.error is not None and not isinstance(outcome.error, ZohoError):
                    error = outcome.error
                    result.skipped = f"could not be handled ({type(error).__name__}: {error})"
            if any(result.fatal for result in results):
                return
            step += 1
