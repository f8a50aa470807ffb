"""CRM v8 records over loopback: list, paging, get, insert, update, upsert, search."""

from __future__ import annotations

import time

from zsync_tui.sandbox import RunningSandbox


def test_fixture_starts_quickly_and_reports_credentials(sandbox_factory) -> None:
    sandbox_factory(seed=99)  # the first start in a process pays for imports and Faker's locales
    began = time.perf_counter()
    running: RunningSandbox = sandbox_factory()
    assert time.perf_counter() - began < 0.5
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


def _account_fields() -> dict[str, str]:
    return {"fields": "Account_Name,Modified_Time"}


def test_get_one_record_and_missing_one(zoho) -> None:
    listed = zoho.crm("GET", "/Accounts", params={"fields": "Account_Name", "per_page": 1}).json()
    record_id = listed["data"][0]["id"]
    one = zoho.crm("GET", f"/Accounts/{record_id}")
    assert one.status_code == 200
    record = one.json()["data"][0]
    assert record["id"] == record_id
    assert {"Account_Name", "Owner", "Modified_Time", "Created_Time"} <= set(record)
    assert zoho.crm("GET", "/Accounts/4876876000999999001").status_code == 204
    assert zoho.crm("GET", "/Accounts/not-an-id").status_code == 400


def test_unknown_module_field_and_bad_parameters(zoho) -> None:
    assert (
        zoho.crm("GET", "/Leads", params={"fields": "Last_Name"}).json()["code"] == "INVALID_MODULE"
    )
    bad_field = zoho.crm("GET", "/Accounts", params={"fields": "Nope"})
    assert bad_field.status_code == 400 and bad_field.json()["details"]["api_name"] == "Nope"
    too_many = zoho.crm("GET", "/Accounts", params={"fields": ",".join(["Phone"] * 51)})
    assert too_many.json()["code"] == "LIMIT_EXCEEDED"
    assert (
        zoho.crm("GET", "/Accounts", params={"fields": "Phone", "per_page": 201}).status_code == 400
    )
    assert (
        zoho.crm("GET", "/Accounts", params={"fields": "Phone", "sort_by": "Phone"}).status_code
        == 400
    )
    views = zoho.crm("GET", "/settings/custom_views", params={"module": "Accounts"}).json()
    cvid = views["custom_views"][0]["id"]
    clash = zoho.crm("GET", "/Accounts", params={"fields": "Phone", "cvid": cvid, "sort_by": "id"})
    assert clash.status_code == 400 and clash.json()["details"]["param"] == "sort_by"
    both = zoho.crm("GET", "/Accounts", params={"fields": "Phone", "page": 1, "page_token": "x"})
    assert both.status_code == 400
    forged = zoho.crm("GET", "/Accounts", params={"fields": "Phone", "page_token": "eyJ9.abc"})
    assert forged.status_code == 400 and forged.json()["details"]["param"] == "page_token"
    unknown_path = zoho.crm("GET", "/Accounts/1/2/3/4")
    assert unknown_path.status_code == 404
    assert unknown_path.json()["code"] == "INVALID_URL_PATTERN"
    assert zoho.crm("PATCH", "/Accounts").json()["code"] == "INVALID_REQUEST_METHOD"


def test_page_token_expires(zoho) -> None:
    first = zoho.crm("GET", "/Contacts", params={"fields": "Last_Name", "per_page": 10}).json()
    token = first["info"]["next_page_token"]
    zoho.advance(24 * 3600 + 1)
    zoho.refresh()
    expired = zoho.crm(
        "GET", "/Contacts", params={"fields": "Last_Name", "per_page": 10, "page_token": token}
    )
    assert expired.status_code == 400
    assert "expired" in expired.json()["message"]


