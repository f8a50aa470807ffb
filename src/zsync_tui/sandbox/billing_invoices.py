"""Billing v1 invoices: create, list, get, update, delete, void, converttoopen, custom fields,
and the custom-field definitions list."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from zsync_tui.sandbox.billing_common import (
    age_documents,
    billing_scope,
    body_of,
    check_customer,
    check_lines,
    copy_text_fields,
    filter_customer_and_deal,
    filter_search_text,
    not_found,
    now_text,
    paged,
    reprice_lines,
    sort_by_column,
    status_filter,
)
from zsync_tui.sandbox.billing_model import (
    INVOICE_LIST_KEYS,
    new_invoice,
    summary,
)
from zsync_tui.sandbox.crm_common import sandbox_of
from zsync_tui.sandbox.responses import (
    BILLING_BAD_STATUS,
    BILLING_CANNOT_DELETE,
    BILLING_INVALID_VALUE,
    billing_error,
    json_reply,
)
from zsync_tui.sandbox.world import Record

INVOICE_SORTS = (
    "customer_name",
    "invoice_number",
    "date",
    "due_date",
    "total",
    "balance",
    "created_time",
)
INVOICE_TEXT_FIELDS = (
    "reference_number",
    "notes",
    "terms",
    "due_date",
    "salesperson_name",
    "zcrm_potential_id",
)
INVOICE_FILTERS = {
    "Status.All": None,
    "Status.Sent": "sent",
    "Status.Draft": "draft",
    "Status.OverDue": "overdue",
    "Status.Paid": "paid",
    "Status.Void": "void",
    "Status.PartiallyPaid": "partially_paid",
    "Status.Unpaid": "unpaid",
    "Status.Viewed": "viewed",
}


def _invoice(request: Request) -> Record:
    age_documents(request)
    found = sandbox_of(request).world.invoices.get(request.path_params["invoice_id"])
    if found is None:
        raise not_found("Invoice")
    return found


def _touch_invoice(request: Request, invoice: Record) -> None:
    now = now_text(request)
    invoice["updated_time"] = now
    invoice["last_modified_time"] = now


async def create_invoice(request: Request) -> Response:
    """POST /invoices: needs customer_id, invoice_items and date; draft (or sent with send=true)."""
    billing_scope(request, "invoices", "CREATE")
    body = await body_of(request)
    check_customer(request, body)
    check_lines(body, "invoice_items", "product_id")
    if not body.get("date"):
        raise billing_error(
            400, BILLING_INVALID_VALUE, "Invalid value passed for date: it is required."
        )
    world = sandbox_of(request).world
    quote_id = str(body.get("invoiced_estimate_id") or "")
    quote = world.estimates.get(quote_id) if quote_id else None
    if quote_id and (quote is None or quote["customer_id"] != str(body["customer_id"])):
        raise billing_error(
            400, BILLING_INVALID_VALUE, "Invalid value passed for invoiced_estimate_id."
        )
    invoice = new_invoice(world, body, now_text(request))
    if request.query_params.get("send") == "true":
        invoice["status"] = "sent"
    if quote is not None:
        quote["status"] = "invoiced"
        quote["last_modified_time"] = invoice["created_time"]
    return json_reply(
        {"code": 0, "message": "The invoice has been created.", "invoice": dict(invoice)}, 201
    )


async def list_invoices(request: Request) -> Response:
    """GET /invoices: `customer_id`, `zcrm_potential_id`, `filter_by`, `search_text`, sort."""
    billing_scope(request, "invoices", "READ")
    age_documents(request)
    wanted = status_filter(request, INVOICE_FILTERS)
    items = filter_customer_and_deal(request, list(sandbox_of(request).world.invoices.values()))
    if wanted == "unpaid":
        items = [i for i in items if i["status"] in ("sent", "overdue", "partially_paid")]
    elif wanted:
        items = [i for i in items if i["status"] == wanted]
    items = filter_search_text(request, items, ("number", "reference_number", "customer_name"))
    items = sort_by_column(request, items, INVOICE_SORTS)
    return json_reply(
        paged(request, items, "invoices", "Invoices", {}, lambda i: summary(i, INVOICE_LIST_KEYS))
    )


async def get_invoice(request: Request) -> Response:
    """GET /invoices/{id}."""
    billing_scope(request, "invoices", "READ")
    return json_reply({"code": 0, "message": "success", "invoice": dict(_invoice(request))})


async def update_invoice(request: Request) -> Response:
    """PUT /invoices/{id}: refused once paid or void."""
    billing_scope(request, "invoices", "UPDATE")
    invoice = _invoice(request)
    if invoice["status"] in ("paid", "void"):
        raise billing_error(
            400, BILLING_BAD_STATUS, f"A {invoice['status']} invoice cannot be edited."
        )
    body = await body_of(request)
    total = reprice_lines(request, invoice, body, "invoice_items", "product_id")
    if total is not None:
        invoice["sub_total"] = invoice["total"] = invoice["balance"] = total
    copy_text_fields(invoice, body, INVOICE_TEXT_FIELDS)
    _touch_invoice(request, invoice)
    return json_reply(
        {"code": 0, "message": "Invoice information has been updated.", "invoice": dict(invoice)}
    )


async def delete_invoice(request: Request) -> Response:
    """DELETE /invoices/{id}: refused when payments or credits are applied (paid invoices)."""
    billing_scope(request, "invoices", "DELETE")
    invoice = _invoice(request)
    if invoice["status"] in ("paid", "partially_paid") or invoice.get("payment_made"):
        raise billing_error(
            400,
            BILLING_CANNOT_DELETE,
            "Invoices with payments or credits applied cannot be deleted.",
        )
    del sandbox_of(request).world.invoices[invoice["invoice_id"]]
    return json_reply({"code": 0, "message": "The invoice has been deleted."})


async def void_invoice(request: Request) -> Response:
    """POST /invoices/{id}/void: a paid invoice cannot be voided here (its payments stay)."""
    billing_scope(request, "invoices", "UPDATE")
    invoice = _invoice(request)
    if invoice["status"] == "void":
        raise billing_error(400, BILLING_BAD_STATUS, "The invoice is already void.")
    if invoice["status"] in ("paid", "partially_paid"):
        raise billing_error(
            400, BILLING_BAD_STATUS, "A paid invoice cannot be voided; refund its payments first."
        )
    invoice["status"] = "void"
    invoice["balance"] = 0.0
    _touch_invoice(request, invoice)
    return json_reply({"code": 0, "message": "Invoice status has been changed to Void."})


async def convert_to_open(request: Request) -> Response:
    """POST /invoices/{id}/converttoopen: draft → sent (open)."""
    billing_scope(request, "invoices", "UPDATE")
    invoice = _invoice(request)
    if invoice["status"] != "draft":
        raise billing_error(
            400,
            BILLING_BAD_STATUS,
            f"Only a draft invoice can be made open (this one is {invoice['status']}).",
        )
    invoice["status"] = "sent"
    _touch_invoice(request, invoice)
    return json_reply({"code": 0, "message": "Invoice status has been changed to Open."})


async def invoice_custom_fields(request: Request) -> Response:
    """PUT /invoice(s)/{id}/customfields: a list of {label|index, value}."""
    billing_scope(request, "invoices", "UPDATE")
    invoice = _invoice(request)
    body = await body_of(request)
    fields = body.get("custom_fields")
    from zsync_tui.sandbox.billing_customers import validate_custom_fields

    validate_custom_fields(fields, sandbox_of(request).world, "invoice")
    invoice["custom_fields"] = fields
    _touch_invoice(request, invoice)
    return json_reply(
        {"code": 0, "message": "Custom fields have been updated.", "custom_fields": fields}
    )


async def custom_fields(request: Request) -> Response:
    """GET /settings/customfields?entity=customer|invoice|quote (UNVERIFIED path: Books-style)."""
    billing_scope(request, "settings", "READ")
    entity = request.query_params.get("entity", "customer")
    defined = [f for f in sandbox_of(request).world.billing_custom_fields if f["entity"] == entity]
    return json_reply({"code": 0, "message": "success", "customfields": defined})
