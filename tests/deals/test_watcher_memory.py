"""The watcher and the at-most-once executor over in-memory Zoho doubles and a real SQLite
store: fast checks of every path; `test_loopback.py` repeats the key ones over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from zsync_tui.sync.config import IntegrationConfig
from zsync_tui.sync.deals.ledger import DealLedger
from zsync_tui.sync.deals.watcher import DealWatcher
from zsync_tui.zoho.errors import AmbiguousWrite, ServerError


class Crash(BaseException):
    """Stands for the process dying at a checkpoint (nothing in the process may catch it)."""


def crash_at(point: str) -> Callable[[str], None]:
    def hook(name: str) -> None:
        if name == point:
            raise Crash(name)

    return hook


@pytest.fixture
def watcher_for(
    deal_ledger: DealLedger,
    memory_crm: Any,
    memory_billing: Any,
    make_config: Callable[..., IntegrationConfig],
) -> Callable[..., DealWatcher]:
    def build(config: IntegrationConfig | None = None, **kwargs: Any) -> DealWatcher:
        return DealWatcher(
            deal_ledger, config or make_config(), memory_crm, memory_billing, **kwargs
        )

    return build


async def test_baseline_then_an_idle_poll_costs_one_crm_call(
    watcher_for: Callable[..., DealWatcher], memory_crm: Any, memory_billing: Any
) -> None:
    memory_crm.add_deal("D1", "Closed Won")
    watcher = watcher_for()
    first = await watcher.poll_once()
    assert first.status == "baseline" and first.deals_read == 1
    assert memory_billing.invoices == {}, "a deal already won before the triggers is left alone"
    idle = await watcher.poll_once()
    assert (idle.status, idle.crm_calls, idle.billing_calls) == ("ok", 1, 0)


async def test_every_trigger_path_once(
    watcher_for: Callable[..., DealWatcher], memory_crm: Any, memory_billing: Any
) -> None:
    memory_crm.add_deal("D1", "Qualification")
    watcher = watcher_for()
    await watcher.poll_once()
    memory_crm.move("D1", "Proposal/Price Quote")
    report = await watcher.poll_once()
    assert [(o.action, o.state) for o in report.outcomes] == [("create_quote", "done")]
    quote = memory_billing.estimates["E1"]
    assert quote["zcrm_potential_id"] == "D1"
    assert quote["line_items"] == [
        {"name": "Deal D1", "rate": 1200.5, "quantity": 1, "description": "Three seats"}
    ]
    assert quote["salesperson_name"] == "Sam Seller" and quote["customer_id"] == "C1"

    memory_crm.move("D1", "Negotiation/Review")
    report = await watcher.poll_once()
    assert [o.action for o in report.outcomes] == ["mark_quote_sent", "accept_quote"]
    assert memory_billing.estimates["E1"]["status"] == "accepted"

    memory_crm.move("D1", "Closed Won")
    await watcher.poll_once()
    assert [i["status"] for i in memory_billing.invoices.values()] == ["draft"]

    memory_crm.move("D1", "Closed Lost")
    report = await watcher.poll_once()
    assert memory_billing.invoices["I1"]["status"] == "void"
    assert memory_billing.estimates["E1"]["status"] == "accepted", "an accepted quote stays"

    memory_crm.move("D1", "Closed Won")
    await watcher.poll_once()
    assert {k: v["status"] for k, v in memory_billing.invoices.items()} == {
        "I1": "void",
        "I2": "draft",
    }
    assert memory_billing.invoices["I2"]["reference_number"] == "ZS-D1-I2"
    writes = memory_billing.writes
    await watcher.poll_once()
    assert memory_billing.writes == writes, "nothing is written twice"


async def test_quote_declined_at_its_stage(
    watcher_for: Callable[..., DealWatcher],
    memory_crm: Any,
    memory_billing: Any,
    make_config: Callable[..., IntegrationConfig],
) -> None:
    memory_crm.add_deal("D1", "Qualification")
    watcher = watcher_for(make_config(invoice_on_won=False, void_on_lost=False))
    await watcher.poll_once()
    memory_crm.move("D1", "Proposal/Price Quote")
    await watcher.poll_once()
    memory_crm.move("D1", "Closed Lost")
    await watcher.poll_once()
    assert memory_billing.estimates["E1"]["status"] == "declined"


@pytest.mark.parametrize("point", ["deal action recorded", "deal action sent"])
async def test_a_crash_around_the_create_leaves_exactly_one_invoice(
    watcher_for: Callable[..., DealWatcher],
    memory_crm: Any,
    memory_billing: Any,
    deal_ledger: DealLedger,
    point: str,
) -> None:
    memory_crm.add_deal("D1", "Negotiation/Review")
    await watcher_for().poll_once()
    memory_crm.move("D1", "Closed Won")
    with pytest.raises(Crash):
        await watcher_for(crash_hook=crash_at(point)).poll_once()
    assert [r.state for r in deal_ledger.pending()] == ["pending"]
    report = await watcher_for().poll_once()
    assert len(memory_billing.invoices) == 1
    row = deal_ledger.get("D1", "create_invoice", 1)
    assert row is not None and row.state == "done" and row.billing_id == "I1"
    assert [link.origin for link in deal_ledger.links("D1")] == ["trigger"]
    if point == "deal action sent":
        assert report.outcomes[0].state == "done", "reconciled, not sent again"
    await watcher_for().poll_once()
    assert len(memory_billing.invoices) == 1


async def test_an_ambiguous_write_is_looked_up_before_acting_again(
    watcher_for: Callable[..., DealWatcher], memory_crm: Any, memory_billing: Any
) -> None:
    memory_crm.add_deal("D1", "Qualification")
    watcher = watcher_for()
    await watcher.poll_once()
    memory_crm.move("D1", "Proposal/Price Quote")
    real_create = memory_billing.create_estimate

    async def lands_then_drops(body: dict[str, Any]) -> dict[str, Any]:
        await real_create(body)
        raise AmbiguousWrite("connection reset", method="POST", path="/estimates")

    memory_billing.create_estimate = lands_then_drops
    report = await watcher.poll_once()
    assert report.status == "interrupted" and report.outcomes[0].state == "pending"
    memory_billing.create_estimate = real_create
    await watcher.poll_once()
    assert list(memory_billing.estimates) == ["E1"]


async def test_a_hand_change_in_billing_locks_the_invoice(
    watcher_for: Callable[..., DealWatcher], memory_crm: Any, memory_billing: Any
) -> None:
    memory_crm.add_deal("D1", "Negotiation/Review")
    watcher = watcher_for()
    await watcher.poll_once()
    memory_crm.move("D1", "Closed Won")
    await watcher.poll_once()
    memory_billing.invoices["I1"]["status"] = "paid"
    memory_crm.move("D1", "Closed Lost")
    report = await watcher.poll_once()
    assert memory_billing.invoices["I1"]["status"] == "paid"
    assert report.locked and "never voided" in report.locked[0][2]
    memory_crm.move("D1", "Closed Won")
    await watcher.poll_once()
    assert list(memory_billing.invoices) == ["I1"], "a locked invoice's deal is not re-invoiced"


async def test_a_deal_without_an_account_is_skipped_then_acted_on_once_it_has_one(
    watcher_for: Callable[..., DealWatcher],
    memory_crm: Any,
    memory_billing: Any,
    deal_ledger: DealLedger,
) -> None:
    memory_crm.add_deal("D1", "Negotiation/Review", account=None)
    watcher = watcher_for()
    await watcher.poll_once()
    memory_crm.move("D1", "Closed Won")
    report = await watcher.poll_once()
    assert report.skipped == [("D1", "the deal has no Account")]
    assert memory_billing.invoices == {}
    memory_crm.deals["D1"]["Account_Name"] = {"id": "A2", "name": "Beta"}
    memory_crm.move("D1", "Closed Won")
    await watcher.poll_once()
    assert [i["customer_id"] for i in memory_billing.invoices.values()] == ["C2"]
    assert deal_ledger.get("D1", "skip", 0) is None, "the skip reason is cleared"


async def test_a_missing_customer_is_imported_first(
    watcher_for: Callable[..., DealWatcher],
    memory_crm: Any,
    memory_billing: Any,
    link_customer: Callable[..., None],
) -> None:
    memory_crm.add_deal("D1", "Negotiation/Review", account="A7")
    imported: list[tuple[str, str]] = []

    async def importer(module: str, crm_id: str) -> None:
        imported.append((module, crm_id))
        link_customer(crm_id, "C7")

    watcher = watcher_for(importer=importer)
    await watcher.poll_once()
    memory_crm.move("D1", "Closed Won")
    await watcher.poll_once()
    assert imported == [("Accounts", "A7")]
    assert [i["customer_id"] for i in memory_billing.invoices.values()] == ["C7"]


async def test_a_write_not_yet_reconciled_holds_its_deal_until_billing_answers(
    watcher_for: Callable[..., DealWatcher], memory_crm: Any, memory_billing: Any
) -> None:
    memory_crm.add_deal("D1", "Negotiation/Review")
    watcher = watcher_for()
    await watcher.poll_once()
    memory_crm.move("D1", "Closed Won")
    real_create = memory_billing.create_invoice

    async def lands_then_drops(body: dict[str, Any]) -> dict[str, Any]:
        await real_create(body)
        raise AmbiguousWrite("connection reset", method="POST", path="/invoices")

    memory_billing.create_invoice = lands_then_drops
    await watcher.poll_once()
    memory_billing.create_invoice = real_create
    real_list = memory_billing.list_invoices

    async def down(**_: Any) -> list[dict[str, Any]]:
        raise ServerError(503, "maintenance", side="billing")

    memory_billing.list_invoices = down
    held = await watcher.poll_once()
    assert held.skipped == [("D1", "an earlier action is still being reconciled with Billing")]
    assert len(memory_billing.invoices) == 1
    memory_billing.list_invoices = real_list
    await watcher.poll_once()
    await watcher.poll_once()
    assert len(memory_billing.invoices) == 1


async def test_one_deal_that_cannot_be_handled_does_not_stop_the_others(
    watcher_for: Callable[..., DealWatcher], memory_crm: Any, memory_billing: Any
) -> None:
    memory_crm.add_deal("D1", "Negotiation/Review")
    memory_crm.add_deal("D2", "Negotiation/Review", account="A2")
    watcher = watcher_for()
    await watcher.poll_once()
    real_create = memory_billing.create_invoice

    async def chokes_on_c1(body: dict[str, Any]) -> dict[str, Any]:
        if body["customer_id"] == "C1":
            raise RuntimeError("unexpected answer shape")
        return await real_create(body)

    memory_billing.create_invoice = chokes_on_c1
    memory_crm.move("D1", "Closed Won")
    memory_crm.move("D2", "Closed Won")
    report = await watcher.poll_once()
    assert [i["customer_id"] for i in memory_billing.invoices.values()] == ["C2"]
    assert [deal for deal, _ in report.skipped] == ["D1"]
    assert "RuntimeError" in report.skipped[0][1]


async def test_a_quote_whose_deal_id_billing_dropped_is_still_found_by_its_reference(
    watcher_for: Callable[..., DealWatcher], memory_crm: Any, memory_billing: Any
) -> None:
    memory_crm.add_deal("D1", "Qualification")
    await watcher_for().poll_once()
    real_create = memory_billing.create_estimate

    async def drops_the_deal_id(body: dict[str, Any]) -> dict[str, Any]:
        return await real_create({k: v for k, v in body.items() if k != "zcrm_potential_id"})

    memory_billing.create_estimate = drops_the_deal_id
    memory_crm.move("D1", "Proposal/Price Quote")
    with pytest.raises(Crash):
        await watcher_for(crash_hook=crash_at("deal action sent")).poll_once()
    report = await watcher_for().poll_once()
    assert list(memory_billing.estimates) == ["E1"]
    assert [(o.action, o.state, o.billing_id) for o in report.outcomes] == [
        ("create_quote", "done", "E1")
    ]