def test_if_modified_since_304_and_empty_list_204(zoho_factory) -> None:
    zoho = zoho_factory(contacts=0)
    assert zoho.crm("GET", "/Contacts", params={"fields": "Last_Name"}).status_code == 204
    zoho.freeze_at(1_900_000_000)
    since = "2030-03-17T17:46:40+00:00"  # 1_900_000_000
    headers = {"If-Modified-Since": since}
    unchanged = zoho.crm("GET", "/Accounts", params=_account_fields(), headers=headers)
    assert unchanged.status_code == 304
    zoho.advance(5)
    created = zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": "Fresh Ltd"}]})
    assert created.status_code == 201
    changed = zoho.crm("GET", "/Accounts", params=_account_fields(), headers=headers).json()
    assert [r["Account_Name"] for r in changed["data"]] == ["Fresh Ltd"]
    assert changed["data"][0]["Modified_Time"] == "2030-03-17T17:46:45+00:00"
    offset = zoho.crm(
        "GET",
        "/Accounts",
        params=_account_fields(),
        headers={"If-Modified-Since": "2030-03-17T23:16:44+05:30"},
    )
    assert offset.status_code == 200
    assert (
        zoho.crm(
            "GET", "/Accounts", params=_account_fields(), headers={"If-Modified-Since": "yesterday"}
        ).status_code
        == 400
    )


def test_insert_validates_each_record(zoho) -> None:
    accounts = zoho.crm(
        "GET", "/Accounts", params={"fields": "Account_Name", "per_page": 1}
    ).json()["data"]
    answer = zoho.crm(
        "POST",
        "/Contacts",
        json={
            "data": [
                {
                    "Last_Name": "Ørsted",
                    "First_Name": "Ada",
                    "Email": "ada@example.org",
                    "Account_Name": {"id": accounts[0]["id"]},
                },
                {"First_Name": "No last name"},
                {"Last_Name": "Bad mail", "Email": "not-an-email"},
                {"Last_Name": "x" * 81},
                {"Last_Name": "Ghost", "Account_Name": {"id": "4876876000999999001"}},
                {"Last_Name": "Typo", "Emial": "x@y.z"},
                {"Last_Name": "Again", "Email": "ADA@example.org"},
            ]
        },
    )
    assert answer.status_code == 207
    rows = answer.json()["data"]
    assert rows[0]["code"] == "SUCCESS" and rows[0]["message"] == "record added"
    assert (
        rows[1]["code"] == "MANDATORY_NOT_FOUND" and rows[1]["details"]["api_name"] == "Last_Name"
    )
    assert rows[2]["code"] == "INVALID_DATA" and rows[2]["details"]["expected_data_type"] == "email"
    assert rows[3]["details"]["maximum_length"] == 80
    assert rows[4]["code"] == "INVALID_DATA" and rows[4]["details"]["api_name"] == "Account_Name"
    assert rows[5]["details"]["api_name"] == "Emial"
    assert rows[6]["code"] == "DUPLICATE_DATA"
    assert rows[6]["details"]["duplicate_record"]["id"] == rows[0]["details"]["id"]
    stored = zoho.crm("GET", f"/Contacts/{rows[0]['details']['id']}").json()["data"][0]
    assert stored["Full_Name"] == "Ada Ørsted"
    assert stored["Account_Name"] == {"id": accounts[0]["id"], "name": accounts[0]["Account_Name"]}
    all_bad = zoho.crm("POST", "/Contacts", json={"data": [{"First_Name": "x"}]})
    assert all_bad.status_code == 400
    assert (
        zoho.crm("POST", "/Contacts", json={"data": [{"Last_Name": "n"}] * 101}).json()["code"]
        == "LIMIT_EXCEEDED"
    )
    assert (
        zoho.crm("POST", "/Contacts", json={"data": []}).json()["code"] == "REQUIRED_PARAM_MISSING"
    )
    assert zoho.crm("POST", "/Contacts", content=b"{nope").json()["code"] == "INVALID_DATA"


def test_deal_stage_sets_probability_and_expected_revenue(zoho) -> None:
    created = zoho.crm(
        "POST",
        "/Deals",
        json={"data": [{"Deal_Name": "Big one", "Stage": "Negotiation/Review", "Amount": 1000}]},
    ).json()["data"][0]
    deal_id = created["details"]["id"]
    deal = zoho.crm("GET", f"/Deals/{deal_id}").json()["data"][0]
    assert deal["Probability"] == 90 and deal["Expected_Revenue"] == 900.0
    won = zoho.crm("PUT", f"/Deals/{deal_id}", json={"data": [{"Stage": "Closed Won"}]})
    assert won.status_code == 200 and won.json()["data"][0]["message"] == "record updated"
    deal = zoho.crm("GET", f"/Deals/{deal_id}").json()["data"][0]
    assert deal["Probability"] == 100 and deal["Expected_Revenue"] == 1000.0
    bad = zoho.crm("POST", "/Deals", json={"data": [{"Deal_Name": "x", "Stage": "Imaginary"}]})
    assert bad.json()["data"][0]["code"] == "INVALID_DATA"


