"""Push, unlink and links import (sync/actions.py, sync/links_csv.py) against the sandbox over
loopback, through the service, the commands and the store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import select

from zsync_tui.cli import main
from zsync_tui.store import Conflict, DuplicateMatch, JournalEntry, RecordLink
from zsync_tui.sync.config import ConfigError
from zsync_tui.sync.links_csv import LinksImportError, write_links_csv


def _requests(harness: Any, method: str, path_part: str) -> int:
    stats = harness.admin("GET", "stats")
    return sum(
        row["count"]
        for row in stats["requests"]
        if row["method"] == method and path_part in row["path"]
    )


def _account_links(harness: Any) -> list[RecordLink]:
    return sorted(
        (
            link
            for link in harness.links()
            if link.crm_module == "Accounts" and link.billing_entity == "customer"
        ),
        key=lambda link: int(link.id or 0),
    )


def _decisions(report: Any) -> set[tuple[str, str | None, str | None, str | None]]:
    """A plan's items as (action, CRM id, Billing id, reason)."""
    return {(i.action, i.crm_id, i.billing_id, i.reason) for i in report.items}


async def _synced(harness: Any, **config: Any) -> list[RecordLink]:
    await harness.configure(**{"duplicates": "overwrite", **config})
    await harness.sync()
    assert (await harness.sync()).write_calls == 0
    return _account_links(harness)


async def _edit_billing(harness: Any, customer_id: str, **fields: Any) -> None:
    """An edit made in Billing that no sync has seen yet."""
    async with harness.clients() as clients:
        await clients.billing.update_customer(customer_id, fields)


