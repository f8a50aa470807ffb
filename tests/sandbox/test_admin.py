"""The `/_sandbox/` admin API, determinism per seed, in-process use and the import boundary."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx

from zsync_tui.sandbox import SandboxOptions, create_app

SANDBOX_SRC = Path(__file__).resolve().parents[2] / "src" / "zsync_tui" / "sandbox"


def test_stats_count_by_method_path_template_and_status(zoho) -> None:
    listed = zoho.crm("GET", "/Accounts", params={"fields": "Account_Name", "per_page": 2}).json()[
        "data"
    ]
    for record in listed:
        zoho.crm("GET", f"/Accounts/{record['id']}")
    zoho.crm("GET", "/Accounts")  # 400: fields missing
    stats = zoho.stats()
    rows = {(r["method"], r["path"], r["status"]): r["count"] for r in stats["requests"]}
    assert rows[("GET", "/crm/v8/Accounts/{record_id}", 200)] == 2
    assert rows[("GET", "/crm/v8/Accounts", 400)] == 1
    assert rows[("POST", "/oauth/v2/token", 200)] == 1
    assert not any(path.startswith("/_sandbox") for _, path, _ in rows)
    assert stats["connections_accepted"] >= 1
    assert stats["crm_credits_used"] == 4
    assert stats["records"]["Accounts"] == 30


def test_reset_restores_the_seeded_world(zoho) -> None:
    zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": "Temporary"}]})
    assert zoho.stats()["records"]["Accounts"] == 31
    assert zoho.admin("POST", "/reset").json() == {"status": "reset"}
    stats = zoho.stats()
    assert stats["records"]["Accounts"] == 30
    assert stats["requests_total"] == 0 and stats["crm_credits_used"] == 0


def test_budgets_change_at_run_time(zoho) -> None:
    changed = zoho.admin("POST", "/budgets", json={"crm_credits_per_day": 1}).json()
    assert changed["crm_credits_per_day"] == 1
    assert zoho.crm("GET", "/org").status_code == 200
    assert zoho.crm("GET", "/org").status_code == 429
    zoho.admin("POST", "/budgets", json={"reset_usage": True})
    assert zoho.crm("GET", "/org").status_code == 200
    assert zoho.admin("POST", "/budgets", json={"crm_credits_per_day": -1}).status_code == 400
    assert zoho.admin("POST", "/budgets", json={"nonsense": 3}).status_code == 400


def test_clock_set_advance_freeze(zoho) -> None:
    assert zoho.admin("POST", "/clock", json={"set": 2_000_000_000, "freeze": True}).json() == {
        "now": 2_000_000_000,
        "frozen": True,
    }
    assert zoho.admin("POST", "/clock", json={"advance": 10}).json()["now"] == 2_000_000_010
    assert zoho.admin("POST", "/clock", json={"freeze": False}).json()["frozen"] is False
    assert zoho.admin("POST", "/clock", json={"advance": "soon"}).status_code == 400


def test_save_and_load_state(zoho, tmp_path: Path) -> None:
    target = tmp_path / "world.json"
    made = zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": "Saved Ltd"}]}).json()
    saved_id = made["data"][0]["details"]["id"]
    assert zoho.admin("POST", "/state/save", json={"path": str(target)}).json() == {
        "saved": str(target)
    }
    zoho.admin("POST", "/reset")
    assert zoho.crm("GET", f"/Accounts/{saved_id}").status_code == 204
    assert zoho.admin("POST", "/state/load", json={"path": str(target)}).status_code == 200
    assert zoho.crm("GET", f"/Accounts/{saved_id}").json()["data"][0]["Account_Name"] == "Saved Ltd"
    # ids keep growing after a load: no new record reuses a saved id
    again = zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": "After load"}]}).json()
    assert int(again["data"][0]["details"]["id"]) > int(saved_id)
    (tmp_path / "bad.json").write_text("{}")
    bad = zoho.admin("POST", "/state/load", json={"path": str(tmp_path / "bad.json")})
    assert bad.status_code == 400 and "format" in bad.json()["error"]
    missing = zoho.admin("POST", "/state/load", json={"path": str(tmp_path / "none.json")})
    assert missing.status_code == 400 and "cannot read" in missing.json()["error"]


def test_state_file_option_loads_at_start(sandbox_factory, zoho_factory, tmp_path: Path) -> None:
    first = zoho_factory(seed=3)
    target = tmp_path / "state.json"
    first.crm("POST", "/Contacts", json={"data": [{"Last_Name": "Persisted"}]})
    first.admin("POST", "/state/save", json={"path": str(target)})
    second = zoho_factory(seed=3, state_file=str(target))
    found = second.crm(
        "GET", "/Contacts/search", params={"criteria": "(Last_Name:equals:Persisted)"}
    )
    assert found.status_code == 200


def test_same_seed_same_world_and_planted_duplicates(zoho_factory) -> None:
    one, two, other = zoho_factory(seed=11), zoho_factory(seed=11), zoho_factory(seed=12)

    def names(zoho) -> list[str]:
        return [
            r["Account_Name"]
            for r in zoho.crm("GET", "/Accounts", params={"fields": "Account_Name"}).json()["data"]
        ]

    assert names(one) == names(two) != names(other)
    planted = one.admin("GET", "/duplicates").json()["duplicates"]
    assert len(planted) == 5
    assert {p["kind"] for p in planted} == {"exact", "near"}
    for pair in planted:
        customer = one.billing("GET", f"/customers/{pair['customer_id']}").json()["customer"]
        assert customer["display_name"] == pair["billing_name"]
        module = pair["crm_module"]
        record = one.crm("GET", f"/{module}/{pair['crm_id']}").json()["data"][0]
        crm_name = record["Account_Name"] if module == "Accounts" else record["Full_Name"]
        assert crm_name == pair["crm_name"]
        if pair["kind"] == "exact":
            assert crm_name == customer["display_name"]
        else:
            assert crm_name != customer["display_name"]


def test_seeded_data_has_hard_cases(zoho_factory) -> None:
    zoho = zoho_factory(seed=4, accounts=200, contacts=200)
    accounts = zoho.crm("GET", "/Accounts", params={"fields": "Account_Name,Phone"}).json()["data"]
    contacts = zoho.crm(
        "GET", "/Contacts", params={"fields": "Account_Name,Email,First_Name"}
    ).json()["data"]
    assert any(not r["Account_Name"].isascii() for r in accounts)
    assert any(len(r["Account_Name"]) > 80 for r in accounts)
    assert any(r["Phone"] is None for r in accounts)
    assert any(r["Account_Name"] is None for r in contacts)
    assert sum(r["Account_Name"] is not None for r in contacts) > len(contacts) / 2
    assert any(r["Email"] is None for r in contacts)
    deals = zoho.crm("GET", "/Deals", params={"fields": "Stage"}).json()["data"]
    assert len({d["Stage"] for d in deals}) == 9
    types = {c["customer_sub_type"] for c in zoho.billing("GET", "/customers").json()["customers"]}
    assert types == {"business", "individual"}


async def test_in_process_app_serves_without_a_socket() -> None:
    app = create_app(SandboxOptions(seed=2, accounts=5))
    creds = app.state.sandbox.credentials
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        token = (
            await client.post(
                "/oauth/v2/token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": creds["client_id"],
                    "client_secret": creds["client_secret"],
                    "refresh_token": creds["refresh_token"],
                },
            )
        ).json()["access_token"]
        listed = await client.get(
            "/crm/v8/Accounts",
            params={"fields": "Account_Name"},
            headers={"Authorization": f"Zoho-oauthtoken {token}"},
        )
    assert listed.status_code == 200 and len(listed.json()["data"]) == 5


def test_sandbox_imports_only_itself_from_zsync_tui() -> None:
    offenders = []
    for path in SANDBOX_SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            elif isinstance(node, ast.ImportFrom) and node.level:
                offenders.append(f"{path.name}: relative import")
            offenders += [
                f"{path.name}: {name}"
                for name in names
                if name.startswith("zsync_tui") and not name.startswith("zsync_tui.sandbox")
            ]
    assert offenders == []