def test_update_moves_modified_time_and_checks_ids(zoho) -> None:
    zoho.freeze_at(1_900_000_000)
    record = zoho.crm("GET", "/Accounts", params={"fields": "Account_Name", "per_page": 2}).json()[
        "data"
    ]
    zoho.advance(10)
    bulk = zoho.crm(
        "PUT",
        "/Accounts",
        json={
            "data": [
                {"id": record[0]["id"], "Phone": "+1 555 0100"},
                {"Phone": "1"},
                {"id": "4876876000999999001", "Phone": "2"},
            ]
        },
    )
    assert bulk.status_code == 207
    codes = [row["code"] for row in bulk.json()["data"]]
    assert codes == ["SUCCESS", "MANDATORY_NOT_FOUND", "INVALID_DATA"]
    stored = zoho.crm("GET", f"/Accounts/{record[0]['id']}").json()["data"][0]
    assert stored["Phone"] == "+1 555 0100"
    assert stored["Modified_Time"] == "2030-03-17T17:46:50+00:00"
    stale = zoho.crm(
        "PUT",
        f"/Accounts/{record[0]['id']}",
        json={"data": [{"Phone": "3"}]},
        headers={"If-Modified-Since": "2030-03-17T17:46:45+00:00"},
    )
    assert stale.status_code == 412
    taken = zoho.crm(
        "PUT",
        f"/Accounts/{record[1]['id']}",
        json={"data": [{"Account_Name": record[0]["Account_Name"]}]},
    )
    assert taken.json()["data"][0]["code"] == "DUPLICATE_DATA"


def test_upsert_inserts_then_updates(zoho) -> None:
    body = {
        "data": [{"Last_Name": "Upsert", "Email": "up@example.org"}],
        "duplicate_check_fields": ["Email"],
    }
    first = zoho.crm("POST", "/Contacts/upsert", json=body).json()["data"][0]
    assert first["action"] == "insert" and first["code"] == "SUCCESS"
    body["data"][0]["Phone"] = "123"
    second = zoho.crm("POST", "/Contacts/upsert", json=body).json()["data"][0]
    assert second["action"] == "update" and second["duplicate_field"] == "Email"
    assert second["details"]["id"] == first["details"]["id"]
    default_keys = zoho.crm(
        "POST", "/Accounts/upsert", json={"data": [{"Account_Name": "Upserted AB"}]}
    ).json()
    assert default_keys["data"][0]["action"] == "insert"
    again = zoho.crm(
        "POST", "/Accounts/upsert", json={"data": [{"Account_Name": "UPSERTED AB", "Phone": "9"}]}
    )
    assert again.json()["data"][0]["action"] == "update"
    bad = zoho.crm("POST", "/Contacts/upsert", json={**body, "duplicate_check_fields": ["Nope"]})
    assert bad.status_code == 400


def test_delete_bulk_and_one_then_deleted_list(zoho) -> None:
    zoho.freeze_at(1_900_000_000)
    ids = [
        r["id"]
        for r in zoho.crm("GET", "/Deals", params={"fields": "Deal_Name", "per_page": 3}).json()[
            "data"
        ]
    ]
    bulk = zoho.crm("DELETE", "/Deals", params={"ids": f"{ids[0]},{ids[1]},4876876000999999001"})
    assert bulk.status_code == 207
    assert [r["status"] for r in bulk.json()["data"]] == ["success", "success", "error"]
    zoho.advance(60)
    one = zoho.crm("DELETE", f"/Deals/{ids[2]}")
    assert one.status_code == 200 and one.json()["data"][0]["message"] == "record deleted"
    assert zoho.crm("GET", f"/Deals/{ids[2]}").status_code == 204
    assert zoho.crm("DELETE", "/Deals").json()["code"] == "REQUIRED_PARAM_MISSING"
    deleted = zoho.crm("GET", "/Deals/deleted", params={"type": "all"}).json()
    assert [d["id"] for d in deleted["data"]] == [ids[2], ids[1], ids[0]]
    assert deleted["data"][0]["deleted_by"]["id"]
    recent = zoho.crm(
        "GET", "/Deals/deleted", headers={"If-Modified-Since": "2030-03-17T17:47:40+00:00"}
    )
    assert recent.status_code == 304
    since = zoho.crm(
        "GET", "/Deals/deleted", headers={"If-Modified-Since": "2030-03-17T17:46:50+00:00"}
    )
    assert [d["id"] for d in since.json()["data"]] == [ids[2]]
    assert zoho.crm("GET", "/Deals/deleted", params={"type": "permanent"}).status_code == 204


