"""The setup flow's test bench: a seeded sandbox on loopback and the app wired to it.

Snapshots and pilot tests run at 120×40 with no blinking cursor and no animations; every file
lives under tmp_path (the root conftest sets ZSYNC_HOME) and secrets in a memory keyring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot

from zsync_tui.app import UiOptions, ZsyncApp, make_app
from zsync_tui.commands.demo import demo_prefill
from zsync_tui.runtime import Runtime
from zsync_tui.sandbox.options import SandboxOptions
from zsync_tui.sandbox.server import RunningSandbox, run_in_thread
from zsync_tui.setup_flow import ConnectionForm
from zsync_tui.setup_services import ServiceBackend

SIZE = (120, 40)
DETERMINISTIC = UiOptions(cursor_blink=False, animations=False)
DEMO_WORLD = dict(seed=7, accounts=12, contacts=20, customers=10, duplicates=4, deals=6)


@pytest.fixture
def demo_sandbox() -> Iterator[RunningSandbox]:
    with run_in_thread(SandboxOptions(**DEMO_WORLD)) as running:  # type: ignore[arg-type]
        yield running


def prefill_for(sandbox: RunningSandbox) -> ConnectionForm:
    """The Connect step's fields as `zsync demo` fills them."""
    return demo_prefill(sandbox.credentials)


@pytest.fixture
def make_demo_app(
    isolated_home: Path, memory_keyring: Any, demo_sandbox: RunningSandbox
) -> Iterator[Callable[..., ZsyncApp]]:
    """Builds apps on the demo sandbox; `prefill=False` leaves the Connect step empty."""
    built: list[ServiceBackend] = []

    def build(prefill: bool = True) -> ZsyncApp:
        runtime = Runtime.start(str(isolated_home))
        backend = ServiceBackend(runtime, prefill=prefill_for(demo_sandbox) if prefill else None)
        built.append(backend)
        return make_app(runtime, backend, DETERMINISTIC)

    yield build


class Flow:
    """Keyboard helpers for walking the setup flow (a fixture: tests cannot import conftest)."""

    size = SIZE

    async def settle(self, pilot: Pilot[None]) -> None:
        """Wait until every worker is done and the screen has repainted."""
        app = pilot.app
        for _ in range(3):
            await pilot.pause()
            await app.workers.wait_for_complete()
        await pilot.pause()

    async def next(self, pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+n")
        await self.settle(pilot)

    @staticmethod
    def problems(app: App[None]) -> list[str]:
        from zsync_tui.widgets.problems import ProblemList

        return list(app.screen.query_one(ProblemList).problems)

    @staticmethod
    def step(app: App[None]) -> str:
        return str(getattr(app.screen, "STEP_ID", type(app.screen).__name__))

    async def walk_to(self, pilot: Pilot[None], target: str) -> None:
        """From a fresh demo app, answer each step with keys until `target` is on screen."""
        app = pilot.app
        await self.settle(pilot)
        for _ in range(20):
            step = self.step(app)
            if step == target:
                return
            if step == "connect":
                await self.next(pilot)  # verify
                await self.next(pilot)  # store the secrets, go on
            elif step == "module":
                await pilot.press("enter")  # Accounts, the first option
                await self.next(pilot)
            elif step == "direction":
                await pilot.press("down", "enter")  # both ways
                await self.next(pilot)
            elif step == "duplicates":
                await pilot.press("tab", "A")  # link every match the dry run found
                await self.next(pilot)
            else:
                await self.next(pilot)
            assert self.step(app) != step, f"stuck at {step}: {self.problems(app)}"
        raise AssertionError(f"never reached {target}; stuck at {self.step(app)}")


@pytest.fixture
def flow() -> Flow:
    return Flow()
