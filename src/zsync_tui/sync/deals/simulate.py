"""What the triggers would do if a deal moved to a stage: the same decision the watcher
makes, from the same reads, with every write left out."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from zsync_tui.sync.config import IntegrationConfig
from zsync_tui.sync.deals.config import TriggerConfig
from zsync_tui.sync.deals.customers import CustomerResolver
from zsync_tui.sync.deals.decide import decide, documents_to_check
from zsync_tui.sync.deals.documents import get_document
from zsync_tui.sync.deals.ledger import DealLedger
from zsync_tui.sync.deals.model import DEAL_FIELDS, SEEN, Deal, Decision
from zsync_tui.sync.deals.stages import read_stage_map


class SimulationRefused(ValueError):
    """The simulation cannot answer (unknown stage, no such deal); `str()` says why."""


@dataclass
class Simulation:
    """The decision for a deal at a stage, with the customer it would bill."""

    decision: Decision
    from_stage: str
    probability: int | None
    customer_id: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.decision.as_dict(),
            "from_stage": self.from_stage,
            "probability": self.probability,
            "customer_id": self.customer_id,
            "writes": False,
        }


async def simulate(
    ledger: DealLedger,
    config: IntegrationConfig,
    crm: Any,
    billing: Any,
    deal_id: str,
    stage: str,
) -> Simulation:
    """The triggers' decision if deal `deal_id` entered `stage` now; writes nothing."""
    triggers = config.triggers or TriggerConfig()
    stages = await read_stage_map(crm)
    if stage not in stages.probabilities:
        listing = ", ".join(stages.names())
        raise SimulationRefused(f"the CRM pipeline has no stage {stage!r} (stages: {listing})")
    fields = list(dict.fromkeys([*DEAL_FIELDS, *triggers.items.crm_fields()]))
    current = Deal.from_record(await crm.get_record("Deals", deal_id, fields))
    moved = current.with_stage(stage)
    history = ledger.history([deal_id])[deal_id]
    seen = [row for row in history if row.action == SEEN]
    if seen and seen[0].message == stage:
        # The move itself is the event: the deal comes from elsewhere into `stage`.
        history = [row for row in history if row.action != SEEN]
        history.append(replace(seen[0], message=f"(not {stage})"))
    status: dict[str, str] = {}
    for entity, document_id in documents_to_check(moved, history, stages, triggers):
        status[document_id] = str((await get_document(billing, entity, document_id)).get("status"))
    decision = decide(moved, history, stages, triggers, module=config.module, billing_status=status)
    result = Simulation(decision, current.stage, stages.probability(stage))
    if any(action.creates for action in decision.actions):
        resolver = CustomerResolver(ledger, billing, config.module)
        result.customer_id, why = await resolver.customer_for(moved, may_import=False)
        if result.customer_id is None:
            decision.notes.append(f"the customer would be imported first ({why})")
    return result
