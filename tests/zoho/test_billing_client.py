"""Every Billing client call against the sandbox over loopback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from zsync_tui.zoho.billing import ORG_HEADER
from zsync_tui.zoho.errors import AuthenticationError, NotAvailable, NotFound, ValidationFailed


async def test_organizations_and_customers(live: Any, connect_to: Callable[..., Any]):
    async with connect_to(live) as zoho:
        (org,) = await zoho.billing.organizations()
        assert org.id == live.credentials["billing_organization_id"] and org.currency_code == "USD"
        pages = [page async for page in zoho.billing.list_customers()]
        customers = [c for page in pages for c in page]
        assert len(customers) == len({c["customer_id"] for c in customers}) == 20
        linked = [c async for page in zoho.billing.list_customers("Status.Crm") for c in page]
        assert 0 < len(linked) < len(customers)

        full = await zoho.billing.get_customer(linked[0]["customer_id"])
        account_id = full.get("zcrm_account_id")
        contact_id = full.get("zcrm_contact_id")
        if account_id:
            found = await zoho.billing.customer_by_crm_reference(account_id, "zcrm_account_id")
        else:
            found = await zoho.billing.customer_by_crm_reference(contact_id, "zcrm_contact_id")
        assert found is not None and found["customer_id"] == full["customer_id"]
        assert await zoho.billing.customer_by_crm_reference("1234", "zcrm_account_id") is None

        created = await zoho.billing.create_customer(
            {"display_name": "Ørsted & Söhne", "email": "billing@orsted.example.com"}
        )
        assert created["customer_id"] and created["display_name"] == "Ørsted & Söhne"
        updated = await zoho.billing.update_customer(created["customer_id"], {"phone": "+45 1"})
        assert updated["phone"] == "+45 1"
        with pytest.raises(NotFound, match="Check the ID"):
            await zoho.billing.get_customer("982999999999999")
        with pytest.raises(ValidationFailed):
            await zoho.billing.create_customer({"email": "no-name@example.com"})
    assert zoho.billing.counts.write_calls == 3


async def test_contact_persons(live: Any, connect_to: Callable[..., Any]):
    async with connect_to(live) as zoho:
        customer = await zoho.billing.create_customer(
            {"display_name": "People Inc", "email": "people@example.com"}
        )
        cid = customer["customer_id"]
        person = await zoho.billing.create_contact_person(
            cid, {"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com"}
        )
        pid = person["contactperson_id"]
        assert (await zoho.billing.get_contact_person(cid, pid))["email"] == "ada@example.com"
        changed = await zoho.billing.update_contact_person(cid, pid, {"phone": "42"})
        assert changed["phone"] == "42"
        assert pid in {p["contactperson_id"] for p in await zoho.billing.list_contact_persons(cid)}
        await zoho.billing.delete_contact_person(cid, pid)
        assert pid not in {
            p["contactperson_id"] for p in await zoho.billing.list_contact_persons(cid)
        }


async def test_quotes_and_invoices(live: Any, connect_to: Callable[..., Any]):
    async with connect_to(live) as zoho:
        customer = await zoho.billing.create_customer(
            {"display_name": "Quote Me Ltd", "email": "q@example.com"}
        )
        deals = [d async for page in zoho.crm.iter_records("Deals", ["Deal_Name"]) for d in page]
        line = {"item_id": "1", "name": "Setup", "rate": 250.0, "quantity": 2}
        estimate = await zoho.billing.create_estimate(
            {
                "customer_id": customer["customer_id"],
                "line_items": [line],
                "zcrm_potential_id": deals[0]["id"],
            }
        )
        eid = estimate["estimate_id"]
        assert estimate["status"] == "draft"
        for_deal = await zoho.billing.list_estimates(zcrm_potential_id=deals[0]["id"])
        assert eid in {e["estimate_id"] for e in for_deal}
        assert "Sent" in await zoho.billing.mark_estimate(eid, "sent")
        assert "Accepted" in await zoho.billing.mark_estimate(eid, "accepted")
        assert (await zoho.billing.get_estimate(eid))["status"] == "accepted"
        with pytest.raises(ValidationFailed):
            await zoho.billing.mark_estimate(eid, "declined")  # an accepted quote stays accepted

        invoice = await zoho.billing.create_invoice(
            {
                "customer_id": customer["customer_id"],
                "date": "2026-11-01",
                "invoice_items": [
                    {"product_id": "1", "name": "Setup", "rate": 250.0, "quantity": 2}
                ],
            }
        )
        iid = invoice["invoice_id"]
        listed = await zoho.billing.list_invoices(customer_id=customer["customer_id"])
        assert [i["invoice_id"] for i in listed] == [iid]
        assert "Void" in await zoho.billing.void_invoice(iid)
        assert (await zoho.billing.get_invoice(iid))["status"] == "void"


async def test_sales_orders_where_the_organization_has_them(
    live: Any, connect_to: Callable[..., Any]
):
    async with connect_to(live) as zoho:
        assert await zoho.billing.sales_orders_available()
        customer = await zoho.billing.create_customer(
            {"display_name": "SO Co", "email": "so@example.com"}
        )
        order = await zoho.billing.create_sales_order(
            {
                "customer_id": customer["customer_id"],
                "line_items": [{"item_id": "1", "rate": 5, "quantity": 1}],
            }
        )
        assert (await zoho.billing.get_sales_order(order["salesorder_id"]))[
            "customer_id"
        ] == customer["customer_id"]


async def test_a_missing_sales_orders_api_is_not_available_not_a_crash():
    from zsync_tui.zoho.billing import BillingClient
    from zsync_tui.zoho.budget import billing_budget
    from zsync_tui.zoho.datacentres import resolve_data_centre
    from zsync_tui.zoho.oauth import OAuthClient, Secret, TokenManager
    from zsync_tui.zoho.transport import ZohoTransport

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/token":
            return httpx.Response(200, json={"access_token": "1000.a.b", "expires_in": 3600})
        assert request.headers[ORG_HEADER] == "42"
        return httpx.Response(404, json={"code": 5, "message": "Invalid URL Passed"})

    mock = httpx.MockTransport(handler)
    dc = resolve_data_centre("custom", "http://127.0.0.1:9", "http://127.0.0.1:9")
    tokens = TokenManager(
        dc,
        OAuthClient("id", Secret("secret-xyz")),
        Secret("refresh-xyz"),
        http=httpx.AsyncClient(transport=mock),
    )
    billing = BillingClient(
        ZohoTransport("billing", "/billing/v1", tokens, billing_budget(), http_transport=mock), "42"
    )
    assert await billing.sales_orders_available() is False
    with pytest.raises(NotAvailable, match="not available in this Billing organization"):
        await billing.create_sales_order({"customer_id": "1"})


async def test_a_wrong_organization_says_what_to_do(live: Any, connect_to: Callable[..., Any]):
    async with connect_to(live) as zoho:
        zoho.billing.organization_id = "123"
        with pytest.raises(AuthenticationError, match="--billing-org"):
            await zoho.billing.get_customer("982000000001001")


async def test_custom_field_definitions(live: Any, connect_to: Callable[..., Any]):
    async with connect_to(live) as zoho:
        for entity in ("customer", "invoice", "quote"):
            fields = await zoho.billing.custom_fields(entity)
            assert all(f.get("entity") == entity for f in fields)
        customer_fields = await zoho.billing.custom_fields("customer")
    assert customer_fields and all("label" in f for f in customer_fields)


async def test_documents_can_be_updated_and_custom_field_labels_listed(
    live: Any, connect_to: Callable[..., Any]
):
    async with connect_to(live) as zoho:
        customer = await zoho.billing.create_customer(
            {"display_name": "Upd Co", "email": "u@example.com"}
        )
        cid = customer["customer_id"]
        line = {"item_id": "1", "rate": 10.0, "quantity": 1}
        estimate = await zoho.billing.create_estimate({"customer_id": cid, "line_items": [line]})
        changed = await zoho.billing.update_estimate(
            estimate["estimate_id"], {"reference_number": "DEAL-1"}
        )
        assert changed["reference_number"] == "DEAL-1"
        invoice = await zoho.billing.create_invoice(
            {
                "customer_id": cid,
                "date": "2026-11-02",
                "invoice_items": [{"product_id": "1", "rate": 10.0, "quantity": 1}],
            }
        )
        changed = await zoho.billing.update_invoice(
            invoice["invoice_id"], {"reference_number": "DEAL-2"}
        )
        assert changed["reference_number"] == "DEAL-2"
        order = await zoho.billing.create_sales_order({"customer_id": cid, "line_items": [line]})
        changed = await zoho.billing.update_sales_order(
            order["salesorder_id"], {"reference_number": "DEAL-3"}
        )
        assert changed["reference_number"] == "DEAL-3"
        labels = await zoho.billing.customer_custom_fields()
        definitions = await zoho.billing.custom_fields("customer")
    assert labels == [f["label"] for f in definitions] and labels


async def test_customer_lists_page_through_page_context(
    sandbox_factory: Callable[..., Any], connect_to: Callable[..., Any]
):
    many = sandbox_factory(seed=2, accounts=0, contacts=0, deals=0, customers=450, duplicates=0)
    async with connect_to(many) as zoho:
        pages = [page async for page in zoho.billing.list_customers()]
    assert [len(page) for page in pages] == [200, 200, 50]
    assert len({c["customer_id"] for page in pages for c in page}) == 450
    assert zoho.billing.counts.api_calls == 3
