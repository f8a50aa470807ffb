"""What a run tells its caller: progress events, plan items and the final report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

PlanAction = Literal[
    "create_in_billing",
    "create_in_crm",
    "update_billing",
    "update_crm",
    "link",
    "skip",
    "conflict",
    "error",
]


@dataclass(frozen=True)
class SyncProgress:
    """One progress step: `phase` is reading_billing, reading_crm, writing, reconciling, done."""

    phase: str
    done: int
    total: int | None
    crm_calls: int
    billing_calls: int


@dataclass
class PlanItem:
    """One thing a run does (or, in a dry run, would do) to one record."""

    action: PlanAction
    name: str | None = None
    crm_module: str | None = None
    crm_id: str | None = None
    billing_id: str | None = None
    reason: str | None = None
    diff: dict[str, list[str | None]] = field(default_factory=dict)
    score: float | None = None
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value not in (None, [], {})}


#: Plan actions that are writes: the side written and the counter they go in.
PLANNED_WRITES = {
    "create_in_billing": ("billing", "created"),
    "create_in_crm": ("crm", "created"),
    "update_billing": ("billing", "updated"),
    "update_crm": ("crm", "updated"),
}


@dataclass
class RunReport:
    """What one run did; `as_dict()` is what `zsync sync --json` prints."""

    status: str = "ok"
    dry_run: bool = False
    created: dict[str, int] = field(default_factory=lambda: {"crm": 0, "billing": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"crm": 0, "billing": 0})
    linked: int = 0
    skipped: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    errors: int = 0
    error_messages: list[str] = field(default_factory=list)
    crm_deleted: int = 0
    api_calls: dict[str, int] = field(default_factory=lambda: {"crm": 0, "billing": 0})
    write_calls: int = 0
    duration_s: float = 0.0
    resumes_at: datetime | None = None
    message: str | None = None
    run_id: int | None = None
    items: list[PlanItem] = field(default_factory=list)

    def count(self, item: PlanItem) -> None:
        if item.action in PLANNED_WRITES:
            if self.dry_run:  # a real run counts what it wrote (`wrote`)
                side, counter = PLANNED_WRITES[item.action]
                getattr(self, counter)[side] += 1
        elif item.action == "link":
            self.linked += 1
        elif item.action == "skip":
            self.skipped += 1
            reason = item.reason or "unknown"
            self.skipped_by_reason[reason] = self.skipped_by_reason.get(reason, 0) + 1
        elif item.action == "conflict":
            self.conflicts += 1
        elif item.action == "error":
            self.errors += 1
            if len(self.error_messages) < 50:
                self.error_messages.append(f"{item.name or item.crm_id}: {item.reason}")

    def wrote(self, side: str, operation: str) -> None:
        """A write that happened (a journal entry): outside a dry run, `created` and `updated`
        count these and not the plan, so a refused or failed write is an error only."""
        if operation == "create":
            self.created[side] += 1
        elif operation == "update":
            self.updated[side] += 1

    def as_dict(self, with_items: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": self.status,
            "dry_run": self.dry_run,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "linked": self.linked,
            "skipped": self.skipped,
            "skipped_by_reason": dict(self.skipped_by_reason),
            "conflicts": self.conflicts,
            "errors": self.errors,
            "error_messages": list(self.error_messages),
            "crm_deleted": self.crm_deleted,
            "api_calls": dict(self.api_calls),
            "write_calls": self.write_calls,
            "duration_s": round(self.duration_s, 3),
            "run_id": self.run_id,
        }
        if self.resumes_at is not None:
            data["resumes_at"] = self.resumes_at.isoformat()
        if self.message:
            data["message"] = self.message
        if with_items:
            data["items"] = [item.as_dict() for item in self.items]
        return data
