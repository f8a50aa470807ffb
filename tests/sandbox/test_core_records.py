"""CRM v8 records over loopback: list, paging, get, insert, update, upsert, search."""

from __future__ import annotations

import time

from zsync_tui.sandbox import RunningSandbox


def test_fixture_starts_quickly_and_reports_credentials(sandbox_factory) -> None:
    began = time.perf_counter()
    running: RunningSandbox = sandbox_factory()
    assert time.perf_counter() - began < 1.0
    creds = running.credentials
    assert set(creds) == {
        "url",
        "accounts_url",
        "api_domain",
        "client_id",
        "client_secret",
        "refresh_token",
        "billing_organization_id",
    }
    assert creds["url"] == running.url == creds["api_domain"] == creds["accounts_url"]
    assert running.url.startswith("http://127.0.0.1:")


def test_list_needs_fields_and_returns_them(zoho) -> None:
    missing = zoho.crm("GET", "/Accounts")
    assert missing.status_code == 400
    assert missing.json() == {
        "code": "REQUIRED_PARAM_MISSING",
        "details": {"param": "fields"},
        "message": "One of the expected parameter is missing",
        "status": "error",
    }
    answer = zoho.crm("GET", "/Accounts", params={"fields": "Account_Name,Phone", "per_page": 10})
    assert answer.status_code == 200
    body = answer.json()
    assert len(body["data"]) == 10
    assert set(body["data"][0]) == {"id", "Account_Name", "Phone"}
    assert body["info"]["more_records"] is True
    assert body["info"]["count"] == 10


def test_page_token_walks_past_two_thousand_records(zoho_factory) -> None:
    zoho = zoho_factory(accounts=2300, contacts=0, deals=0, customers=0)
    refused = zoho.crm("GET", "/Accounts", params={"fields": "Account_Name", "page": 11})
    assert refused.status_code == 400
    assert refused.json()["code"] == "DISCRETE_PAGINATION_LIMIT_EXCEEDED"
    seen: list[str] = []
    token = None
    while True:
        params = {"fields": "Account_Name", "sort_by": "Modified_Time", "sort_order": "asc"}
        if token:
            params["page_token"] = token
        body = zoho.crm("GET", "/Accounts", params=params).json()
        seen += [r["id"] for r in body["data"]]
        if not body["info"]["more_records"]:
            assert body["info"]["next_page_token"] is None
            break
        token = body["info"]["next_page_token"]
    assert len(seen) == len(set(seen)) == 2300
