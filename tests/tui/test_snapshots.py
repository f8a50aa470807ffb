"""Every setup step as an SVG at 120×40, on the seeded demo world.

Deterministic: seeded sandbox data, no blinking cursor, no clock, animations off, data under
tmp_path. The sandbox listens on an ephemeral port, so the Connect step's two URL fields are
shown with a fixed one. Regenerate with `pytest tests/tui/test_snapshots.py --snapshot-update`
after a deliberate change, and look at the SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from zsync_tui.app import ZsyncApp

STEPS = [
    "connect",
    "module",
    "direction",
    "duplicates",
    "view",
    "field_mapping",
    "triggers",
    "review",
]


@pytest.mark.parametrize("step", STEPS)
def test_step_snapshot(
    step: str,
    snap_compare: Any,
    make_demo_app: Callable[..., ZsyncApp],
    flow: Any,
    steady: Callable[[Pilot[None]], Awaitable[None]],
) -> None:
    app = make_demo_app()

    async def walk(pilot: Pilot[None]) -> None:
        await flow.walk_to(pilot, step)
        if step == "connect":
            for field in ("#accounts-url", "#api-domain"):
                app.screen.query_one(field, Input).value = "http://127.0.0.1:8000"
            app.screen.query_one("#client-id", Input).focus()
        await flow.settle(pilot)
        await steady(pilot)

    assert snap_compare(app, terminal_size=flow.size, run_before=walk)
