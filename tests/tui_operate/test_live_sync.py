"""Against the sandbox, with the keyboard alone: watch a sync live, dry run, cancel, link a
deal to an invoice, and what fetch one / search CRM say while the engine lacks them."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import func, select

from zsync_tui.connection import open_clients
from zsync_tui.store import DealLink, RecordLink, SyncRun
from zsync_tui.sync.service import SyncService
from zsync_tui.widgets.progress_panel import ProgressPanel


def count(live: Any, model: Any) -> int:
    with live.runtime.store.read() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


async def test_sync_now_runs_live_and_updates_health(live: Any, keys: Any) -> None:
    app = live.app()
    seen: list[tuple[str, int]] = []
    async with app.run_test(size=keys.size) as pilot:
        await keys.settle(pilot)
        panel = app.screen.query_one(ProgressPanel)
        advance = panel.advance

        def spy(phase: str, done: int, total: int | None, crm: int, billing: int) -> None:
            seen.append((phase, done))
            advance(phase, done, total, crm, billing)

        panel.advance = spy  # type: ignore[method-assign]
        await keys.press(pilot, "n")
        assert not panel.running
        outcome = keys.text(pilot, "#progress-line").strip()
        assert outcome.startswith(("Sync ok", "Sync finished_with_errors")), outcome
        assert seen and seen[-1][0] == "done" and seen[-1][1] > 0
        health = keys.text(pilot, "#health")
        in_sync = [line for line in health.splitlines() if "In sync" in line][0]
        assert int(in_sync.split()[-1].replace(",", "")) == count(live, RecordLink) > 0
        assert "Duplicates to review" in health
    assert count(live, SyncRun) == 1


async def test_dry_run_lists_the_plan_and_writes_nothing(live: Any, keys: Any) -> None:
    app = live.app()
    async with app.run_test(size=keys.size) as pilot:
        await keys.settle(pilot)
        await keys.press(pilot, "y")
        assert keys.screen_name(pilot) == "DryRunScreen"
        text = keys.text(pilot)
        assert "nothing was written" in text and "create in billing" in text
        await keys.press(pilot, "escape")
        assert keys.screen_name(pilot) == "DashboardScreen"
    assert count(live, RecordLink) == 0 and count(live, SyncRun) == 0
    assert live.world.crm["Accounts"].records  # the sandbox still has its seed


async def test_cancel_stops_a_running_sync(slow_live: Any, keys: Any) -> None:
    app = slow_live.app()
    async with app.run_test(size=keys.size) as pilot:
        await keys.settle(pilot)
        await pilot.press("n")
        await pilot.pause(0.3)
        panel = app.screen.query_one(ProgressPanel)
        assert panel.running and "Sync" in keys.text(pilot, "#progress-line")
        await keys.press(pilot, "x")
        assert not panel.running
        assert keys.text(pilot, "#progress-line").strip().startswith("Sync cancelled")
    with slow_live.runtime.store.read() as session:
        run = session.exec(select(SyncRun)).one()
    assert run.status == "cancelled"


async def test_link_a_deal_to_an_invoice_of_its_customer(live: Any, keys: Any) -> None:
    await SyncService(live.runtime).run()
    deals = live.world.crm["Deals"].records.values()
    with live.runtime.store.read() as session:
        linked = {link.crm_id: link.billing_id for link in session.exec(select(RecordLink))}
    deal = next(
        d
        for d in sorted(deals, key=lambda d: str(d["id"]))
        if d.get("Account_Name") and str(d["Account_Name"]["id"]) in linked
    )
    customer_id = linked[str(deal["Account_Name"]["id"])]
    async with open_clients(live.runtime) as clients:
        invoice = await clients.billing.create_invoice(
            {
                "customer_id": customer_id,
                "invoice_items": [{"name": "Setup", "rate": 90}],
                "date": "2026-01-05",
            }
        )
    app = live.app()
    async with app.run_test(size=keys.size) as pilot:
        await keys.settle(pilot)
        await keys.press(pilot, "l")
        assert "No deal is linked" in keys.text(pilot)
        await keys.press(pilot, "k")
        await pilot.press(*str(deal["id"]))
        await keys.press(pilot, "enter")
        await pilot.press(*f"invoice {invoice['invoice_id']}")
        await keys.press(pilot, "enter")
        await keys.settle(pilot)
        assert str(deal["id"]) in keys.text(pilot, "#deals")
    with live.runtime.store.read() as session:
        link = session.exec(select(DealLink)).one()
    assert (link.deal_id, link.billing_entity, link.billing_id, link.origin) == (
        str(deal["id"]),
        "invoice",
        invoice["invoice_id"],
        "manual",
    )


async def test_fetch_one_and_crm_search_say_what_is_missing(live: Any, keys: Any) -> None:
    await asyncio.to_thread(lambda: asyncio.run(SyncService(live.runtime).run()))
    app = live.app()
    async with app.run_test(size=keys.size) as pilot:
        await keys.settle(pilot)
        await keys.press(pilot, "u", "enter")
        assert keys.screen_name(pilot) == "CustomerDetailScreen"
        await keys.press(pilot, "f")
        await keys.press(pilot, "escape", "escape", "s")
        await pilot.press(*"Acme")
        await keys.press(pilot, "enter")
        notes = " ".join(keys.notes(pilot))
    assert "SyncService.fetch_one (issue 5)" in notes
    assert "SyncService.search_crm (issue 5)" in notes
