"""The sandbox's answers, success and error, validate against the published specs.

CRM successes are checked against the success branch itself, CRM errors against
`API_Exception` (common.json's, which requires code/details/message/status, and the operation's
own); Billing against the documented response or the `{code, message}` error envelope. Every
status must be one the spec (or Zoho's API-wide status list) documents.
"""

from __future__ import annotations

from typing import Any

CRM = "/crm/v8"
BILLING = "/billing/v1"
ACCOUNT_FIELDS = "Account_Name,Phone,Website,Owner,Created_Time,Modified_Time,Billing_City"


async def _first_id(exchange: Any, module: str) -> str:
    response, _ = await exchange("GET", f"{CRM}/{module}", params={"fields": "id", "per_page": 1})
    return str(response.json()["data"][0]["id"])


async def test_crm_reads_conform(exchange: Any) -> None:
    problems: list[str] = []
    account = await _first_id(exchange, "Accounts")
    calls: list[tuple[str, dict[str, Any], set[int]]] = [
        ("/Accounts", {"fields": ACCOUNT_FIELDS, "per_page": 5}, {200}),
        ("/Accounts", {"fields": ACCOUNT_FIELDS, "per_page": 5, "page": 2}, {200}),
        (
            "/Contacts",
            {"fields": "Last_Name,Email,Account_Name", "sort_by": "Modified_Time"},
            {200},
        ),
        ("/Deals", {"fields": "Deal_Name,Stage,Amount,Closing_Date,Account_Name"}, {200}),
        (f"/Accounts/{account}", {}, {200}),
        (f"/Accounts/{account}/Contacts", {"fields": "Last_Name,Email"}, {200, 204}),
        ("/Accounts/deleted", {"type": "all"}, {200, 204}),
        (
            "/Accounts/search",
            {"criteria": "(Account_Name:starts_with:A)", "per_page": 5},
            {200, 204},
        ),
        ("/Contacts/search", {"word": "a", "per_page": 5}, {200, 204}),
        ("/Accounts/actions/count", {}, {200}),
        ("/settings/fields", {"module": "Deals"}, {200}),
        ("/settings/fields", {"module": "Contacts"}, {200}),
        ("/settings/custom_views", {"module": "Accounts"}, {200}),
        ("/settings/layouts", {"module": "Deals"}, {200}),
        ("/org", {}, {200}),
        ("/users", {"type": "CurrentUser"}, {200}),
        ("/users", {"type": "ActiveUsers", "page": 1, "per_page": 200}, {200}),
    ]
    for path, params, statuses in calls:
        response, found = await exchange("GET", CRM + path, params=params)
        assert response.status_code in statuses, (path, response.status_code, response.text[:300])
        problems += found
    layouts, _ = await exchange("GET", f"{CRM}/settings/layouts", params={"module": "Deals"})
    layout_id = layouts.json()["layouts"][0]["id"]
    response, found = await exchange(
        "GET", f"{CRM}/settings/pipeline", params={"layout_id": layout_id}
    )
    assert response.status_code == 200, response.text[:300]
    problems += found
    assert not problems, "\n".join(problems)


async def test_crm_not_modified_and_unknown_record(exchange: Any) -> None:
    future = {"If-Modified-Since": "2099-01-01T00:00:00+00:00"}
    response, problems = await exchange(
        "GET", f"{CRM}/Accounts", params={"fields": "id"}, headers=future
    )
    assert response.status_code in (200, 204, 304)
    if response.status_code == 200:
        assert response.json()["data"] == [], "nothing changed after 2099, yet records came back"
    missing, more = await exchange("GET", f"{CRM}/Accounts/4876876000999999001")
    assert missing.status_code in (204, 400, 404)
    assert not problems + more, "\n".join(problems + more)


