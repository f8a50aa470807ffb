"""Engine behaviour over in-memory clients (the sandbox-over-loopback tests come next)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from zsync_tui.store import Conflict, DuplicateMatch, OutboxIntent, RecordLink
from zsync_tui.sync.config import IntegrationConfig
from zsync_tui.sync.engine import CustomerSync
from zsync_tui.zoho.errors import ValidationFailed


async def run(world: Any, config: IntegrationConfig | None = None, **kwargs: Any):
    config = config or IntegrationConfig(duplicates="overwrite")
    engine = CustomerSync(config, world.crm, world.billing, world.ledger, **kwargs)
    return await engine.run()


def links(world: Any) -> list[RecordLink]:
    with world.ledger.store.read() as session:
        return list(session.exec(select(RecordLink)).all())


async def test_first_run_creates_both_ways_and_second_run_writes_nothing(world):
    a = world.crm.add_account("Acme Ltd", Phone="555 0101", Billing_City="Leeds")
    world.crm.add_account("Globex", Phone="555 0102")
    world.billing.add(
        display_name="ACME Limited", company_name="ACME Limited", email="a@acme.example"
    )
    world.billing.add(display_name="Initech", company_name="Initech", email="x@initech.example")
    plan = await run(world, dry_run=True)
    assert (plan.created, plan.linked) == ({"crm": 1, "billing": 1}, 1)
    assert world.crm.writes == world.billing.writes == 0
    first = await run(world)
    assert first.status == "ok", first.error_messages
    assert first.created == {"crm": 1, "billing": 1} and first.linked == 1
    assert len(links(world)) == 3
    acme = next(link for link in links(world) if link.crm_id == a)
    assert world.billing.customers[acme.billing_id]["billing_address"]["city"] == "Leeds"
    assert world.billing.customers[acme.billing_id]["display_name"] == "Acme Ltd"
    second = await run(world)
    assert second.write_calls == 0, second.as_dict()
    third = await run(world)
    assert third.write_calls == 0


async def test_one_edit_makes_one_write_and_no_echo(world):
    a = world.crm.add_account("Acme", Phone="1")
    await run(world)
    await run(world)
    world.crm.edit("Accounts", a, Phone="2")
    report = await run(world)
    assert (report.write_calls, report.updated) == (1, {"crm": 0, "billing": 1})
    assert (await run(world)).write_calls == 0
    billing_id = links(world)[0].billing_id
    world.billing.edit(billing_id, website="acme.example")
    report = await run(world)
    assert (report.write_calls, report.updated) == (1, {"crm": 1, "billing": 0})
    assert world.crm.records["Accounts"][a]["Website"] == "acme.example"
    assert (await run(world)).write_calls == 0


async def test_both_sides_edited_merge_or_conflict(world):
    a = world.crm.add_account("Acme", Phone="1", Website="w")
    await run(world, IntegrationConfig())
    billing_id = links(world)[0].billing_id
    world.crm.edit("Accounts", a, Phone="crm-phone", Website="w2")
    world.billing.edit(billing_id, phone="billing-phone", notes="note")
    report = await run(world, IntegrationConfig())
    assert report.conflicts == 1
    assert world.billing.customers[billing_id]["website"] == "w2"
    assert world.crm.records["Accounts"][a]["Description"] == "note"
    with world.ledger.store.read() as session:
        conflict = session.exec(select(Conflict)).one()
    assert (conflict.field, conflict.base_value, conflict.crm_value, conflict.billing_value) == (
        "phone",
        "1",
        "crm-phone",
        "billing-phone",
    )
    crm_wins = IntegrationConfig.from_mapping({"default_policy": "crm_wins"})
    world.billing.edit(billing_id, phone="billing-phone-2")
    await run(world, crm_wins)
    assert world.billing.customers[billing_id]["phone"] == "crm-phone"


async def test_duplicate_policies(world):
    world.crm.add_account("Smith & Sons Ltd")
    customer = world.billing.add(display_name="smith and sons", company_name="smith and sons")
    review = await run(world, IntegrationConfig(duplicates="review", direction="fetch_from_crm"))
    assert review.skipped_by_reason == {"duplicate waiting for review": 1}
    with world.ledger.store.read() as session:
        match = session.exec(select(DuplicateMatch)).one()
    assert match.billing_id == customer and "same name once normalised" in match.reasons
    assert links(world) == []
    clone = await run(
        world, IntegrationConfig(duplicates="clone", direction="fetch_from_crm"), full=True
    )
    assert clone.created["billing"] == 1
    assert len(world.billing.customers) == 2


async def test_crm_delete_marks_the_link_and_never_deletes_in_billing(world):
    a = world.crm.add_account("Acme")
    await run(world)
    world.crm.delete("Accounts", a)
    report = await run(world)
    assert report.crm_deleted == 1
    assert links(world)[0].state == "crm_deleted"
    assert len(world.billing.customers) == 1
    assert (await run(world)).write_calls == 0


async def test_pending_billing_create_is_adopted_not_repeated(world):
    a = world.crm.add_account("Acme")
    world.ledger.record_intents(
        None, "billing", "create_customer", [(f"Accounts:{a}", {"display_name": "Acme"})]
    )
    world.billing.add(display_name="Acme", company_name="Acme")  # made, then the process died
    report = await run(world, IntegrationConfig(duplicates="clone"))
    assert report.created == {"crm": 0, "billing": 0}
    assert len(world.billing.customers) == 1
    assert links(world)[0].crm_id == a
    with world.ledger.store.read() as session:
        assert session.exec(select(OutboxIntent)).one().state == "adopted"


async def test_accounts_and_contacts_make_contact_persons(world):
    a = world.crm.add("Accounts", Account_Name="Acme")
    world.crm.add(
        "Contacts",
        First_Name="Ann",
        Last_Name="Lee",
        Email="ann@acme.example",
        Account_Name={"id": a, "name": "Acme"},
    )
    world.crm.add("Contacts", Last_Name="Solo", Email="solo@example.org")
    config = IntegrationConfig(module="accounts_and_contacts", direction="fetch_from_crm")
    report = await run(world, config)
    assert report.created["billing"] == 2
    assert report.skipped_by_reason == {"contact has no account": 1}
    (persons,) = world.billing.persons.values()
    assert [p["email"] for p in persons.values()] == ["ann@acme.example"]
    assert (await run(world, config)).write_calls == 0


async def test_a_resolved_conflict_is_written_where_it_is_not_yet(world):
    from zsync_tui.sync.ledger import link_values, store_link_values

    a = world.crm.add_account("Acme", Phone="1")
    await run(world, IntegrationConfig())
    billing_id = links(world)[0].billing_id
    world.crm.edit("Accounts", a, Phone="crm")
    world.billing.edit(billing_id, phone="billing")
    assert (await run(world, IntegrationConfig())).conflicts == 1
    with world.ledger.store.write() as session:
        link = session.exec(select(RecordLink)).one()
        values = link_values(link)
        values["override"]["phone"] = "chosen"
        store_link_values(
            link, values["base"], values["crm"], values["billing"], values["override"]
        )
        link.billing_hash = None
        link.billing_modified_time = None
        session.add(link)
    report = await run(world, IntegrationConfig())
    assert report.conflicts == 0 and report.write_calls == 2
    assert world.crm.records["Accounts"][a]["Phone"] == "chosen"
    assert world.billing.customers[billing_id]["phone"] == "chosen"
    assert (await run(world, IntegrationConfig())).write_calls == 0


async def test_review_waits_then_the_admins_choice_is_applied(world):
    linked_crm = world.crm.add_account("Acme Ltd")
    created_crm = world.crm.add_account("Globex")
    acme = world.billing.add(display_name="ACME Limited", company_name="ACME Limited")
    world.billing.add(display_name="Globex Inc", company_name="Globex Inc")
    config = IntegrationConfig(duplicates="review")
    first = await run(world, config)
    assert first.skipped_by_reason == {"duplicate waiting for review": 2}
    again = await run(world, config, full=True)
    assert again.write_calls == 0 and again.created == {"crm": 0, "billing": 0}
    with world.ledger.store.write() as session:
        for match in session.exec(select(DuplicateMatch)).all():
            match.state = "approved" if match.crm_id == linked_crm else "rejected"
            session.add(match)
    for full in (False, True):
        plan = await run(world, config, dry_run=True, full=full)
        assert (plan.linked, plan.created["billing"], plan.write_calls) == (1, 1, 0)
    decided = await run(world, config)
    assert decided.linked == 1 and decided.created["billing"] == 1
    by_crm = {link.crm_id: link for link in links(world)}
    assert by_crm[linked_crm].billing_id == acme
    assert by_crm[created_crm].billing_id not in (acme,)
    assert (await run(world, config)).write_calls == 0


async def test_refused_and_unsent_creates_are_errors_not_creates(world, monkeypatch):
    world.crm.add_account("Acme")
    world.crm.add_account("Refused Co")
    world.crm.add("Accounts", Account_Name="No Email Ltd")  # no contact, so no email
    create = world.billing.create_customer

    async def refusing(body: dict[str, Any]) -> dict[str, Any]:
        if body["display_name"] == "Refused Co":
            world.billing.calls += 1
            raise ValidationFailed("Invalid value passed for website.", field="website")
        return await create(body)

    monkeypatch.setattr(world.billing, "create_customer", refusing)
    plan = await run(world, dry_run=True)
    assert plan.created == {"crm": 0, "billing": 2} and plan.errors == 1  # no email: foretold
    report = await run(world)
    assert report.created == {"crm": 0, "billing": 1} and report.errors == 2
    assert any(m.startswith("No Email Ltd: Not sent to Billing") for m in report.error_messages)
    assert any(m.startswith("Refused Co: Billing refused") for m in report.error_messages)
    assert [c["display_name"] for c in world.billing.customers.values()] == ["Acme"]
