"""Billing records as the API shows them: customers, contact persons, quotes, invoices, orders."""

from __future__ import annotations

from typing import Any

from zsync_tui.sandbox.world import Record, World

ADDRESS_KEYS = (
    "attention",
    "street",
    "street2",
    "city",
    "state",
    "state_code",
    "zip",
    "country",
    "fax",
)
CUSTOMER_TEXT = (
    "display_name",
    "salutation",
    "first_name",
    "last_name",
    "email",
    "company_name",
    "phone",
    "mobile",
    "department",
    "designation",
    "website",
    "notes",
    "payment_terms_label",
)
CUSTOMER_LIST_KEYS = (
    "customer_id",
    "display_name",
    "salutation",
    "first_name",
    "last_name",
    "email",
    "tags",
    "company_name",
    "phone",
    "mobile",
    "website",
    "department",
    "designation",
    "currency_code",
    "unused_credits",
    "outstanding",
    "is_gapps_customer",
    "updated_time",
    "created_time",
    "has_attachment",
    "status",
    "customer_sub_type",
)
ESTIMATE_LIST_KEYS = (
    "estimate_id",
    "customer_name",
    "customer_id",
    "status",
    "estimate_number",
    "reference_number",
    "date",
    "currency_id",
    "currency_code",
    "total",
    "created_time",
    "last_modified_time",
    "accepted_date",
    "declined_date",
    "expiry_date",
    "has_attachment",
    "is_viewed_by_client",
    "zcrm_potential_id",
)
INVOICE_LIST_KEYS = (
    "invoice_id",
    "number",
    "invoice_number",
    "status",
    "invoice_date",
    "date",
    "due_date",
    "customer_id",
    "customer_name",
    "email",
    "balance",
    "total",
    "currency_code",
    "currency_symbol",
    "has_attachment",
    "created_time",
    "updated_time",
    "last_modified_time",
    "reference_number",
    "salesperson_name",
)
SALESORDER_LIST_KEYS = (
    "salesorder_id",
    "salesorder_number",
    "status",
    "date",
    "customer_id",
    "customer_name",
    "total",
    "currency_code",
    "created_time",
    "last_modified_time",
    "zcrm_potential_id",
)


def _address(raw: Any) -> Record:
    source = raw if isinstance(raw, dict) else {}
    return {key: str(source.get(key) or "") for key in ADDRESS_KEYS}


def apply_customer_fields(customer: Record, body: Record) -> None:
    """Copy the writable customer fields of `body` (already validated) onto `customer`."""
    for key in CUSTOMER_TEXT:
        if key in body:
            customer[key] = "" if body[key] is None else str(body[key])
    for key in ("billing_address", "shipping_address"):
        if key in body:
            customer[key] = _address(body[key])
    if "customer_sub_type" in body:
        customer["customer_sub_type"] = body["customer_sub_type"]
    if "currency_code" in body:
        customer["currency_code"] = str(body["currency_code"])
    if "tags" in body and isinstance(body["tags"], list):
        customer["tags"] = body["tags"]
    if "is_portal_enabled" in body:
        customer["is_portal_enabled"] = bool(body["is_portal_enabled"])


def new_customer(world: World, body: Record, now: str) -> Record:
    """Create and store a customer from a validated create body."""
    customer_id = world.next_billing_id()
    customer: Record = {
        "customer_id": customer_id,
        "display_name": "",
        "salutation": "",
        "first_name": "",
        "last_name": "",
        "email": "",
        "company_name": "",
        "phone": "",
        "mobile": "",
        "department": "",
        "designation": "",
        "website": "",
        "notes": "",
        "tags": [],
        "is_portal_enabled": False,
        "billing_address": _address(None),
        "shipping_address": _address(None),
        "currency_code": world.billing_org.get("currency_code", "USD"),
        "currency_id": "982000000000190",
        "price_precision": 2,
        "unused_credits": 0.0,
        "outstanding": 0.0,
        "status": "active",
        "customer_sub_type": "business" if body.get("company_name") else "individual",
        "custom_fields": [],
        "zcrm_account_id": "",
        "zcrm_contact_id": "",
        "is_linked_with_zohocrm": False,
        "is_gapps_customer": False,
        "has_attachment": False,
        "source": "api",
        "payment_terms_label": "Due on Receipt",
        "primary_contactperson_id": "",
        "created_time": now,
        "updated_time": now,
    }
    apply_customer_fields(customer, body)
    if "custom_fields" in body:
        customer["custom_fields"] = body["custom_fields"]
    world.customers[customer_id] = customer
    return customer


def customer_summary(customer: Record) -> Record:
    """The smaller set of customer fields a list shows (no CRM ids, as on Zoho)."""
    return {key: customer.get(key) for key in CUSTOMER_LIST_KEYS}


def new_contact_person(world: World, customer: Record, body: Record, now: str) -> Record:
    """Create and store a contact person of `customer`."""
    person_id = world.next_billing_id()
    person: Record = {
        "contactperson_id": person_id,
        "customer_id": customer["customer_id"],
        "salutation": "",
        "first_name": "",
        "last_name": "",
        "email": "",
        "phone": "",
        "mobile": "",
        "fax": "",
        "designation": "",
        "department": "",
        "is_primary_contact": False,
        "created_time": now,
        "updated_time": now,
    }
    apply_person_fields(person, body)
    world.contact_persons[person_id] = person
    world.persons_changed()
    if not customer.get("primary_contactperson_id"):
        customer["primary_contactperson_id"] = person_id
        person["is_primary_contact"] = True
    return person


