"""Billing v1 documents: quotes (estimates), invoices and sales orders, with their status
transitions. Sales orders are modelled on Zoho Books: UNVERIFIED for Billing (zoho-api.md 3.7
finds none in the Billing spec), so clients must treat them as optional."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from zsync_tui.sandbox.billing_common import billing_scope, body_of, not_found, now_text, paged
from zsync_tui.sandbox.billing_model import (
    ESTIMATE_LIST_KEYS,
    INVOICE_LIST_KEYS,
    SALESORDER_LIST_KEYS,
    new_estimate,
    new_invoice,
    new_salesorder,
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

Handler = Callable[[Request], Any]
ESTIMATE_SORTS = ("customer_name", "estimate_number", "date", "total", "created_time")
INVOICE_SORTS = (
    "customer_name",
    "invoice_number",
    "date",
    "due_date",
    "total",
    "balance",
    "created_time",
)
ESTIMATE_FILTERS = {
    "Status.All": None,
    "Status.Draft": "draft",
    "Status.Sent": "sent",
    "Status.Invoiced": "invoiced",
    "Status.Accepted": "accepted",
    "Status.Declined": "declined",
    "Status.Expired": "expired",
}
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


def _lines(body: dict[str, Any], key: str, id_key: str) -> None:
    lines = body.get(key)
    if not isinstance(lines, list) or not lines:
        raise billing_error(
            400,
            BILLING_INVALID_VALUE,
            f"Invalid value passed for {key}: at least one line is required.",
        )
    for line in lines:
        if not isinstance(line, dict):
            raise billing_error(400, BILLING_INVALID_VALUE, f"Invalid value passed for {key}.")
        rate = line.get("rate", line.get("price"))
        for name, value in (("rate", rate), ("quantity", line.get("quantity", 1))):
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise billing_error(
                    400, BILLING_INVALID_VALUE, f"Invalid value passed for {name} in {key}."
                )
            try:
                float(value)
            except ValueError:
                raise billing_error(
                    400, BILLING_INVALID_VALUE, f"Invalid value passed for {name} in {key}."
                ) from None
        if not (line.get(id_key) or line.get("name")):
            raise billing_error(
                400, BILLING_INVALID_VALUE, f"Each of {key} needs {id_key} or name."
            )


def _customer_known(request: Request, body: dict[str, Any]) -> None:
    if str(body.get("customer_id", "")) not in sandbox_of(request).world.customers:
        raise billing_error(400, BILLING_INVALID_VALUE, "Invalid value passed for customer_id.")


def _sorted(request: Request, items: list[Record], allowed: tuple[str, ...]) -> list[Record]:
    column = request.query_params.get("sort_column")
    if column is None:
        return items
    if column not in allowed:
        raise billing_error(400, BILLING_INVALID_VALUE, "Invalid value passed for sort_column.")
    key = {"invoice_number": "number"}.get(column, column)
    descending = request.query_params.get("sort_order", "A").upper().startswith("D")
    return sorted(items, key=lambda r: (r.get(key) is None, r.get(key) or 0), reverse=descending)


def _search(request: Request, items: list[Record], fields: tuple[str, ...]) -> list[Record]:
    text = request.query_params.get("search_text")
    if not text:
        return items
    needle = text.lower()
    return [r for r in items if any(needle in str(r.get(f, "")).lower() for f in fields)]


# ---- estimates -------------------------------------------------------------------------------


def age_documents(request: Request) -> None:
    """Date-driven statuses, as Billing's scheduler sets them: a sent quote past its expiry date
    is expired; a sent invoice past its due date is overdue (sandbox clock)."""
    world = sandbox_of(request).world
    today = now_text(request)[:10]
    for estimate in world.estimates.values():
        if (
            estimate["status"] == "sent"
            and estimate.get("expiry_date")
            and estimate["expiry_date"] < today
        ):
            estimate["status"] = "expired"
    for invoice in world.invoices.values():
        if invoice["status"] == "sent" and invoice.get("due_date") and invoice["due_date"] < today:
            invoice["status"] = "overdue"


def _estimate(request: Request) -> Record:
    age_documents(request)
    found = sandbox_of(request).world.estimates.get(request.path_params["estimate_id"])
    if found is None:
        raise not_found("Quote")
    return found


async def create_estimate(request: Request) -> Response:
    """POST /estimates: a draft quote (sent at once with `?send=true`)."""
    billing_scope(request, "quotes", "CREATE")
    body = await body_of(request)
    _customer_known(request, body)
    _lines(body, "line_items", "item_id")
    estimate = new_estimate(sandbox_of(request).world, body, now_text(request))
    if request.query_params.get("send") == "true":
        estimate["status"] = "sent"
    return json_reply(
        {"code": 0, "message": "The quote has been created", "estimate": dict(estimate)}, 201
    )


async def list_estimates(request: Request) -> Response:
    """GET /estimates: `zcrm_potential_id`, `customer_id`, `filter_by`, `search_text`, sort."""
    billing_scope(request, "quotes", "READ")
    age_documents(request)
    query = request.query_params
    wanted = ESTIMATE_FILTERS.get(query.get("filter_by", "Status.All"), "?")
    if wanted == "?":
        raise billing_error(400, BILLING_INVALID_VALUE, "Invalid value passed for filter_by.")
    items = list(sandbox_of(request).world.estimates.values())
    if query.get("zcrm_potential_id"):
        items = [e for e in items if e.get("zcrm_potential_id") == query["zcrm_potential_id"]]
    if query.get("customer_id"):
        items = [e for e in items if e["customer_id"] == query["customer_id"]]
    if wanted:
        items = [e for e in items if e["status"] == wanted]
    items = _search(request, items, ("estimate_number", "reference_number", "customer_name"))
    items = _sorted(request, items, ESTIMATE_SORTS)
    return json_reply(
        paged(request, items, "estimates", "Quotes", {}, lambda e: summary(e, ESTIMATE_LIST_KEYS))
    )


async def get_estimate(request: Request) -> Response:
    """GET /estimates/{id}."""
    billing_scope(request, "quotes", "READ")
    return json_reply({"code": 0, "message": "success", "estimate": dict(_estimate(request))})


async def update_estimate(request: Request) -> Response:
    """PUT /estimates/{id}: line items, reference, notes, the deal link."""
    billing_scope(request, "quotes", "UPDATE")
    estimate = _estimate(request)
    body = await body_of(request)
    if estimate["status"] in ("invoiced",):
        raise billing_error(400, BILLING_BAD_STATUS, "An invoiced quote cannot be edited.")
    if "line_items" in body:
        _lines(body, "line_items", "item_id")
        from zsync_tui.sandbox.billing_model import priced_lines

        estimate["line_items"], total = priced_lines(
            body["line_items"], "item_id", sandbox_of(request).world
        )
        estimate["sub_total"] = estimate["total"] = total
    for key in (
        "reference_number",
        "notes",
        "terms",
        "expiry_date",
        "salesperson_name",
        "zcrm_potential_id",
        "date",
    ):
        if key in body:
            estimate[key] = str(body[key] or "")
    estimate["last_modified_time"] = now_text(request)
    return json_reply({"code": 0, "message": "Quote has been updated.", "estimate": dict(estimate)})


async def delete_estimate(request: Request) -> Response:
    """DELETE /estimates/{id}."""
    billing_scope(request, "quotes", "DELETE")
    estimate = _estimate(request)
    del sandbox_of(request).world.estimates[estimate["estimate_id"]]
    return json_reply({"code": 0, "message": "The quote has been deleted."})


ESTIMATE_MOVES = {"sent": ("draft",), "accepted": ("sent",), "declined": ("sent",)}


def estimate_status(target: str) -> Handler:
    """POST /estimates/{id}/status/{sent|accepted|declined}: draft → sent → accepted/declined."""

    async def handler(request: Request) -> Response:
        billing_scope(request, "quotes", "UPDATE")
        estimate = _estimate(request)
        if estimate["status"] not in ESTIMATE_MOVES[target]:
            raise billing_error(
                400,
                BILLING_BAD_STATUS,
                f"A quote in status {estimate['status']} cannot be marked as {target}; "
                f"only a {' or '.join(ESTIMATE_MOVES[target])} quote can.",
            )
        now = now_text(request)
        estimate["status"] = target
        if target in ("accepted", "declined"):
            estimate[f"{target}_date"] = now[:10]
        estimate["last_modified_time"] = now
        return json_reply(
            {"code": 0, "message": f"Estimate status has been changed to {target.capitalize()}."}
        )

    return handler


# ---- invoices --------------------------------------------------------------------------------


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
    _customer_known(request, body)
    _lines(body, "invoice_items", "product_id")
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
    query = request.query_params
    wanted = INVOICE_FILTERS.get(query.get("filter_by", "Status.All"), "?")
    if wanted == "?":
        raise billing_error(400, BILLING_INVALID_VALUE, "Invalid value passed for filter_by.")
    items = list(sandbox_of(request).world.invoices.values())
    if query.get("customer_id"):
        items = [i for i in items if i["customer_id"] == query["customer_id"]]
    if query.get("zcrm_potential_id"):
        items = [i for i in items if i.get("zcrm_potential_id") == query["zcrm_potential_id"]]
    if wanted == "unpaid":
        items = [i for i in items if i["status"] in ("sent", "overdue", "partially_paid")]
    elif wanted:
        items = [i for i in items if i["status"] == wanted]
    items = _search(request, items, ("number", "reference_number", "customer_name"))
    items = _sorted(request, items, INVOICE_SORTS)
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
    if "invoice_items" in body:
        _lines(body, "invoice_items", "product_id")
        from zsync_tui.sandbox.billing_model import priced_lines

        invoice["invoice_items"], total = priced_lines(
            body["invoice_items"], "product_id", sandbox_of(request).world
        )
        invoice["sub_total"] = invoice["total"] = invoice["balance"] = total
    for key in (
        "reference_number",
        "notes",
        "terms",
        "due_date",
        "salesperson_name",
        "zcrm_potential_id",
    ):
        if key in body:
            invoice[key] = str(body[key] or "")
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


# ---- sales orders (UNVERIFIED for Billing: modelled on Zoho Books) ----------------------------


def _order(request: Request) -> Record:
    found = sandbox_of(request).world.salesorders.get(request.path_params["salesorder_id"])
    if found is None:
        raise not_found("Sales order")
    return found


async def create_salesorder(request: Request) -> Response:
    """POST /salesorders (unverified for Billing)."""
    billing_scope(request, "salesorders", "CREATE")
    body = await body_of(request)
    _customer_known(request, body)
    _lines(body, "line_items", "item_id")
    order = new_salesorder(sandbox_of(request).world, body, now_text(request))
    return json_reply(
        {"code": 0, "message": "Sales Order has been created.", "salesorder": dict(order)}, 201
    )


async def list_salesorders(request: Request) -> Response:
    """GET /salesorders with `customer_id` and `zcrm_potential_id` (unverified for Billing)."""
    billing_scope(request, "salesorders", "READ")
    query = request.query_params
    items = list(sandbox_of(request).world.salesorders.values())
    if query.get("customer_id"):
        items = [o for o in items if o["customer_id"] == query["customer_id"]]
    if query.get("zcrm_potential_id"):
        items = [o for o in items if o.get("zcrm_potential_id") == query["zcrm_potential_id"]]
    return json_reply(
        paged(
            request,
            [summary(o, SALESORDER_LIST_KEYS) for o in items],
            "salesorders",
            "Sales Orders",
            {},
        )
    )


async def get_salesorder(request: Request) -> Response:
    """GET /salesorders/{id} (unverified for Billing)."""
    billing_scope(request, "salesorders", "READ")
    return json_reply({"code": 0, "message": "success", "salesorder": dict(_order(request))})


async def update_salesorder(request: Request) -> Response:
    """PUT /salesorders/{id}: reference, notes and the deal link (unverified for Billing)."""
    billing_scope(request, "salesorders", "UPDATE")
    order = _order(request)
    body = await body_of(request)
    for key in ("reference_number", "notes", "zcrm_potential_id"):
        if key in body:
            order[key] = str(body[key] or "")
    order["last_modified_time"] = now_text(request)
    return json_reply(
        {"code": 0, "message": "Sales Order has been updated.", "salesorder": dict(order)}
    )


async def delete_salesorder(request: Request) -> Response:
    """DELETE /salesorders/{id} (unverified for Billing)."""
    billing_scope(request, "salesorders", "DELETE")
    order = _order(request)
    del sandbox_of(request).world.salesorders[order["salesorder_id"]]
    return json_reply({"code": 0, "message": "The sales order has been deleted."})


async def custom_fields(request: Request) -> Response:
    """GET /settings/customfields?entity=customer|invoice|quote (UNVERIFIED path: Books-style)."""
    billing_scope(request, "settings", "READ")
    entity = request.query_params.get("entity", "customer")
    defined = [f for f in sandbox_of(request).world.billing_custom_fields if f["entity"] == entity]
    return json_reply({"code": 0, "message": "success", "customfields": defined})


def routes(base: str) -> list[BaseRoute]:
    """The document routes under `base` (`/billing/v1`)."""
    estimate = f"{base}/estimates/{{estimate_id}}"
    invoice = f"{base}/invoices/{{invoice_id}}"
    order = f"{base}/salesorders/{{salesorder_id}}"
    return [
        Route(f"{base}/estimates", list_estimates, methods=["GET"]),
        Route(f"{base}/estimates", create_estimate, methods=["POST"]),
        Route(estimate, get_estimate, methods=["GET"]),
        Route(estimate, update_estimate, methods=["PUT"]),
        Route(estimate, delete_estimate, methods=["DELETE"]),
        *[
            Route(f"{estimate}/status/{s}", estimate_status(s), methods=["POST"])
            for s in ESTIMATE_MOVES
        ],
        Route(f"{base}/invoices", list_invoices, methods=["GET"]),
        Route(f"{base}/invoices", create_invoice, methods=["POST"]),
        Route(invoice, get_invoice, methods=["GET"]),
        Route(invoice, update_invoice, methods=["PUT"]),
        Route(invoice, delete_invoice, methods=["DELETE"]),
        Route(f"{invoice}/void", void_invoice, methods=["POST"]),
        Route(f"{invoice}/converttoopen", convert_to_open, methods=["POST"]),
        Route(f"{invoice}/customfields", invoice_custom_fields, methods=["PUT"]),
        Route(
            f"{base}/invoice/{{invoice_id}}/customfields", invoice_custom_fields, methods=["PUT"]
        ),
        Route(f"{base}/salesorders", list_salesorders, methods=["GET"]),
        Route(f"{base}/salesorders", create_salesorder, methods=["POST"]),
        Route(order, get_salesorder, methods=["GET"]),
        Route(order, update_salesorder, methods=["PUT"]),
        Route(order, delete_salesorder, methods=["DELETE"]),
        Route(f"{base}/settings/customfields", custom_fields, methods=["GET"]),
    ]
