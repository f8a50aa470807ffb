"""Billing quotes, invoices and sales orders as the deal triggers write them.

The link to the deal lives on the Billing record: `zcrm_potential_id` on quotes and sales orders
(zoho-api.md §1.8), and `reference_number` on invoices, since Billing documents no
`zcrm_potential_id` for invoices (§3.6). Trigger documents carry a reference of their own,
`ZS-<deal>-Q1` / `ZS-<deal>-I<generation>`, which is how a crash is reconciled: the quote is
looked up by `zcrm_potential_id`, the invoice among its customer's invoices, each by that
reference.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from zsync_tui.sync.deals.config import ItemMapping
from zsync_tui.sync.deals.model import Deal

INVOICE_LINK_PREFIX = "DEAL-"


def trigger_reference(deal_id: str, action: str, generation: int) -> str:
    """The reference number a trigger document carries, unique per deal and generation."""
    kind = "Q" if action == "create_quote" else "I"
    return f"ZS-{deal_id}-{kind}{generation}"


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value.get("email") or "")
    return "" if value is None else str(value)


def _rate(value: Any) -> float:
    try:
        return round(float(value), 2)
    except (TypeError, ValueError):
        return 0.0


def line_item(deal: Deal, items: ItemMapping) -> dict[str, Any]:
    """The one line a trigger document has: item name, description and rate from the deal."""
    record = deal.record
    line: dict[str, Any] = {
        "name": _text(record.get(items.item_name)) or deal.name or f"Deal {deal.id}",
        "rate": _rate(record.get(items.rate)),
        "quantity": 1,
    }
    description = _text(record.get(items.description))
    if description:
        line["description"] = description
    return line


def document_body(
    deal: Deal, items: ItemMapping, customer_id: str, action: str, generation: int
) -> dict[str, Any]:
    """The create body of the quote or invoice a trigger makes for `deal`."""
    body: dict[str, Any] = {
        "customer_id": customer_id,
        "reference_number": trigger_reference(deal.id, action, generation),
    }
    salesperson = _text(deal.record.get(items.salesperson))
    if salesperson:
        body["salesperson_name"] = salesperson
    line = line_item(deal, items)
    if action == "create_quote":
        body["zcrm_potential_id"] = deal.id
        body["line_items"] = [line]
    else:
        body["date"] = datetime.now(UTC).strftime("%Y-%m-%d")
        body["invoice_items"] = [line]
    return body


async def get_document(billing: Any, entity: str, document_id: str) -> dict[str, Any]:
    if entity == "estimate":
        return dict(await billing.get_estimate(document_id))
    if entity == "invoice":
        return dict(await billing.get_invoice(document_id))
    return dict(await billing.get_sales_order(document_id))


async def find_trigger_document(
    billing: Any, entity: str, deal_id: str, reference: str, customer_id: str | None
) -> dict[str, Any] | None:
    """The document an interrupted create may have made, found by its reference."""
    if entity == "estimate":
        found = _by_reference(await billing.list_estimates(zcrm_potential_id=deal_id), reference)
        if found is None:
            # Billing's create body does not document `zcrm_potential_id`: if it dropped it,
            # only the reference number tells the quote apart.
            found = _by_reference(await billing.list_estimates(), reference)
        return found
    return _by_reference(await billing.list_invoices(customer_id=customer_id), reference)


def _by_reference(documents: list[dict[str, Any]], reference: str) -> dict[str, Any] | None:
    for document in documents:
        if str(document.get("reference_number") or "") == reference:
            return dict(document)
    return None


def document_id(entity: str, document: dict[str, Any]) -> str:
    key = {"estimate": "estimate_id", "invoice": "invoice_id", "salesorder": "salesorder_id"}
    return str(document.get(key[entity]) or "")


async def update_document(
    billing: Any, entity: str, document_id: str, changes: dict[str, Any]
) -> None:
    """Change fields of a quote, invoice or sales order (the deal link on it)."""
    public = getattr(billing, f"update_{'sales_order' if entity == 'salesorder' else entity}", None)
    if public is not None:
        await public(document_id, changes)
        return
    # BillingClient has no update for documents yet; its request helper keeps the org header,
    # error mapping and ambiguous-write handling that a hand-made request would lose.
    path = {"estimate": "/estimates", "invoice": "/invoices", "salesorder": "/salesorders"}[entity]
    await billing._call("PUT", f"{path}/{document_id}", json=changes, write=True)


def link_changes(entity: str, deal_id: str | None, document: dict[str, Any]) -> dict[str, Any]:
    """The field change that puts (or, with None, takes) the deal link on a document; empty
    when an invoice's reference number holds something else (the user's, left alone)."""
    if entity in ("estimate", "salesorder"):
        return {"zcrm_potential_id": deal_id or ""}
    current = str(document.get("reference_number") or "")
    ours = current.startswith(INVOICE_LINK_PREFIX) or current.startswith("ZS-")
    if deal_id is not None:
        return {"reference_number": f"{INVOICE_LINK_PREFIX}{deal_id}"} if not current else {}
    return {"reference_number": ""} if ours and current.startswith(INVOICE_LINK_PREFIX) else {}
