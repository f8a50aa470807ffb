"""Every operating screen at 80×24 on the seeded store: deterministic (fixed times, no
blinking cursor, no animations, no clock). Update with `--snapshot-update` and review."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from zsync_tui.app import ZsyncApp
from zsync_tui.sync.events import PlanItem, RunReport

SCREENS = {
    "dashboard": (),
    "conflicts": ("c",),
    "conflict_editor": ("c", "e"),
    "duplicates": ("d",),
    "customers": ("u",),
    "customer_detail": ("u", "enter"),
    "crm_search": ("s",),
    "deals": ("l",),
    "history": ("h",),
    "settings": ("o",),
}


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_screen_snapshot(
    name: str,
    make_operate_app: Callable[..., ZsyncApp],
    snap_compare: Any,
    steady: Callable[[Pilot[None]], Awaitable[None]],
) -> None:
    async def open_screen(pilot: Pilot[None]) -> None:
        for key in SCREENS[name]:
            await pilot.press(key)
        await steady(pilot)

    assert snap_compare(make_operate_app(), run_before=open_screen, terminal_size=(80, 24))


def test_dry_run_snapshot(make_operate_app: Callable[..., ZsyncApp], snap_compare: Any) -> None:
    report = RunReport(dry_run=True)
    for item in (
        PlanItem("create_in_billing", "Northwind Traders", "Accounts", "5100100"),
        PlanItem(
            "update_crm",
            "Company 01 Ltd",
            "Accounts",
            "5100001",
            "4600001",
            None,
            {"phone": ["555-0101", "555-2222"]},
        ),
        PlanItem(
            "link",
            "Acme & Sons",
            "Accounts",
            "5100200",
            "4600200",
            None,
            {},
            0.92,
            ["same normalised name", "same email domain"],
        ),
        PlanItem("skip", "Old Account", "Accounts", "5100300", None, "outside the view"),
    ):
        report.count(item)
        report.items.append(item)

    async def show_plan(pilot: Pilot[None]) -> None:
        from zsync_tui.screens.dry_run import DryRunScreen

        while type(pilot.app.screen).__name__ != "DashboardScreen":  # operate mode is up
            await pilot.pause()
        await pilot.app.push_screen(DryRunScreen(report))
        await pilot.pause()

    assert snap_compare(make_operate_app(), run_before=show_plan, terminal_size=(80, 24))
