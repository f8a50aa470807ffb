"""Each step refuses to go on with a sentence saying why (the flow stays on the step)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlmodel import select
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Input,
    RadioButton,
    Select,
    SelectionList,
    Static,
)

from zsync_tui.app import ZsyncApp
from zsync_tui.store import Profile
from zsync_tui.sync.config import IntegrationConfig


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


async def test_the_custom_data_centre_asks_for_its_urls(
    make_demo_app: Callable[..., ZsyncApp], flow: Any
) -> None:
    app = make_demo_app(prefill=False)
    async with app.run_test(size=flow.size) as pilot:
        await flow.settle(pilot)
        screen = app.screen
        assert not screen.query("#accounts-url")  # not asked for the usual data centres
        screen.query_one("#data-centre", Select).value = "custom"
        await flow.settle(pilot)
        assert screen.query_one("#custom-urls").display
        screen.query_one("#accounts-url", Input).value = "accounts.example"
        await flow.next(pilot)
        found = flow.problems(app)
        assert "Accounts URL: give an http(s) URL for the custom data centre." in found
        assert "API domain: give an http(s) URL for the custom data centre." in found
        screen.query_one("#data-centre", Select).value = "eu"
        await flow.settle(pilot)
        assert not screen.query_one("#custom-urls").display


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


async def test_without_a_keyring_connect_explains_the_options(
    make_demo_app: Callable[..., ZsyncApp], flow: Any
) -> None:
    import keyring
    from keyring.backends import fail

    app = make_demo_app()
    keyring.set_keyring(fail.Keyring())  # the memory keyring fixture restores the previous one
    async with app.run_test(size=flow.size) as pilot:
        await flow.settle(pilot)
        explained = str(app.screen.query_one("#secret-state", Static).content)
        assert "No usable keyring" in explained and "ZSYNC_CLIENT_SECRET" in explained
        await flow.next(pilot)
        assert flow.step(app) == "connect"
        assert "nowhere safe to keep the secrets" in flow.problems(app)[0]


async def test_a_second_billing_org_is_forced_one_way(
    make_demo_app: Callable[..., ZsyncApp], flow: Any
) -> None:
    app = make_demo_app()
    async with app.run_test(size=flow.size) as pilot:
        await flow.walk_to(pilot, "module")
        facts = app.draft.facts
        assert facts is not None
        with app.runtime.store.write() as session:
            session.add(Profile(name="first", crm_org_id=facts.crm_org_id, billing_org_id="999"))
        # What verifying reports once another profile links this CRM org.
        linked = app.backend._other_billing_orgs(facts.crm_org_id)  # type: ignore[attr-defined]
        app.draft.facts = replace(facts, linked_billing_org_ids=linked)
        await pilot.press("enter")
        await flow.next(pilot)
        assert flow.step(app) == "direction"
        assert "fetches from CRM only" in str(app.screen.query_one("#one-way-reason").content)
        both_ways = app.screen.query_one("#direction-both_ways", RadioButton)
        assert both_ways.disabled and not both_ways.value
        assert app.screen.query_one("#direction-fetch_from_crm", RadioButton).value
        await flow.next(pilot)
        assert flow.step(app) == "duplicates"
        assert app.draft.direction == "fetch_from_crm"


async def test_field_mapping_refuses_a_billing_field_mapped_twice(
    make_demo_app: Callable[..., ZsyncApp], flow: Any
) -> None:
    app = make_demo_app()
    async with app.run_test(size=flow.size) as pilot:
        await flow.walk_to(pilot, "field_mapping")
        app.screen.query_one("#crm-field", Select).value = "Phone"
        app.screen.query_one("#billing-field", Select).value = "website"  # already Website's
        app.screen.query_one("#add", Button).press()
        await flow.settle(pilot)
        await flow.next(pilot)
        assert flow.step(app) == "field_mapping"
        assert any("website is mapped twice" in p for p in flow.problems(app)), flow.problems(app)
        table = app.screen.query_one("#pairs", DataTable)
        table.focus()
        table.move_cursor(row=table.row_count - 1)
        await pilot.press("delete")
        await flow.next(pilot)
        assert flow.step(app) == "triggers"


async def test_triggers_are_checked_then_saved_with_the_configuration(
    make_demo_app: Callable[..., ZsyncApp], flow: Any
) -> None:
    app = make_demo_app()
    async with app.run_test(size=flow.size) as pilot:
        await flow.walk_to(pilot, "triggers")
        screen = app.screen
        screen.query_one("#enabled", Checkbox).value = True
        await flow.settle(pilot)
        await flow.next(pilot)
        assert "Pick at least one stage" in flow.problems(app)[0]
        screen.query_one("#quote-create", SelectionList).select("Qualification")
        screen.query_one("#quote-accept", Select).value = "Closed Won"
        screen.query_one("#quote-decline", Select).value = "Closed Won"
        screen.query_one("#void-lost", Checkbox).value = True
        await flow.next(pilot)
        found = " ".join(flow.problems(app))
        assert "accepted and declined at the same stage" in found
        assert "Voiding on lost needs the invoice-on-won trigger" in found
        screen.query_one("#quote-decline", Select).value = "Closed Lost"
        screen.query_one("#invoice-won", Checkbox).value = True
        await flow.next(pilot)
        assert flow.step(app) == "review"
        await pilot.press("ctrl+l")  # Save and Sync Later
        await flow.settle(pilot)
    with app.runtime.store.read() as session:
        saved = session.exec(select(Profile).where(Profile.name == "default")).one()
    assert saved.config_toml is not None
    config = IntegrationConfig.from_toml(saved.config_toml)
    assert config.triggers is not None and config.triggers.invoice_on_won
    assert config.triggers.quote_create_stages == ["Qualification"]
    assert config.triggers.quote_accept_stage == "Closed Won"
