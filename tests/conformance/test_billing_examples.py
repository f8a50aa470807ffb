"""Every response sample the Billing spec documents for our operations parses without loss.

Billing documents an `example` for nearly every field; the sample answer of an operation is
assembled from them (`documented_example`) and replayed to our real `BillingClient` through an
in-process transport. What the client returns must be the sample's resource, every field with
its value and JSON type; for customers, the sync's field map must read every mapped field and
the sync must read both timestamps.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from zsync_tui.sync.config import default_field_map
from zsync_tui.sync.mapping import billing_values, canonical
from zsync_tui.sync.records import parse_time
from zsync_tui.zoho.datacentres import resolve_data_centre
from zsync_tui.zoho.oauth import OAuthClient, Secret
from zsync_tui.zoho.session import ZohoOptions, open_zoho
from zsync_tui.zoho.transport import RetryPolicy

B = "billing"
Call = Callable[[Any], Awaitable[Any]]


async def _all_pages(iterator: Any) -> list[Any]:
    return [item async for page in iterator for item in page]


#: operation key → (the client call, the key of the resource in the answer).
CALLS: dict[str, tuple[Call, str]] = {
    f"{B} GET /billing/v1/customers": (lambda c: _all_pages(c.list_customers()), "customers"),
    f"{B} POST /billing/v1/customers": (
        lambda c: c.create_customer({"display_name": "x"}),
        "customer",
    ),
    f"{B} GET /billing/v1/customers/{{customer_id}}": (lambda c: c.get_customer("9"), "customer"),
    f"{B} PUT /billing/v1/customers/{{customer_id}}": (
        lambda c: c.update_customer("9", {"display_name": "x"}),
        "customer",
    ),
    f"{B} GET /billing/v1/customers/reference/{{reference_id}}": (
        lambda c: c.customer_by_crm_reference("9", "zcrm_account_id"),
        "customer",
    ),
    f"{B} GET /billing/v1/customers/{{customer_id}}/contactpersons": (
        lambda c: c.list_contact_persons("9"),
        "contact_persons",
    ),
    f"{B} POST /billing/v1/customers/{{customer_id}}/contactpersons": (
        lambda c: c.create_contact_person("9", {"email": "a@b.example"}),
        "contact_person",
    ),
    f"{B} GET /billing/v1/customers/{{customer_id}}/contactpersons/{{contactperson_id}}": (
        lambda c: c.get_contact_person("9", "8"),
        "contact_person",
    ),
    f"{B} PUT /billing/v1/customers/{{customer_id}}/contactpersons/{{contactperson_id}}": (
        lambda c: c.update_contact_person("9", "8", {"email": "a@b.example"}),
        "contact_person",
    ),
    f"{B} DELETE /billing/v1/customers/{{customer_id}}/contactpersons/{{contactperson_id}}": (
        lambda c: c.delete_contact_person("9", "8"),
        "",
    ),
    f"{B} GET /billing/v1/estimates": (lambda c: c.list_estimates(), "estimates"),
    f"{B} POST /billing/v1/estimates": (
        lambda c: c.create_estimate({"customer_id": "9", "line_items": []}),
        "estimate",
    ),
    f"{B} GET /billing/v1/estimates/{{estimate_id}}": (lambda c: c.get_estimate("7"), "estimate"),
    f"{B} PUT /billing/v1/estimates/{{estimate_id}}": (
        lambda c: c.update_estimate("7", {"reference_number": "x"}),
        "estimate",
    ),
    f"{B} POST /billing/v1/estimates/{{estimate_id}}/status/sent": (
        lambda c: c.mark_estimate("7", "sent"),
        "message",
    ),
    f"{B} POST /billing/v1/estimates/{{estimate_id}}/status/accepted": (
        lambda c: c.mark_estimate("7", "accepted"),
        "message",
    ),
    f"{B} POST /billing/v1/estimates/{{estimate_id}}/status/declined": (
        lambda c: c.mark_estimate("7", "declined"),
        "message",
    ),
    f"{B} GET /billing/v1/invoices": (lambda c: c.list_invoices(), "invoices"),
    f"{B} POST /billing/v1/invoices": (
        lambda c: c.create_invoice({"customer_id": "9", "invoice_items": [], "date": "2026-01-01"}),
        "invoice",
    ),
    f"{B} GET /billing/v1/invoices/{{invoice_id}}": (lambda c: c.get_invoice("6"), "invoice"),
    f"{B} PUT /billing/v1/invoices/{{invoice_id}}": (
        lambda c: c.update_invoice("6", {"reference_number": "x"}),
        "invoice",
    ),
    f"{B} POST /billing/v1/invoices/{{invoice_id}}/void": (
        lambda c: c.void_invoice("6"),
        "message",
    ),
}


def _strict(value: Any) -> str:
    """JSON text that tells 1 from 1.0 from "1" (a mistyped field shows as a difference)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def test_every_billing_operation_we_use_has_a_sample_and_a_call(specs: Any) -> None:
    billing_keys = {op.used.key for op in specs if op.used.side == "billing"}
    assert billing_keys == set(CALLS)


@pytest.mark.parametrize("key", sorted(CALLS))
async def test_documented_sample_parses_without_loss(specs: Any, key: str) -> None:
    operation = specs.operations[key]
    status = min(s for s in operation.responses if 200 <= s < 300)
    sample = specs_example(specs, operation.responses[status])
    assert isinstance(sample, dict) and sample.get("code") == 0, sample

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        found = specs.match(request.method, request.url.path)
        assert found is not None and found.used.key == key, request.url
        return httpx.Response(status, json=sample)

    options = ZohoOptions(http_transport=httpx.MockTransport(answer), retry=RetryPolicy(attempts=1))
    dc = resolve_data_centre("custom", "http://127.0.0.1", "http://127.0.0.1")
    async with open_zoho(
        dc, OAuthClient("id", Secret("s")), Secret("r"), "1", options=options
    ) as z:
        call, resource = CALLS[key]
        result = await call(z.billing)

    if resource == "":
        assert result is None
        return
    expected = sample[resource]
    if resource == "message":
        assert result == expected
        return
    assert _strict(result) == _strict(expected), f"{key}: the client changed the sample"
    if resource in ("customer", "customers"):
        customer = expected[0] if isinstance(expected, list) else expected
        _sync_reads_customer(customer)


def _sync_reads_customer(customer: dict[str, Any]) -> None:
    """The sync's field maps read each mapped field the sample carries; times parse."""
    for module in ("accounts", "contacts"):
        entries = default_field_map(module)  # type: ignore[arg-type]
        values = billing_values(customer, entries)
        for entry in entries:
            head, _, tail = entry.billing.partition(".")
            raw = customer.get(head)
            if tail and isinstance(raw, dict):
                raw = raw.get(tail)
            if raw not in (None, "") and head in customer:
                assert values[entry.billing] == canonical(raw), (module, entry.billing)
    for stamp in ("created_time", "updated_time"):
        if stamp in customer:
            assert parse_time(customer[stamp]) is not None, (stamp, customer[stamp])


def specs_example(specs: Any, uri: str) -> Any:
    from oas_specs import documented_example  # type: ignore[import-not-found]

    return documented_example(specs, uri)
