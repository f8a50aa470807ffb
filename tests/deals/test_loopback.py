"""Deal triggers over loopback HTTP against the sandbox, with a real store on disk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import pytest

from zsync_tui.sync.config import ConfigError, IntegrationConfig
from zsync_tui.sync.deals.links import LinkRefused
from zsync_tui.sync.deals.stages import stage_problems

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def test_each_trigger_path_with_probabilities_from_the_sandbox(harness: Any) -> None:
    await harness.setup()
    deal = harness.deal_with_account()
    baseline = await harness.poll()
    assert baseline.status == "baseline"
    idle = await harness.poll()
    assert (idle.crm_calls, idle.billing_calls, idle.deals_read) == (1, 0, 0)

    await harness.move(deal, "Proposal/Price Quote")
    await harness.poll()
    (quote,), _ = harness.documents_of(deal)
    assert quote["status"] == "draft" and quote["line_items"][0]["rate"] > 0

    await harness.move(deal, "Negotiation/Review")
    await harness.poll()
    assert quote["status"] == "accepted"

    await harness.move(deal, "Closed Won")
    report = await harness.poll()
    _, (invoice,) = harness.documents_of(deal)
    assert invoice["status"] == "draft"
    assert [o.action for o in report.outcomes] == ["create_invoice"]

    await harness.move(deal, "Closed Lost")
    await harness.poll()
    assert invoice["status"] == "void"

    await harness.move(deal, "Closed Won")
    await harness.poll()
    _, invoices = harness.documents_of(deal)
    assert sorted(i["status"] for i in invoices) == ["draft", "void"]
    assert sorted(i["reference_number"] for i in invoices) == [f"ZS-{deal}-I1", f"ZS-{deal}-I2"]

    writes = harness.writes()
    again = await harness.poll()
    assert harness.writes() == writes and again.crm_calls == 1


async def test_stages_are_checked_against_the_sandbox_pipeline(harness: Any) -> None:
    await harness.setup()
    config = IntegrationConfig.from_mapping(
        {"triggers": {"enabled": True, "quote_create_stages": ["Pitching"]}}
    )
    with pytest.raises(ConfigError) as refused:
        await harness.deals.check_stages(config.triggers)
    assert "no stage 'Pitching'" in str(refused.value)
    assert "Closed Won" in str(refused.value), "the stages that exist are listed"
    async with harness.clients() as (crm, _):
        problems = await stage_problems(config.triggers, crm)
        assert [key for key, _ in problems] == ["triggers.quote_create_stages.0"]
        fine = IntegrationConfig.from_mapping(
            {"triggers": {"enabled": True, "quote_create_stages": ["Qualification"]}}
        )
        assert await stage_problems(fine.triggers, crm) == []


async def test_an_invoice_changed_by_hand_in_billing_is_locked(harness: Any) -> None:
    await harness.setup()
    deal = harness.deal_with_account()
    await harness.poll()
    await harness.move(deal, "Closed Won")
    await harness.poll()
    _, (invoice,) = harness.documents_of(deal)
    await harness.billing_call("POST", f"/invoices/{invoice['invoice_id']}/converttoopen")
    await harness.move(deal, "Closed Lost")
    report = await harness.poll()
    assert invoice["status"] == "sent", "not voided"
    assert report.locked == [(deal, invoice["invoice_id"], "status changed in Billing to sent")]
    listed = {s.deal_id: s for s in harness.deals.deals()}
    assert listed[deal].locked[0]["billing_id"] == invoice["invoice_id"]


async def test_a_deal_without_an_account_is_skipped_with_its_reason(harness: Any) -> None:
    await harness.setup()
    deal = harness.deal_with_account()
    await harness.poll()
    await harness.move(deal, "Closed Won", Account_Name=None)
    report = await harness.poll()
    assert report.skipped == [(deal, "the deal has no Account")]
    assert harness.documents_of(deal) == ([], [])
    listed = {s.deal_id: s for s in harness.deals.deals()}
    assert listed[deal].skipped == "the deal has no Account"


@pytest.mark.parametrize("crash_at", ["1", "2"])
async def test_a_kill_between_create_and_commit_leaves_exactly_one_invoice(
    harness: Any, crash_at: str
) -> None:
    await harness.setup()
    deal = harness.deal_with_account()
    await harness.poll()
    await harness.move(deal, "Closed Won")
    creds = harness.running.credentials
    env = {
        **os.environ,
        "ZSYNC_CRASH_AT": crash_at,  # 1: after recording, 2: after Billing answered
        "ZSYNC_CLIENT_SECRET": creds["client_secret"],
        "ZSYNC_REFRESH_TOKEN": creds["refresh_token"],
    }
    killed = subprocess.run(
        [sys.executable, "-m", "zsync_tui", "deals", "poll", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Killed at the checkpoint: SIGKILL (-9), or exit 137 where the hook exits instead.
    assert killed.returncode in (-signal.SIGKILL, 137), killed.stderr
    made = len(harness.documents_of(deal)[1])
    assert made == (1 if crash_at == "2" else 0)
    await harness.poll()
    await harness.poll()
    _, invoices = harness.documents_of(deal)
    assert len(invoices) == 1
    row = harness.deals.ledger().get(deal, "create_invoice", 1)
    assert row.state == "done" and row.billing_id == invoices[0]["invoice_id"]


async def test_link_and_unlink_rules(harness: Any) -> None:
    await harness.setup()
    deal = harness.deal_with_account()
    await harness.poll()
    await harness.move(deal, "Closed Won")
    await harness.poll()
    _, (trigger_invoice,) = harness.documents_of(deal)
    customer = harness.world.customers[trigger_invoice["customer_id"]]
    other = next(c for c in harness.world.customers.values() if c is not customer)

    async with harness.clients() as (_, billing):
        mine = await billing.create_estimate(
            {"customer_id": customer["customer_id"], "line_items": [{"name": "Extra", "rate": 5}]}
        )
        theirs = await billing.create_invoice(
            {
                "customer_id": other["customer_id"],
                "invoice_items": [{"name": "X", "rate": 1}],
                "date": "2026-01-01",
            }
        )
    linked = await harness.deals.link(deal, "estimate", mine["estimate_id"])
    assert (
        linked.on_billing
        and harness.world.estimates[mine["estimate_id"]]["zcrm_potential_id"] == deal
    )
    with pytest.raises(LinkRefused, match="belongs to customer"):
        await harness.deals.link(deal, "invoice", theirs["invoice_id"])
    with pytest.raises(LinkRefused, match="made by a deal-stage trigger"):
        await harness.deals.unlink(deal, "invoice", trigger_invoice["invoice_id"])
    unlinked = await harness.deals.unlink(deal, "estimate", mine["estimate_id"])
    assert unlinked.on_billing
    assert harness.world.estimates[mine["estimate_id"]]["zcrm_potential_id"] == ""
    links = harness.deals.ledger().links(deal)
    assert {(link.billing_id, link.origin) for link in links} == {
        (trigger_invoice["invoice_id"], "trigger")
    }


async def test_a_simulation_writes_nothing(harness: Any) -> None:
    await harness.setup()
    deal = harness.deal_with_account()
    await harness.poll()
    writes, rows = harness.writes(), len(harness.deals.ledger().rows())
    result = await harness.deals.simulate(deal, "Closed Won")
    assert [a.action for a in result.decision.actions] == ["create_invoice"]
    assert result.probability == 100 and result.customer_id
    assert harness.writes() == writes
    assert len(harness.deals.ledger().rows()) == rows
    assert harness.documents_of(deal) == ([], [])


async def test_invoices_and_sales_orders_carry_the_link_on_the_billing_record(
    harness: Any,
) -> None:
    await harness.setup()
    deal = harness.deal_with_account()
    customer_id = await _customer_of(harness, deal)
    async with harness.clients() as (_, billing):
        invoice = await billing.create_invoice(
            {
                "customer_id": customer_id,
                "invoice_items": [{"name": "X", "rate": 3}],
                "date": "2026-01-01",
            }
        )
        order = await billing.create_sales_order(
            {"customer_id": customer_id, "line_items": [{"name": "Y", "rate": 4}]}
        )
    await harness.deals.link(deal, "invoice", invoice["invoice_id"])
    await harness.deals.link(deal, "salesorder", order["salesorder_id"])
    assert harness.world.invoices[invoice["invoice_id"]]["reference_number"] == f"DEAL-{deal}"
    assert harness.world.salesorders[order["salesorder_id"]]["zcrm_potential_id"] == deal
    await harness.deals.unlink(deal, "invoice", invoice["invoice_id"])
    assert harness.world.invoices[invoice["invoice_id"]]["reference_number"] == ""
    assert [link.billing_id for link in harness.deals.ledger().links(deal)] == [
        order["salesorder_id"]
    ]


def test_the_deals_commands(harness: Any) -> None:
    import asyncio
    import json

    from click.testing import CliRunner

    from zsync_tui.cli import main

    asyncio.run(harness.setup())
    deal = harness.deal_with_account()
    asyncio.run(harness.deals.poll_once())
    runner = CliRunner()
    simulated = runner.invoke(main, ["deals", "simulate", deal, "--stage", "Closed Won"])
    assert simulated.exit_code == 0, simulated.output
    assert "would create invoice" in simulated.output
    unknown = runner.invoke(main, ["deals", "simulate", deal, "--stage", "Won-ish"])
    assert unknown.exit_code == 1 and "no stage 'Won-ish'" in unknown.output
    asyncio.run(harness.move(deal, "Closed Won"))
    polled = runner.invoke(main, ["deals", "poll", "--json"])
    assert polled.exit_code == 0, polled.output
    assert json.loads(polled.output)["actions"][0]["action"] == "create_invoice"
    listed = [
        json.loads(line)
        for line in runner.invoke(main, ["deals", "list", "--json"]).output.splitlines()
    ]
    (entry,) = [e for e in listed if e["deal_id"] == deal]
    invoice_id = entry["links"][0]["billing_id"]
    refused = runner.invoke(main, ["deals", "unlink", deal, "--invoice", invoice_id])
    assert refused.exit_code == 1 and "made by a deal-stage trigger" in refused.output
    usage = runner.invoke(main, ["deals", "link", deal])
    assert usage.exit_code == 2 and "exactly one of" in usage.output


async def _customer_of(harness: Any, deal: str) -> str:
    account = harness.world.crm["Deals"].records[deal]["Account_Name"]["id"]
    links = harness.deals.ledger().customer_links("Accounts", [account])
    return str(links[account])


async def test_a_paid_invoice_is_never_voided(harness: Any) -> None:
    await harness.setup()
    deal = harness.deal_with_account()
    await harness.poll()
    await harness.move(deal, "Closed Won")
    await harness.poll()
    _, (invoice,) = harness.documents_of(deal)
    await harness.billing_call("POST", f"/invoices/{invoice['invoice_id']}/converttoopen")
    harness.admin("POST", f"invoices/{invoice['invoice_id']}/pay", {})
    await harness.move(deal, "Closed Lost")
    report = await harness.poll()
    assert invoice["status"] == "paid"
    assert report.locked == [
        (deal, invoice["invoice_id"], "paid in Billing; a paid invoice is never voided")
    ]
    assert not [o for o in report.outcomes if o.action == "void_invoice"]


async def test_a_deal_of_an_account_billing_lacks_gets_it_imported_first(harness: Any) -> None:
    await harness.setup()
    await harness.poll()
    harness.admin("POST", "clock", {"advance": 2})
    async with harness.clients() as (crm, _):
        (account,) = await crm.insert("Accounts", [{"Account_Name": "Newco Trading Ltd"}])
        (contact,) = await crm.insert(
            "Contacts",
            [
                {
                    "Last_Name": "Doe",
                    "Email": "doe@newco.example",
                    "Account_Name": {"id": account.id},
                }
            ],
        )
        (deal,) = await crm.insert(
            "Deals",
            [
                {
                    "Deal_Name": "Newco pilot",
                    "Stage": "Qualification",
                    "Amount": 900,
                    "Account_Name": {"id": account.id},
                }
            ],
        )
    assert account.ok and contact.ok and deal.ok
    await harness.poll()
    await harness.move(str(deal.id), "Closed Won")
    report = await harness.poll()
    assert [o.action for o in report.outcomes] == ["create_invoice"], report.as_dict()
    _, (invoice,) = harness.documents_of(str(deal.id))
    customer = harness.world.customers[invoice["customer_id"]]
    assert customer["display_name"] == "Newco Trading Ltd"


def test_zsync_run_polls_the_deals_between_customer_syncs(harness: Any) -> None:
    import asyncio

    from click.testing import CliRunner

    from zsync_tui.cli import main

    asyncio.run(harness.setup())
    deal = harness.deal_with_account()
    asyncio.run(harness.deals.poll_once())
    asyncio.run(harness.move(deal, "Closed Won"))
    ran = CliRunner().invoke(main, ["run", "--once"])
    assert ran.exit_code == 0, ran.output
    _, invoices = harness.documents_of(deal)
    assert len(invoices) == 1
    assert '"create_invoice"' in ran.output
