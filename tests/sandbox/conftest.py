"""Helpers for the sandbox tests: an HTTP client over loopback with a fresh access token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from zsync_tui.sandbox import RunningSandbox


def fetch_token(running: RunningSandbox, http: httpx.Client) -> str:
    """A refresh-token grant against the sandbox's accounts server."""
    creds = running.credentials
    answer = http.post(
        f"{creds['accounts_url']}/oauth/v2/token",
        params={
            "grant_type": "refresh_token",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "refresh_token": creds["refresh_token"],
        },
    ).json()
    assert "access_token" in answer, answer
    return str(answer["access_token"])


@dataclass
class Zoho:
    """A client for one running sandbox: CRM, Billing and admin calls over real HTTP."""

    running: RunningSandbox
    http: httpx.Client
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Zoho-oauthtoken {self.token}"}

    @property
    def org_id(self) -> str:
        return self.running.credentials["billing_organization_id"]

    def crm(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.auth, **kwargs.pop("headers", {})}
        return self.http.request(
            method, f"{self.running.url}/crm/v8{path}", headers=headers, **kwargs
        )

    def billing(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {
            **self.auth,
            "X-com-zoho-subscriptions-organizationid": self.org_id,
            **kwargs.pop("headers", {}),
        }
        return self.http.request(
            method, f"{self.running.url}/billing/v1{path}", headers=headers, **kwargs
        )

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, f"{self.running.admin_url}{path}", **kwargs)

    def stats(self) -> dict[str, Any]:
        answer: dict[str, Any] = self.admin("GET", "/stats").json()
        return answer

    def freeze_at(self, epoch: float) -> None:
        """Stop the sandbox clock at `epoch` and log in again (old tokens die with the jump)."""
        assert self.admin("POST", "/clock", json={"set": epoch, "freeze": True}).status_code == 200
        self.refresh()

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock on."""
        assert self.admin("POST", "/clock", json={"advance": seconds}).status_code == 200

    def refresh(self) -> str:
        self.token = fetch_token(self.running, self.http)
        return self.token


@pytest.fixture
def zoho_factory(
    sandbox_factory: Callable[..., RunningSandbox],
) -> Iterator[Callable[..., Zoho]]:
    """Start a sandbox with option overrides and hand back a logged-in client for it."""
    clients: list[httpx.Client] = []

    def start(**overrides: Any) -> Zoho:
        running = sandbox_factory(**overrides)
        http = httpx.Client(timeout=10)
        clients.append(http)
        return Zoho(running, http, fetch_token(running, http))

    yield start
    for http in clients:
        http.close()


@pytest.fixture
def zoho(sandbox: RunningSandbox) -> Iterator[Zoho]:
    """A logged-in client for the default small sandbox."""
    with httpx.Client(timeout=10) as http:
        yield Zoho(sandbox, http, fetch_token(sandbox, http))