async def test_crm_writes_conform(exchange: Any) -> None:
    problems: list[str] = []
    body = {"data": [{"Account_Name": "Conformance One"}, {"Account_Name": "Conformance Two"}]}
    created, found = await exchange("POST", f"{CRM}/Accounts", json=body)
    assert created.status_code == 201, created.text[:300]
    problems += found
    ids = [item["details"]["id"] for item in created.json()["data"]]
    update = {"data": [{"id": ids[0], "Phone": "+1 555 0100"}], "trigger": []}
    response, found = await exchange("PUT", f"{CRM}/Accounts", json=update)
    assert response.status_code == 200, response.text[:300]
    problems += found
    upsert = {
        "data": [{"Account_Name": "Conformance One", "Website": "https://one.example"}],
        "duplicate_check_fields": ["Account_Name"],
    }
    response, found = await exchange("POST", f"{CRM}/Accounts/upsert", json=upsert)
    assert response.status_code in (200, 201), response.text[:300]
    assert response.json()["data"][0]["details"]["id"] == ids[0]
    problems += found
    # One good record and one that breaks the unique Account_Name: a partial success.
    mixed = {"data": [{"Account_Name": "Conformance Three"}, {"Account_Name": "Conformance Two"}]}
    response, found = await exchange("POST", f"{CRM}/Accounts", json=mixed)
    assert response.status_code in (207, 400), response.text[:300]
    problems += found
    response, found = await exchange("DELETE", f"{CRM}/Accounts", params={"ids": ",".join(ids)})
    assert response.status_code == 200, response.text[:300]
    problems += found
    response, found = await exchange("GET", f"{CRM}/Accounts/deleted", params={"type": "all"})
    assert response.status_code == 200
    problems += found
    assert not problems, "\n".join(problems)


async def test_crm_errors_conform(exchange: Any, sandbox_http: Any) -> None:
    problems: list[str] = []
    bad: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/Accounts", {}),  # fields is mandatory
        ("GET", "/Nonexistent", {"params": {"fields": "id"}}),
        ("GET", "/Accounts", {"params": {"fields": "id", "per_page": "many"}}),
        ("GET", "/Accounts", {"params": {"fields": "id", "sort_by": "Phone"}}),
        ("GET", "/Accounts/search", {"params": {"per_page": 5}}),
        ("GET", "/Accounts/search", {"params": {"criteria": "Account_Name:equals", "per_page": 5}}),
        ("GET", "/settings/fields", {}),
        ("GET", "/settings/pipeline", {"params": {"layout_id": "1"}}),
        ("POST", "/Accounts", {"json": {"data": [{"Phone": "1"}]}}),  # Account_Name mandatory
        (
            "POST",
            "/Accounts",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
        ),
        ("PUT", "/Accounts", {"json": {"data": [{"Phone": "1"}]}}),  # no id
        ("DELETE", "/Accounts", {}),  # no ids
    ]
    for method, path, kwargs in bad:
        response, found = await exchange(method, CRM + path, check_request=False, **kwargs)
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
        problems += found
    del sandbox_http.headers["Authorization"]
    response, found = await exchange("GET", f"{CRM}/org", check_request=False)
    assert response.status_code == 401
    problems += found
    assert not problems, "\n".join(problems)


async def _customer_id(exchange: Any) -> str:
    response, _ = await exchange("GET", f"{BILLING}/customers")
    return str(response.json()["customers"][0]["customer_id"])


async def test_billing_customers_and_contact_persons_conform(exchange: Any) -> None:
    problems: list[str] = []
    customer = {"display_name": "Conformance Ltd", "email": "billing@conformance.example"}
    created, found = await exchange("POST", f"{BILLING}/customers", json=customer)
    assert created.status_code == 201, created.text[:300]
    problems += found
    customer_id = created.json()["customer"]["customer_id"]
    steps: list[tuple[str, str, dict[str, Any], int]] = [
        ("GET", f"/customers/{customer_id}", {}, 200),
        ("PUT", f"/customers/{customer_id}", {"json": {**customer, "phone": "+1 555 0101"}}, 200),
        ("GET", f"/customers/{customer_id}/contactpersons", {}, 200),
    ]
    for method, path, kwargs, status in steps:
        response, found = await exchange(method, BILLING + path, **kwargs)
        assert response.status_code == status, (path, response.text[:300])
        problems += found
    person = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@conformance.example"}
    made, found = await exchange(
        "POST", f"{BILLING}/customers/{customer_id}/contactpersons", json=person
    )
    assert made.status_code == 201, made.text[:300]
    problems += found
    person_path = f"{BILLING}/customers/{customer_id}/contactpersons/"
    person_path += str(made.json()["contact_person"]["contactperson_id"])
    for method, kwargs in (
        ("GET", {}),
        ("PUT", {"json": {**person, "phone": "+1 555 0102"}}),
        ("DELETE", {}),
    ):
        response, found = await exchange(method, person_path, **kwargs)
        assert response.status_code == 200, (method, response.text[:300])
        problems += found
    assert not problems, "\n".join(problems)


