"""The dashboard's first frame: its layout with placeholders at once, the figures from the
first read, which runs after that frame (and builds the backend when none was given)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from zsync_tui.app import UiOptions, ZsyncApp, make_app
from zsync_tui.operate_backend import OperateBackend
from zsync_tui.operate_rows import Health
from zsync_tui.operate_runner import install_runner, runner_for
from zsync_tui.runtime import Runtime
from zsync_tui.setup_services import ServiceBackend

PLACEHOLDERS = ("Reading the state…", "Last run: reading…", "Budget: reading…")


class HeldBackend(OperateBackend):
    """Reads the health only once the test lets it, so the frame before it can be seen."""

    def __init__(self, runtime: Runtime, release: threading.Event) -> None:
        super().__init__(runtime)
        self.release = release

    def health(self) -> Health:
        self.release.wait(timeout=10)
        return super().health()


async def test_the_first_frame_has_the_layout_and_says_the_figures_are_coming(
    make_operate_app: Callable[..., ZsyncApp], seeded_runtime: Any, keys: Any
) -> None:
    release = threading.Event()
    app = make_operate_app(HeldBackend(seeded_runtime[0], release))
    try:
        async with app.run_test(size=keys.size) as pilot:
            await pilot.pause()
            first = keys.text(pilot)
            assert all(words in first for words in PLACEHOLDERS), first
            assert "calls per hour" in first and "Sync now" in first  # the rest is all there
            release.set()
            await keys.settle(pilot)
            health = keys.text(pilot, "#health")
            assert "In sync" in health and "11" in health
            assert "finished, 2 errors" in keys.text(pilot, "#run-times")
            assert "CRM credits (24 h)" in keys.text(pilot, "#budget")
            assert not any(words in keys.text(pilot) for words in PLACEHOLDERS)
    finally:
        release.set()


async def test_without_a_backend_the_first_read_builds_one_over_the_apps_runtime(
    seeded_runtime: Any, memory_keyring: Any, keys: Any
) -> None:
    runtime = seeded_runtime[0]
    app = make_app(
        runtime, ServiceBackend(runtime), UiOptions(cursor_blink=False, animations=False)
    )
    runner = install_runner(app, periodic=False, prewarm=False)  # as `zsync` gets it
    async with keys.running(app) as pilot:
        assert keys.screen_name(pilot) == "DashboardScreen"
        assert runner_for(app) is runner
        assert runner.backend.runtime is runtime
        health = keys.text(pilot, "#health")
        assert "In sync" in health and "11" in health
        assert "finished, 2 errors" in keys.text(pilot, "#run-times")
