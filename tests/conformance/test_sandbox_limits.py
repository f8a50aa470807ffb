"""The sandbox's refusals (rate limits, bad or narrow tokens, a foreign organization) conform.

These answers come from the sandbox's request pipeline rather than from a handler, so they get
their own worlds: tiny budgets, and a token without the scopes an operation needs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from zsync_tui.sandbox.app import create_app
from zsync_tui.sandbox.options import SandboxOptions

WORLD = {"accounts": 3, "contacts": 3, "deals": 0, "customers": 3, "duplicates": 0}


@asynccontextmanager
async def _client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
    ) as http:
        yield await _authorized(http, app)


async def _authorized(http: httpx.AsyncClient, app: Any) -> httpx.AsyncClient:
    creds = app.state.sandbox.credentials
    answer = await http.post(
        "/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "refresh_token": creds["refresh_token"],
        },
    )
    http.headers["Authorization"] = f"Zoho-oauthtoken {answer.json()['access_token']}"
    http.headers["X-com-zoho-subscriptions-organizationid"] = creds["billing_organization_id"]
    return http


async def _check(
    http: httpx.AsyncClient, checker: Any, method: str, path: str
) -> tuple[int, list[str]]:
    response = await http.request(method, path, params={"fields": "id"} if "crm" in path else None)
    operation = checker.specs.match(method, path)
    assert operation is not None, path
    return response.status_code, checker.check_answer(
        operation, response.status_code, response.content
    )


async def test_rate_limit_refusals_conform(checker: Any, beyond_known_gaps: Any) -> None:
    app = create_app(
        SandboxOptions(seed=3, crm_credits_per_day=2, billing_calls_per_minute=2, **WORLD)
    )
    problems: list[str] = []
    statuses: dict[str, list[int]] = {"crm": [], "billing": []}
    async with _client(app) as http:
        for _ in range(4):
            status, found = await _check(http, checker, "GET", "/crm/v8/Accounts")
            statuses["crm"].append(status)
            problems += found
            status, found = await _check(http, checker, "GET", "/billing/v1/customers")
            statuses["billing"].append(status)
            problems += found
    assert 429 in statuses["crm"] and 429 in statuses["billing"], statuses
    assert not beyond_known_gaps(problems), "\n".join(problems)


async def test_token_and_organization_refusals_conform(
    checker: Any, beyond_known_gaps: Any
) -> None:
    app = create_app(SandboxOptions(seed=4, scopes=("ZohoCRM.org.READ",), **WORLD))
    problems: list[str] = []
    async with _client(app) as http:
        status, found = await _check(http, checker, "GET", "/crm/v8/Accounts")
        assert status == 401  # the token lacks the modules scope
        problems += found
        status, found = await _check(http, checker, "GET", "/billing/v1/customers")
        assert status == 401
        problems += found
        http.headers["Authorization"] = "Zoho-oauthtoken 1000.not-a-token"
        for path in ("/crm/v8/org", "/billing/v1/customers"):
            status, found = await _check(http, checker, "GET", path)
            assert status == 401
            problems += found
    async with _client(create_app(SandboxOptions(seed=5, **WORLD))) as http:
        http.headers["X-com-zoho-subscriptions-organizationid"] = "1"
        status, found = await _check(http, checker, "GET", "/billing/v1/customers")
        assert status in (400, 401, 403)
        problems += found
    assert not beyond_known_gaps(problems), "\n".join(problems)
