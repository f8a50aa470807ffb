"""Billing v1 sales orders, modelled on Zoho Books: UNVERIFIED for Billing (zoho-api.md 3.7
finds none in the Billing spec), so clients must treat them as optional."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from zsync_tui.sandbox.billing_common import (
    billing_scope,
    body_of,
    check_customer,
    check_lines,
    copy_text_fields,
    filter_customer_and_deal,
    not_found,
    now_text,
    paged,
)
from zsync_tui.sandbox.billing_model import (
    SALESORDER_LIST_KEYS,
    new_salesorder,
    summary,
)
from zsync_tui.sandbox.crm_common import sandbox_of
from zsync_tui.sandbox.responses import (
    json_reply,
)
from zsync_tui.sandbox.world import Record


def _order(request: Request) -> Record:
    found = sandbox_of(request).world.salesorders.get(request.path_params["salesorder_id"])
    if found is None:
        raise not_found("Sales order")
    return found


async def create_salesorder(request: Request) -> Response:
    """POST /salesorders (unverified for Billing)."""
    billing_scope(request, "salesorders", "CREATE")
    body = await body_of(request)
    check_customer(request, body)
    check_lines(body, "line_items", "item_id")
    order = new_salesorder(sandbox_of(request).world, body, now_text(request))
    return json_reply(
        {"code": 0, "message": "Sales Order has been created.", "salesorder": dict(order)}, 201
    )


async def list_salesorders(request: Request) -> Response:
    """GET /salesorders with `customer_id` and `zcrm_potential_id` (unverified for Billing)."""
    billing_scope(request, "salesorders", "READ")
    items = filter_customer_and_deal(request, list(sandbox_of(request).world.salesorders.values()))
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
    copy_text_fields(order, body, ("reference_number", "notes", "zcrm_potential_id"))
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
