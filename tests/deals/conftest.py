"""Deal-trigger fixtures: a store with a profile, and small in-memory CRM/Billing doubles for the
fast tests (the loopback tests use the real sandbox instead)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
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


# --- over loopback: the real sandbox, a connected profile, customers synced -------------------


class DealHarness:
    """A data directory connected to a running sandbox, with its customers synced."""

    def __init__(self, running: Any, runtime: Any) -> None:
        from zsync_tui.sync.deals.service import DealService
        from zsync_tui.sync.service import SyncService
        from zsync_tui.zoho.session import ZohoOptions
        from zsync_tui.zoho.transport import RetryPolicy

        self.running = running
        self.runtime = runtime
        self.options = ZohoOptions(
            billing_per_minute=100_000,
            billing_per_day=1_000_000,
            retry=RetryPolicy(attempts=6, base_s=0.002, cap_s=0.02, max_wait_s=5.0),
        )
        self.sync = SyncService(runtime, options=self.options)
        self.deals = DealService(runtime, options=self.options)
        self._stack: Any = None
        self._clients: Any = None
        self._watcher: Any = None

    async def open(self) -> Any:
        """One set of clients for the whole test, as `zsync run` keeps them (each new set
        costs a token and three HTTP clients)."""
        from contextlib import AsyncExitStack

        from zsync_tui.connection import open_clients

        if self._clients is None:
            self._stack = AsyncExitStack()
            self._clients = await self._stack.enter_async_context(
                open_clients(self.runtime, options=self.options)
            )
        return self._clients

    async def aclose(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = self._clients = self._watcher = None

    async def poll(self) -> Any:
        """One watcher poll on the test's clients (the watcher lives across polls)."""
        clients = await self.open()
        if self._watcher is None:
            self._watcher = self.deals.make_watcher(clients.crm, clients.billing)
        return await self._watcher.poll_once()

    @property
    def world(self) -> Any:
        return self.running.sandbox.world

    async def setup(self, module: str = "accounts", **triggers: Any) -> None:
        from zsync_tui.connection import ConnectRequest, connect

        creds = self.running.credentials
        request = ConnectRequest.for_custom(creds, "default")
        await connect(self.runtime, request, options=self.options)
        table = {
            "enabled": True,
            "quote_create_stages": ["Proposal/Price Quote"],
            "quote_accept_stage": "Negotiation/Review",
            "invoice_on_won": True,
            "void_on_lost": True,
            **triggers,
        }
        config = IntegrationConfig.from_mapping(
            {"module": module, "duplicates": "clone", "triggers": table}
        )
        await self.sync.save_config(config)
        report = await self.sync.run()
        # Accounts with no contact have no email, which Billing requires: those stay unlinked.
        assert report.status in ("ok", "finished_with_errors"), report.as_dict()

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        import httpx

        response = httpx.request(method, f"{self.running.admin_url}/{path}", json=body)
        response.raise_for_status()
        return response.json()

    def writes(self) -> int:
        """Write requests the two APIs received (token calls excluded)."""
        return sum(
            row["count"]
            for row in self.admin("GET", "stats")["requests"]
            if row["method"] in ("POST", "PUT", "DELETE") and "/oauth/" not in row["path"]
        )

    async def move(self, deal_id: str, stage: str, **fields: Any) -> None:
        """Move a deal through the CRM API, a little later than anything before."""
        from zsync_tui.connection import open_clients

        self.admin("POST", "clock", {"advance": 2})
        if self._clients is not None:
            results = await self._clients.crm.update(
                "Deals", [{"id": deal_id, "Stage": stage, **fields}]
            )
        else:
            async with open_clients(self.runtime, options=self.options) as clients:
                results = await clients.crm.update(
                    "Deals", [{"id": deal_id, "Stage": stage, **fields}]
                )
        assert results[0].ok, results[0]

    def clients(self) -> Any:
        from zsync_tui.connection import open_clients

        return open_clients(self.runtime, options=self.options)

    async def billing_call(self, method: str, path: str) -> Any:
        """A Billing request as someone working in Billing by hand would make it."""
        clients = await self.open()
        return await clients.billing._call(method, path, write=method != "GET")

    def deal_with_account(self, index: int = 0) -> str:
        deals = [d["id"] for d in self.world.crm["Deals"].records.values() if d.get("Account_Name")]
        return str(sorted(deals)[index])

    def deal_without_account(self) -> str:
        deals = [
            d["id"] for d in self.world.crm["Deals"].records.values() if not d.get("Account_Name")
        ]
        return str(sorted(deals)[0])

    def documents_of(self, deal_id: str) -> tuple[list[Any], list[Any]]:
        estimates = [
            e for e in self.world.estimates.values() if e.get("zcrm_potential_id") == deal_id
        ]
        invoices = [
            i
            for i in self.world.invoices.values()
            if str(i.get("reference_number", "")).startswith(f"ZS-{deal_id}-")
        ]
        return estimates, invoices


@pytest.fixture(scope="module")
def deals_sandbox() -> Iterator[Any]:
    """One sandbox per test module (starting one costs about a second); each test resets it."""
    from zsync_tui.sandbox import SandboxOptions, run_in_thread

    running = run_in_thread(
        SandboxOptions(
            seed=7,
            accounts=6,
            contacts=6,
            deals=12,
            customers=0,
            duplicates=0,
            billing_calls_per_minute=100_000,
            billing_calls_per_day=1_000_000,
            # Every service call opens fresh clients (one token each); `zsync run` keeps its own.
            token_refreshes_per_10min=1_000,
            max_active_tokens=1_000,
        )
    )
    yield running
    running.stop()


@pytest.fixture
async def harness(
    deals_sandbox: Any, runtime: Any, memory_keyring: Any
) -> AsyncIterator[DealHarness]:
    """A fresh data directory connected to the reset sandbox (seeded world, counters at 0)."""
    harness = DealHarness(deals_sandbox, runtime)
    harness.admin("POST", "reset")
    yield harness
    await harness.aclose()
