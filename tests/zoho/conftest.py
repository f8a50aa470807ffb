"""Fixtures for the client tests: a real sandbox over loopback and clients connected to it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from zsync_tui.sandbox.server import RunningSandbox
from zsync_tui.zoho.datacentres import resolve_data_centre
from zsync_tui.zoho.oauth import OAuthClient, Secret
from zsync_tui.zoho.session import ZohoClients, ZohoOptions, open_zoho
from zsync_tui.zoho.transport import RetryPolicy

#: Real backoff shape, tiny steps: the fault tests stay fast without skipping the waits.
FAST_RETRY = RetryPolicy(attempts=8, base_s=0.002, cap_s=0.02, max_wait_s=5.0)


@pytest.fixture
def live(sandbox_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    """A small seeded sandbox."""
    return sandbox_factory(seed=11)


def admin(sandbox: RunningSandbox, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call a `/_sandbox/` endpoint (GET without a body, POST with one)."""
    url = f"{sandbox.admin_url}/{path}"
    with httpx.Client(timeout=10) as http:
        response = http.post(url, json=body) if body is not None else http.get(url)
    response.raise_for_status()
    return response.json()


@pytest.fixture
def sandbox_admin() -> Callable[..., Any]:
    return admin


@pytest.fixture
def connect_to() -> Callable[..., AbstractAsyncContextManager[ZohoClients]]:
    """`async with connect_to(sandbox, **ZohoOptions) as zoho:` clients on that sandbox."""

    def opener(sandbox: RunningSandbox, **options: Any) -> AbstractAsyncContextManager[ZohoClients]:
        creds = sandbox.credentials
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("crm_edition", "enterprise")
        return open_zoho(
            resolve_data_centre("custom", creds["accounts_url"], creds["api_domain"]),
            OAuthClient(creds["client_id"], Secret(creds["client_secret"])),
            Secret(creds["refresh_token"]),
            creds["billing_organization_id"],
            options=ZohoOptions(**options),
        )

    return opener