def test_same_second_modified_times_page_stably(zoho_factory) -> None:
    zoho = zoho_factory(accounts=0, contacts=0, deals=0, customers=0)
    zoho.freeze_at(1_900_000_000)
    for batch in range(3):
        rows = [{"Account_Name": f"Same second {batch}-{i}"} for i in range(100)]
        assert zoho.crm("POST", "/Accounts", json={"data": rows}).status_code == 201
    seen: list[str] = []
    params = {
        "fields": "Account_Name,Modified_Time",
        "sort_by": "Modified_Time",
        "sort_order": "asc",
        "per_page": 50,
    }
    body = zoho.crm("GET", "/Accounts", params=params).json()
    seen += [r["id"] for r in body["data"]]
    # Touch a record the walk has already passed: it moves to the end, nothing is skipped.
    zoho.advance(1)
    zoho.crm("PUT", f"/Accounts/{seen[0]}", json={"data": [{"Phone": "1"}]})
    while body["info"]["more_records"]:
        body = zoho.crm(
            "GET", "/Accounts", params={**params, "page_token": body["info"]["next_page_token"]}
        ).json()
        seen += [r["id"] for r in body["data"]]
    assert len(set(seen)) == 300
    assert seen[-1] == seen[0]
    assert seen[1:-1] == sorted(seen[1:-1], key=int)


def test_renamed_account_shows_through_lookups(zoho) -> None:
    account = zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": "Old Name"}]}).json()
    account_id = account["data"][0]["details"]["id"]
    contact = zoho.crm(
        "POST", "/Contacts", json={"data": [{"Last_Name": "L", "Account_Name": {"id": account_id}}]}
    )
    contact_id = contact.json()["data"][0]["details"]["id"]
    before = zoho.crm("GET", f"/Contacts/{contact_id}").json()["data"][0]
    zoho.advance(5)
    zoho.crm("PUT", f"/Accounts/{account_id}", json={"data": [{"Account_Name": "New Name"}]})
    after = zoho.crm("GET", f"/Contacts/{contact_id}").json()["data"][0]
    assert after["Account_Name"] == {"id": account_id, "name": "New Name"}
    assert after["Modified_Time"] == before["Modified_Time"]


def test_list_by_ids(zoho) -> None:
    ids = [
        r["id"]
        for r in zoho.crm(
            "GET", "/Accounts", params={"fields": "Account_Name", "per_page": 3}
        ).json()["data"]
    ]
    picked = zoho.crm(
        "GET", "/Accounts", params={"fields": "Account_Name", "ids": f"{ids[0]},{ids[2]},1"}
    )
    assert [r["id"] for r in picked.json()["data"]] == [ids[0], ids[2]]


def test_upsert_matches_records_written_earlier_in_the_same_call(zoho) -> None:
    rows = [
        {"Last_Name": "Twice", "Email": "twice@example.org"},
        {"Last_Name": "Twice again", "Email": "TWICE@example.org", "Phone": "5"},
    ]
    answer = zoho.crm("POST", "/Contacts/upsert", json={"data": rows}).json()["data"]
    assert [r["action"] for r in answer] == ["insert", "update"]
    assert answer[0]["details"]["id"] == answer[1]["details"]["id"]
    stored = zoho.crm("GET", f"/Contacts/{answer[0]['details']['id']}").json()["data"][0]
    assert (stored["Last_Name"], stored["Phone"]) == ("Twice again", "5")
