"""Plain types the deal triggers pass around: a deal as read from CRM, what the store remembers
of earlier actions, the stage→probability map, and the actions a decision asks for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ActionName = Literal[
    "create_quote",
    "mark_quote_sent",
    "accept_quote",
    "decline_quote",
    "create_invoice",
    "void_invoice",
]
BillingEntity = Literal["estimate", "invoice", "salesorder"]

#: DealAction rows that are bookkeeping, not Billing writes.
SEEN = "seen"  # message = the stage whose triggers were fully handled
SKIP = "skip"  # message = why the deal's triggers could not run
LOCK_QUOTE = "lock_quote"
LOCK_INVOICE = "lock_invoice"

DEAL_FIELDS = (
    "Deal_Name",
    "Stage",
    "Amount",
    "Description",
    "Owner",
    "Account_Name",
    "Contact_Name",
    "Probability",
    "Created_Time",
    "Modified_Time",
)


def _lookup_id(value: Any) -> str | None:
    if isinstance(value, dict) and value.get("id"):
        return str(value["id"])
    return None


@dataclass(frozen=True)
class Deal:
    """A CRM deal, reduced to what the triggers read; `record` keeps every field read."""

    id: str
    name: str
    stage: str
    account_id: str | None
    contact_id: str | None
    modified_time: str | None
    record: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Deal:
        return cls(
            id=str(record.get("id", "")),
            name=str(record.get("Deal_Name") or ""),
            stage=str(record.get("Stage") or ""),
            account_id=_lookup_id(record.get("Account_Name")),
            contact_id=_lookup_id(record.get("Contact_Name")),
            modified_time=record.get("Modified_Time") or None,
            record=dict(record),
        )

    def with_stage(self, stage: str) -> Deal:
        """The same deal moved to `stage` (what a simulation asks about)."""
        return Deal(
            self.id,
            self.name,
            stage,
            self.account_id,
            self.contact_id,
            self.modified_time,
            {**self.record, "Stage": stage},
        )


@dataclass(frozen=True)
class ActionRecord:
    """One DealAction row as the decision sees it."""

    action: str
    generation: int
    state: str  # pending | done | failed | locked | skipped | seen
    billing_id: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class StageMap:
    """The CRM's stage→probability map (Deals Stage picklist), in pipeline order."""

    probabilities: Mapping[str, int | None]

    def probability(self, stage: str) -> int | None:
        return self.probabilities.get(stage)

    def is_won(self, stage: str) -> bool:
        return self.probabilities.get(stage) == 100

    def is_lost(self, stage: str) -> bool:
        return self.probabilities.get(stage) == 0

    def names(self) -> list[str]:
        return list(self.probabilities)


@dataclass(frozen=True)
class PlannedAction:
    """A Billing write a decision asks for; `billing_id` names the document of status actions."""

    action: ActionName
    generation: int
    entity: BillingEntity
    reason: str
    billing_id: str | None = None

    @property
    def creates(self) -> bool:
        return self.action in ("create_quote", "create_invoice")

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "generation": self.generation,
            "entity": self.entity,
            "billing_id": self.billing_id,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Lock:
    """A document someone changed in Billing: triggers leave it alone from now on."""

    action: str  # LOCK_QUOTE | LOCK_INVOICE
    generation: int
    billing_id: str
    reason: str


@dataclass
class Decision:
    """What the triggers do for one deal at its current stage, and why."""

    deal_id: str
    stage: str
    actions: list[PlannedAction] = field(default_factory=list)
    locks: list[Lock] = field(default_factory=list)
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "deal_id": self.deal_id,
            "stage": self.stage,
            "actions": [a.as_dict() for a in self.actions],
            "locks": [
                {"billing_id": lock.billing_id, "reason": lock.reason} for lock in self.locks
            ],
            "skipped": self.skipped,
            "notes": list(self.notes),
        }
