"""Billing v1: organizations, customers (with the CRM reference lookup) and contact persons."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from zsync_tui.sandbox.billing_common import (
    billing_scope,
    body_of,
    not_found,
    now_text,
    paged,
)
from zsync_tui.sandbox.billing_model import (
    apply_customer_fields,
    apply_person_fields,
    customer_summary,
    new_contact_person,
    new_customer,
)
from zsync_tui.sandbox.crm_common import sandbox_of, token_of
from zsync_tui.sandbox.oauth import has_scope
from zsync_tui.sandbox.responses import (
    BILLING_CANNOT_DELETE,
    BILLING_INVALID_VALUE,
    BILLING_NOT_AUTHORIZED,
    billing_error,
    json_reply,
)
from zsync_tui.sandbox.world import Record, World

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TEXT_LIMITS = {
    "display_name": 200,
    "first_name": 100,
    "last_name": 100,
    "company_name": 200,
    "email": 100,
    "phone": 50,
    "mobile": 50,
    "website": 200,
    "notes": 5000,
}
CUSTOMER_FILTERS = {
    "Status.All": lambda c: True,
    "Status.Active": lambda c: c["status"] == "active",
    "Status.Inactive": lambda c: c["status"] == "inactive",
    "Status.Gapps": lambda c: bool(c.get("is_gapps_customer")),
    "Status.Crm": lambda c: bool(c.get("is_linked_with_zohocrm")),
    "Status.NonSubscribers": lambda c: True,
    "Status.PortalEnabled": lambda c: bool(c.get("is_portal_enabled")),
    "Status.PortalDisabled": lambda c: not c.get("is_portal_enabled"),
}


async def organizations(request: Request) -> Response:
    """GET /billing/v1/organizations (no org header needed: this is where the id comes from)."""
    if not has_scope(token_of(request), "ZohoSubscriptions.settings.READ"):
        raise billing_error(
            401, BILLING_NOT_AUTHORIZED, "You are not authorized to perform this operation"
        )
    org = sandbox_of(request).world.billing_org
    return json_reply({"code": 0, "message": "success", "organizations": [org]})


def validate_customer(body: dict[str, Any], creating: bool, world: World) -> None:
    """Billing's checks on a customer body: required fields, types, lengths, email, sub type."""
    for key in ("display_name", "email") if creating else ():
        if not str(body.get(key) or "").strip():
            raise billing_error(
                400, BILLING_INVALID_VALUE, f"Invalid value passed for {key}: it is required."
            )
    for key, limit in TEXT_LIMITS.items():
        if key in body and body[key] is not None:
            if not isinstance(body[key], str):
                raise billing_error(400, BILLING_INVALID_VALUE, f"Invalid value passed for {key}.")
            if len(body[key]) > limit:
                raise billing_error(
                    400,
                    BILLING_INVALID_VALUE,
                    f"Invalid value passed for {key}: longer than {limit}.",
                )
    if "display_name" in body and not str(body.get("display_name") or "").strip():
        raise billing_error(400, BILLING_INVALID_VALUE, "Invalid value passed for display_name.")
    email = body.get("email")
    if email and not EMAIL.match(str(email)):
        raise billing_error(400, BILLING_INVALID_VALUE, "Invalid value passed for email.")
    if "customer_sub_type" in body and body["customer_sub_type"] not in ("business", "individual"):
        raise billing_error(
            400, BILLING_INVALID_VALUE, "Invalid value passed for customer_sub_type."
        )
    for key in ("billing_address", "shipping_address"):
        if key in body and body[key] is not None and not isinstance(body[key], dict):
            raise billing_error(400, BILLING_INVALID_VALUE, f"Invalid value passed for {key}.")
    if "custom_fields" in body:
        validate_custom_fields(body["custom_fields"], world, "customer")


