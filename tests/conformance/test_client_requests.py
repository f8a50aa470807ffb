"""Our CRM and Billing clients, run against the sandbox, send only what the specs define.

Every exchange goes through `CheckingTransport`: path, query parameters, headers and JSON body
of each request are validated against the operation's request definition, and each answer
against its response schema, while the real clients do their work.
"""

from __future__ import annotations

from typing import Any

from zsync_tui.zoho.crm import all_of, criterion

#: Query parameters our client sends that an operation's spec does not declare, and why. Anything
#: else undeclared fails the test.
UNDECLARED_BUT_DOCUMENTED = {
    # Billing's list operations declare no paging parameters, yet page/per_page and
    # `page_context` are how its lists page (zoho-api.md 3.2); `filter_by` is in the operation's
    # own description for customers.
    "billing GET /billing/v1/customers": {"page", "per_page", "filter_by"},
    "billing GET /billing/v1/customers/{customer_id}/contactpersons": {"page", "per_page"},
    "billing GET /billing/v1/estimates": {"page", "per_page"},
    "billing GET /billing/v1/invoices": {"page", "per_page", "customer_id"},
    # record.json documents `search` with criteria/email/phone/word only; `page` and `fields`
    # are in Zoho's search documentation (zoho-api.md 2.4).
    "crm GET /crm/v8/{module}/search": {"page", "fields"},
    # Count by criteria is in Zoho's count documentation (zoho-api.md 2.4), not in the spec.
    "crm GET /crm/v8/{module_api_name}/actions/count": {"criteria"},
}


def _check(transport: Any, checker: Any, beyond_known_gaps: Any) -> None:
    problems = beyond_known_gaps(transport.problems)
    assert not problems, "\n".join(problems)
    for key, names in checker.undeclared.items():
        extra = names - UNDECLARED_BUT_DOCUMENTED.get(key, set())
        assert not extra, f"{key}: sends undeclared {sorted(extra)}"


async def test_crm_client_requests_conform(
    open_checked_clients: Any, checker: Any, beyond_known_gaps: Any
) -> None:
    async with open_checked_clients() as (clients, transport):
        crm = clients.crm
        org = await crm.org()
        assert org.id
        user = await crm.current_user()
        assert await crm.user_by_email(user.email) is not None
        stages = await crm.stage_probabilities()
        assert stages
        assert await crm.custom_views("Accounts")
        assert await crm.pipelines()
        fields = ["Account_Name", "Phone", "Website", "Billing_City", "Owner"]
        accounts = [
            r async for page in crm.iter_records("Accounts", fields, per_page=5) for r in page
        ]
        assert accounts
        one = await crm.get_record("Accounts", accounts[0]["id"], ["Account_Name"])
        assert one["id"] == accounts[0]["id"]
        await crm.account_contacts(accounts[0]["id"], ["Last_Name", "Email"])
        name = accounts[0]["Account_Name"]
        assert await crm.search("Accounts", criteria=criterion("Account_Name", "equals", name))
        await crm.search(
            "Accounts",
            criteria=all_of(
                criterion("Account_Name", "starts_with", name[:3]),
                criterion("Account_Name", "equals", name),
            ),
            fields=["Account_Name"],
        )
        assert await crm.count("Accounts") >= len(accounts)
        created = await crm.insert("Accounts", [{"Account_Name": "Client Conformance"}], trigger=[])
        assert created[0].ok, created[0]
        new_id = created[0].id
        assert new_id
        await crm.update("Accounts", [{"id": new_id, "Phone": "+1 555 0199"}])
        upserted = await crm.upsert(
            "Accounts",
            [{"Account_Name": "Client Conformance", "Website": "https://client.example"}],
            duplicate_check_fields=["Account_Name"],
        )
        assert upserted[0].action == "update"
        assert (await crm.delete("Accounts", [new_id]))[0].ok
        deleted = [r async for page in crm.deleted_records("Accounts") for r in page]
        assert any(str(r.get("id")) == new_id for r in deleted)
    assert transport.exchanges, "no request went through the checking transport"
    _check(transport, checker, beyond_known_gaps)


async def test_crm_incremental_read_conforms(
    open_checked_clients: Any, checker: Any, beyond_known_gaps: Any
) -> None:
    async with open_checked_clients() as (clients, transport):
        pages = [
            page
            async for page in clients.crm.iter_records(
                "Contacts", ["Last_Name", "Email"], modified_since="2099-01-01T00:00:00+00:00"
            )
        ]
        assert pages == []
    assert any(e.path.endswith("/Contacts") for e in transport.exchanges)
    _check(transport, checker, beyond_known_gaps)


async def test_billing_client_requests_conform(
    open_checked_clients: Any, checker: Any, beyond_known_gaps: Any
) -> None:
    async with open_checked_clients() as (clients, transport):
        billing = clients.billing
        organizations = await billing.organizations()
        assert organizations
        customers = [c async for page in billing.list_customers() for c in page]
        assert customers
        made = await billing.create_customer(
            {"display_name": "Client Conformance Ltd", "email": "billing@client.example"}
        )
        customer_id = made["customer_id"]
        await billing.get_customer(customer_id)
        await billing.update_customer(
            customer_id,
            {"display_name": "Client Conformance Ltd", "email": "billing@client.example"},
        )
        linked = [c for c in customers if c.get("zcrm_account_id")]
        if linked:
            found = await billing.customer_by_crm_reference(
                linked[0]["zcrm_account_id"], "zcrm_account_id"
            )
            assert found is not None
        assert (
            await billing.customer_by_crm_reference("4876876000999999001", "zcrm_account_id")
            is None
        )
        person = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@client.example"}
        made_person = await billing.create_contact_person(customer_id, person)
        person_id = made_person["contactperson_id"]
        assert await billing.list_contact_persons(customer_id)
        await billing.get_contact_person(customer_id, person_id)
        await billing.update_contact_person(customer_id, person_id, {**person, "phone": "1"})
        await billing.delete_contact_person(customer_id, person_id)
        line = {"name": "Consulting", "rate": 150.0, "quantity": 1}
        estimate = await billing.create_estimate({"customer_id": customer_id, "line_items": [line]})
        await billing.get_estimate(estimate["estimate_id"])
        whole_estimate = {"customer_id": customer_id, "line_items": [line], "custom_fields": []}
        await billing.update_estimate(
            estimate["estimate_id"], {**whole_estimate, "reference_number": "Q-1"}
        )
        assert await billing.list_estimates()
        await billing.mark_estimate(estimate["estimate_id"], "sent")
        await billing.mark_estimate(estimate["estimate_id"], "declined")
        invoice = await billing.create_invoice(
            {"customer_id": customer_id, "date": "2026-11-25", "invoice_items": [line]}
        )
        await billing.get_invoice(invoice["invoice_id"])
        whole_invoice = {"customer_id": customer_id, "invoice_items": [line]}
        await billing.update_invoice(
            invoice["invoice_id"], {**whole_invoice, "reference_number": "I-1"}
        )
        await billing.customer_custom_fields()
        assert await billing.list_invoices(customer_id=customer_id)
        await billing.void_invoice(invoice["invoice_id"])
    undocumented = {call.split(" ")[1] for call in checker.undocumented}
    assert undocumented == {"/billing/v1/organizations", "/billing/v1/settings/customfields"}
    _check(transport, checker, beyond_known_gaps)
