"""Search criteria, email/phone/word search, counts, related lists and COQL over loopback."""

from __future__ import annotations


def _create(zoho, module: str, rows: list[dict]) -> list[str]:
    answer = zoho.crm("POST", f"/{module}", json={"data": rows})
    assert answer.status_code == 201, answer.text
    return [row["details"]["id"] for row in answer.json()["data"]]


def test_criteria_equals_starts_with_and_escaping(zoho_factory) -> None:
    zoho = zoho_factory(accounts=0, contacts=0, deals=0, customers=0)
    ids = _create(
        zoho,
        "Accounts",
        [
            {"Account_Name": "Acme (North), Ltd", "Phone": "+44 20 7946 0000"},
            {"Account_Name": "Acme South", "Billing_City": "Leeds"},
            {"Account_Name": "Beta & Co", "Billing_City": "Leeds"},
        ],
    )
    escaped = zoho.crm(
        "GET",
        "/Accounts/search",
        params={"criteria": r"(Account_Name:equals:Acme \(North\)\, Ltd)"},
    )
    assert [r["id"] for r in escaped.json()["data"]] == [ids[0]]
    starts = zoho.crm(
        "GET", "/Accounts/search", params={"criteria": "(Account_Name:starts_with:acme)"}
    )
    assert {r["id"] for r in starts.json()["data"]} == {ids[0], ids[1]}
    both = zoho.crm(
        "GET",
        "/Accounts/search",
        params={"criteria": "((Account_Name:starts_with:Acme)and(Billing_City:equals:Leeds))"},
    )
    assert [r["id"] for r in both.json()["data"]] == [ids[1]]
    either = zoho.crm(
        "GET",
        "/Accounts/search",
        params={"criteria": "((Account_Name:equals:Beta & Co)or(Account_Name:equals:Acme South))"},
    )
    assert {r["id"] for r in either.json()["data"]} == {ids[1], ids[2]}
    none = zoho.crm("GET", "/Accounts/search", params={"criteria": "(Account_Name:equals:Gamma)"})
    assert none.status_code == 204
    phone = zoho.crm("GET", "/Accounts/search", params={"phone": "2079460000"})
    assert [r["id"] for r in phone.json()["data"]] == [ids[0]]
    word = zoho.crm("GET", "/Accounts/search", params={"word": "south"})
    assert [r["id"] for r in word.json()["data"]] == [ids[1]]
    fields = zoho.crm("GET", "/Accounts/search", params={"word": "south", "fields": "Account_Name"})
    assert set(fields.json()["data"][0]) == {"id", "Account_Name"}


def test_search_errors(zoho) -> None:
    assert zoho.crm("GET", "/Accounts/search").json()["code"] == "REQUIRED_PARAM_MISSING"
    for criteria in (
        "Account_Name:equals:x",
        "(Nope:equals:x)",
        "(Account_Name:likes:x)",
        "((Account_Name:equals:x)",
        "(" + ")and(".join(["Phone:equals:1"] * 11) + ")",
    ):
        answer = zoho.crm("GET", "/Accounts/search", params={"criteria": criteria})
        assert answer.status_code == 400, criteria
        assert answer.json()["code"] == "INVALID_QUERY"


def test_email_search_and_count(zoho) -> None:
    _create(zoho, "Contacts", [{"Last_Name": "Mail", "Email": "Finder@Example.org"}])
    found = zoho.crm("GET", "/Contacts/search", params={"email": "finder@example.org"}).json()[
        "data"
    ]
    assert [r["Last_Name"] for r in found] == ["Mail"]
    total = zoho.crm("GET", "/Contacts/actions/count").json()["count"]
    assert total == 61
    count = zoho.crm("GET", "/Contacts/actions/count", params={"email": "finder@example.org"})
    assert count.json() == {"count": 1}


