"""Against the sandbox, with the keyboard alone: watch a sync live, dry run, cancel, fetch one
contact, import a CRM account found by search, link a deal to an invoice."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import func, select
from textual.widgets import DataTable

from zsync_tui.app import UiOptions, make_app
from zsync_tui.connection import open_clients
from zsync_tui.operate_backend import OperateBackend
from zsync_tui.operate_runner import install_runner
from zsync_tui.setup_services import ServiceBackend
from zsync_tui.store import DealLink, RecordLink, SyncRun
from zsync_tui.sync.service import SyncService
from zsync_tui.widgets.paged_table import PagedTable
from zsync_tui.widgets.progress_panel import ProgressPanel

DETERMINISTIC = UiOptions(cursor_blink=False, animations=False)


def count(live: Any, model: Any) -> int:
    with live.runtime.store.read() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


async def test_sync_now_runs_live_and_updates_health(
    live: Any, keys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def not_here(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the sync ran in the TUI's process")

    monkeypatch.setattr(SyncService, "run", not_here)  # the child process has its own
    app = live.app()
    seen: list[tuple[str, int]] = []
    async with keys.running(app) as pilot:
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
    async with keys.running(app) as pilot:
        await keys.press(pilot, "y")
        assert keys.screen_name(pilot) == "DryRunScreen"
        text = keys.text(pilot)
        assert "nothing was written" in text and "create in billing" in text
        await keys.press(pilot, "escape")
        assert keys.screen_name(pilot) == "DashboardScreen"
    assert count(live, RecordLink) == 0 and count(live, SyncRun) == 0
    assert live.world.crm["Accounts"].records  # the sandbox still has its seed


async def test_a_sync_kept_in_process_still_runs_live(live: Any, keys: Any) -> None:
    """Client options that cannot cross to a process keep the sync on a thread here."""
    app = make_app(live.runtime, ServiceBackend(live.runtime), DETERMINISTIC)
    install_runner(app, OperateBackend(live.runtime), periodic=False, sync_in_child=False)
    async with keys.running(app) as pilot:
        await keys.press(pilot, "y")
        assert keys.screen_name(pilot) == "DryRunScreen"
        assert "create in billing" in keys.text(pilot)
    assert count(live, RecordLink) == 0 and count(live, SyncRun) == 0


async def test_cancel_stops_a_running_sync(slow_live: Any, keys: Any) -> None:
    app = slow_live.app()
    async with keys.running(app) as pilot:
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
    async with keys.running(app) as pilot:
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


async def test_fetch_this_contact_from_crm_on_the_customer_page(live: Any, keys: Any) -> None:
    await SyncService(live.runtime).run()
    with live.runtime.store.read() as session:
        link = session.exec(
            select(RecordLink).where(RecordLink.crm_module == "Accounts").order_by(RecordLink.id)
        ).first()
    assert link is not None
    record = live.world.crm["Accounts"].records[link.crm_id]
    record["Account_Name"] = "Renamed In CRM Ltd"  # an edit the next full sync would bring
    app = live.app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "u")
        table = app.screen.query_one(PagedTable)
        while table.current_key != str(link.id):
            await keys.press(pilot, "down")
        await keys.press(pilot, "enter")
        assert keys.screen_name(pilot) == "CustomerDetailScreen"
        await keys.press(pilot, "f")
        assert any(n.startswith("Fetched from Zoho CRM: ") for n in keys.notes(pilot))
        assert "Renamed In CRM Ltd" in keys.text(pilot)
    customer = live.world.customers[link.billing_id]
    assert customer["display_name"] == "Renamed In CRM Ltd"


async def test_search_crm_and_import_with_enter(live: Any, keys: Any) -> None:
    plan = await SyncService(live.runtime).plan()  # an account no Billing customer resembles
    new = sorted(i.crm_id or "" for i in plan.items if i.action == "create_in_billing")
    target = live.world.crm["Accounts"].records[new[0]]
    app = live.app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "s")
        await pilot.press(*str(target["Account_Name"]))
        await keys.press(pilot, "enter")
        assert str(target["id"]) in keys.text(pilot, "#results")
        table = app.screen.query_one("#results", DataTable)
        while table.get_row_at(table.cursor_row)[2] != str(target["id"]):
            await keys.press(pilot, "down")
        await keys.press(pilot, "enter")  # the account's contacts
        assert "Contacts of" in keys.text(pilot, "#where")
        await keys.press(pilot, "enter")  # import the account
        assert any(n.startswith("Import: 1 created") for n in keys.notes(pilot))
    with live.runtime.store.read() as session:
        linked = session.exec(select(RecordLink).where(RecordLink.crm_id == str(target["id"])))
        assert linked.first() is not None


async def test_a_run_with_record_errors_says_where_to_look(live: Any, keys: Any) -> None:
    for record in live.world.crm["Contacts"].records.values():
        record["Email"] = "not an email"  # Billing refuses such a customer
    app = live.app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "n")
        outcome = keys.text(pilot, "#progress-line").replace("\n", " ")
        assert outcome.startswith("Sync finished_with_errors"), outcome
        advice = [n for n in keys.notes(pilot) if "could not be synced" in n]
        assert advice and "History (h) lists them by reason" in advice[0], keys.notes(pilot)
        assert "Last run:\n▊   finished," in keys.text(pilot, "#run-times")
