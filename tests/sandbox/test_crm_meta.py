"""CRM settings and org metadata: modules, fields, layouts, custom views, pipeline, org, users."""

from __future__ import annotations


def test_modules_lists_the_three_served(zoho) -> None:
    modules = zoho.crm("GET", "/settings/modules").json()["modules"]
    assert [m["api_name"] for m in modules] == ["Accounts", "Contacts", "Deals"]
    assert (
        zoho.crm("GET", "/settings/modules/Deals").json()["modules"][0]["singular_label"] == "Deal"
    )


def test_deal_stage_picklist_carries_probability_and_forecast(zoho) -> None:
    fields = zoho.crm("GET", "/settings/fields", params={"module": "Deals"}).json()["fields"]
    stage = next(f for f in fields if f["api_name"] == "Stage")
    mapping = {
        v["actual_value"]: (v["probability"], v["forecast_type"]) for v in stage["pick_list_values"]
    }
    assert mapping["Closed Won"] == (100, "Closed Won")
    assert mapping["Closed Lost"] == (0, "Closed Lost")
    assert mapping["Qualification"][1] == "Open"
    assert all("forecast_category" in v for v in stage["pick_list_values"])
    accounts = zoho.crm("GET", "/settings/fields", params={"module": "Accounts"}).json()["fields"]
    name = next(f for f in accounts if f["api_name"] == "Account_Name")
    assert name["system_mandatory"] is True and name["unique"] is not None
    assert name["associated_module"]["api_name"] == "Accounts"
    assert zoho.crm("GET", "/settings/fields").json()["code"] == "REQUIRED_PARAM_MISSING"
    assert (
        zoho.crm("GET", "/settings/fields", params={"module": "Leads"}).json()["code"]
        == "INVALID_MODULE"
    )


def test_custom_views_are_evaluated(zoho) -> None:
    views = zoho.crm("GET", "/settings/custom_views", params={"module": "Deals"}).json()
    names = {v["name"]: v for v in views["custom_views"]}
    assert {"All Deals", "My Deals", "Recently Created Deals", "Open Deals", "Won Deals"} <= set(
        names
    )
    assert views["info"]["default"] == names["All Deals"]["id"]
    everything = zoho.crm(
        "GET", "/Deals", params={"fields": "Stage,Owner", "cvid": names["All Deals"]["id"]}
    ).json()
    assert len(everything["data"]) == 20
    open_deals = zoho.crm(
        "GET", "/Deals", params={"fields": "Stage", "cvid": names["Open Deals"]["id"]}
    ).json()
    expected_open = [
        d for d in everything["data"] if d["Stage"] not in ("Closed Won", "Closed Lost")
    ]
    assert {d["id"] for d in open_deals["data"]} == {d["id"] for d in expected_open}
    mine = zoho.crm(
        "GET", "/Deals", params={"fields": "Owner", "cvid": names["My Deals"]["id"]}
    ).json()
    me = zoho.crm("GET", "/users", params={"type": "CurrentUser"}).json()["users"][0]
    assert mine["data"] and all(d["Owner"]["id"] == me["id"] for d in mine["data"])
    assert len(mine["data"]) == sum(d["Owner"]["id"] == me["id"] for d in everything["data"])
    count = zoho.crm(
        "GET", "/Deals/actions/count", params={"cvid": names["Won Deals"]["id"]}
    ).json()["count"]
    assert count == sum(d["Stage"] == "Closed Won" for d in everything["data"])
    one = zoho.crm(
        "GET", f"/settings/custom_views/{names['Open Deals']['id']}", params={"module": "Deals"}
    )
    assert one.json()["custom_views"][0]["criteria"]["comparator"] == "not_in"
    assert zoho.crm("GET", "/Deals", params={"fields": "Stage", "cvid": "1"}).status_code == 400


def test_pipeline_layouts_org_and_users(zoho) -> None:
    layout = zoho.crm("GET", "/settings/layouts", params={"module": "Deals"}).json()["layouts"][0]
    pipeline = zoho.crm("GET", "/settings/pipeline", params={"layout_id": layout["id"]}).json()[
        "pipeline"
    ][0]
    assert pipeline["default"] is True
    assert [m["display_value"] for m in pipeline["maps"]][-2:] == ["Closed Won", "Closed Lost"]
    assert zoho.crm("GET", "/settings/pipeline").json()["code"] == "REQUIRED_PARAM_MISSING"
    org = zoho.crm("GET", "/org").json()["org"][0]
    assert org["currency"] == "USD" and org["mc_status"] is False
    assert org["license_details"]["paid_type"] == "enterprise"
    users = zoho.crm("GET", "/users").json()
    assert len(users["users"]) == 5
    email = users["users"][2]["email"]
    found = zoho.crm("GET", "/users", params={"email": email.upper()}).json()["users"]
    assert [u["email"] for u in found] == [email]
    assert zoho.crm("GET", "/users", params={"email": "nobody@example.org"}).status_code == 204
    assert zoho.crm("GET", f"/users/{found[0]['id']}").json()["users"][0]["email"] == email
    assert zoho.crm("GET", "/users", params={"type": "Weird"}).status_code == 400


def test_org_reflects_options(zoho_factory) -> None:
    zoho = zoho_factory(crm_edition="professional", currency="EUR", multi_currency=True)
    org = zoho.crm("GET", "/org").json()["org"][0]
    assert (org["currency"], org["mc_status"], org["license_details"]["paid_type"]) == (
        "EUR",
        True,
        "professional",
    )
    billing_org = zoho.billing("GET", "/organizations").json()["organizations"][0]
    assert billing_org["currency_code"] == "EUR"
