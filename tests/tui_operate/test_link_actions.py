"""The customers screen's push and unlink, and the settings screen's links import, with the
keyboard, against the sandbox (they used to say "not available in this build")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import select

from zsync_tui.connection import open_clients
from zsync_tui.store import DuplicateMatch, RecordLink
from zsync_tui.sync.links_csv import write_links_csv
from zsync_tui.sync.service import SyncService
from zsync_tui.widgets.paged_table import PagedTable


def links(live: Any) -> list[RecordLink]:
    with live.runtime.store.read() as session:
        return list(session.exec(select(RecordLink).order_by(RecordLink.id)).all())


async def synced_both_ways(live: Any) -> SyncService:
    service = SyncService(live.runtime)
    config = service.config().model_copy(update={"direction": "both_ways"})
    await service.save_config(config, check_remote=False)
    await service.run()
    return service


async def test_customers_push_and_unlink_with_the_keyboard(live: Any, keys: Any) -> None:
    await synced_both_ways(live)
    first, second = [link for link in links(live) if link.billing_entity == "customer"][:2]
    async with open_clients(live.runtime) as clients:
        await clients.billing.update_customer(first.billing_id, {"phone": "+1 555 0123"})
    app = live.app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "u")
        table = app.screen.query_one(PagedTable)
        assert table.current_key == str(first.id)
        await keys.press(pilot, "p")  # push the customer under the cursor
        assert "Push done." in keys.notes(pilot)
        assert not any("not available" in note for note in keys.notes(pilot))
        record = live.world.crm[first.crm_module].records[first.crm_id]
        assert record["Phone"] == "+1 555 0123"
        total = table.total
        await keys.press(pilot, "space", "space")  # mark the first two rows
        await keys.press(pilot, "x")
        assert "Unlink done." in keys.notes(pilot)
        assert table.total == total - 2
    left = {link.id for link in links(live)}
    assert first.id not in left and second.id not in left
    assert first.billing_id in live.world.customers  # the records stay
    with live.runtime.store.read() as session:
        marks = session.exec(select(DuplicateMatch).where(DuplicateMatch.state == "unlinked"))
        assert {m.crm_id for m in marks} == {first.crm_id, second.crm_id}


async def test_settings_imports_links_back(live: Any, keys: Any, tmp_path: Path) -> None:
    service = await synced_both_ways(live)
    saved = tmp_path / "links.csv"
    count = write_links_csv(live.runtime.store, int(service.profile().id or 0), saved)
    gone = links(live)[:2]
    assert service.unlink([int(link.id or 0) for link in gone]) == 2
    app = live.app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "o")
        assert keys.screen_name(pilot) == "SettingsScreen"
        await keys.press(pilot, "m")
        await pilot.press("home", "ctrl+k", *str(saved))
        await keys.press(pilot, "enter")
        assert "2 links imported." in keys.notes(pilot)
        bad = tmp_path / "bad.csv"
        bad.write_text("crm_module,crm_id,billing_id\nDeals,1,2\n", encoding="utf-8")
        await keys.press(pilot, "m")
        await pilot.press("home", "ctrl+k", *str(bad))
        await keys.press(pilot, "enter")
        problem = keys.notes(pilot)[-1]
        assert "nothing imported" in problem and "line 2" in problem
    assert len(links(live)) == count