def validate_custom_fields(raw: Any, world: World, entity: str) -> None:
    """`custom_fields[{index 1-10 | label, value}]`, each naming a field defined for `entity`:
    a CRM field with no Billing counterpart needs a Billing custom field first."""
    if not isinstance(raw, list):
        raise billing_error(400, BILLING_INVALID_VALUE, "Invalid value passed for custom_fields.")
    defined = [f for f in world.billing_custom_fields if f["entity"] == entity]
    for entry in raw:
        if not isinstance(entry, dict) or ("index" not in entry and "label" not in entry):
            raise billing_error(
                400, BILLING_INVALID_VALUE, "Invalid value passed for custom_fields."
            )
        if "index" in entry and (
            not isinstance(entry["index"], int) or not 1 <= entry["index"] <= 10
        ):
            raise billing_error(
                400, BILLING_INVALID_VALUE, "Invalid value passed for custom_fields index (1-10)."
            )
        known = any(
            f["index"] == entry.get("index") or f["label"] == entry.get("label") for f in defined
        )
        if not known:
            name = entry.get("label", entry.get("index"))
            raise billing_error(
                400,
                BILLING_INVALID_VALUE,
                f"Invalid value passed for custom_fields: no {entity} custom field {name!r}; "
                "create it in Billing first.",
            )


def _customer(request: Request) -> Record:
    customer = sandbox_of(request).world.customers.get(request.path_params["customer_id"])
    if customer is None:
        raise not_found("Customer")
    return customer


def _full(request: Request, customer: Record) -> Record:
    world = sandbox_of(request).world
    persons = world.persons_of(customer["customer_id"])
    out = dict(customer)
    out["contactpersons"] = [dict(p) for p in persons]
    return out


async def create_customer(request: Request) -> Response:
    """POST /billing/v1/customers: 201 with the new customer."""
    billing_scope(request, "customers", "CREATE")
    body = await body_of(request)
    validate_customer(body, creating=True, world=sandbox_of(request).world)
    sandbox = sandbox_of(request)
    customer = new_customer(sandbox.world, body, now_text(request))
    return json_reply(
        {
            "code": 0,
            "message": "The customer has been created",
            "customer": _full(request, customer),
        },
        201,
    )


async def list_customers(request: Request) -> Response:
    """GET /billing/v1/customers with `filter_by`, `page`, `per_page`."""
    billing_scope(request, "customers", "READ")
    filter_by = request.query_params.get("filter_by", "Status.All")
    keep = CUSTOMER_FILTERS.get(filter_by)
    if keep is None:
        raise billing_error(400, BILLING_INVALID_VALUE, "Invalid value passed for filter_by.")
    customers = [c for c in sandbox_of(request).world.customers.values() if keep(c)]
    return json_reply(paged(request, customers, "customers", "Customers", {}, customer_summary))


async def get_customer(request: Request) -> Response:
    """GET /billing/v1/customers/{id}."""
    billing_scope(request, "customers", "READ")
    return json_reply(
        {"code": 0, "message": "success", "customer": _full(request, _customer(request))}
    )


async def update_customer(request: Request) -> Response:
    """PUT /billing/v1/customers/{id}: the given fields change; updated_time moves."""
    billing_scope(request, "customers", "UPDATE")
    customer = _customer(request)
    body = await body_of(request)
    validate_customer(body, creating=False, world=sandbox_of(request).world)
    apply_customer_fields(customer, body)
    if "custom_fields" in body:
        customer["custom_fields"] = body["custom_fields"]
    customer["updated_time"] = now_text(request)
    return json_reply(
        {
            "code": 0,
            "message": "Customer information has been saved.",
            "customer": _full(request, customer),
        }
    )


async def delete_customer(request: Request) -> Response:
    """DELETE /billing/v1/customers/{id}; refused while invoices refer to it."""
    billing_scope(request, "customers", "DELETE")
    customer = _customer(request)
    world = sandbox_of(request).world
    customer_id = customer["customer_id"]
    if any(
        i["customer_id"] == customer_id and i["status"] != "void" for i in world.invoices.values()
    ):
        raise billing_error(
            400,
            BILLING_CANNOT_DELETE,
            "The customer has transactions associated with it and cannot be deleted; "
            "void them first.",
        )
    del world.customers[customer_id]
    for person in world.persons_of(customer_id):
        del world.contact_persons[person["contactperson_id"]]
    world.persons_changed()
    return json_reply({"code": 0, "message": "The customer has been deleted."})


