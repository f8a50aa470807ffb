"""Billing v1 quotes (estimates): create, list (with the `zcrm_potential_id` filter), get,
update, delete, and the draft → sent → accepted/declined transitions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
    ESTIMATE_LIST_KEYS,
    new_estimate,
    summary,
)
from zsync_tui.sandbox.crm_common import sandbox_of
from zsync_tui.sandbox.responses import (
    BILLING_BAD_STATUS,
    billing_error,
    json_reply,
)
from zsync_tui.sandbox.world import Record

Handler = Callable[[Request], Any]
ESTIMATE_SORTS = ("customer_name", "estimate_number", "date", "total", "created_time")
ESTIMATE_TEXT_FIELDS = (
    "reference_number",
    "notes",
    "terms",
    "expiry_date",
    "salesperson_name",
    "zcrm_potential_id",
    "date",
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
    check_customer(request, body)
    check_lines(body, "line_items", "item_id")
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
    wanted = status_filter(request, ESTIMATE_FILTERS)
    items = filter_customer_and_deal(request, list(sandbox_of(request).world.estimates.values()))
    if wanted:
        items = [e for e in items if e["status"] == wanted]
    searched = ("estimate_number", "reference_number", "customer_name")
    items = filter_search_text(request, items, searched)
    items = sort_by_column(request, items, ESTIMATE_SORTS)
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
    total = reprice_lines(request, estimate, body, "line_items", "item_id")
    if total is not None:
        estimate["sub_total"] = estimate["total"] = total
    copy_text_fields(estimate, body, ESTIMATE_TEXT_FIELDS)
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