async def test_billing_reference_lookup_conforms(exchange: Any, sandbox_app: Any) -> None:
    linked = [
        c for c in sandbox_app.state.sandbox.world.customers.values() if c.get("zcrm_account_id")
    ]
    problems: list[str] = []
    if linked:
        path = f"{BILLING}/customers/reference/{linked[0]['zcrm_account_id']}"
        response, found = await exchange(
            "GET", path, params={"reference_id_type": "zcrm_account_id"}
        )
        assert response.status_code == 200, response.text[:300]
        problems += found
    path = f"{BILLING}/customers/reference/4876876000999999001"
    response, found = await exchange("GET", path, params={"reference_id_type": "zcrm_account_id"})
    assert response.status_code == 404
    assert not problems + found, "\n".join(problems + found)


async def test_billing_quotes_and_invoices_conform(exchange: Any) -> None:
    problems: list[str] = []
    customer_id = await _customer_id(exchange)
    line = {"name": "Consulting", "rate": 120.0, "quantity": 2}
    estimate = {"customer_id": customer_id, "line_items": [line]}
    made, found = await exchange(
        "POST", f"{BILLING}/estimates", params={"send": "false"}, json=estimate
    )
    assert made.status_code == 201, made.text[:300]
    problems += found
    estimate_id = made.json()["estimate"]["estimate_id"]
    # The spec's update bodies are whole documents (customer, lines, custom fields).
    change = {**estimate, "reference_number": "Q-42", "custom_fields": []}
    response, found = await exchange("PUT", f"{BILLING}/estimates/{estimate_id}", json=change)
    assert response.status_code == 200, response.text[:300]
    problems += found
    for method, path in (
        ("GET", f"/estimates/{estimate_id}"),
        ("GET", "/estimates"),
        ("POST", f"/estimates/{estimate_id}/status/sent"),
        ("POST", f"/estimates/{estimate_id}/status/accepted"),
    ):
        response, found = await exchange(method, BILLING + path)
        assert response.status_code == 200, (path, response.text[:300])
        problems += found
    invoice = {"customer_id": customer_id, "date": "2026-11-25", "invoice_items": [line]}
    made, found = await exchange(
        "POST", f"{BILLING}/invoices", params={"send": "false"}, json=invoice
    )
    assert made.status_code == 201, made.text[:300]
    problems += found
    invoice_id = made.json()["invoice"]["invoice_id"]
    change = {**invoice, "reference_number": "I-42"}
    response, found = await exchange("PUT", f"{BILLING}/invoices/{invoice_id}", json=change)
    assert response.status_code == 200, response.text[:300]
    problems += found
    for method, path in (
        ("GET", f"/invoices/{invoice_id}"),
        ("GET", "/invoices"),
        ("POST", f"/invoices/{invoice_id}/void"),
    ):
        response, found = await exchange(method, BILLING + path)
        assert response.status_code == 200, (path, response.text[:300])
        problems += found
    assert not problems, "\n".join(problems)


async def test_billing_errors_conform(exchange: Any, sandbox_http: Any) -> None:
    problems: list[str] = []
    bad: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/customers/982000000999999001", {}),
        ("POST", "/customers", {"json": {"email": "no-name@conformance.example"}}),
        ("POST", "/customers", {"content": b"{", "headers": {"content-type": "application/json"}}),
        ("GET", "/estimates/982000000999999001", {}),
        ("POST", "/estimates", {"json": {"line_items": []}}),
        ("POST", "/invoices", {"json": {"customer_id": "982000000999999001"}}),
        ("POST", "/invoices/982000000999999001/void", {}),
    ]
    for method, path, kwargs in bad:
        response, found = await exchange(method, BILLING + path, check_request=False, **kwargs)
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
        problems += found
    del sandbox_http.headers["X-com-zoho-subscriptions-organizationid"]
    response, found = await exchange("GET", f"{BILLING}/customers", check_request=False)
    assert 400 <= response.status_code < 500
    problems += found
    assert not problems, "\n".join(problems)
