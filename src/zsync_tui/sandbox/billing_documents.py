"""Billing v1 documents: quotes (estimates), invoices and sales orders, routed under one base.
Sales orders are modelled on Zoho Books: UNVERIFIED for Billing."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from zsync_tui.sandbox.billing_invoices import (
    convert_to_open,
    create_invoice,
    custom_fields,
    delete_invoice,
    get_invoice,
    invoice_custom_fields,
    list_invoices,
    update_invoice,
    void_invoice,
)
from zsync_tui.sandbox.billing_quotes import (
    ESTIMATE_MOVES,
    create_estimate,
    delete_estimate,
    estimate_status,
    get_estimate,
    list_estimates,
    update_estimate,
)
from zsync_tui.sandbox.billing_salesorders import (
    create_salesorder,
    delete_salesorder,
    get_salesorder,
    list_salesorders,
    update_salesorder,
)


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