def test_related_lists_of_an_account(zoho_factory) -> None:
    zoho = zoho_factory(accounts=0, contacts=0, deals=0, customers=0)
    account, other = _create(
        zoho, "Accounts", [{"Account_Name": "Parent"}, {"Account_Name": "Other"}]
    )
    contacts = _create(
        zoho,
        "Contacts",
        [
            {"Last_Name": "A", "Account_Name": {"id": account}},
            {"Last_Name": "B", "Account_Name": {"id": account}},
            {"Last_Name": "C", "Account_Name": {"id": other}},
            {"Last_Name": "D"},
        ],
    )
    deal = _create(
        zoho,
        "Deals",
        [
            {
                "Deal_Name": "D1",
                "Stage": "Qualification",
                "Account_Name": {"id": account},
                "Contact_Name": {"id": contacts[0]},
            }
        ],
    )
    related = zoho.crm(
        "GET", f"/Accounts/{account}/Contacts", params={"fields": "Last_Name"}
    ).json()
    assert [r["id"] for r in related["data"]] == contacts[:2]
    deals = zoho.crm("GET", f"/Accounts/{account}/Deals", params={"fields": "Deal_Name"}).json()
    assert [r["id"] for r in deals["data"]] == deal
    contact_deals = zoho.crm(
        "GET", f"/Contacts/{contacts[0]}/Deals", params={"fields": "Deal_Name"}
    )
    assert contact_deals.json()["data"][0]["id"] == deal[0]
    assert (
        zoho.crm("GET", f"/Accounts/{other}/Deals", params={"fields": "Deal_Name"}).status_code
        == 204
    )
    assert zoho.crm("GET", f"/Accounts/{account}/Notes", params={"fields": "x"}).status_code == 400
    assert (
        zoho.crm("GET", f"/Accounts/{account}/Contacts").json()["code"] == "REQUIRED_PARAM_MISSING"
    )


def test_coql_where_order_limit_offset(zoho_factory) -> None:
    zoho = zoho_factory(accounts=0, contacts=0, deals=0, customers=0)
    zoho.freeze_at(1_900_000_000)
    _create(
        zoho, "Accounts", [{"Account_Name": f"Old {i}", "Billing_City": "Oslo"} for i in range(3)]
    )
    zoho.advance(100)
    new = _create(
        zoho,
        "Accounts",
        [{"Account_Name": f"New {i}", "Billing_City": "O'Brien"} for i in range(3)],
    )

    def query(text: str):
        return zoho.crm("POST", "/coql", json={"select_query": text})

    recent = query(
        "select Account_Name, Modified_Time from Accounts "
        + "where Modified_Time > '2030-03-17T17:47:00+00:00'"
    )
    assert [r["id"] for r in recent.json()["data"]] == new
    assert set(recent.json()["data"][0]) == {"id", "Account_Name", "Modified_Time"}
    quoted = query(
        "select Account_Name from Accounts where Billing_City = 'O''Brien' "
        "order by Account_Name desc limit 2"
    )
    body = quoted.json()
    assert [r["Account_Name"] for r in body["data"]] == ["New 2", "New 1"]
    assert body["info"] == {"count": 2, "more_records": True}
    paged = query(
        "select Account_Name from Accounts where "
        + "(Billing_City = 'Oslo' or Billing_City = 'O''Brien') "
        + "and Account_Name like 'Old%' order by id limit 2 offset 1"
    )
    assert [r["Account_Name"] for r in paged.json()["data"]] == ["Old 1", "Old 2"]
    in_list = query("select Account_Name from Accounts where Account_Name in ('New 0', 'Old 0')")
    assert len(in_list.json()["data"]) == 2
    nulls = query("select Account_Name from Accounts where Phone is null")
    assert len(nulls.json()["data"]) == 6
    assert (
        query("select Account_Name from Accounts where Account_Name = 'Nobody'").status_code == 204
    )


def test_coql_errors(zoho) -> None:
    cases = {
        "select from Accounts": "SYNTAX_ERROR",
        "select Account_Name from Leads": "INVALID_MODULE",
        "select Nope from Accounts": "INVALID_QUERY",
        "select Account_Name from Accounts limit 2001": "LIMIT_EXCEEDED",
        "select Account_Name from Accounts where Phone ~ 3": "SYNTAX_ERROR",
    }
    for text, code in cases.items():
        answer = zoho.crm("POST", "/coql", json={"select_query": text})
        assert answer.status_code == 400, text
        assert answer.json()["code"] == code, text
    assert zoho.crm("POST", "/coql", json={}).json()["code"] == "REQUIRED_PARAM_MISSING"


def test_coql_costs_credits_by_limit(zoho) -> None:
    before = zoho.stats()["crm_credits_used"]
    zoho.crm("POST", "/coql", json={"select_query": "select Account_Name from Accounts limit 1500"})
    assert zoho.stats()["crm_credits_used"] - before == 3
