"""The whole setup flow on demo data, with the keyboard alone, to Save and Sync."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import select
from textual.widgets import Input, Static

from zsync_tui.app import ZsyncApp
from zsync_tui.secrets import SecretKind
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
    # The secrets entered are kept; the only other entry is the access token the sync cached.
    assert {"default:client_secret", "default:refresh_token"} <= stored
    assert stored <= {f"default:{kind}" for kind in SecretKind}


async def test_next_pressed_twice_in_a_row_moves_one_step(
    make_demo_app: Callable[..., ZsyncApp], flow: Any
) -> None:
    from zsync_tui.messages import StepCompleted

    app = make_demo_app()
    async with app.run_test(size=flow.size) as pilot:
        await flow.walk_to(pilot, "module")
        await pilot.press("enter")
        # Both reach the App before the Direction step takes over, as with fast typing.
        app.screen.action_next()
        app.post_message(StepCompleted("module"))
        await flow.settle(pilot)
        assert flow.step(app) == "direction"
        steps = [getattr(screen, "STEP_ID", "") for screen in app.screen_stack]
        assert steps.count("direction") == 1, steps


async def test_once_configured_zsync_opens_on_the_integration_and_credentials_can_be_updated(
    make_demo_app: Callable[..., ZsyncApp], flow: Any
) -> None:
    first = make_demo_app()
    async with first.run_test(size=flow.size) as pilot:
        await flow.walk_to(pilot, "review")
        await pilot.press("ctrl+l")  # Save and Sync Later
        await flow.settle(pilot)
    again = make_demo_app(prefill=False)
    async with again.run_test(size=flow.size) as pilot:
        await flow.settle(pilot)
        assert type(again.screen).__name__ == "DashboardScreen"
        again.open_setup(("connect",))
        await flow.settle(pilot)
        assert flow.step(again) == "connect"
        screen = again.screen
        # Stored secrets are never shown again: the fields stay empty and say where they are.
        for field in ("#client-secret", "#token"):
            assert screen.query_one(field, Input).value == ""
            assert screen.query_one(field, Input).placeholder == "stored in the keyring"
        assert screen.query_one("#client-id", Input).value  # not secret, kept in the profile
        await flow.next(pilot)  # verifies with the stored secrets
        assert flow.problems(again) == []
        await flow.next(pilot)  # stores them again, and leaves the one-step flow
        assert again.current_mode == "operate"


async def test_accounts_and_contacts_pick_a_view_each_from_the_crm(
    make_demo_app: Callable[..., ZsyncApp], flow: Any
) -> None:
    from textual.widgets import Checkbox, Select

    app = make_demo_app()
    async with app.run_test(size=flow.size) as pilot:
        await flow.walk_to(pilot, "module")
        await pilot.press("down", "down", "enter")  # Accounts & their Contacts
        app.screen.query_one("#include-orphans", Checkbox).value = True
        await flow.next(pilot)
        await pilot.press("enter")  # Fetch from CRM
        await flow.next(pilot)
        await flow.walk_to(pilot, "view")
        accounts = app.screen.query_one("#view-Accounts", Select)
        contacts = app.screen.query_one("#view-Contacts", Select)
        listed = [v for _label, v in contacts._options if isinstance(v, str) and v != "__all__"]
        assert len(listed) >= 2  # what the CRM lists for Contacts, predefined and user-made
        assert accounts.value == "__all__"
        contacts.value = listed[0]  # the first view the CRM listed
        await flow.next(pilot)
        assert app.draft.contact_view == listed[0] and app.draft.account_view == ""
        await flow.walk_to(pilot, "review")
        await pilot.press("ctrl+l")  # Save and Sync Later: the view is checked against the CRM
        await flow.settle(pilot)
        assert flow.problems(app) == []
    with app.runtime.store.read() as session:
        saved = session.exec(select(Profile)).one()
    assert saved.config_toml is not None
    assert 'module = "accounts_and_contacts"' in saved.config_toml
    assert "include_contacts_without_account = true" in saved.config_toml
    assert f'contact_view = "{listed[0]}"' in saved.config_toml
