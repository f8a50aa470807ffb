"""Connecting zsync to Zoho, headless: `zsync connect` and the TUI's connect screen share it.

`verify` reads the CRM org, the current user and the Billing organizations with the given
credentials; `connect` then stores the non-secret facts in the Profile row and the secrets in
the keyring (nothing at all is stored when a check fails); `open_clients` builds ready clients
for a stored profile.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from sqlmodel import select

from zsync_tui.runtime import Runtime
from zsync_tui.secrets import ENV_VARS, CredentialStore, KeyringUnavailable, SecretKind
from zsync_tui.store.models import Profile, utcnow
from zsync_tui.zoho.datacentres import DataCentre, DataCentreError, resolve_data_centre
from zsync_tui.zoho.errors import ZohoError
from zsync_tui.zoho.models import BillingOrganization, CrmOrg, CrmUser
from zsync_tui.zoho.oauth import AccessToken, OAuthClient, Secret, exchange_grant_code
from zsync_tui.zoho.session import ZohoClients, ZohoOptions, open_zoho
from zsync_tui.zoho.token_cache import TokenCache


class ConnectFailed(Exception):
    """Connecting did not work; `str()` is one line saying why and what to do."""


@dataclass
class ConnectRequest:
    """What the user gave: where, who, and which Billing organization."""

    profile: str
    data_centre: str
    client_id: str
    client_secret: Secret
    refresh_token: Secret | None = None
    grant_code: Secret | None = None
    accounts_url: str | None = None
    api_domain: str | None = None
    billing_org_id: str | None = None
    pick_first_org: bool = False
    owner_email: str | None = None

    @classmethod
    def for_custom(
        cls, credentials: Mapping[str, str], profile: str, *, pick_first_org: bool = False
    ) -> ConnectRequest:
        """A custom data centre from the keys `zsync sandbox serve` prints (accounts_url,
        api_domain, client_id, client_secret, refresh_token, billing_organization_id)."""
        return cls(
            profile=profile,
            data_centre="custom",
            client_id=credentials["client_id"],
            client_secret=Secret(credentials["client_secret"]),
            refresh_token=Secret(credentials["refresh_token"]),
            accounts_url=credentials["accounts_url"],
            api_domain=credentials["api_domain"],
            billing_org_id=None if pick_first_org else credentials["billing_organization_id"],
            pick_first_org=pick_first_org,
        )


@dataclass
class ConnectionReport:
    """What the credentials reached; shown by `zsync connect` and the connect screen."""

    profile: str
    data_centre: DataCentre
    api_base: str
    crm_org: CrmOrg
    crm_user: CrmUser
    owner: CrmUser
    billing_org: BillingOrganization
    billing_orgs: list[BillingOrganization] = field(default_factory=list)

    def lines(self) -> list[str]:
        org = self.crm_org
        currency = "multi-currency" if org.multi_currency else "single currency"
        return [
            f"Connected profile {self.profile!r}: data centre {self.data_centre.code}, "
            f"API {self.api_base}",
            f"CRM: {org.name} (org {org.id}), edition {org.edition or 'unknown'}, base currency "
            f"{org.base_currency or 'unknown'} ({currency})",
            f"CRM user: {self.crm_user.full_name} <{self.crm_user.email}>",
            f"Records pushed to CRM are owned by {self.owner.full_name} <{self.owner.email}>",
            f"Billing: {self.billing_org.name} (org {self.billing_org.id}), currency "
            f"{self.billing_org.currency_code or 'unknown'}",
        ]


def _choose_billing_org(
    orgs: list[BillingOrganization], wanted: str | None, pick_first: bool
) -> BillingOrganization:
    if not orgs:
        raise ConnectFailed(
            "the token sees no Billing organization: sign up for Zoho Billing with this user, "
            "or connect as a user of the Billing organization"
        )
    if wanted:
        for org in orgs:
            if org.id == wanted:
                return org
        known = ", ".join(f"{o.id} ({o.name})" for o in orgs)
        raise ConnectFailed(f"no Billing organization {wanted}; this token sees: {known}")
    if len(orgs) == 1 or pick_first:
        return orgs[0]
    known = ", ".join(f"{o.id} ({o.name})" for o in orgs)
    raise ConnectFailed(
        f"this token sees several Billing organizations ({known}): choose one with "
        "--billing-org ID, or pass --pick-first-org"
    )


async def verify(
    request: ConnectRequest,
    *,
    options: ZohoOptions | None = None,
    token_cache: TokenCache | None = None,
) -> tuple[ConnectionReport, Secret]:
    """Check the credentials against Zoho; returns what they reach and the refresh token.
    The access token it gets is put in `token_cache` when one is given."""
    try:
        dc = resolve_data_centre(request.data_centre, request.accounts_url, request.api_domain)
    except DataCentreError as exc:
        raise ConnectFailed(str(exc)) from None
    client = OAuthClient(request.client_id, request.client_secret)
    initial: AccessToken | None = None
    try:
        if request.grant_code is not None:
            transport = options.http_transport if options else None
            async with httpx.AsyncClient(timeout=10.0, transport=transport) as http:
                exchange = await exchange_grant_code(dc, client, request.grant_code, http=http)
            refresh_token, initial = exchange.refresh_token, exchange.access_token
        elif request.refresh_token is not None:
            refresh_token = request.refresh_token
        else:
            raise ConnectFailed("no refresh token or grant code: set ZSYNC_REFRESH_TOKEN")
        async with open_zoho(
            dc,
            client,
            refresh_token,
            options=options,
            initial_token=initial,
            token_cache=token_cache,
        ) as z:
            report = await _read_both_sides(request, dc, z)
    except ZohoError as exc:
        raise ConnectFailed(str(exc)) from None
    return report, refresh_token


async def _read_both_sides(
    request: ConnectRequest, dc: DataCentre, zoho: ZohoClients
) -> ConnectionReport:
    crm_org = await zoho.crm.org()
    user = await zoho.crm.current_user()
    owner = user
    if request.owner_email and request.owner_email.lower() != user.email.lower():
        found = await zoho.crm.user_by_email(request.owner_email)
        if found is None:
            raise ConnectFailed(
                f"no active CRM user has the email {request.owner_email}: give the email of an "
                "active user in CRM Setup > Users, or leave --owner-email out to use "
                f"{user.email}"
            )
        owner = found
    orgs = await zoho.billing.organizations()
    billing_org = _choose_billing_org(orgs, request.billing_org_id, request.pick_first_org)
    zoho.billing.organization_id = billing_org.id
    # One customers page proves the Billing scopes and the organization header work.
    async for _page in zoho.billing.list_customers():
        break
    return ConnectionReport(
        request.profile, dc, zoho.tokens.api_base, crm_org, user, owner, billing_org, orgs
    )


def save(
    runtime: Runtime,
    request: ConnectRequest,
    report: ConnectionReport,
    refresh_token: Secret,
    access_token: str | None = None,
) -> Profile:
    """Keep the secrets in the keyring and the rest in the Profile row (both, or neither).

    With no usable keyring, a profile whose secrets both come from `ZSYNC_CLIENT_SECRET` and
    `ZSYNC_REFRESH_TOKEN` is still saved: every later process reads them from there too, so
    nothing secret needs keeping (a server with no Secret Service runs this way).
    """
    credentials = CredentialStore(request.profile, timeout_s=runtime.settings.keyring_timeout_s)
    try:
        credentials.set(SecretKind.CLIENT_SECRET, request.client_secret.reveal())
        credentials.set(SecretKind.REFRESH_TOKEN, refresh_token.reveal())
        # The access token of the old credentials is of no use (nor is it ever used: a cached
        # token is bound to its client and refresh token); the one verifying got is, to the
        # next command, which then spends none of Zoho's ten refreshes per ten minutes.
        if access_token:
            credentials.set(SecretKind.ACCESS_TOKEN, access_token)
        else:
            credentials.delete(SecretKind.ACCESS_TOKEN)
    except KeyringUnavailable as exc:
        if not secrets_in_environment(request.client_secret, refresh_token):
            raise ConnectFailed(str(exc)) from None
    try:
        with runtime.store.write() as session:
            profile = session.exec(select(Profile).where(Profile.name == request.profile)).first()
            profile = profile or Profile(name=request.profile)
            profile.data_centre = report.data_centre.code
            profile.accounts_url = report.data_centre.accounts_url
            profile.api_domain = report.data_centre.api_domain
            profile.client_id = request.client_id
            profile.billing_org_id = report.billing_org.id
            profile.billing_org_name = report.billing_org.name
            profile.crm_org_id = report.crm_org.id
            profile.crm_org_name = report.crm_org.name
            profile.owner_email = report.owner.email
            profile.updated_at = utcnow()
            session.add(profile)
            session.flush()
            session.refresh(profile)
            return profile
    except Exception:
        for kind in SecretKind:
            credentials.delete(kind)
        raise


def secrets_in_environment(client_secret: Secret, refresh_token: Secret) -> bool:
    """Whether this process got exactly these secrets from its environment variables."""
    return os.environ.get(ENV_VARS[SecretKind.CLIENT_SECRET]) == client_secret.reveal() and (
        os.environ.get(ENV_VARS[SecretKind.REFRESH_TOKEN]) == refresh_token.reveal()
    )


async def connect(
    runtime: Runtime, request: ConnectRequest, *, options: ZohoOptions | None = None
) -> ConnectionReport:
    """Verify, then store. Raises `ConnectFailed` (nothing stored) on any problem."""
    held = HeldTokenCache()
    report, refresh_token = await verify(request, options=options, token_cache=held)
    save(runtime, request, report, refresh_token, held.text)
    return report


class HeldTokenCache:
    """A `TokenCache` in memory: the token `verify` gets, kept until `save` may store it."""

    def __init__(self) -> None:
        self.text: str | None = None

    def load(self) -> str | None:
        return self.text

    def save(self, text: str) -> None:
        self.text = text

    def clear(self) -> None:
        self.text = None


def load_profile(runtime: Runtime, name: str | None = None) -> Profile:
    """The stored profile, or `ConnectFailed` saying to run `zsync connect`."""
    name = name or runtime.profile_name
    with runtime.store.read() as session:
        profile = session.exec(select(Profile).where(Profile.name == name)).first()
    if profile is None or not profile.client_id:
        raise ConnectFailed(f"profile {name!r} is not connected: run `zsync connect` first")
    return profile


@asynccontextmanager
async def open_clients(
    runtime: Runtime, *, profile: str | None = None, options: ZohoOptions | None = None
) -> AsyncIterator[ZohoClients]:
    """Ready clients for a stored profile: `async with open_clients(rt) as (crm, billing)`.

    The yielded `ZohoClients` unpacks to `(crm, billing)` and also carries the call counts.
    """
    stored = load_profile(runtime, profile)
    code = stored.data_centre
    try:
        dc = (
            resolve_data_centre(code, stored.accounts_url, stored.api_domain)
            if code == "custom"
            else resolve_data_centre(code)
        )
    except DataCentreError as exc:
        raise ConnectFailed(f"profile {stored.name!r}: {exc}; run `zsync connect` again") from None
    credentials = CredentialStore(stored.name, timeout_s=runtime.settings.keyring_timeout_s)
    try:
        client_secret = credentials.get(SecretKind.CLIENT_SECRET)
        refresh_token = credentials.get(SecretKind.REFRESH_TOKEN)
    except KeyringUnavailable as exc:
        # A profile saved with secrets from the environment, run again without them.
        raise ConnectFailed(f"profile {stored.name!r} cannot read its secrets: {exc}") from None
    if not client_secret or not refresh_token:
        raise ConnectFailed(
            f"profile {stored.name!r} has no stored secrets: run `zsync connect` again, or set "
            "ZSYNC_CLIENT_SECRET and ZSYNC_REFRESH_TOKEN"
        )
    client = OAuthClient(stored.client_id or "", Secret(client_secret))
    options = options or ZohoOptions(timeout_s=float(runtime.settings.http_timeout_s))
    async with open_zoho(
        dc,
        client,
        Secret(refresh_token),
        stored.billing_org_id,
        options=options,
        token_cache=KeyringTokenCache(credentials),
    ) as clients:
        yield clients


class KeyringTokenCache:
    """The profile's access token in the keyring (a `TokenCache`), so that the processes of one
    profile share it. With no usable keyring it keeps nothing and stays quiet after the first
    try: such a process (secrets from the environment) refreshes its own token, as before."""

    def __init__(self, credentials: CredentialStore) -> None:
        self.credentials = credentials
        self._usable = True

    def load(self) -> str | None:
        if not self._usable:
            return None
        try:
            return self.credentials.get(SecretKind.ACCESS_TOKEN)
        except KeyringUnavailable:
            self._usable = False
            return None

    def save(self, text: str) -> None:
        if self._usable:
            try:
                self.credentials.set(SecretKind.ACCESS_TOKEN, text)
            except KeyringUnavailable:
                self._usable = False

    def clear(self) -> None:
        if self._usable:
            try:
                self.credentials.delete(SecretKind.ACCESS_TOKEN)
            except KeyringUnavailable:
                self._usable = False
