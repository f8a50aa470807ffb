"""Against the sandbox, with the keyboard alone: watch a sync live, dry run, fetch one
contact, disable and reactivate."""

from __future__ import annotations

from typing import Any

from zsync_tui.app import make_app
from zsync_tui.operate_backend import OperateBackend
from zsync_tui.operate_runner import install_runner
from zsync_tui.runtime import Runtime
from zsync_tui.setup_services import ServiceBackend
from zsync_tui.widgets.progress_panel import ProgressPanel


def operate_app(runtime: Runtime, keys: Any) -> Any:
    from zsync_tui.app import UiOptions

    app = make_app(runtime, ServiceBackend(runtime), UiOptions(False, False))
    install_runner(app, OperateBackend(runtime), periodic=False)
    return app


async def test_sync_now_runs_live_and_updates_health(live_runtime: Runtime, keys: Any) -> None:
    app = operate_app(live_runtime, keys)
    seen: list[int] = []
    async with app.run_test(size=keys.size) as pilot:
        await keys.settle(pilot)
        panel = app.screen.query_one(ProgressPanel)
        panel_advance = panel.advance

        def spy(phase: str, done: int, total: int | None, crm: int, billing: int) -> None:
            seen.append(done)
            panel_advance(phase, done, total, crm, billing)

        panel.advance = spy  # type: ignore[method-assign]
        await keys.press(pilot, "n")
        await keys.settle(pilot)
        assert not app.screen.query_one(ProgressPanel).running
        outcome = keys.text(pilot, "#progress-line").strip()
        assert outcome.startswith(("Sync ok", "Sync finished_with_errors")), outcome
        assert seen and seen[-1] > 0  # the panel got the engine's progress, last one "done"
        health = keys.text(pilot, "#health")
        assert "Duplicates to review" in health
        in_sync = [line for line in health.splitlines() if "In sync" in line][0]
        assert int(in_sync.split()[-1].replace(",", "")) > 0
