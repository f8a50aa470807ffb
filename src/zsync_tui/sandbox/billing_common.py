"""What every Billing handler needs: the org header, scopes, bodies, paging."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from zsync_tui.sandbox.billing_model import priced_lines
from zsync_tui.sandbox.clock import billing_time
from zsync_tui.sandbox.crm_common import sandbox_of, token_of
from zsync_tui.sandbox.oauth import has_scope
from zsync_tui.sandbox.responses import (
    BILLING_INVALID_VALUE,
    BILLING_NOT_AUTHORIZED,
    BILLING_NOT_FOUND,
    BILLING_ORG_MISSING,
    ApiError,
    billing_error,
    loads,
)
from zsync_tui.sandbox.world import Record

ORG_HEADER = "x-com-zoho-subscriptions-organizationid"
MAX_PER_PAGE = 200


def billing_scope(request: Request, resource: str, operation: str) -> None:
    """Refuse unless the token may do `operation` on `resource`; then check the org header."""
    if not has_scope(token_of(request), f"ZohoSubscriptions.{resource}.{operation}"):
        raise billing_error(
            401, BILLING_NOT_AUTHORIZED, "You are not authorized to perform this operation"
        )
    check_org(request)


def check_org(request: Request) -> None:
    """The organization header must name the sandbox's Billing org."""
    org_id = request.headers.get(ORG_HEADER) or request.query_params.get("organization_id")
    if not org_id:
        raise billing_error(
            400,
            BILLING_ORG_MISSING,
            "The X-com-zoho-subscriptions-organizationid header is missing; "
            "get the id from GET /billing/v1/organizations.",
        )
    if org_id != sandbox_of(request).world.billing_org["organization_id"]:
        raise billing_error(
            401, BILLING_ORG_MISSING, "This user is not associated with this organization."
        )


def now_text(request: Request) -> str:
    """Sandbox time in Billing's format."""
    return billing_time(sandbox_of(request).now())


async def body_of(request: Request) -> dict[str, Any]:
    """The JSON object sent (also accepted as a form field `JSONString`, as Zoho allows)."""
    raw = await request.body()
    body: Any = None
    try:
        body = loads(raw) if raw else None
    except ValueError:
        body = None
    if body is None and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        form = await request.form()
        text = form.get("JSONString")
        try:
            body = json.loads(text) if isinstance(text, str) else None
        except json.JSONDecodeError:
            body = None
    if not isinstance(body, dict):
        raise billing_error(
            400, BILLING_INVALID_VALUE, "Invalid value passed for JSONString (a JSON object)."
        )
    return body


def not_found(what: str) -> ApiError:
    """Billing's 404 for a missing record."""
    return billing_error(404, BILLING_NOT_FOUND, f"{what} does not exist.")


def paged(
    request: Request,
    items: list[Record],
    key: str,
    report: str,
    extra: dict[str, Any],
    view: Callable[[Record], Record] | None = None,
) -> dict[str, Any]:
    """A list answer: `{"code":0, "message":"success", key: [...], "page_context": {...}}`;
    `view` shapes each item of the page (only the page's items are shaped)."""
    query = request.query_params
    try:
        page = int(query.get("page", "1"))
        per_page = int(query.get("per_page", str(MAX_PER_PAGE)))
    except ValueError:
        raise billing_error(
            400, BILLING_INVALID_VALUE, "Invalid value passed for page or per_page."
        ) from None
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise billing_error(
            400, BILLING_INVALID_VALUE, "Invalid value passed for page or per_page."
        )
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    if view is not None:
        chunk = [view(item) for item in chunk]
    context = {
        "page": page,
        "per_page": per_page,
        "has_more_page": start + per_page < len(items),
        "report_name": report,
        "applied_filter": query.get("filter_by", "Status.All"),
        "sort_column": query.get("sort_column", "created_time"),
        "sort_order": query.get("sort_order", "A"),
    }
    context.update(extra)
    return {"code": 0, "message": "success", key: chunk, "page_context": context}


def check_lines(body: dict[str, Any], key: str, id_key: str) -> None:
    """At least one line item, each with a numeric rate (or price) and quantity, and a name or
    an item id."""
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


def check_customer(request: Request, body: dict[str, Any]) -> None:
    """The body's `customer_id` must name an existing customer."""
    if str(body.get("customer_id", "")) not in sandbox_of(request).world.customers:
        raise billing_error(400, BILLING_INVALID_VALUE, "Invalid value passed for customer_id.")


def sort_by_column(request: Request, items: list[Record], allowed: tuple[str, ...]) -> list[Record]:
    """`sort_column` (one of `allowed`) and `sort_order` (A/D) applied to a document list."""
    column = request.query_params.get("sort_column")
    if column is None:
        return items
    if column not in allowed:
        raise billing_error(400, BILLING_INVALID_VALUE, "Invalid value passed for sort_column.")
    key = {"invoice_number": "number"}.get(column, column)
    descending = request.query_params.get("sort_order", "A").upper().startswith("D")
    return sorted(items, key=lambda r: (r.get(key) is None, r.get(key) or 0), reverse=descending)


def filter_search_text(
    request: Request, items: list[Record], fields: tuple[str, ...]
) -> list[Record]:
    """`search_text`: a case-insensitive substring of any of `fields`."""
    text = request.query_params.get("search_text")
    if not text:
        return items
    needle = text.lower()
    return [r for r in items if any(needle in str(r.get(f, "")).lower() for f in fields)]


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


def status_filter(request: Request, filters: dict[str, str | None]) -> str | None:
    """The status `filter_by` asks for (None for all); an unknown filter is refused."""
    wanted = filters.get(request.query_params.get("filter_by", "Status.All"), "?")
    if wanted == "?":
        raise billing_error(400, BILLING_INVALID_VALUE, "Invalid value passed for filter_by.")
    return wanted


def filter_customer_and_deal(request: Request, items: list[Record]) -> list[Record]:
    """The documents of the `customer_id` and of the CRM deal `zcrm_potential_id` asked for."""
    query = request.query_params
    if query.get("customer_id"):
        items = [r for r in items if r["customer_id"] == query["customer_id"]]
    if query.get("zcrm_potential_id"):
        items = [r for r in items if r.get("zcrm_potential_id") == query["zcrm_potential_id"]]
    return items


def reprice_lines(
    request: Request, document: Record, body: dict[str, Any], key: str, id_key: str
) -> float | None:
    """Replaces the document's `key` lines with the body's, priced from the catalogue, and
    returns their total; None (the document untouched) when the body sends no lines."""
    if key not in body:
        return None
    check_lines(body, key, id_key)
    document[key], total = priced_lines(body[key], id_key, sandbox_of(request).world)
    return total


def copy_text_fields(document: Record, body: dict[str, Any], keys: tuple[str, ...]) -> None:
    """The body's values for `keys` (those it sends) stored as text; null becomes ""."""
    for key in keys:
        if key in body:
            document[key] = str(body[key] or "")
