"""Zoho Billing v1: organizations, customers, contact persons, quotes, invoices, sales orders.

Every call but the organizations list names the organization in the
`X-com-zoho-subscriptions-organizationid` header. Answers are `{"code": 0, "message": …,
"<resource>": …}`; a non-zero code is an error even under HTTP 200.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx

from zsync_tui.zoho.errors import (
    AmbiguousWrite,
    MalformedResponse,
    NotAvailable,
    NotFound,
    ValidationFailed,
)
from zsync_tui.zoho.models import BillingOrganization, CallCounts
from zsync_tui.zoho.transport import ZohoTransport, error_for, json_body

ORG_HEADER = "X-com-zoho-subscriptions-organizationid"
PER_PAGE = 200
CrmReference = Literal["zcrm_account_id", "zcrm_contact_id"]
EstimateStatus = Literal["sent", "accepted", "declined"]
_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


def _id(value: str) -> str:
    if not _ID.match(str(value)):
        raise ValueError(f"{value!r} is not a Billing ID")
    return str(value)


class BillingClient:
    """Zoho Billing v1 over one transport, for one organization."""

    def __init__(self, transport: ZohoTransport, organization_id: str | None = None) -> None:
        self.transport = transport
        self.organization_id = organization_id

    @property
    def counts(self) -> CallCounts:
        t = self.transport
        return CallCounts(t.calls, t.write_calls, t.retries)

    def _headers(self) -> dict[str, str]:
        if not self.organization_id:
            raise ValueError("no Billing organization chosen: pass organization_id first")
        return {ORG_HEADER: self.organization_id}

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        write: bool = False,
        org: bool = True,
    ) -> dict[str, Any]:
        headers = self._headers() if org else None
        if not write and method == "GET":
            read = await self.transport.read_json(path, params=params, headers=headers)
            body = read if read is not None else {}
            response: httpx.Response | None = None
        else:
            response = await self.transport.request(
                method, path, params=params, json=json, headers=headers, write=write
            )
            try:
                body = json_body(response, "billing")
            except MalformedResponse as exc:
                raise AmbiguousWrite(
                    f"the answer could not be read ({exc.excerpt!r})",
                    method=method,
                    path=path,
                    side="billing",
                ) from None
        code = body.get("code", 0)
        if code not in (0, "0"):
            # A non-zero code is an error even under HTTP 200.
            if response is not None and response.status_code >= 400:
                raise error_for(response, "billing")
            raise ValidationFailed(
                f"{code} {body.get('message', '')}".strip(), side="billing", code=str(code)
            )
        return body

    @staticmethod
    def _field(body: dict[str, Any], key: str) -> Any:
        if key not in body:
            raise MalformedResponse(f"the Billing answer has no {key!r}", str(body)[:200])
        return body[key]

    async def _pages(
        self, path: str, key: str, params: dict[str, Any] | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        page = 1
        while True:
            body = await self._call(
                "GET", path, params={**(params or {}), "page": page, "per_page": PER_PAGE}
            )
            items = self._field(body, key)
            if not isinstance(items, list):
                raise MalformedResponse(f"the Billing {key!r} is not a list", str(body)[:200])
            if items:
                yield items
            context = body.get("page_context") or {}
            if not context.get("has_more_page"):
                return
            page += 1

    async def _all(
        self, path: str, key: str, params: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        return [item async for page in self._pages(path, key, params) for item in page]

    # -- organizations ---------------------------------------------------------------------

    async def organizations(self) -> list[BillingOrganization]:
        """The Billing organizations this token can see (no organization header)."""
        body = await self._call("GET", "/organizations", org=False)
        items = self._field(body, "organizations")
        return [BillingOrganization.from_wire(item) for item in items if isinstance(item, dict)]

    # -- customers -------------------------------------------------------------------------

    def list_customers(self, filter_by: str = "Status.All") -> AsyncIterator[list[dict[str, Any]]]:
        """Customers a page at a time; list entries are short (get one for its CRM links)."""
        return self._pages("/customers", "customers", {"filter_by": filter_by})

    async def get_customer(self, customer_id: str) -> dict[str, Any]:
        body = await self._call("GET", f"/customers/{_id(customer_id)}")
        return dict(self._field(body, "customer"))

    async def create_customer(self, customer: dict[str, Any]) -> dict[str, Any]:
        """Create a customer (`display_name` and `email` required); returns it with its ID."""
        body = await self._call("POST", "/customers", json=customer, write=True)
        return dict(self._field(body, "customer"))

    async def update_customer(self, customer_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        body = await self._call("PUT", f"/customers/{_id(customer_id)}", json=changes, write=True)
        return dict(self._field(body, "customer"))

    async def customer_by_crm_reference(
        self, crm_id: str, kind: CrmReference
    ) -> dict[str, Any] | None:
        """The customer linked to a CRM account or contact, or None when none is."""
        try:
            body = await self._call(
                "GET",
                f"/customers/reference/{_id(crm_id)}",
                params={"reference_id_type": kind},
            )
        except NotFound:
            return None
        return dict(self._field(body, "customer"))

    # -- contact persons -------------------------------------------------------------------

    async def list_contact_persons(self, customer_id: str) -> list[dict[str, Any]]:
        return await self._all(f"/customers/{_id(customer_id)}/contactpersons", "contact_persons")

    async def get_contact_person(self, customer_id: str, person_id: str) -> dict[str, Any]:
        path = f"/customers/{_id(customer_id)}/contactpersons/{_id(person_id)}"
        return dict(self._field(await self._call("GET", path), "contact_person"))

    async def create_contact_person(
        self, customer_id: str, person: dict[str, Any]
    ) -> dict[str, Any]:
        path = f"/customers/{_id(customer_id)}/contactpersons"
        body = await self._call("POST", path, json=person, write=True)
        return dict(self._field(body, "contact_person"))

    async def update_contact_person(
        self, customer_id: str, person_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        path = f"/customers/{_id(customer_id)}/contactpersons/{_id(person_id)}"
        body = await self._call("PUT", path, json=changes, write=True)
        return dict(self._field(body, "contact_person"))

    async def delete_contact_person(self, customer_id: str, person_id: str) -> None:
        path = f"/customers/{_id(customer_id)}/contactpersons/{_id(person_id)}"
        await self._call("DELETE", path, write=True)

    # -- quotes (estimates) ----------------------------------------------------------------

    async def create_estimate(
        self, estimate: dict[str, Any], *, send: bool = False
    ) -> dict[str, Any]:
        """Create a quote (`customer_id` and `line_items` required)."""
        body = await self._call(
            "POST", "/estimates", params={"send": str(send).lower()}, json=estimate, write=True
        )
        return dict(self._field(body, "estimate"))

    async def get_estimate(self, estimate_id: str) -> dict[str, Any]:
        body = await self._call("GET", f"/estimates/{_id(estimate_id)}")
        return dict(self._field(body, "estimate"))

    async def update_estimate(self, estimate_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change a quote (e.g. its `zcrm_potential_id` link); returns it."""
        body = await self._call("PUT", f"/estimates/{_id(estimate_id)}", json=changes, write=True)
        return dict(self._field(body, "estimate"))

    async def list_estimates(self, zcrm_potential_id: str | None = None) -> list[dict[str, Any]]:
        """Quotes, optionally only those made for one CRM deal."""
        params = {"zcrm_potential_id": _id(zcrm_potential_id)} if zcrm_potential_id else None
        return await self._all("/estimates", "estimates", params)

    async def mark_estimate(self, estimate_id: str, status: EstimateStatus) -> str:
        """Move a quote to sent, accepted or declined; returns Zoho's message."""
        if status not in ("sent", "accepted", "declined"):
            raise ValueError(f"unknown estimate status {status!r}")
        path = f"/estimates/{_id(estimate_id)}/status/{status}"
        body = await self._call("POST", path, write=True)
        return str(body.get("message", ""))

    # -- invoices --------------------------------------------------------------------------

    async def create_invoice(
        self, invoice: dict[str, Any], *, send: bool = False
    ) -> dict[str, Any]:
        """Create an invoice (`customer_id`, `invoice_items`, `date` required)."""
        body = await self._call(
            "POST", "/invoices", params={"send": str(send).lower()}, json=invoice, write=True
        )
        return dict(self._field(body, "invoice"))

    async def get_invoice(self, invoice_id: str) -> dict[str, Any]:
        body = await self._call("GET", f"/invoices/{_id(invoice_id)}")
        return dict(self._field(body, "invoice"))

    async def update_invoice(self, invoice_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change an invoice (e.g. its reference number); returns it."""
        body = await self._call("PUT", f"/invoices/{_id(invoice_id)}", json=changes, write=True)
        return dict(self._field(body, "invoice"))

    async def list_invoices(
        self, *, customer_id: str | None = None, filter_by: str | None = None
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {}
        if customer_id:
            params["customer_id"] = _id(customer_id)
        if filter_by:
            params["filter_by"] = filter_by
        return await self._all("/invoices", "invoices", params)

    async def void_invoice(self, invoice_id: str) -> str:
        """Void an invoice (payments and credits become customer credits)."""
        body = await self._call("POST", f"/invoices/{_id(invoice_id)}/void", write=True)
        return str(body.get("message", ""))

    # -- custom fields ---------------------------------------------------------------------

    async def custom_fields(self, entity: str = "customer") -> list[dict[str, Any]]:
        """The custom fields defined for `customer`, `invoice` or `quote`.

        The path is Books' (`/settings/customfields?entity=`): Billing's spec set has none, so
        this is unverified against real Zoho. Values travel inside each record's
        `custom_fields[{label|index, value}]`.
        """
        body = await self._call("GET", "/settings/customfields", params={"entity": entity})
        items = self._field(body, "customfields")
        return [item for item in items if isinstance(item, dict)]

    async def customer_custom_fields(self) -> list[str]:
        """The labels of the customer custom fields (what a field map may name)."""
        return [str(f["label"]) for f in await self.custom_fields("customer") if f.get("label")]

    # -- sales orders (absent from Billing's published API) --------------------------------

    def _no_sales_orders(self) -> NotAvailable:
        return NotAvailable(
            "sales orders are not available in this Billing organization; choose quotes or "
            "invoices for this deal trigger instead",
            side="billing",
        )

    async def create_sales_order(self, order: dict[str, Any]) -> dict[str, Any]:
        """Create a sales order where the organization has them, else `NotAvailable`."""
        try:
            body = await self._call("POST", "/salesorders", json=order, write=True)
        except NotFound:
            raise self._no_sales_orders() from None
        return dict(self._field(body, "salesorder"))

    async def get_sales_order(self, order_id: str) -> dict[str, Any]:
        body = await self._call("GET", f"/salesorders/{_id(order_id)}")
        return dict(self._field(body, "salesorder"))

    async def update_sales_order(self, order_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        body = await self._call("PUT", f"/salesorders/{_id(order_id)}", json=changes, write=True)
        return dict(self._field(body, "salesorder"))

    async def sales_orders_available(self) -> bool:
        """Whether this organization answers the sales orders API at all."""
        try:
            await self._call("GET", "/salesorders", params={"page": 1, "per_page": 1})
        except NotFound:
            return False
        return True
