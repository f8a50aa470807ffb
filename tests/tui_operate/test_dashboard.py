"""The dashboard: health from the store, the budget, Sync now / dry run / cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zsync_tui.app import ZsyncApp


async def test_dashboard_shows_health_runs_and_budget(
    make_operate_app: Callable[..., ZsyncApp], keys: Any
) -> None:
    app = make_operate_app()
    async with keys.running(app) as pilot:
        assert keys.screen_name(pilot) == "DashboardScreen"
        health = keys.text(pilot, "#health")
        assert "In sync" in health and "11" in health  # 12 links, one deleted in CRM
        assert "email is not valid" in health
        assert "Conflicts waiting" in health
        runs = keys.text(pilot, "#run-times")
        assert "finished_with_errors" in runs