def apply_person_fields(person: Record, body: Record) -> None:
    """Copy the writable contact person fields of `body` onto `person`."""
    for key in (
        "salutation",
        "first_name",
        "last_name",
        "email",
        "phone",
        "mobile",
        "fax",
        "designation",
        "department",
    ):
        if key in body:
            person[key] = "" if body[key] is None else str(body[key])


def priced_lines(lines: list[Record], id_key: str, world: World) -> tuple[list[Record], float]:
    """Normalised line items and their total (rate × quantity − discount)."""
    result: list[Record] = []
    total = 0.0
    for line in lines:
        rate = float(line.get("rate", line.get("price", 0)) or 0)
        quantity = float(line.get("quantity", 1) or 1)
        discount = float(line.get("discount", 0) or 0)
        item_total = round(rate * quantity - discount, 2)
        total += item_total
        result.append(
            {
                "line_item_id": world.next_billing_id(),
                id_key: str(line.get(id_key, "") or ""),
                "name": str(line.get("name", "") or ""),
                "description": str(line.get("description", "") or ""),
                "rate": rate,
                "price": rate,
                "quantity": quantity,
                "discount": discount,
                "item_total": item_total,
            }
        )
    return result, round(total, 2)


def _document_base(world: World, body: Record, now: str) -> Record:
    customer = world.customers[str(body["customer_id"])]
    return {
        "customer_id": customer["customer_id"],
        "customer_name": customer["display_name"],
        "email": customer.get("email", ""),
        "currency_code": customer.get("currency_code", "USD"),
        "currency_id": customer.get("currency_id", ""),
        "currency_symbol": "$" if customer.get("currency_code") == "USD" else "",
        "exchange_rate": float(body.get("exchange_rate", 1) or 1),
        "reference_number": str(body.get("reference_number", "") or ""),
        "salesperson_name": str(body.get("salesperson_name", "") or ""),
        "notes": str(body.get("notes", "") or ""),
        "terms": str(body.get("terms", "") or ""),
        "billing_address": customer.get("billing_address", {}),
        "shipping_address": customer.get("shipping_address", {}),
        "custom_fields": body.get("custom_fields", [])
        if isinstance(body.get("custom_fields"), list)
        else [],
        "contact_persons": body.get("contact_persons", [])
        if isinstance(body.get("contact_persons"), list)
        else [],
        "has_attachment": False,
        "is_viewed_by_client": False,
        "created_time": now,
        "last_modified_time": now,
    }


def new_estimate(world: World, body: Record, now: str) -> Record:
    """Create and store a quote (estimate) in draft, from a validated body."""
    estimate = _document_base(world, body, now)
    lines, total = priced_lines(body["line_items"], "item_id", world)
    estimate_id = world.next_billing_id()
    date = str(body.get("date") or now[:10])
    estimate.update(
        {
            "estimate_id": estimate_id,
            "estimate_number": str(
                body.get("estimate_number") or world.next_number("estimate", "QT")
            ),
            "date": date,
            "expiry_date": str(body.get("expiry_date", "") or ""),
            "status": "draft",
            "line_items": lines,
            "sub_total": total,
            "total": total,
            "tax_total": 0.0,
            "accepted_date": "",
            "declined_date": "",
            "zcrm_potential_id": str(body.get("zcrm_potential_id", "") or ""),
        }
    )
    world.estimates[estimate_id] = estimate
    return estimate


def new_invoice(world: World, body: Record, now: str) -> Record:
    """Create and store an invoice in draft, from a validated body."""
    invoice = _document_base(world, body, now)
    lines, total = priced_lines(body["invoice_items"], "product_id", world)
    invoice_id = world.next_billing_id()
    number = str(body.get("invoice_number") or world.next_number("invoice", "INV"))
    date = str(body["date"])
    invoice.update(
        {
            "invoice_id": invoice_id,
            "number": number,
            "invoice_number": number,
            "invoice_date": date,
            "date": date,
            "due_date": str(body.get("due_date") or date),
            "status": "draft",
            "invoice_items": lines,
            "sub_total": total,
            "total": total,
            "balance": total,
            "payment_made": 0.0,
            "credits_applied": 0.0,
            "write_off_amount": 0.0,
            "invoiced_estimate_id": str(body.get("invoiced_estimate_id", "") or ""),
            "zcrm_potential_id": str(body.get("zcrm_potential_id", "") or ""),
            "updated_time": now,
        }
    )
    world.invoices[invoice_id] = invoice
    return invoice


def new_salesorder(world: World, body: Record, now: str) -> Record:
    """Create and store a sales order (modelled on Zoho Books; unverified for Billing)."""
    order = _document_base(world, body, now)
    lines, total = priced_lines(body["line_items"], "item_id", world)
    order_id = world.next_billing_id()
    order.update(
        {
            "salesorder_id": order_id,
            "salesorder_number": str(
                body.get("salesorder_number") or world.next_number("salesorder", "SO")
            ),
            "date": str(body.get("date") or now[:10]),
            "status": "draft",
            "line_items": lines,
            "sub_total": total,
            "total": total,
            "zcrm_potential_id": str(body.get("zcrm_potential_id", "") or ""),
        }
    )
    world.salesorders[order_id] = order
    return order


def summary(record: Record, keys: tuple[str, ...]) -> Record:
    """The list view of a document."""
    return {key: record.get(key) for key in keys if key in record}