async def _cli(*args: str) -> Any:
    """The command line, on a thread of its own (commands run their own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, main, list(args))


async def test_push_sends_billing_values_in_one_crm_call_and_the_next_run_writes_nothing(
    harness: Any,
):
    links = (await _synced(harness, direction="both_ways"))[:3]
    for number, link in enumerate(links):
        await _edit_billing(harness, link.billing_id, phone=f"+1 555 010{number}", notes="pushed")
    crm_puts, billing_gets = (
        _requests(harness, "PUT", "/crm/"),
        _requests(harness, "GET", "/billing/"),
    )

    report = await harness.service.push([int(link.id or 0) for link in links])

    assert (report.status, report.errors, report.updated["crm"]) == ("ok", 0, 3), report.as_dict()
    assert report.write_calls == 1
    assert _requests(harness, "PUT", "/crm/") - crm_puts == 1  # three records, one call
    assert _requests(harness, "GET", "/billing/") - billing_gets == 3
    records = harness.world.crm["Accounts"].records
    for number, link in enumerate(links):
        assert records[link.crm_id]["Phone"] == f"+1 555 010{number}"
        assert records[link.crm_id]["Description"] == "pushed"
    with harness.runtime.store.read() as session:
        journal = session.exec(
            select(JournalEntry).where(JournalEntry.run_id == report.run_id)
        ).all()
    assert sorted(entry.remote_id for entry in journal) == sorted(link.crm_id for link in links)
    assert all(entry.action == "update" and entry.side == "crm" for entry in journal)
    writes = harness.writes()
    again = await harness.sync()
    assert again.write_calls == 0, again.as_dict()  # no echo back to Billing
    assert harness.writes() == writes
    # A full run compares every pair again (it also retries records Billing refused before).
    assert (await harness.sync(full=True)).updated == {"crm": 0, "billing": 0}


async def test_push_overrides_a_crm_edit_and_settles_its_conflict(harness: Any):
    link = (await _synced(harness, direction="both_ways"))[0]
    async with harness.clients() as clients:
        await clients.crm.update("Accounts", [{"id": link.crm_id, "Phone": "111"}])
        await clients.billing.update_customer(link.billing_id, {"phone": "222"})
    assert (await harness.sync()).conflicts == 1
    report = await harness.service.push([int(link.id or 0)])
    assert report.updated["crm"] == 1, report.as_dict()
    assert harness.world.crm["Accounts"].records[link.crm_id]["Phone"] == "222"
    with harness.runtime.store.read() as session:
        assert session.exec(select(Conflict).where(Conflict.state == "open")).all() == []
    assert (await harness.sync()).write_calls == 0


async def test_push_of_values_crm_already_has_writes_nothing(harness: Any):
    links = await _synced(harness, direction="both_ways")
    report = await harness.service.push([int(links[0].id or 0)])
    assert (report.write_calls, report.skipped_by_reason) == (0, {"CRM already agrees": 1})


async def test_push_reports_each_record_that_fails_and_sends_the_rest(harness: Any):
    deleted, refused, fine = (await _synced(harness, direction="both_ways"))[:3]
    await _edit_billing(harness, refused.billing_id, phone="+1 555 " + "0" * 33)  # CRM: ≤ 30
    await _edit_billing(harness, fine.billing_id, phone="+1 555 0142")
    async with harness.clients() as clients:
        await clients.crm.delete("Accounts", [deleted.crm_id])
    chosen = [deleted, refused, fine]
    report = await harness.service.push([int(link.id or 0) for link in chosen] + [999_999])
    assert report.status == "finished_with_errors"
    reasons = {item.crm_id: item.reason or "" for item in report.items if item.action == "error"}
    assert "was not found" in reasons[deleted.crm_id]
    assert "CRM refused the update: INVALID_DATA" in reasons[refused.crm_id]
    assert fine.crm_id not in reasons
    assert report.updated["crm"] == 1  # only what CRM took
    assert any("link 999999: no such link" in message for message in report.error_messages)
    assert harness.world.crm["Accounts"].records[fine.crm_id]["Phone"] == "+1 555 0142"
    with harness.runtime.store.read() as session:
        kept = session.get(RecordLink, refused.id)
    assert kept is not None  # as before the push: the next run compares the pair again
    assert (kept.crm_hash, kept.last_values_json) == (refused.crm_hash, refused.last_values_json)


async def test_push_batches_a_hundred_records_per_crm_call(
    sandbox_factory: Any, make_harness: Any, runtime: Any
):
    sandbox = sandbox_factory(
        accounts=1,
        contacts=130,
        customers=0,
        duplicates=0,
        deals=0,
        billing_calls_per_minute=100_000,
        billing_calls_per_day=1_000_000,
    )
    harness = make_harness(sandbox, runtime)
    await harness.connect()
    await _synced(harness, module="contacts", direction="both_ways")
    links = [link for link in harness.links() if link.crm_module == "Contacts"]
    assert 100 < len(links) <= 130  # the seed leaves a few contacts without an email
    records = harness.world.crm["Contacts"].records
    for link in links:  # CRM drifts without a sync seeing it: push puts Billing's back
        records[link.crm_id]["Phone"] = "drifted"
    reads, puts = _requests(harness, "GET", "/crm/v8/Contacts"), _requests(harness, "PUT", "/crm/")
    report = await harness.service.push([int(link.id or 0) for link in links])
    assert (report.errors, report.updated["crm"]) == (0, len(links)), report.as_dict()
    assert _requests(harness, "PUT", "/crm/") - puts == 2  # a hundred, then the rest
    assert _requests(harness, "GET", "/crm/v8/Contacts") - reads == 2
    assert all(records[link.crm_id]["Phone"] != "drifted" for link in links)
    assert (await harness.sync()).write_calls == 0


async def test_push_is_refused_with_the_reason_when_the_profile_only_fetches(harness: Any):
    links = await _synced(harness, direction="fetch_from_crm")
    writes = harness.writes()
    with pytest.raises(ConfigError, match="only fetches from CRM"):
        await harness.service.push([int(links[0].id or 0)])
    assert harness.writes() == writes
    result = await _cli("push", links[0].crm_id)
    assert result.exit_code == 2
    assert "direction = both_ways" in result.output


async def test_unlinked_pair_is_neither_relinked_nor_copied_until_imported_again(
    harness: Any, tmp_path: Path
):
    links = await _synced(harness, direction="both_ways")
    target = links[0]
    customers = len(harness.world.customers)
    accounts = len(harness.world.crm["Accounts"].records)
    planned_before = _decisions(await harness.service.plan(full=True))

    assert harness.service.unlink([int(target.id or 0)]) == 1

    assert all(link.crm_id != target.crm_id for link in harness.links())
    assert target.billing_id in harness.world.customers
    assert target.crm_id in harness.world.crm["Accounts"].records
    with harness.runtime.store.read() as session:
        journal = session.exec(select(JournalEntry).where(JournalEntry.action == "unlink")).one()
    assert json.loads(journal.before_json or "{}")["billing_id"] == target.billing_id
    # A full plan differs from before only by the unlinked record, skipped with the reason:
    # no link, no Billing copy, and the Billing customer is neither matched nor sent to CRM.
    planned_after = _decisions(await harness.service.plan(full=True))
    assert planned_after - planned_before == {
        ("skip", target.crm_id, None, "unlinked by the admin")
    }
    assert all(item[2] != target.billing_id for item in planned_after)
    for full in (True, False):
        report = await harness.sync(full=full)
        assert (report.created["crm"], report.linked, report.updated) == (
            0,
            0,
            {"crm": 0, "billing": 0},
        ), report.as_dict()
    assert all(link.crm_id != target.crm_id for link in harness.links())
    assert all(link.billing_id != target.billing_id for link in harness.links())
    assert len(harness.world.customers) == customers
    assert len(harness.world.crm["Accounts"].records) == accounts
    assert harness.service.status()["excluded"]["unlinked by the admin"] == 1

    csv_path = tmp_path / "again.csv"
    csv_path.write_text(
        f"crm_module,crm_id,billing_id\nAccounts,{target.crm_id},{target.billing_id}\n",
        encoding="utf-8",
    )
    assert harness.service.import_links(csv_path) == 1
    with harness.runtime.store.read() as session:
        states = session.exec(
            select(DuplicateMatch.state).where(DuplicateMatch.crm_id == target.crm_id)
        ).all()
    assert "unlinked" not in states
    await harness.sync()
    assert (await harness.sync()).write_calls == 0
    relinked = [link for link in harness.links() if link.crm_id == target.crm_id]
    assert [link.billing_id for link in relinked] == [target.billing_id]
    assert relinked[0].crm_hash is not None  # compared as a first link, and agreed


async def test_unlinking_an_account_forgets_its_contact_persons_and_creates_none(harness: Any):
    await harness.configure(module="accounts_and_contacts", duplicates="overwrite")
    await harness.sync()
    persons = [link for link in harness.links() if link.billing_entity == "contact_person"]
    parent = next(
        link
        for link in harness.links()
        if link.billing_entity == "customer"
        and any(p.billing_parent_id == link.billing_id for p in persons)
    )
    children = [p for p in persons if p.billing_parent_id == parent.billing_id]
    planned_before = _decisions(await harness.service.plan(full=True))
    assert harness.service.unlink([int(parent.id or 0)]) == 1 + len(children)
    planned_after = _decisions(await harness.service.plan(full=True))
    assert planned_after - planned_before == {
        ("skip", parent.crm_id, None, "unlinked by the admin"),
        *(("skip", child.crm_id, None, "its account is not synced") for child in children),
    }


async def test_unlink_and_push_commands_take_crm_or_billing_ids(harness: Any):
    links = await _synced(harness, direction="both_ways")
    unknown = await _cli("unlink", "no-such-id")
    assert unknown.exit_code == 2
    assert "not linked: no-such-id" in unknown.output
    result = await _cli("unlink", links[0].crm_id, links[1].billing_id)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 links forgotten")
    left = {link.crm_id for link in harness.links()}
    assert links[0].crm_id not in left and links[1].crm_id not in left
    await _edit_billing(harness, links[2].billing_id, phone="+1 555 0177")
    pushed = await _cli("push", "--json", links[2].billing_id)
    assert pushed.exit_code == 0, pushed.output
    assert json.loads(pushed.output)["updated"] == {"crm": 1, "billing": 0}
    assert harness.world.crm["Accounts"].records[links[2].crm_id]["Phone"] == "+1 555 0177"


async def test_import_refuses_the_whole_file_with_a_message_per_bad_row(
    harness: Any, tmp_path: Path
):
    links = await _synced(harness)
    exported = tmp_path / "links.csv"
    profile_id = links[0].profile_id
    write_links_csv(harness.runtime.store, profile_id, exported)
    harness.service.unlink([int(link.id or 0) for link in links[:2]])
    before = len(harness.links())
    bad = tmp_path / "bad.csv"
    rows = exported.read_text(encoding="utf-8").splitlines()
    rows += [
        "Deals,77,customer,5,,import,linked",
        f"Accounts,{links[2].crm_id},customer,elsewhere,,import,linked",
        "Accounts,,customer,6,,import,linked",
        "Contacts,88,contact_person,9,,import,linked",
    ]
    bad.write_text("\n".join(rows) + "\n", encoding="utf-8")

    with pytest.raises(LinksImportError) as refused:
        harness.service.import_links(bad)

    problems = refused.value.problems
    assert len(problems) == 4, problems
    assert "crm_module 'Deals' is not one of Accounts, Contacts" in problems[0]
    assert f"CRM Accounts {links[2].crm_id} is also on line" in problems[1]
    assert "crm_id empty" in problems[2]
    assert "needs its billing_parent_id" in problems[3]
    assert all(problem.startswith("line ") for problem in problems)
    assert len(harness.links()) == before  # the two good rows were not imported either
    result = await _cli("links", "import", str(bad))
    assert result.exit_code == 2
    assert "nothing imported" in result.output and "line " in result.output
    assert len(harness.links()) == before
    good = await _cli("links", "import", str(exported))
    assert good.exit_code == 0, good.output
    assert good.output.startswith(f"2 links imported, {before} already present")


async def test_import_refuses_a_row_that_clashes_with_a_stored_link(harness: Any, tmp_path: Path):
    links = await _synced(harness)
    clash = tmp_path / "clash.csv"
    clash.write_text(
        f"crm_module,crm_id,billing_id\nAccounts,{links[0].crm_id},{links[1].billing_id}\n",
        encoding="utf-8",
    )
    with pytest.raises(LinksImportError, match="already linked to Billing customer"):
        harness.service.import_links(clash)
    missing = tmp_path / "missing.csv"
    missing.write_text("crm_id,billing_id\n1,2\n", encoding="utf-8")
    with pytest.raises(LinksImportError, match="missing columns crm_module"):
        harness.service.import_links(missing)


async def test_push_is_refused_for_a_second_billing_org_of_the_same_crm_org(harness: Any):
    from zsync_tui.store import Profile
    from zsync_tui.sync.config import IntegrationConfig
    from zsync_tui.sync.service import SyncService

    crm_org_id = harness.service.profile().crm_org_id
    with harness.runtime.store.write() as session:
        session.add(Profile(name="first-org", crm_org_id=crm_org_id, billing_org_id="1"))
    await harness.connect("second")
    second = SyncService(harness.runtime, "second", options=harness.options)
    second.set_enabled(True)
    await second.save_config(IntegrationConfig(direction="fetch_from_crm", duplicates="clone"))
    await second.run()
    with harness.runtime.store.read() as session:
        link = session.exec(
            select(RecordLink).where(RecordLink.profile_id == second.profile().id)
        ).first()
    assert link is not None
    # Even set to both ways (as an older configuration could be), the second org never leads.
    second._store_config(IntegrationConfig(direction="both_ways", duplicates="clone"))
    writes = harness.writes()
    with pytest.raises(ConfigError, match="second one linked to the same CRM organization"):
        await second.push([int(link.id or 0)])
    assert harness.writes() == writes
