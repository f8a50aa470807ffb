"""Each operating screen and its actions, on state written into the store."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from zsync_tui.app import UiOptions, ZsyncApp, make_app
from zsync_tui.operate_backend import OperateBackend
from zsync_tui.operate_runner import install_runner
from zsync_tui.screens.operate_base import PREWARMED
from zsync_tui.setup_services import ServiceBackend
from zsync_tui.store import Conflict, DuplicateMatch, RecordLink
from zsync_tui.sync.service import SyncService
from zsync_tui.widgets.paged_table import PagedTable

DETERMINISTIC = UiOptions(cursor_blink=False, animations=False)
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the seeded store's "now" (conftest)


async def test_conflicts_take_crm_take_billing_for_field_and_edit(
    make_operate_app: Callable[..., ZsyncApp], keys: Any, seeded_runtime: Any
) -> None:
    runtime, seeded = seeded_runtime
    app = make_operate_app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "c")
        assert keys.screen_name(pilot) == "ConflictsScreen"
        shown = keys.text(pilot)
        assert "2 conflicts wait" in shown and "555-9999" in shown and "555-1234" in shown
        await keys.press(pilot, "c")  # take CRM for the first
        assert "1 conflicts wait" in keys.text(pilot)
        await keys.press(pilot, "e")
        assert keys.screen_name(pilot) == "ValueEditor"
        await pilot.press("home", "ctrl+k")  # clear the pre-filled CRM value
        await pilot.press(*"555-4242")
        await keys.press(pilot, "enter")
        assert "No conflicts wait" in keys.text(pilot)
    with runtime.store.read() as session:
        rows = {c.id: c for c in session.exec(select(Conflict)).all()}
        first = rows[seeded.conflict_ids[0]]
        second = rows[seeded.conflict_ids[1]]
        link = session.get(RecordLink, first.link_id)
    assert (first.state, first.resolution, first.resolved_value) == (
        "resolved",
        "take crm",
        "555-9999",
    )
    assert (second.resolution, second.resolved_value) == ("set", "555-4242")
    assert link is not None
    assert json.loads(link.last_values_json)["override"] == {"phone": "555-9999"}


async def test_take_billing_for_every_conflict_of_a_field(
    make_operate_app: Callable[..., ZsyncApp], keys: Any, seeded_runtime: Any
) -> None:
    runtime, _ = seeded_runtime
    app = make_operate_app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "c")
        await keys.press(pilot, "B")
        assert "No conflicts wait" in keys.text(pilot)
        assert any("Settled 2 conflicts" in note for note in keys.notes(pilot))
    with runtime.store.read() as session:
        values = sorted(c.resolved_value or "" for c in session.exec(select(Conflict)).all())
    assert values == ["555-1234", "555-3333"]


async def test_duplicates_accept_reject_mark_and_bulk(
    make_operate_app: Callable[..., ZsyncApp], keys: Any, seeded_runtime: Any
) -> None:
    runtime, seeded = seeded_runtime
    app = make_operate_app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "d")
        table = app.screen.query_one(PagedTable)
        assert table.total == seeded.duplicate_count
        assert "Matched because: same normalised name" in keys.text(pilot)
        top = table.current_key
        await keys.press(pilot, "a")  # accept the best match
        await keys.press(pilot, "space", "space", "r")  # mark two, reject them
        assert table.total == seeded.duplicate_count - 3
        await pilot.click("#min-score")
        await pilot.press(*"0.7")
        await keys.press(pilot, "enter")
        high = table.total
        assert 0 < high < seeded.duplicate_count - 3
        await keys.press(pilot, "A")  # accept every waiting match scoring 0.7 or more
        assert table.total == 0
    with runtime.store.read() as session:
        rows = session.exec(select(DuplicateMatch)).all()
    states = {str(r.id): r.state for r in rows}
    assert states[str(top)] == "approved"
    assert sum(1 for s in states.values() if s == "rejected") == 2
    assert all(r.state != "waiting" for r in rows if r.score >= 0.7)


async def test_paged_table_pages_through_many_rows(
    make_operate_app: Callable[..., ZsyncApp], keys: Any, seeded_runtime: Any
) -> None:
    runtime, seeded = seeded_runtime
    with runtime.store.write() as session:
        for n in range(2_500):
            session.add(
                DuplicateMatch(
                    profile_id=seeded.profile_id,
                    crm_module="Contacts",
                    crm_id=f"9{n:06d}",
                    billing_id=f"8{n:06d}",
                    score=0.4,
                    reasons="same email",
                )
            )
    app = make_operate_app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "d")
        table = app.screen.query_one(PagedTable)
        size = table.page_size  # the rows the table shows at 80×24, no more
        assert 5 <= size < 24 and table.total == 2_530 and table.row_count == size
        await keys.press(pilot, "right_square_bracket")
        assert table.page_start == size
        assert f"{size + 1}–{2 * size} of 2,530" in str(table.border_subtitle)
        await keys.press(pilot, "up")  # above the first row of a page: the previous page
        assert table.page_start == 0 and table.cursor_row == size - 1
        await keys.press(pilot, "down")  # below the last row: the next page again
        assert table.page_start == size and table.cursor_row == 0
        await keys.press(pilot, "pagedown", "pagedown")  # to the page's end, then the next
        assert table.page_start == 2 * size
        await keys.press(pilot, "o")  # lowest score first
        assert table.get_row_at(0)[1] == "0.40"


async def test_a_screen_shown_again_keeps_its_rows_and_shows_what_changed(
    make_operate_app: Callable[..., ZsyncApp], keys: Any, seeded_runtime: Any
) -> None:
    runtime, seeded = seeded_runtime
    app = make_operate_app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "d", "down", "down")
        table = app.screen.query_one(PagedTable)
        shown = table._shown
        await keys.press(pilot, "escape", "d")  # nothing changed: same rows, same cursor
        assert table._shown is shown and table.cursor_row == 2
        await keys.press(pilot, "escape")
        with runtime.store.write() as session:  # decided elsewhere while the screen hid
            first = session.exec(select(DuplicateMatch).order_by(DuplicateMatch.id)).first()
            assert first is not None
            first.state = "rejected"
            session.add(first)
        await keys.press(pilot, "d")
        assert table.total == seeded.duplicate_count - 1
        assert str(first.id) not in table.page_keys


async def test_customers_filter_and_one_customers_page(
    make_operate_app: Callable[..., ZsyncApp], keys: Any
) -> None:
    app = make_operate_app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "u")
        table = app.screen.query_one(PagedTable)
        assert table.total == 12
        select_widget = app.screen.query_one("#filter")
        select_widget.value = "failing"  # type: ignore[attr-defined]
        await keys.settle(pilot)
        assert table.total == 4  # two records with errors, two in conflict
        select_widget.value = "unlinked"  # type: ignore[attr-defined]
        await keys.settle(pilot)
        assert table.total == 1
        select_widget.value = "all"  # type: ignore[attr-defined]
        await keys.settle(pilot)
        table.focus()
        await keys.press(pilot, "enter")
        assert keys.screen_name(pilot) == "CustomerDetailScreen"
        page = keys.text(pilot)
        assert "Company 00 Ltd" in page and "555-9999" in page  # the conflict's CRM value
        assert "update" in page  # its journal
        await keys.press(pilot, "escape")
        assert keys.screen_name(pilot) == "CustomersScreen"


async def test_history_errors_grouped_and_journal(
    make_operate_app: Callable[..., ZsyncApp], keys: Any
) -> None:
    app = make_operate_app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "h")
        text = keys.text(pilot)
        assert "with errors" in text and "2 errors in 1 reasons" in text
        assert "email is not valid" in text
        await keys.press(pilot, "down")  # the older run, which wrote one update
        await keys.press(pilot, "j")
        text = keys.text(pilot)
        assert "1 writes" in text and "555-0100" in text


async def test_settings_disable_reactivate_schedule_and_export(
    make_operate_app: Callable[..., ZsyncApp], keys: Any, seeded_runtime: Any, tmp_path: Path
) -> None:
    runtime, _ = seeded_runtime
    service = SyncService(runtime)
    app = make_operate_app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "o")
        assert keys.screen_name(pilot) == "SettingsScreen"
        await keys.press(pilot, "r")
        assert service.config().enabled is False
        assert "DISABLED" in keys.text(pilot)
        await keys.press(pilot, "r")
        assert service.config().enabled is True
        await keys.press(pilot, "i")
        await pilot.press("home", "ctrl+k", *"30m")
        await keys.press(pilot, "enter")
        assert service.config().interval == "30m"
        target = tmp_path / "out" / "links.csv"
        await keys.press(pilot, "x")
        await pilot.press("home", "ctrl+k", *str(target))
        await keys.press(pilot, "enter")
        assert any("12 links exported" in note for note in keys.notes(pilot))
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "crm_module,crm_id,billing_entity,billing_id,origin,state"
    assert len(lines) == 13


async def test_settings_edit_reopens_the_setup_flow(
    make_operate_app: Callable[..., ZsyncApp], keys: Any
) -> None:
    app = make_operate_app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "o")
        await keys.press(pilot, "e")
        assert app.current_mode == "setup"
        assert getattr(app.screen, "STEP_ID", None) == "module"


async def test_sync_without_secrets_says_what_to_do(
    make_operate_app: Callable[..., ZsyncApp], keys: Any
) -> None:
    app = make_operate_app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "x")
        assert any("No sync is running" in note for note in keys.notes(pilot))
        await keys.press(pilot, "n")
        line = keys.text(pilot, "#progress-line").replace("\n", " ")
        assert "could not run" in line and "zsync connect" in line


async def test_command_palette_opens_screens(
    make_operate_app: Callable[..., ZsyncApp], keys: Any
) -> None:
    app = make_operate_app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "ctrl+p")
        await pilot.press(*"open history")
        await keys.settle(pilot)
        await keys.press(pilot, "enter")
        assert keys.screen_name(pilot) == "HistoryScreen"
        await keys.press(pilot, "ctrl+p")
        await pilot.press(*"review duplicates")
        await keys.settle(pilot)
        await keys.press(pilot, "enter")
        assert keys.screen_name(pilot) == "DuplicatesReviewScreen"
        await keys.press(pilot, "escape")
        assert keys.screen_name(pilot) == "DashboardScreen"


async def test_a_theme_changed_while_a_screen_hid_reaches_it_when_shown(
    make_operate_app: Callable[..., ZsyncApp], keys: Any
) -> None:
    app = make_operate_app()
    async with keys.running(app) as pilot:
        await keys.press(pilot, "d", "escape")  # the duplicates screen is kept, hidden
        table = app.get_screen("operate-duplicates").query_one(PagedTable)
        before = table.styles.background
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await keys.settle(pilot)
        assert table.styles.background == before  # hidden screens are not restyled
        await keys.press(pilot, "d")
        assert app.screen.query_one(PagedTable) is table
        assert table.styles.background != before


async def test_screens_composed_ahead_look_the_same_as_composed_on_demand(
    seeded_runtime: Any, memory_keyring: Any, keys: Any
) -> None:
    runtime = seeded_runtime[0]

    def styled_screen(pilot: Any) -> list[tuple[str, str]]:
        strips = pilot.app.screen._compositor.render_strips()
        return [(segment.text, str(segment.style)) for strip in strips for segment in strip]

    seen: dict[bool, dict[str, list[tuple[str, str]]]] = {}
    for prewarm in (False, True):
        app = make_app(runtime, ServiceBackend(runtime), DETERMINISTIC)
        backend = OperateBackend(runtime, clock=lambda: T0)
        install_runner(app, backend, periodic=False, prewarm=prewarm)
        seen[prewarm] = {}
        async with keys.running(app) as pilot:
            if prewarm:
                await pilot.pause(0.5 + 0.3 * len(PREWARMED) + 0.5)
                await keys.settle(pilot)
                assert all(app.is_screen_installed(f"operate-{n}") for n in PREWARMED)
            for key in ("d", "u", "c", "h"):
                await keys.press(pilot, key)
                seen[prewarm][key] = styled_screen(pilot)
                await keys.press(pilot, "escape")
    for key in ("d", "u", "c", "h"):
        assert seen[True][key] == seen[False][key], key
