"""Zoho Accounts emulation: grants, errors, throttles, revocation, expiry and scopes."""

from __future__ import annotations

import httpx


def _grant(zoho, **params: str) -> dict:
    creds = zoho.running.credentials
    base = {"client_id": creds["client_id"], "client_secret": creds["client_secret"]}
    return zoho.http.post(f"{creds['accounts_url']}/oauth/v2/token", data={**base, **params}).json()


def test_refresh_grant_in_form_body_answers_like_zoho(zoho) -> None:
    answer = _grant(
        zoho, grant_type="refresh_token", refresh_token=zoho.running.credentials["refresh_token"]
    )
    assert answer["expires_in"] == 3600
    assert answer["token_type"] == "Bearer"
    assert answer["api_domain"] == zoho.running.url
    assert "refresh_token" not in answer
    assert (
        zoho.http.get(
            f"{zoho.running.url}/crm/v8/org",
            headers={"Authorization": f"Zoho-oauthtoken {answer['access_token']}"},
        ).status_code
        == 200
    )


def test_wrong_client_secret_and_unknown_refresh_token_are_refused(zoho) -> None:
    creds = zoho.running.credentials
    bad_secret = zoho.http.post(
        f"{creds['accounts_url']}/oauth/v2/token",
        params={
            "grant_type": "refresh_token",
            "client_id": creds["client_id"],
            "client_secret": "0" * 42,
            "refresh_token": creds["refresh_token"],
        },
    )
    assert bad_secret.status_code == 200
    assert bad_secret.json() == {"error": "invalid_client_secret"}
    assert _grant(zoho, grant_type="refresh_token", refresh_token="1000.nope.nope") == {
        "error": "invalid_code"
    }
    assert _grant(zoho, grant_type="password") == {"error": "unsupported_grant_type"}
    wrong_client = zoho.http.post(
        f"{creds['accounts_url']}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": "1000.X",
            "client_secret": creds["client_secret"],
        },
    )
    assert wrong_client.json() == {"error": "invalid_client"}