async def customer_by_reference(request: Request) -> Response:
    """GET /billing/v1/customers/reference/{crm_id}?reference_id_type=zcrm_account_id or
    zcrm_contact_id."""
    billing_scope(request, "customers", "READ")
    kind = request.query_params.get("reference_id_type", "zcrm_account_id")
    if kind not in ("zcrm_account_id", "zcrm_contact_id"):
        raise billing_error(
            400, BILLING_INVALID_VALUE, "Invalid value passed for reference_id_type."
        )
    customer = sandbox_of(request).world.customer_by_reference(
        kind, request.path_params["reference_id"]
    )
    if customer is not None:
        return json_reply({"code": 0, "message": "success", "customer": _full(request, customer)})
    raise not_found("Customer")


async def mark_customer(request: Request) -> Response:
    """POST /billing/v1/customers/{id}/markasactive | markasinactive."""
    billing_scope(request, "customers", "UPDATE")
    customer = _customer(request)
    active = request.url.path.endswith("markasactive")
    customer["status"] = "active" if active else "inactive"
    customer["updated_time"] = now_text(request)
    state = "active" if active else "inactive"
    return json_reply({"code": 0, "message": f"The customer has been marked as {state}."})


def _person(request: Request, customer: Record) -> Record:
    person = sandbox_of(request).world.contact_persons.get(request.path_params["contactperson_id"])
    if person is None or person["customer_id"] != customer["customer_id"]:
        raise not_found("Contact person")
    return person


def _validate_person(body: dict[str, Any], creating: bool) -> None:
    if creating and not str(body.get("email") or "").strip():
        raise billing_error(
            400, BILLING_INVALID_VALUE, "Invalid value passed for email: it is required."
        )
    email = body.get("email")
    if email and not EMAIL.match(str(email)):
        raise billing_error(400, BILLING_INVALID_VALUE, "Invalid value passed for email.")
    for key in ("first_name", "last_name", "phone", "mobile", "fax"):
        if key in body and body[key] is not None and not isinstance(body[key], str):
            raise billing_error(400, BILLING_INVALID_VALUE, f"Invalid value passed for {key}.")


async def create_person(request: Request) -> Response:
    """POST /billing/v1/customers/{id}/contactpersons."""
    billing_scope(request, "customers", "CREATE")
    customer = _customer(request)
    body = await body_of(request)
    _validate_person(body, creating=True)
    person = new_contact_person(sandbox_of(request).world, customer, body, now_text(request))
    customer["updated_time"] = now_text(request)
    return json_reply(
        {
            "code": 0,
            "message": "The contactperson has been Created",
            "contact_person": dict(person),
        },
        201,
    )


async def list_persons(request: Request) -> Response:
    """GET /billing/v1/customers/{id}/contactpersons."""
    billing_scope(request, "customers", "READ")
    customer = _customer(request)
    keys = (
        "contactperson_id",
        "first_name",
        "last_name",
        "email",
        "mobile",
        "phone",
        "is_primary_contact",
    )
    persons = [
        {k: p.get(k) for k in keys}
        for p in sandbox_of(request).world.persons_of(customer["customer_id"])
    ]
    return json_reply(paged(request, persons, "contact_persons", "Contact Persons", {}))


async def get_person(request: Request) -> Response:
    """GET /billing/v1/customers/{id}/contactpersons/{pid}."""
    billing_scope(request, "customers", "READ")
    person = _person(request, _customer(request))
    return json_reply({"code": 0, "message": "success", "contact_person": dict(person)})


async def update_person(request: Request) -> Response:
    """PUT /billing/v1/customers/{id}/contactpersons/{pid}."""
    billing_scope(request, "customers", "UPDATE")
    customer = _customer(request)
    person = _person(request, customer)
    body = await body_of(request)
    _validate_person(body, creating=False)
    apply_person_fields(person, body)
    person["updated_time"] = now_text(request)
    customer["updated_time"] = person["updated_time"]
    return json_reply(
        {
            "code": 0,
            "message": "The contactperson details has been updated.",
            "contact_person": dict(person),
        }
    )


async def delete_person(request: Request) -> Response:
    """DELETE /billing/v1/customers/{id}/contactpersons/{pid}."""
    billing_scope(request, "customers", "DELETE")
    customer = _customer(request)
    person = _person(request, customer)
    world = sandbox_of(request).world
    del world.contact_persons[person["contactperson_id"]]
    world.persons_changed()
    if customer.get("primary_contactperson_id") == person["contactperson_id"]:
        customer["primary_contactperson_id"] = ""
    customer["updated_time"] = now_text(request)
    return json_reply({"code": 0, "message": "The contact person has been deleted."})
