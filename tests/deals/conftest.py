"""Deal-trigger fixtures: a store with a profile, and small in-memory CRM/Billing doubles for the
fast tests (the loopback tests use the real sandbox instead)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from zsync_tui.store import Profile, RecordLink, Store
from zsync_tui.sync.config import IntegrationConfig
from zsync_tui.sync.deals.ledger import DealLedger
from zsync_tui.zoho.errors import NotFound, ValidationFailed
from zsync_tui.zoho.models import CallCounts, StageInfo

STAGES = (
    ("Qualification", 10),
    ("Proposal/Price Quote", 75),
    ("Negotiation/Review", 90),
    ("Closed Won", 100),
    ("Closed Lost", 0),
)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def crm_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass
class MemoryCrm:
    """Deals with Modified_Time, strictly-after If-Modified-Since, a Stage picklist."""

    deals: dict[str, dict[str, Any]] = field(default_factory=dict)
    now: datetime = T0
    calls: int = 0

    @property
    def counts(self) -> CallCounts:
        return CallCounts(self.calls, 0, 0)

    def tick(self) -> str:
        self.now += timedelta(seconds=5)
        return crm_time(self.now)

    def add_deal(self, deal_id: str, stage: str, account: str | None = "A1", **extra: Any) -> None:
        self.deals[deal_id] = {
            "id": deal_id,
            "Deal_Name": f"Deal {deal_id}",
            "Stage": stage,
            "Amount": 1200.5,
            "Description": "Three seats",
            "Owner": {"id": "U1", "name": "Sam Seller"},
            "Account_Name": {"id": account, "name": "Acme"} if account else None,
            "Contact_Name": None,
            "Modified_Time": self.tick(),
            **extra,
        }

    def move(self, deal_id: str, stage: str) -> None:
        self.deals[deal_id]["Stage"] = stage
        self.deals[deal_id]["Modified_Time"] = self.tick()

    async def iter_records(
        self, module: str, fields: list[str], *, modified_since: str | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        self.calls += 1
        rows = sorted(self.deals.values(), key=lambda d: d["Modified_Time"])
        if modified_since:
            rows = [d for d in rows if d["Modified_Time"] > modified_since.replace("Z", "+00:00")]
        for start in range(0, len(rows), 200):
            if start:
                self.calls += 1
            yield [dict(d) for d in rows[start : start + 200]]

    async def get_record(
        self, module: str, record_id: str, fields: list[str] | None = None
    ) -> dict[str, Any]:
        self.calls += 1
        if record_id not in self.deals:
            raise NotFound(f"CRM Deals record {record_id} does not exist", side="crm")
        return dict(self.deals[record_id])

    async def stage_probabilities(self) -> dict[str, StageInfo]:
        self.calls += 1
        return {name: StageInfo(name, p, None) for name, p in STAGES}

    async def pipelines(self) -> list[dict[str, Any]]:
        self.calls += 1
        return [{"maps": [{"actual_value": name} for name, _ in STAGES]}]


@dataclass
class MemoryBilling:
    """Quotes and invoices with Billing's status rules; `fail_next` raises on the next write."""

    customers: dict[str, str] = field(default_factory=lambda: {"A1": "C1", "A2": "C2"})
    estimates: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: int = 0
    writes: int = 0
    fail_next: Exception | None = None

    @property
    def counts(self) -> CallCounts:
        return CallCounts(self.calls, self.writes, 0)

    def _write(self) -> None:
        self.calls += 1
        self.writes += 1
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error

    async def customer_by_crm_reference(self, crm_id: str, kind: str) -> dict[str, Any] | None:
        self.calls += 1
        customer = self.customers.get(crm_id)
        return {"customer_id": customer} if customer else None

    async def create_estimate(self, body: dict[str, Any]) -> dict[str, Any]:
        self._write()
        estimate_id = f"E{len(self.estimates) + 1}"
        self.estimates[estimate_id] = {**body, "estimate_id": estimate_id, "status": "draft"}
        return dict(self.estimates[estimate_id])

    async def get_estimate(self, estimate_id: str) -> dict[str, Any]:
        self.calls += 1
        if estimate_id not in self.estimates:
            raise NotFound("no such estimate", side="billing")
        return dict(self.estimates[estimate_id])

    async def list_estimates(self, zcrm_potential_id: str | None = None) -> list[dict[str, Any]]:
        self.calls += 1
        return [
            dict(e)
            for e in self.estimates.values()
            if zcrm_potential_id is None or e.get("zcrm_potential_id") == zcrm_potential_id
        ]

    async def mark_estimate(self, estimate_id: str, status: str) -> str:
        self._write()
        estimate = self.estimates[estimate_id]
        allowed = {"sent": "draft", "accepted": "sent", "declined": "sent"}
        if estimate["status"] != allowed[status]:
            raise ValidationFailed(f"a {estimate['status']} quote cannot become {status}")
        estimate["status"] = status
        return "ok"

    async def update_estimate(self, estimate_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        self._write()
        self.estimates[estimate_id].update(changes)
        return dict(self.estimates[estimate_id])

    async def create_invoice(self, body: dict[str, Any]) -> dict[str, Any]:
        self._write()
        invoice_id = f"I{len(self.invoices) + 1}"
        self.invoices[invoice_id] = {**body, "invoice_id": invoice_id, "status": "draft"}
        return dict(self.invoices[invoice_id])

    async def get_invoice(self, invoice_id: str) -> dict[str, Any]:
        self.calls += 1
        if invoice_id not in self.invoices:
            raise NotFound("no such invoice", side="billing")
        return dict(self.invoices[invoice_id])

    async def list_invoices(self, *, customer_id: str | None = None) -> list[dict[str, Any]]:
        self.calls += 1
        return [
            dict(i)
            for i in self.invoices.values()
            if customer_id is None or i["customer_id"] == customer_id
        ]

    async def void_invoice(self, invoice_id: str) -> str:
        self._write()
        invoice = self.invoices[invoice_id]
        if invoice["status"] == "paid":
            raise ValidationFailed("a paid invoice cannot be voided")
        invoice["status"] = "void"
        return "ok"

    async def update_invoice(self, invoice_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        self._write()
        self.invoices[invoice_id].update(changes)
        return dict(self.invoices[invoice_id])


def _make_config(**triggers: Any) -> IntegrationConfig:
    table = {
        "enabled": True,
        "quote_create_stages": ["Proposal/Price Quote"],
        "quote_accept_stage": "Negotiation/Review",
        "quote_decline_stage": "Closed Lost",
        "invoice_on_won": True,
        "void_on_lost": True,
        **triggers,
    }
    return IntegrationConfig.from_mapping({"module": "accounts", "triggers": table})


@pytest.fixture
def deal_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "deals.db")
    with store.write() as session:
        session.add(Profile(name="default", client_id="cid"))
    return store


@pytest.fixture
def deal_ledger(deal_store: Store) -> DealLedger:
    with deal_store.read() as session:
        profile = session.get(Profile, 1)
        assert profile is not None
    return DealLedger(deal_store, 1)


@pytest.fixture
def memory_crm() -> MemoryCrm:
    return MemoryCrm()


@pytest.fixture
def memory_billing() -> MemoryBilling:
    return MemoryBilling()


@pytest.fixture
def make_config() -> Callable[..., IntegrationConfig]:
    """Build an accounts-mode config whose `[triggers]` table takes these overrides."""
    return _make_config


@pytest.fixture
def link_customer(deal_store: Store) -> Callable[..., None]:
    """Record that the customer sync linked a CRM Account/Contact to a Billing customer."""

    def link(crm_id: str, customer_id: str, module: str = "Accounts") -> None:
        with deal_store.write() as session:
            session.add(
                RecordLink(profile_id=1, crm_module=module, crm_id=crm_id, billing_id=customer_id)
            )

    return link
