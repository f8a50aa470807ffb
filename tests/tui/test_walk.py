"""The whole setup flow on demo data, with the keyboard alone, to Save and Sync."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import select
from textual.widgets import Static

from zsync_tui.app import ZsyncApp
from zsync_tui.store import Profile, RecordLink


async def test_keyboard_walk_reaches_save_and_sync_and_shows_the_result(
    make_demo_app: Callable[..., ZsyncApp], flow: Any, memory_keyring: Any
) -> None:
    app = make_demo_app()
    async with app.run_test(size=flow.size) as pilot:
        await flow.walk_to(pilot, "review")
        plan = app.draft.plan
        assert plan is not None and plan.create_in_billing > 0, plan
        await pilot.press("ctrl+s")
        await flow.settle(pilot)
        result = str(app.screen.query_one("#plan-status", Static).content)
        # Records Zoho refuses (the seed has accounts without an email) are reported, not fatal.
        assert result.startswith(("Sync ok", "Sync finished with errors")), result
        assert app.screen.query_one("#next").display  # "Open the integration"
        await flow.next(pilot)
        assert app.current_mode == "operate"
    with app.runtime.store.read() as session:
        profile = session.exec(select(Profile)).one()
        links = session.exec(select(RecordLink)).all()
    assert profile.config_toml and 'module = "accounts"' in profile.config_toml
    assert len(links) > 0
    stored = {user for (_service, user) in memory_keyring.entries}
    assert stored == {"default:client_secret", "default:refresh_token"}