def test_authorization_code_is_single_use_and_yields_a_refresh_token(zoho) -> None:
    code = zoho.admin("POST", "/grant_code", json={"scopes": ["ZohoCRM.modules.ALL"]}).json()[
        "code"
    ]
    first = _grant(
        zoho, grant_type="authorization_code", code=code, redirect_uri="http://localhost"
    )
    assert first["refresh_token"].startswith("1000.")
    assert first["scope"] == "ZohoCRM.modules.ALL"
    assert _grant(zoho, grant_type="authorization_code", code=code) == {"error": "invalid_code"}
    again = _grant(zoho, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert "access_token" in again


def test_expired_grant_code_is_refused(zoho) -> None:
    code = zoho.admin("POST", "/grant_code", json={"ttl_s": 60}).json()["code"]
    zoho.admin("POST", "/clock", json={"advance": 61})
    assert _grant(zoho, grant_type="authorization_code", code=code) == {"error": "invalid_code"}


def test_missing_unknown_and_expired_tokens(zoho) -> None:
    fields = {"fields": "Account_Name"}
    missing = zoho.http.get(f"{zoho.running.url}/crm/v8/Accounts", params=fields)
    assert missing.status_code == 401
    assert missing.json()["code"] == "AUTHENTICATION_FAILURE"
    bearer = zoho.http.get(
        f"{zoho.running.url}/crm/v8/Accounts",
        params=fields,
        headers={"Authorization": f"Bearer {zoho.token}"},
    )
    assert bearer.status_code == 401
    unknown = zoho.crm(
        "GET", "/Accounts", params=fields, headers={"Authorization": "Zoho-oauthtoken 1000.x.y"}
    )
    assert unknown.status_code == 401
    assert unknown.json() == {
        "code": "INVALID_TOKEN",
        "details": {},
        "message": "invalid oauth token",
        "status": "error",
    }
    assert zoho.crm("GET", "/Accounts", params=fields).status_code == 200
    zoho.admin("POST", "/clock", json={"advance": 3601})
    expired = zoho.crm("GET", "/Accounts", params=fields)
    assert expired.status_code == 401
    assert expired.json()["code"] == "INVALID_TOKEN"
    billing = zoho.billing("GET", "/customers")
    assert billing.status_code == 401
    assert billing.json()["code"] != 0
    zoho.refresh()
    assert zoho.crm("GET", "/Accounts", params=fields).status_code == 200


def test_token_expiry_fault_kills_tokens_early(zoho_factory) -> None:
    zoho = zoho_factory(faults="token_ttl=30")
    assert zoho.crm("GET", "/org").status_code == 200
    zoho.admin("POST", "/clock", json={"advance": 31})
    assert zoho.crm("GET", "/org").status_code == 401


def test_refresh_throttle_answers_access_denied(zoho_factory) -> None:
    zoho = zoho_factory(token_refreshes_per_10min=3)
    refresh = zoho.running.credentials["refresh_token"]
    answers = [_grant(zoho, grant_type="refresh_token", refresh_token=refresh) for _ in range(3)]
    assert answers[-1]["error"] == "Access Denied"  # the fixture's login used the first of three
    assert all("access_token" in a for a in answers[:2])
    zoho.admin("POST", "/clock", json={"advance": 601})
    assert "access_token" in _grant(zoho, grant_type="refresh_token", refresh_token=refresh)


def test_sixteenth_access_token_invalidates_the_oldest(zoho_factory) -> None:
    zoho = zoho_factory(token_refreshes_per_10min=100)
    oldest = zoho.token
    for _ in range(15):
        zoho.refresh()
    stale = zoho.crm("GET", "/org", headers={"Authorization": f"Zoho-oauthtoken {oldest}"})
    assert stale.status_code == 401
    assert zoho.crm("GET", "/org").status_code == 200


def test_revoke_kills_refresh_and_access_tokens(zoho) -> None:
    creds = zoho.running.credentials
    revoked = zoho.http.post(
        f"{creds['accounts_url']}/oauth/v2/token/revoke", params={"token": creds["refresh_token"]}
    )
    assert revoked.json() == {"status": "success"}
    assert zoho.crm("GET", "/org").status_code == 401
    assert _grant(zoho, grant_type="refresh_token", refresh_token=creds["refresh_token"]) == {
        "error": "invalid_code"
    }
    again = zoho.http.post(
        f"{creds['accounts_url']}/oauth/v2/token/revoke", params={"token": creds["refresh_token"]}
    )
    assert again.status_code == 400


def test_missing_scope_gives_oauth_scope_mismatch(zoho) -> None:
    code = zoho.admin(
        "POST",
        "/grant_code",
        json={"scopes": ["ZohoCRM.modules.accounts.READ", "ZohoSubscriptions.customers.READ"]},
    ).json()["code"]
    granted = _grant(zoho, grant_type="authorization_code", code=code)
    headers = {"Authorization": f"Zoho-oauthtoken {granted['access_token']}"}
    assert (
        zoho.crm("GET", "/Accounts", params={"fields": "Account_Name"}, headers=headers).status_code
        == 200
    )
    denied = zoho.crm("GET", "/Contacts", params={"fields": "Last_Name"}, headers=headers)
    assert denied.status_code == 401
    assert denied.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    write = zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": "X"}]}, headers=headers)
    assert write.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    fields = zoho.crm("GET", "/settings/fields", params={"module": "Deals"}, headers=headers)
    assert fields.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    assert zoho.billing("GET", "/customers", headers=headers).status_code == 200
    refused = zoho.billing(
        "POST", "/customers", json={"display_name": "A", "email": "a@b.co"}, headers=headers
    )
    assert refused.status_code == 401
    assert refused.json()["code"] != 0


def test_credentials_depend_on_the_seed_only(sandbox_factory) -> None:
    first = sandbox_factory(seed=7).credentials
    second = sandbox_factory(seed=7).credentials
    other = sandbox_factory(seed=8).credentials
    for key in ("client_id", "client_secret", "refresh_token", "billing_organization_id"):
        assert first[key] == second[key]
    assert first["client_secret"] != other["client_secret"]
    assert first["url"] != second["url"]
    assert isinstance(httpx.URL(first["url"]).port, int)


def test_twenty_first_refresh_token_deletes_the_oldest(zoho) -> None:
    for _ in range(20):
        code = zoho.admin("POST", "/grant_code", json={}).json()["code"]
        assert "refresh_token" in _grant(zoho, grant_type="authorization_code", code=code)
    seeded = zoho.running.credentials["refresh_token"]
    assert _grant(zoho, grant_type="refresh_token", refresh_token=seeded) == {
        "error": "invalid_code"
    }
    assert zoho.crm("GET", "/org").status_code == 401
