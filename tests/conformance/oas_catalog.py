"""What the conformance tests check: the operations we use, and where the spec is patched.

Data only; `oas_specs.py` loads the specs and applies it. Loaded by `conftest.py` from its file
path (see there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CRM_PREFIX = "/crm/v8"
BILLING_PREFIX = "/billing/v1"


@dataclass(frozen=True)
class UsedOperation:
    """An operation the product calls, with the spec file that documents it.

    `extra_statuses` are statuses Zoho documents for the whole API (the v8 status-codes page,
    zoho-api.md §2.11/§3.2) that this operation's own entry leaves out.
    """

    side: str
    method: str
    template: str
    spec_file: str
    extra_statuses: frozenset[int] = frozenset()

    @property
    def key(self) -> str:
        return f"{self.side} {self.method} {self.template}"


# Success statuses the CRM status-codes page documents beyond the OAS's usual lone 200.
_CRM_READ = frozenset({200, 204, 304})
_CRM_WRITE = frozenset({200, 201, 202, 207})


def _crm(method: str, path: str, spec: str, extra: frozenset[int]) -> UsedOperation:
    return UsedOperation("crm", method, CRM_PREFIX + path, f"crm-v8/{spec}", extra)


def _billing(method: str, path: str, spec: str) -> UsedOperation:
    return UsedOperation("billing", method, BILLING_PREFIX + path, f"billing-v1/{spec}")


#: Every CRM v8 and Billing v1 operation `zsync_tui.zoho` calls that a published spec documents.
USED_OPERATIONS: tuple[UsedOperation, ...] = (
    _crm("GET", "/{module_api_name}", "record.json", _CRM_READ),
    _crm("GET", "/{module_api_name}/{id}", "record.json", _CRM_READ),
    _crm("POST", "/{module_api_name}", "record.json", _CRM_WRITE),
    _crm("PUT", "/{module_api_name}", "record.json", _CRM_WRITE),
    _crm("DELETE", "/{module_api_name}", "record.json", _CRM_WRITE),
    _crm("POST", "/{module_api_name}/upsert", "record.json", _CRM_WRITE),
    _crm("GET", "/{module_api_name}/deleted", "record.json", _CRM_READ),
    _crm("GET", "/{module}/search", "module_search.json", _CRM_READ),
    _crm("GET", "/{module_api_name}/actions/count", "record_count.json", frozenset({200})),
    _crm(
        "GET",
        "/{module_api_name}/{record_id}/{related_list_api_name}",
        "related_records.json",
        _CRM_READ,
    ),
    _crm("GET", "/settings/fields", "fields.json", frozenset({200, 204})),
    _crm("GET", "/settings/custom_views", "custom_views.json", frozenset({200, 204})),
    _crm("GET", "/settings/layouts", "layouts.json", frozenset({200, 204})),
    _crm("GET", "/settings/pipeline", "pipeline.json", frozenset({200, 204})),
    _crm("GET", "/org", "org.json", frozenset({200})),
    _crm("GET", "/users", "users.json", frozenset({200, 204})),
    _billing("GET", "/customers", "customers.yml"),
    _billing("POST", "/customers", "customers.yml"),
    _billing("GET", "/customers/{customer_id}", "customers.yml"),
    _billing("PUT", "/customers/{customer_id}", "customers.yml"),
    _billing("GET", "/customers/reference/{reference_id}", "customers.yml"),
    _billing("GET", "/customers/{customer_id}/contactpersons", "contact-persons.yml"),
    _billing("POST", "/customers/{customer_id}/contactpersons", "contact-persons.yml"),
    _billing(
        "GET", "/customers/{customer_id}/contactpersons/{contactperson_id}", "contact-persons.yml"
    ),
    _billing(
        "PUT", "/customers/{customer_id}/contactpersons/{contactperson_id}", "contact-persons.yml"
    ),
    _billing(
        "DELETE",
        "/customers/{customer_id}/contactpersons/{contactperson_id}",
        "contact-persons.yml",
    ),
    _billing("GET", "/estimates", "quotes.yml"),
    _billing("POST", "/estimates", "quotes.yml"),
    _billing("GET", "/estimates/{estimate_id}", "quotes.yml"),
    _billing("PUT", "/estimates/{estimate_id}", "quotes.yml"),
    _billing("POST", "/estimates/{estimate_id}/status/sent", "quotes.yml"),
    _billing("POST", "/estimates/{estimate_id}/status/accepted", "quotes.yml"),
    _billing("POST", "/estimates/{estimate_id}/status/declined", "quotes.yml"),
    _billing("GET", "/invoices", "invoices.yml"),
    _billing("POST", "/invoices", "invoices.yml"),
    _billing("GET", "/invoices/{invoice_id}", "invoices.yml"),
    _billing("PUT", "/invoices/{invoice_id}", "invoices.yml"),
    _billing("POST", "/invoices/{invoice_id}/void", "invoices.yml"),
)

#: Calls the client makes that no published spec documents (checked against nothing).
UNDOCUMENTED_CALLS = (
    "billing GET /billing/v1/organizations",
    "billing GET /billing/v1/settings/customfields (a Books path; unverified for Billing)",
    "billing GET|POST /billing/v1/salesorders, GET /billing/v1/salesorders/{salesorder_id}",
)


@dataclass(frozen=True)
class SpecPatch:
    """A place where the spec is the odd one out; listed in docs/zoho-api-conformance.md.

    `changes` update the schema `components/schemas/<schema>`, or replace its property `prop`
    (or, as `{"extend_enum": [...]}`, add values to that property's enum).
    """

    spec_file: str
    schema: str
    prop: str | None
    changes: dict[str, Any]
    why: str


SPEC_PATCHES: tuple[SpecPatch, ...] = (
    *(
        SpecPatch(
            "crm-v8/record.json",
            "Info",
            name,
            {"type": ["string", "null"]},
            "Zoho sends null when there is no next/previous page; the spec says string",
        )
        for name in ("next_page_token", "previous_page_token", "page_token_expiry")
    ),
    SpecPatch(
        "crm-v8/record.json",
        "API_Exception",
        "code",
        {"extend_enum": ["TOO_MANY_REQUESTS"]},
        "the 429 code (zoho-api.md 2.11, bulk_read.json); record.json's samples have no 429",
    ),
    SpecPatch(
        "crm-v8/users.json",
        "users",
        "time_zone",
        {"type": "string"},
        "a user's time zone is an IANA name (Asia/Kolkata), as the org's is; the spec says object",
    ),
    SpecPatch(
        "crm-v8/custom_views.json",
        "custom_views",
        "module",
        {"anyOf": [{"$ref": "modules.json#/components/schemas/Minified_Module"}, {"type": "null"}]},
        "a view's module is a module reference {api_name, id}; the spec reuses its user schema",
    ),
    SpecPatch(
        "crm-v8/custom_views.json",
        "Criteria",
        None,
        {"required": []},
        "a criterion is either a comparison or a group; the spec requires the keys of both",
    ),
    SpecPatch(
        "crm-v8/custom_views.json",
        "Criteria",
        "value",
        {},
        "a criterion's value is a string, number, list or object; the spec says object",
    ),
    SpecPatch(
        "billing-v1/invoices.yml",
        "price",
        None,
        {"type": "number"},
        "an invoice item's price is a number (the spec's own example is 50; `rate` is a number)",
    ),
    *(
        SpecPatch(
            "billing-v1/invoices.yml",
            name,
            None,
            {"type": "number"},
            "invoice amounts and quantities are decimals (quotes.yml types both as numbers)",
        )
        for name in ("item_total", "quantity")
    ),
    *(
        SpecPatch(
            "billing-v1/customers.yml",
            name,
            None,
            {"required": ["display_name", "email"]},
            "tax_authority_id/name exist only in US sales-tax organizations (zoho-api.md 3.3)",
        )
        for name in ("create-a-customer-request", "update-a-customer-request")
    ),
)
