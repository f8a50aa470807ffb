"""Each step refuses to go on with a sentence saying why (the flow stays on the step)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import Input

from zsync_tui.app import ZsyncApp


async def test_connect_lists_every_missing_field(
    make_demo_app: Callable[..., ZsyncApp], flow: Any
) -> None:
    app = make_demo_app(prefill=False)
    async with app.run_test(size=flow.size) as pilot:
        await flow.settle(pilot)
        await flow.next(pilot)
        found = " ".join(flow.problems(app))
        assert flow.step(app) == "connect"
        for field in ("Client ID", "Client secret", "Token"):
            assert field in found


async def test_connect_with_a_wrong_secret_says_verifying_failed(
    make_demo_app: Callable[..., ZsyncApp], flow: Any
) -> None:
    app = make_demo_app()
    async with app.run_test(size=flow.size) as pilot:
        await flow.settle(pilot)
        app.screen.query_one("#client-secret", Input).value = "not-the-secret"
        await flow.next(pilot)
        assert flow.step(app) == "connect"
        assert flow.problems(app)[0].startswith("Verifying the credentials failed:")


async def test_module_and_direction_must_be_chosen(
    make_demo_app: Callable[..., ZsyncApp], flow: Any
) -> None:
    app = make_demo_app()
    async with app.run_test(size=flow.size) as pilot:
        await flow.walk_to(pilot, "module")
        await flow.next(pilot)
        assert flow.step(app) == "module"
        assert "Choose a module" in flow.problems(app)[0]
        await pilot.press("enter")
        await flow.next(pilot)
        assert flow.step(app) == "direction"
        await flow.next(pilot)
        assert "Choose how changes flow" in flow.problems(app)[0]


async def test_review_policy_needs_every_match_decided(
    make_demo_app: Callable[..., ZsyncApp], flow: Any
) -> None:
    app = make_demo_app()
    async with app.run_test(size=flow.size) as pilot:
        await flow.walk_to(pilot, "duplicates")
        await flow.next(pilot)
        assert flow.step(app) == "duplicates"
        assert "undecided" in flow.problems(app)[0]
        await pilot.press("tab", "X")  # reject them all: a decision too
        await flow.next(pilot)
        assert flow.step(app) == "view"
