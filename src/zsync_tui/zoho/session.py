"""Ready clients for one connection: one token manager, one transport per API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

from zsync_tui.zoho.billing import BillingClient
from zsync_tui.zoho.budget import CallBudget, billing_budget, crm_budget
from zsync_tui.zoho.crm import CrmClient
from zsync_tui.zoho.datacentres import DataCentre
from zsync_tui.zoho.models import CrmOrg
from zsync_tui.zoho.oauth import AccessToken, OAuthClient, Secret, TokenManager
from zsync_tui.zoho.token_cache import TokenCache
from zsync_tui.zoho.transport import RetryPolicy, ZohoTransport

CRM_PREFIX = "/crm/v8"
BILLING_PREFIX = "/billing/v1"


@dataclass
class ZohoOptions:
    """Knobs for tests, benchmarks and unusual accounts; the defaults suit real Zoho."""

    crm_edition: str | None = None
    crm_users: int = 1
    crm_credit_reserve: int = 0
    billing_per_minute: int = 100
    billing_per_day: int = 2_500
    billing_concurrency: int = 5
    #: Seconds one HTTP read may take (the `http_timeout_s` setting).
    timeout_s: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    #: Replaces the network (httpx.MockTransport in unit tests); shared by all three clients.
    http_transport: httpx.AsyncBaseTransport | None = None
    crm_budget: CallBudget | None = None
    billing_budget: CallBudget | None = None


@dataclass
class ZohoClients:
    """The two clients of one connection and the token manager they share."""

    crm: CrmClient
    billing: BillingClient
    tokens: TokenManager

    def __iter__(self) -> Iterator[CrmClient | BillingClient]:
        # Lets callers write `async with open_clients(...) as (crm, billing)`.
        return iter((self.crm, self.billing))

    def size_crm_budget(self, org: CrmOrg, reserve: int = 0) -> None:
        """Size the CRM governor from the org's edition and licences (before heavy work)."""
        previous = self.crm.transport.budget
        sized = crm_budget(org.edition, org.licensed_users, reserve=reserve)
        sized.server_remaining = previous.server_remaining
        self.crm.transport.budget = sized

    @property
    def api_calls(self) -> int:
        return self.crm.transport.calls + self.billing.transport.calls

    @property
    def write_calls(self) -> int:
        return self.crm.transport.write_calls + self.billing.transport.write_calls


@asynccontextmanager
async def open_zoho(
    dc: DataCentre,
    client: OAuthClient,
    refresh_token: Secret,
    billing_organization_id: str | None = None,
    *,
    options: ZohoOptions | None = None,
    initial_token: AccessToken | None = None,
    token_cache: TokenCache | None = None,
) -> AsyncIterator[ZohoClients]:
    """Open the CRM and Billing clients; every HTTP connection is closed on exit. With a
    `token_cache`, an access token saved by an earlier process is used while it is fresh."""
    options = options or ZohoOptions()
    timeout = httpx.Timeout(
        options.timeout_s, connect=min(10.0, options.timeout_s), pool=options.timeout_s * 4
    )
    accounts_http = httpx.AsyncClient(timeout=timeout, transport=options.http_transport)
    tokens = TokenManager(
        dc, client, refresh_token, http=accounts_http, initial=initial_token, cache=token_cache
    )
    crm_transport = ZohoTransport(
        "crm",
        CRM_PREFIX,
        tokens,
        options.crm_budget
        or crm_budget(options.crm_edition, options.crm_users, reserve=options.crm_credit_reserve),
        retry=options.retry,
        timeout=timeout,
        http_transport=options.http_transport,
    )
    billing_transport = ZohoTransport(
        "billing",
        BILLING_PREFIX,
        tokens,
        options.billing_budget
        or billing_budget(
            options.billing_per_minute, options.billing_per_day, options.billing_concurrency
        ),
        retry=options.retry,
        timeout=timeout,
        http_transport=options.http_transport,
    )
    try:
        yield ZohoClients(
            CrmClient(crm_transport),
            BillingClient(billing_transport, billing_organization_id),
            tokens,
        )
    finally:
        await crm_transport.aclose()
        await billing_transport.aclose()
        await accounts_http.aclose()
