"""The customer sync against the sandbox over loopback HTTP."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import select

from zsync_tui.cli import main
from zsync_tui.store import Conflict, Profile
from zsync_tui.sync.config import ConfigError
from zsync_tui.sync.service import SyncService

MODULES = ("accounts", "contacts", "accounts_and_contacts")
DIRECTIONS = ("fetch_from_crm", "both_ways")
POLICIES = ("clone", "overwrite", "skip", "review")


@pytest.mark.parametrize(
    ("module", "direction", "duplicates"), list(itertools.product(MODULES, DIRECTIONS, POLICIES))
)
async def test_every_module_direction_and_duplicate_policy_converges(
    harness: Any, module: str, direction: str, duplicates: str
):
    await harness.configure(module=module, direction=direction, duplicates=duplicates)
    first = await harness.sync()
    assert first.status in ("ok", "finished_with_errors"), first.as_dict()
    links = harness.links()
    allowed = {"accounts": {"Accounts"}, "contacts": {"Contacts"}}.get(
        module, {"Accounts", "Contacts"}
    )
    assert {link.crm_module for link in links} <= allowed
    assert links, first.as_dict()
    if direction == "fetch_from_crm":
        assert first.created["crm"] == 0
        assert all(link.origin != "billing" for link in links)
    else:
        assert first.created["crm"] > 0
    if module != "contacts":  # the planted duplicates are accounts
        if duplicates == "overwrite":
            assert first.linked >= 1
        elif duplicates == "skip":
            assert first.skipped_by_reason.get("duplicate skipped", 0) >= 1
        elif duplicates == "review":
            assert first.skipped_by_reason.get("duplicate waiting for review", 0) >= 1
        else:
            assert first.linked == 0
    if module == "accounts_and_contacts":
        assert any(link.billing_entity == "contact_person" for link in links)
    # No Billing record is linked twice and no CRM record twice.
    assert len({(link.billing_entity, link.billing_id) for link in links}) == len(links)
    writes_before = harness.writes()
    second = await harness.sync()
    assert second.write_calls == 0, second.as_dict()
    assert harness.writes() == writes_before


async def test_contact_person_writes_are_known_as_ours_so_no_customer_is_read_again(
    harness: Any,
):
    # Each contact person create moves its customer's updated_time; the next run must take
    # that time for our own write (list values agree) instead of reading each customer.
    await harness.configure(module="accounts", duplicates="overwrite")
    await harness.sync()
    harness.admin("POST", "clock", {"advance": 5})  # the persons come seconds later
    await harness.configure(module="accounts_and_contacts", duplicates="overwrite")
    first = await harness.sync()
    assert first.created["billing"] > 0, first.as_dict()
    assert any(link.billing_entity == "contact_person" for link in harness.links())
    second = await harness.sync()
    pages = -(-len(harness.world.customers) // 200)
    assert (second.api_calls["billing"], second.write_calls) == (pages, 0), second.as_dict()


async def test_dry_run_writes_nothing_and_predicts_the_run(harness: Any):
    await harness.configure(duplicates="overwrite")
    before = harness.writes()
    plan = await harness.service.plan()
    assert harness.writes() == before
    assert plan.dry_run and plan.items
    assert harness.links() == []
    run = await harness.sync()
    assert run.created == plan.created
    assert run.linked == plan.linked
    # Accounts with no email anywhere are foretold and never sent: Billing would refuse them.
    unsent = sorted(m for m in run.error_messages if "Not sent to Billing" in m)
    assert unsent and unsent == sorted(m for m in plan.error_messages if "Not sent" in m)
    assert all("give one of its contacts an email in CRM" in m for m in unsent)
    answered = {
        (row["method"], row["path"], row["status"]): row["count"]
        for row in harness.admin("GET", "stats")["requests"]
    }
    assert ("POST", "/billing/v1/customers", 400) not in answered
    sent = answered[("POST", "/billing/v1/customers", 201)] + answered.get(
        ("POST", "/billing/v1/customers/{customer_id}/contactpersons", 201), 0
    )
    assert run.created["billing"] == sent


async def test_one_edit_makes_exactly_one_write_and_no_echo(harness: Any):
    await harness.configure(duplicates="overwrite")
    await harness.sync()
    assert (await harness.sync()).write_calls == 0
    link = next(link for link in harness.links() if link.origin == "crm")
    async with harness.clients() as clients:
        result = await clients.crm.update("Accounts", [{"id": link.crm_id, "Phone": "+1 555 0199"}])
        assert result[0].ok
    report = await harness.sync()
    assert (report.write_calls, report.updated) == (1, {"crm": 0, "billing": 1}), report.as_dict()
    assert harness.world.customers[link.billing_id]["phone"] == "+1 555 0199"
    assert (await harness.sync()).write_calls == 0
    async with harness.clients() as clients:
        await clients.billing.update_customer(link.billing_id, {"website": "https://x.example"})
    report = await harness.sync()
    assert (report.write_calls, report.updated) == (1, {"crm": 1, "billing": 0}), report.as_dict()
    assert harness.world.crm["Accounts"].records[link.crm_id]["Website"] == "https://x.example"
    assert (await harness.sync()).write_calls == 0


async def test_edits_on_both_sides_merge_or_wait_as_a_conflict(harness: Any):
    await harness.configure(duplicates="overwrite")
    await harness.sync()
    link = next(link for link in harness.links() if link.origin == "crm")
    async with harness.clients() as clients:
        await clients.crm.update("Accounts", [{"id": link.crm_id, "Phone": "111", "Fax": "9"}])
        await clients.billing.update_customer(link.billing_id, {"phone": "222", "notes": "hello"})
    report = await harness.sync()
    assert report.conflicts == 1
    assert harness.world.crm["Accounts"].records[link.crm_id]["Description"] == "hello"
    assert harness.world.customers[link.billing_id]["billing_address"]["fax"] == "9"
    with harness.runtime.store.read() as session:
        conflict = session.exec(select(Conflict)).one()
    assert (conflict.field, conflict.crm_value, conflict.billing_value) == ("phone", "111", "222")
    assert (await harness.sync()).write_calls == 0
    resolved = CliRunner().invoke(main, ["conflicts", "resolve", str(conflict.id), "--take", "crm"])
    assert resolved.exit_code == 0, resolved.output
    report = await harness.sync()
    assert report.write_calls == 1
    assert harness.world.customers[link.billing_id]["phone"] == "111"
    assert (await harness.sync()).write_calls == 0
    async with harness.clients() as clients:
        await clients.crm.update("Accounts", [{"id": link.crm_id, "Phone": "444"}])
        await clients.billing.update_customer(link.billing_id, {"phone": "555"})
    assert (await harness.sync()).conflicts == 1
    with harness.runtime.store.read() as session:
        second = session.exec(select(Conflict).where(Conflict.state == "open")).one()
    wrong = CliRunner().invoke(main, ["conflicts", "resolve", str(second.id), "--set", "fax=1"])
    assert wrong.exit_code == 2 and "is about phone" in wrong.output
    chosen = ["conflicts", "resolve", str(second.id), "--set", "phone=666"]
    assert CliRunner().invoke(main, chosen).exit_code == 0
    assert (await harness.sync()).write_calls == 2
    assert harness.world.customers[link.billing_id]["phone"] == "666"
    assert harness.world.crm["Accounts"].records[link.crm_id]["Phone"] == "666"
    assert (await harness.sync()).write_calls == 0
    again = CliRunner().invoke(main, ["conflicts", "resolve", str(second.id), "--take", "crm"])
    assert again.exit_code == 2 and "no open conflict" in again.output


async def test_newest_wins_and_crm_wins_settle_without_the_admin(harness: Any):
    await harness.configure(duplicates="overwrite", default_policy="crm_wins")
    await harness.sync()
    link = next(link for link in harness.links() if link.origin == "crm")
    async with harness.clients() as clients:
        await clients.billing.update_customer(link.billing_id, {"phone": "billing"})
        await clients.crm.update("Accounts", [{"id": link.crm_id, "Phone": "crm"}])
    report = await harness.sync()
    assert report.conflicts == 0
    assert harness.world.customers[link.billing_id]["phone"] == "crm"


async def test_a_crm_delete_marks_the_link_and_keeps_the_customer(harness: Any):
    await harness.configure(duplicates="overwrite")
    await harness.sync()
    link = next(link for link in harness.links() if link.origin == "crm")
    async with harness.clients() as clients:
        await clients.crm.delete("Accounts", [link.crm_id])
    report = await harness.sync()
    assert report.crm_deleted == 1
    marked = next(row for row in harness.links() if row.id == link.id)
    assert marked.state == "crm_deleted" and marked.crm_deleted_at is not None
    assert link.billing_id in harness.world.customers
    assert (await harness.sync()).write_calls == 0


async def test_a_view_limits_the_accounts_and_an_unknown_view_is_refused(harness: Any):
    total = len(harness.world.crm["Accounts"].records)
    async with harness.clients() as clients:
        candidates = []
        for view in await clients.crm.custom_views("Accounts"):
            members = {
                str(r["id"])
                async for page in clients.crm.iter_records("Accounts", ["id"], cvid=view["id"])
                for r in page
            }
            if 0 < len(members) < total:
                candidates.append((view, members))
    assert candidates, "the seeded world should have a view holding some accounts only"
    view, in_view = candidates[0]
    with pytest.raises(ConfigError) as refused:
        await harness.configure(account_view="No Such View")
    assert "account_view" in str(refused.value) and view["display_value"] in str(refused.value)
    await harness.configure(
        account_view=view["display_value"], direction="fetch_from_crm", duplicates="clone"
    )
    await harness.sync()
    synced = {link.crm_id for link in harness.links() if link.crm_module == "Accounts"}
    assert synced and synced <= in_view


async def test_a_custom_field_map_reaches_billing_custom_fields(harness: Any):
    await harness.configure(
        direction="fetch_from_crm",
        duplicates="clone",
        field_map=[
            {"crm": "Account_Name", "billing": "display_name"},
            {"crm": "Industry", "billing": "custom_fields.Industry", "direction": "to_billing"},
        ],
    )
    await harness.sync()
    link = next(link for link in harness.links() if link.origin == "crm")
    industry = harness.world.crm["Accounts"].records[link.crm_id].get("Industry")
    customer = harness.world.customers[link.billing_id]
    labels = {f.get("label"): f.get("value") for f in customer["custom_fields"]}
    assert labels.get("Industry") == industry


async def test_a_missing_billing_custom_field_is_refused_with_the_ones_that_exist(
    harness: Any,
):
    with pytest.raises(ConfigError) as refused:
        await harness.configure(
            field_map=[
                {"crm": "Account_Name", "billing": "display_name"},
                {"crm": "Rating", "billing": "custom_fields.Rating", "direction": "to_billing"},
            ],
        )
    message = str(refused.value)
    assert "field_map.1.billing" in message and "create it in Billing first" in message
    assert "Industry" in message  # the custom fields that do exist are listed


async def test_a_currency_mismatch_stops_the_run_before_any_write(harness: Any):
    await harness.configure()
    harness.world.crm_org["mc_status"] = True
    harness.world.crm_org["iso_code"] = "EUR"
    before = harness.writes()
    with pytest.raises(ConfigError, match="base currencies must match"):
        await harness.sync()
    assert harness.writes() == before


async def test_a_second_billing_org_is_one_way(harness: Any):
    crm_org_id = harness.service.profile().crm_org_id
    with harness.runtime.store.write() as session:
        session.add(Profile(name="first-org", crm_org_id=crm_org_id, billing_org_id="1"))
    await harness.connect("second")
    second = SyncService(harness.runtime, "second", options=harness.options)
    from zsync_tui.sync.config import IntegrationConfig

    with pytest.raises(ConfigError, match="fetch_from_crm"):
        await second.save_config(IntegrationConfig(direction="both_ways"))
    second._store_config(IntegrationConfig(direction="both_ways", duplicates="clone"))
    report = await second.run()
    assert report.created["crm"] == 0 and report.created["billing"] > 0


async def test_triggers_naming_a_stage_the_pipeline_lacks_are_refused(harness: Any):
    from zsync_tui.sync.config import IntegrationConfig
    from zsync_tui.sync.deals.config import TriggerConfig

    wrong = TriggerConfig(enabled=True, quote_create_stages=["Handshake"])
    with pytest.raises(ConfigError) as refused:
        await harness.service.save_config(IntegrationConfig(triggers=wrong))
    assert "Handshake" in str(refused.value) and "Closed Won" in str(refused.value)
    right = TriggerConfig(enabled=True, quote_create_stages=["Qualification"])
    await harness.service.save_config(IntegrationConfig(triggers=right))
    assert harness.service.config().triggers == right


def test_the_cli_first_run_then_second_run_without_writes(harness: Any):
    assert CliRunner().invoke(main, ["configure", "--defaults"]).exit_code == 0
    shown = CliRunner().invoke(main, ["config", "show", "--toml"]).output
    path = harness.runtime.paths.config_dir / "integration.toml"
    path.write_text(shown, encoding="utf-8")
    assert CliRunner().invoke(main, ["configure", "--file", str(path)]).exit_code == 0
    assert CliRunner().invoke(main, ["config", "show", "--toml"]).output == shown
    first = CliRunner().invoke(main, ["sync", "--json"])
    assert first.exit_code in (0, 1), first.output
    report = json.loads(first.stdout)
    assert report["created"]["billing"] > 0 and report["api_calls"]["crm"] > 0
    second = CliRunner().invoke(main, ["sync", "--json"])
    assert second.exit_code == 0 and json.loads(second.stdout)["write_calls"] == 0
    status = json.loads(CliRunner().invoke(main, ["status", "--json"]).stdout)
    assert status["in_sync"] == len(harness.links())
    # After an incremental run the exclusions of the last full read are still shown.
    assert status["excluded"]["duplicate waiting for review"] == status["duplicates_waiting"] > 0
    assert status["failing"] == sum(status["failing_by_reason"].values())
    exported = harness.runtime.paths.config_dir / "links.csv"
    assert CliRunner().invoke(main, ["links", "export", str(exported)]).exit_code == 0
    assert exported.read_text().count("\n") == len(harness.links()) + 1


@pytest.fixture
def budget_sandbox(sandbox_factory: Any) -> Iterator[Any]:
    yield sandbox_factory(accounts=10, contacts=0, deals=0, customers=4, duplicates=0)


def assert_nothing_created_twice(harness: Any, customers_before: int, accounts_before: int):
    links = harness.links()
    assert len({link.billing_id for link in links}) == len(links)
    made_in_billing = sum(1 for link in links if link.origin == "crm")
    made_in_crm = sum(1 for link in links if link.origin == "billing")
    assert len(harness.world.customers) == customers_before + made_in_billing
    assert len(harness.world.crm["Accounts"].records) == accounts_before + made_in_crm


def world_size(harness: Any) -> tuple[int, int]:
    return len(harness.world.customers), len(harness.world.crm["Accounts"].records)


async def test_a_429_storm_slows_the_run_but_it_finishes_and_converges(harness: Any):
    await harness.configure(duplicates="overwrite")
    before = world_size(harness)
    harness.admin("POST", "faults", {"p429": 0.25})
    try:
        stormy = await harness.sync()
    finally:
        harness.admin("POST", "faults", {"p429": 0.0})
    assert harness.admin("GET", "stats")["faults_injected_total"] > 0
    assert stormy.status in ("ok", "finished_with_errors"), stormy.as_dict()
    await harness.sync()
    settled = await harness.sync()
    assert settled.write_calls == 0, settled.as_dict()
    assert_nothing_created_twice(harness, *before)


def test_a_spent_budget_exits_3_with_the_resume_time_then_resumes(harness: Any):
    assert CliRunner().invoke(main, ["configure", "--defaults"]).exit_code == 0
    before = world_size(harness)
    harness.admin("POST", "budgets", {"billing_calls_per_day": 6, "reset_usage": True})
    spent = CliRunner().invoke(main, ["sync", "--json"])
    assert spent.exit_code == 3, spent.output
    report = json.loads(spent.stdout)
    assert report["status"] == "budget_spent" and report["resumes_at"]
    status = json.loads(CliRunner().invoke(main, ["status", "--json"]).stdout)
    assert status["last_run"]["status"] == "budget_spent"
    assert status["last_run"]["resumes_at"] == report["resumes_at"]
    harness.admin("POST", "budgets", {"billing_calls_per_day": 1_000_000, "reset_usage": True})
    resumed = CliRunner().invoke(main, ["sync", "--json"])
    assert resumed.exit_code in (0, 1), resumed.output
    again = json.loads(CliRunner().invoke(main, ["sync", "--json"]).stdout)
    assert again["write_calls"] == 0
    assert_nothing_created_twice(harness, *before)


async def test_malformed_answers_are_set_aside_and_the_rest_goes_on(harness: Any):
    await harness.configure(duplicates="overwrite")
    before = world_size(harness)
    harness.admin("POST", "faults", {"html": 0.15, "truncated": 0.15})
    try:
        shaky = await harness.sync()
    finally:
        harness.admin("POST", "faults", {"html": 0.0, "truncated": 0.0})
    assert harness.admin("GET", "stats")["faults_injected_total"] > 0
    assert shaky.status in ("ok", "finished_with_errors", "failed"), shaky.as_dict()
    await harness.sync()
    settled = await harness.sync()
    assert settled.write_calls == 0, settled.as_dict()
    assert_nothing_created_twice(harness, *before)


def test_fetch_contact_pulls_one_customer_now(harness: Any):
    asyncio.run(harness.configure(direction="fetch_from_crm", duplicates="overwrite"))
    asyncio.run(harness.sync())
    link = next(link for link in harness.links() if link.origin == "crm")

    async def edit() -> None:
        async with harness.clients() as clients:
            await clients.crm.update("Accounts", [{"id": link.crm_id, "Phone": "+44 1 2345"}])

    asyncio.run(edit())
    fetched = CliRunner().invoke(main, ["fetch-contact", link.billing_id, "--json"])
    assert fetched.exit_code == 0, fetched.output
    report = json.loads(fetched.stdout)
    assert report["updated"] == {"crm": 0, "billing": 1}
    assert report["api_calls"]["billing"] <= 3  # one customer, not a full read
    assert harness.world.customers[link.billing_id]["phone"] == "+44 1 2345"
    unknown = CliRunner().invoke(main, ["fetch-contact", "123456789"])
    assert unknown.exit_code == 2 and "zsync links list" in unknown.output


def test_crm_search_then_import_one_record(harness: Any):
    total = len(harness.world.crm["Accounts"].records)

    async def a_small_view() -> Any:
        async with harness.clients() as clients:
            for view in await clients.crm.custom_views("Accounts"):
                members = [
                    r
                    async for page in clients.crm.iter_records("Accounts", ["id"], cvid=view["id"])
                    for r in page
                ]
                if 0 < len(members) < total:
                    return view
        return None

    small = asyncio.run(a_small_view())
    assert small is not None
    asyncio.run(
        harness.configure(
            direction="fetch_from_crm", duplicates="clone", account_view=small["display_value"]
        )
    )
    asyncio.run(harness.sync())
    linked = {link.crm_id for link in harness.links()}
    outside = next(
        r
        for r in harness.world.crm["Accounts"].records.values()
        if r["id"] not in linked and "'" not in r["Account_Name"]
    )
    word = max(outside["Account_Name"].split(), key=len)
    found = json.loads(CliRunner().invoke(main, ["crm", "search", word, "--json"]).stdout)
    hit = next(item for item in found if item["id"] == outside["id"])
    assert hit["linked"] is False
    imported = CliRunner().invoke(main, ["crm", "import", outside["id"], "--json"])
    report = json.loads(imported.stdout)
    assert report["created"]["billing"] + report["errors"] == 1, report
    if report["created"]["billing"]:
        assert outside["id"] in {link.crm_id for link in harness.links()}
        found = json.loads(CliRunner().invoke(main, ["crm", "search", word, "--json"]).stdout)
        assert next(item for item in found if item["id"] == outside["id"])["linked"]


def test_disable_stops_syncs_and_enable_resumes(harness: Any):
    assert CliRunner().invoke(main, ["configure", "--defaults"]).exit_code == 0
    assert CliRunner().invoke(main, ["disable"]).exit_code == 0
    refused = CliRunner().invoke(main, ["sync", "--json"])
    assert refused.exit_code == 2 and "zsync enable" in refused.output
    assert harness.links() == []
    assert CliRunner().invoke(main, ["enable"]).exit_code == 0
    assert CliRunner().invoke(main, ["sync", "--json"]).exit_code in (0, 1)
    assert harness.links()


def test_the_scheduler_runs_then_stops_cleanly_on_sigterm(harness: Any):
    import os
    import signal
    import subprocess
    import sys

    assert CliRunner().invoke(main, ["configure", "--defaults"]).exit_code == 0
    env = dict(os.environ)
    env["ZSYNC_CLIENT_SECRET"] = harness.sandbox.credentials["client_secret"]
    env["ZSYNC_REFRESH_TOKEN"] = harness.sandbox.credentials["refresh_token"]
    process = subprocess.Popen(
        [sys.executable, "-m", "zsync_tui", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())
        assert first["status"] in ("ok", "finished_with_errors")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "stopped" in stderr
    assert harness.links()


async def test_a_crm_duplicate_refusal_names_the_record_it_clashes_with(harness: Any):
    await harness.configure(module="accounts", direction="both_ways", duplicates="overwrite")
    account = next(iter(harness.world.crm["Accounts"].records.values()))
    name = account["Account_Name"]
    async with harness.clients() as clients:  # two Billing customers for the one CRM account
        for email in ("one@twin.example", "two@twin.example"):
            await clients.billing.create_customer(
                {"display_name": name, "company_name": name, "email": email}
            )
    report = await harness.sync()
    linked = {link.crm_id: link.billing_id for link in harness.links()}
    clash = [m for m in report.error_messages if f"Accounts {account['id']}" in m]
    assert clash and f"linked to Billing customer {linked[account['id']]}" in clash[0]
    assert "merge them in Billing" in clash[0]


async def test_a_billing_customer_who_is_also_a_contact_person_is_named_as_such(harness: Any):
    await harness.configure(
        module="accounts_and_contacts", direction="both_ways", duplicates="overwrite"
    )
    await harness.sync()
    person = next(link for link in harness.links() if link.billing_entity == "contact_person")
    email = harness.world.crm["Contacts"].records[person.crm_id]["Email"]
    async with harness.clients() as clients:  # the same person, now a customer of their own
        await clients.billing.create_customer(
            {"display_name": "Walk-in", "first_name": "Walk", "last_name": "In", "email": email}
        )
    report = await harness.sync()
    clash = [m for m in report.error_messages if f"Contacts {person.crm_id}" in m]
    assert clash, report.error_messages
    assert f"contact person of Billing customer {person.billing_parent_id}" in clash[0]
