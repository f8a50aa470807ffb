"""Billing v1 over loopback: organizations, customers, contact persons, quotes, invoices,
sales orders, custom fields, and the errors on each."""

from __future__ import annotations


def _customer(zoho, **extra) -> dict:
    body = {"display_name": "Ørsted & Sons Ltd", "email": "billing@orsted.example", **extra}
    answer = zoho.billing("POST", "/customers", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["customer"]


def test_organizations_and_the_org_header(zoho) -> None:
    orgs = zoho.http.get(f"{zoho.running.url}/billing/v1/organizations", headers=zoho.auth).json()
    assert orgs["code"] == 0
    assert orgs["organizations"][0]["organization_id"] == zoho.org_id
    missing = zoho.http.get(f"{zoho.running.url}/billing/v1/customers", headers=zoho.auth)
    assert missing.status_code == 400 and missing.json()["code"] != 0
    assert "organizationid" in missing.json()["message"]
    wrong = zoho.billing(
        "GET", "/customers", headers={"X-com-zoho-subscriptions-organizationid": "1"}
    )
    assert wrong.status_code == 401
    unknown = zoho.billing("GET", "/nothing-here")
    assert unknown.status_code == 404 and unknown.json()["code"] != 0


def test_customer_crud_and_updated_time(zoho) -> None:
    zoho.freeze_at(1_900_000_000)
    created = _customer(
        zoho,
        customer_sub_type="business",
        company_name="Ørsted & Sons Ltd",
        billing_address={"city": "Aarhus", "country": "Denmark"},
    )
    cid = created["customer_id"]
    assert created["updated_time"] == "2030-03-17T17:46:40+0000"
    assert created["billing_address"]["city"] == "Aarhus"
    zoho.advance(30)
    updated = zoho.billing("PUT", f"/customers/{cid}", json={"phone": "+45 1234"}).json()[
        "customer"
    ]
    assert updated["phone"] == "+45 1234"
    assert updated["updated_time"] == "2030-03-17T17:47:10+0000"
    assert updated["display_name"] == created["display_name"]
    fetched = zoho.billing("GET", f"/customers/{cid}").json()["customer"]
    assert fetched["is_linked_with_zohocrm"] is False and "zcrm_account_id" in fetched
    deleted = zoho.billing("DELETE", f"/customers/{cid}").json()
    assert deleted == {"code": 0, "message": "The customer has been deleted."}
    gone = zoho.billing("GET", f"/customers/{cid}")
    assert gone.status_code == 404 and gone.json()["code"] == 1002


def test_customer_validation(zoho) -> None:
    for body in (
        {"email": "a@b.co"},
        {"display_name": "No mail"},
        {"display_name": "x", "email": "bad"},
        {"display_name": "x" * 201, "email": "a@b.co"},
        {"display_name": "x", "email": "a@b.co", "customer_sub_type": "alien"},
    ):
        answer = zoho.billing("POST", "/customers", json=body)
        assert answer.status_code == 400, body
        assert answer.json()["code"] != 0 and "Invalid value" in answer.json()["message"]
    garbage = zoho.billing("POST", "/customers", content=b"not json")
    assert garbage.status_code == 400


def test_list_filters_paging_and_crm_reference(zoho) -> None:
    listed = zoho.billing("GET", "/customers", params={"per_page": 7}).json()
    assert len(listed["customers"]) == 7
    assert listed["page_context"]["has_more_page"] is True
    assert "zcrm_account_id" not in listed["customers"][0]
    everyone = zoho.billing("GET", "/customers", params={"page": 1}).json()["customers"]
    assert len(everyone) == 20
    crm = zoho.billing("GET", "/customers", params={"filter_by": "Status.Crm"}).json()["customers"]
    assert 1 <= len(crm) < 20
    linked = zoho.billing("GET", f"/customers/{crm[0]['customer_id']}").json()["customer"]
    assert linked["is_linked_with_zohocrm"] is True and linked["zcrm_account_id"]
    by_ref = zoho.billing(
        "GET",
        f"/customers/reference/{linked['zcrm_account_id']}",
        params={"reference_id_type": "zcrm_account_id"},
    ).json()["customer"]
    assert by_ref["customer_id"] == linked["customer_id"]
    assert (
        zoho.billing(
            "GET", "/customers/reference/123", params={"reference_id_type": "zcrm_account_id"}
        ).status_code
        == 404
    )
    assert (
        zoho.billing(
            "GET", "/customers/reference/123", params={"reference_id_type": "other"}
        ).status_code
        == 400
    )
    assert zoho.billing("GET", "/customers", params={"filter_by": "Status.Odd"}).status_code == 400
    assert zoho.billing("GET", "/customers", params={"per_page": 500}).status_code == 400
    inactive = zoho.billing("POST", f"/customers/{crm[0]['customer_id']}/markasinactive").json()
    assert inactive["code"] == 0
    still = zoho.billing("GET", "/customers", params={"filter_by": "Status.Inactive"}).json()[
        "customers"
    ]
    assert [c["customer_id"] for c in still] == [crm[0]["customer_id"]]


def test_contact_persons(zoho) -> None:
    cid = _customer(zoho)["customer_id"]
    made = zoho.billing(
        "POST",
        f"/customers/{cid}/contactpersons",
        json={"first_name": "Ada", "last_name": "L", "email": "ada@example.org"},
    )
    assert made.status_code == 201
    pid = made.json()["contact_person"]["contactperson_id"]
    assert (
        zoho.billing(
            "POST", f"/customers/{cid}/contactpersons", json={"first_name": "No mail"}
        ).status_code
        == 400
    )
    listed = zoho.billing("GET", f"/customers/{cid}/contactpersons").json()["contact_persons"]
    assert [p["contactperson_id"] for p in listed] == [pid]
    changed = zoho.billing(
        "PUT", f"/customers/{cid}/contactpersons/{pid}", json={"mobile": "07"}
    ).json()
    assert changed["contact_person"]["mobile"] == "07"
    assert (
        zoho.billing("GET", f"/customers/{cid}").json()["customer"]["primary_contactperson_id"]
        == pid
    )
    assert zoho.billing("DELETE", f"/customers/{cid}/contactpersons/{pid}").json()["code"] == 0
    assert zoho.billing("GET", f"/customers/{cid}/contactpersons/{pid}").status_code == 404


def test_custom_fields_must_exist_first(zoho) -> None:
    defined = zoho.billing("GET", "/settings/customfields", params={"entity": "customer"}).json()[
        "customfields"
    ]
    label = defined[0]["label"]
    ok = _customer(zoho, custom_fields=[{"label": label, "value": "Retail"}])
    assert ok["custom_fields"] == [{"label": label, "value": "Retail"}]
    missing = zoho.billing(
        "POST",
        "/customers",
        json={
            "display_name": "x",
            "email": "a@b.co",
            "custom_fields": [{"label": "Nope", "value": 1}],
        },
    )
    assert missing.status_code == 400 and "create it in Billing first" in missing.json()["message"]


def test_quote_transitions_and_deal_filter(zoho) -> None:
    cid = _customer(zoho)["customer_id"]
    body = {
        "customer_id": cid,
        "line_items": [{"name": "Licence", "rate": 100, "quantity": 3}],
        "zcrm_potential_id": "4876876000000777001",
    }
    made = zoho.billing("POST", "/estimates", json=body)
    assert made.status_code == 201
    quote = made.json()["estimate"]
    assert (quote["status"], quote["total"]) == ("draft", 300.0)
    qid = quote["estimate_id"]
    early = zoho.billing("POST", f"/estimates/{qid}/status/accepted")
    assert early.status_code == 400 and early.json()["code"] != 0
    assert zoho.billing("POST", f"/estimates/{qid}/status/sent").json()["code"] == 0
    accepted = zoho.billing("POST", f"/estimates/{qid}/status/accepted").json()
    assert accepted["message"] == "Estimate status has been changed to Accepted."
    assert zoho.billing("POST", f"/estimates/{qid}/status/declined").status_code == 400
    for_deal = zoho.billing(
        "GET", "/estimates", params={"zcrm_potential_id": "4876876000000777001"}
    ).json()
    assert [e["estimate_id"] for e in for_deal["estimates"]] == [qid]
    assert for_deal["estimates"][0]["status"] == "accepted"
    accepted_only = zoho.billing(
        "GET", "/estimates", params={"filter_by": "Status.Accepted"}
    ).json()["estimates"]
    assert qid in [e["estimate_id"] for e in accepted_only]
    assert (
        zoho.billing("POST", "/estimates", json={"customer_id": cid, "line_items": []}).status_code
        == 400
    )
    assert zoho.billing("POST", "/estimates", json={**body, "customer_id": "1"}).status_code == 400


def test_invoice_lifecycle_and_refusals(zoho) -> None:
    cid = _customer(zoho)["customer_id"]
    body = {
        "customer_id": cid,
        "date": "2026-11-25",
        "invoice_items": [{"name": "Deal", "price": 250, "quantity": 2}],
    }
    invoice = zoho.billing("POST", "/invoices", json=body).json()["invoice"]
    iid = invoice["invoice_id"]
    assert (invoice["status"], invoice["total"], invoice["balance"]) == ("draft", 500.0, 500.0)
    assert zoho.billing("POST", "/invoices", json={**body, "date": ""}).status_code == 400
    opened = zoho.billing("POST", f"/invoices/{iid}/converttoopen").json()
    assert opened["code"] == 0
    assert zoho.billing("GET", f"/invoices/{iid}").json()["invoice"]["status"] == "sent"
    assert zoho.billing("POST", f"/invoices/{iid}/converttoopen").status_code == 400
    assert (
        zoho.billing("POST", f"/invoices/{iid}/void").json()["message"]
        == "Invoice status has been changed to Void."
    )
    assert zoho.billing("POST", f"/invoices/{iid}/void").status_code == 400
    listed = zoho.billing(
        "GET", "/invoices", params={"customer_id": cid, "filter_by": "Status.Void"}
    ).json()
    assert [i["invoice_id"] for i in listed["invoices"]] == [iid]
    assert (
        zoho.billing("DELETE", f"/customers/{cid}").json()["code"] == 0
    )  # only a void invoice left


def test_paid_invoices_cannot_be_voided_or_deleted(zoho) -> None:
    paid = zoho.billing("GET", "/invoices", params={"filter_by": "Status.Paid"}).json()["invoices"]
    assert paid, "the seeded world has paid invoices"
    iid = paid[0]["invoice_id"]
    assert zoho.billing("POST", f"/invoices/{iid}/void").status_code == 400
    refused = zoho.billing("DELETE", f"/invoices/{iid}")
    assert refused.status_code == 400 and refused.json()["code"] != 0
    assert zoho.billing("GET", f"/invoices/{iid}").json()["invoice"]["status"] == "paid"
    customer = paid[0]["customer_id"]
    assert zoho.billing("DELETE", f"/customers/{customer}").status_code == 400


def test_sales_orders_are_served(zoho) -> None:
    cid = _customer(zoho)["customer_id"]
    made = zoho.billing(
        "POST",
        "/salesorders",
        json={
            "customer_id": cid,
            "zcrm_potential_id": "42",
            "line_items": [{"name": "Kit", "rate": 10, "quantity": 1}],
        },
    )
    assert made.status_code == 201
    sid = made.json()["salesorder"]["salesorder_id"]
    assert [
        o["salesorder_id"]
        for o in zoho.billing("GET", "/salesorders", params={"zcrm_potential_id": "42"}).json()[
            "salesorders"
        ]
    ] == [sid]
    assert zoho.billing("DELETE", f"/salesorders/{sid}").json()["code"] == 0
    assert zoho.billing("GET", f"/salesorders/{sid}").status_code == 404


def test_dates_expire_quotes_and_make_invoices_overdue(zoho) -> None:
    zoho.freeze_at(1_900_000_000)  # 2030-03-17
    cid = _customer(zoho)["customer_id"]
    line = [{"name": "L", "rate": 1, "quantity": 1}]
    quote = zoho.billing(
        "POST",
        "/estimates",
        json={"customer_id": cid, "line_items": line, "expiry_date": "2030-03-20"},
    ).json()["estimate"]
    zoho.billing("POST", f"/estimates/{quote['estimate_id']}/status/sent")
    invoice = zoho.billing(
        "POST",
        "/invoices",
        params={"send": "true"},
        json={
            "customer_id": cid,
            "date": "2030-03-17",
            "due_date": "2030-03-20",
            "invoice_items": line,
        },
    ).json()["invoice"]
    assert invoice["status"] == "sent"
    zoho.advance(5 * 86400)
    zoho.refresh()
    expired = zoho.billing("GET", f"/estimates/{quote['estimate_id']}").json()["estimate"]
    assert expired["status"] == "expired"
    assert (
        zoho.billing("POST", f"/estimates/{quote['estimate_id']}/status/accepted").status_code
        == 400
    )
    overdue = zoho.billing("GET", "/invoices", params={"filter_by": "Status.OverDue"}).json()[
        "invoices"
    ]
    assert invoice["invoice_id"] in [i["invoice_id"] for i in overdue]


def test_invoicing_a_quote_marks_it_invoiced(zoho) -> None:
    cid = _customer(zoho)["customer_id"]
    line = [{"name": "L", "rate": 5, "quantity": 2}]
    qid = zoho.billing("POST", "/estimates", json={"customer_id": cid, "line_items": line}).json()[
        "estimate"
    ]["estimate_id"]
    other = _customer(zoho, display_name="Other", email="o@example.org")["customer_id"]
    mismatch = zoho.billing(
        "POST",
        "/invoices",
        json={
            "customer_id": other,
            "date": "2026-01-01",
            "invoice_items": line,
            "invoiced_estimate_id": qid,
        },
    )
    assert mismatch.status_code == 400
    made = zoho.billing(
        "POST",
        "/invoices",
        json={
            "customer_id": cid,
            "date": "2026-01-01",
            "invoice_items": line,
            "invoiced_estimate_id": qid,
        },
    )
    assert made.status_code == 201 and made.json()["invoice"]["invoiced_estimate_id"] == qid
    assert zoho.billing("GET", f"/estimates/{qid}").json()["estimate"]["status"] == "invoiced"


def test_admin_payment_makes_an_invoice_paid(zoho) -> None:
    cid = _customer(zoho)["customer_id"]
    iid = zoho.billing(
        "POST",
        "/invoices",
        params={"send": "true"},
        json={
            "customer_id": cid,
            "date": "2026-01-01",
            "invoice_items": [{"name": "L", "rate": 7, "quantity": 1}],
        },
    ).json()["invoice"]["invoice_id"]
    assert zoho.admin("POST", f"/invoices/{iid}/pay").json() == {
        "invoice_id": iid,
        "status": "paid",
    }
    paid = zoho.billing("GET", f"/invoices/{iid}").json()["invoice"]
    assert (paid["status"], paid["balance"], paid["payment_made"]) == ("paid", 0.0, 7.0)
    assert zoho.billing("POST", f"/invoices/{iid}/void").status_code == 400
    assert zoho.admin("POST", "/invoices/1/pay").status_code == 404
