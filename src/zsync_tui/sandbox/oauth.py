"""Zoho Accounts: credentials from the seed, grant codes, refresh and access tokens, scopes."""

from __future__ import annotations

import random
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache

from zsync_tui.sandbox.options import SandboxOptions

ALL_SCOPES = (
    "ZohoCRM.modules.ALL",
    "ZohoCRM.settings.ALL",
    "ZohoCRM.users.ALL",
    "ZohoCRM.org.ALL",
    "ZohoCRM.coql.READ",
    "ZohoCRM.bulk.ALL",
    "ZohoCRM.notifications.ALL",
    "ZohoSearch.securesearch.READ",
    "ZohoSubscriptions.customers.ALL",
    "ZohoSubscriptions.quotes.ALL",
    "ZohoSubscriptions.invoices.ALL",
    "ZohoSubscriptions.salesorders.ALL",
    "ZohoSubscriptions.settings.ALL",
)
THROTTLE_WINDOW_S = 600.0
GRANT_CODE_TTL_S = 180.0
MAX_REFRESH_TOKENS = 20
THROTTLED = {
    "error_description": "You have made too many requests continuously. "
    "Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}


def _token(rng: random.Random | None = None) -> str:
    if rng is None:
        return f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
    return f"1000.{rng.getrandbits(128):032x}.{rng.getrandbits(128):032x}"


@dataclass(frozen=True)
class ClientCredentials:
    """The self-client the sandbox knows; derived from the seed at run time, never stored."""

    client_id: str
    client_secret: str
    refresh_token: str

    @classmethod
    def from_seed(cls, seed: int) -> ClientCredentials:
        rng = random.Random(f"zsync-sandbox-credentials:{seed}")
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        client_id = "1000." + "".join(rng.choice(alphabet) for _ in range(30))
        client_secret = f"{rng.getrandbits(168):042x}"
        return cls(client_id, client_secret, _token(rng))


@dataclass
class RefreshToken:
    """A refresh token, its scopes and the access tokens issued from it."""

    scopes: tuple[str, ...]
    issued: deque[float] = field(default_factory=deque)
    access_tokens: deque[str] = field(default_factory=deque)
    revoked: bool = False


@dataclass
class AccessToken:
    """An access token: who it belongs to and when it was issued (sandbox time)."""

    refresh_token: str
    scopes: tuple[str, ...]
    issued_at: float


@dataclass
class GrantCode:
    """A one-use grant code, as a self-client hands out."""

    scopes: tuple[str, ...]
    expires_at: float
    used: bool = False


def scope_allows(granted: str, required: str) -> bool:
    """Whether one granted scope covers a required one (`ALL` covers any operation; a shorter
    resource covers its children: `ZohoCRM.modules.READ` covers `ZohoCRM.modules.deals.READ`)."""
    g_parts = granted.lower().split(".")
    r_parts = required.lower().split(".")
    if len(g_parts) < 2 or g_parts[0] != r_parts[0]:
        return False
    g_op, r_op = g_parts[-1], r_parts[-1]
    g_res, r_res = g_parts[1:-1], r_parts[1:-1]
    if g_res == ["fullaccess"]:
        return True
    if r_res[: len(g_res)] != g_res:
        return False
    return (
        g_op == "all"
        or g_op == r_op
        or (g_op == "write" and r_op in ("create", "update", "delete"))
    )


class TokenAuthority:
    """Issues and checks tokens like Zoho Accounts, throttles included."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.credentials = ClientCredentials.from_seed(options.seed)
        self._lock = threading.Lock()
        self.refresh_tokens: dict[str, RefreshToken] = {
            self.credentials.refresh_token: RefreshToken(tuple(options.scopes or ALL_SCOPES))
        }
        self.access_tokens: dict[str, AccessToken] = {}
        self.grant_codes: dict[str, GrantCode] = {}
        self.token_ttl_s = options.token_ttl_s
        self.early_expiry_s = 0.0

    def mint_grant_code(self, scopes: tuple[str, ...], now: float, ttl_s: float) -> str:
        """A grant code for `scopes`, as the API console's self-client tab gives one."""
        code = _token()
        with self._lock:
            self.grant_codes[code] = GrantCode(scopes or ALL_SCOPES, now + ttl_s)
        return code

    def token_request(
        self, params: dict[str, str], now: float, api_domain: str
    ) -> dict[str, object]:
        """Answer `POST /oauth/v2/token`: always a dict; errors carry `error`, as Zoho's do."""
        grant_type = params.get("grant_type", "")
        if grant_type not in ("refresh_token", "authorization_code"):
            return {"error": "unsupported_grant_type"}
        if params.get("client_id") != self.credentials.client_id:
            return {"error": "invalid_client"}
        if params.get("client_secret") != self.credentials.client_secret:
            return {"error": "invalid_client_secret"}
        with self._lock:
            if grant_type == "authorization_code":
                grant = self.grant_codes.get(params.get("code", ""))
                if grant is None or grant.used or grant.expires_at < now:
                    return {"error": "invalid_code"}
                grant.used = True
                refresh = _token()
                self.refresh_tokens[refresh] = RefreshToken(grant.scopes)
                self._cap_refresh_tokens()
                answer = self._issue(refresh, now, api_domain)
                answer["refresh_token"] = refresh
                return answer
            refresh = params.get("refresh_token", "")
            holder = self.refresh_tokens.get(refresh)
            if holder is None or holder.revoked:
                return {"error": "invalid_code"}
            while holder.issued and holder.issued[0] <= now - THROTTLE_WINDOW_S:
                holder.issued.popleft()
            if len(holder.issued) >= self.options.token_refreshes_per_10min:
                return dict(THROTTLED)
            return self._issue(refresh, now, api_domain)

    def _cap_refresh_tokens(self) -> None:
        """The 21st refresh token of a client deletes the oldest, with its access tokens
        (zoho-api.md 2.2); the seeded one counts like any other."""
        live = [t for t, holder in self.refresh_tokens.items() if not holder.revoked]
        for token in live[: max(0, len(live) - MAX_REFRESH_TOKENS)]:
            holder = self.refresh_tokens.pop(token)
            for access in holder.access_tokens:
                self.access_tokens.pop(access, None)

    def _issue(self, refresh: str, now: float, api_domain: str) -> dict[str, object]:
        holder = self.refresh_tokens[refresh]
        holder.issued.append(now)
        token = _token()
        self.access_tokens[token] = AccessToken(refresh, holder.scopes, now)
        holder.access_tokens.append(token)
        # The 16th active token invalidates the oldest (zoho-api.md 2.2).
        while len(holder.access_tokens) > self.options.max_active_tokens:
            self.access_tokens.pop(holder.access_tokens.popleft(), None)
        return {
            "access_token": token,
            "scope": " ".join(holder.scopes),
            "api_domain": api_domain,
            "token_type": "Bearer",
            "expires_in": self.token_ttl_s,
        }

    def revoke(self, token: str) -> bool:
        """Revoke a refresh token and every access token issued from it."""
        with self._lock:
            holder = self.refresh_tokens.get(token)
            if holder is None or holder.revoked:
                return False
            holder.revoked = True
            for access in holder.access_tokens:
                self.access_tokens.pop(access, None)
            holder.access_tokens.clear()
            return True

    def check(self, authorization: str | None, now: float) -> AccessToken | None | str:
        """The access token behind an `Authorization` header: the token, `"missing"` when no
        Zoho-oauthtoken header was sent, or None when it is unknown or expired."""
        if not authorization:
            return "missing"
        scheme, _, value = authorization.partition(" ")
        if scheme != "Zoho-oauthtoken" or not value.strip():
            return "missing"
        token = self.access_tokens.get(value.strip())
        if token is None:
            return None
        lifetime = float(self.token_ttl_s)
        if self.early_expiry_s > 0:
            lifetime = min(lifetime, self.early_expiry_s)
        if now >= token.issued_at + lifetime:
            return None
        return token

    def expire_all(self) -> int:
        """Forget every access token (admin: simulate a mass expiry); returns how many."""
        with self._lock:
            count = len(self.access_tokens)
            self.access_tokens.clear()
            for holder in self.refresh_tokens.values():
                holder.access_tokens.clear()
            return count


def has_scope(token: AccessToken, required: str) -> bool:
    """Whether any of the token's scopes covers `required`."""
    return _covers(token.scopes, required)


@lru_cache(maxsize=4096)
def _covers(scopes: tuple[str, ...], required: str) -> bool:
    # Every request asks this; the answers depend only on a handful of scope sets.
    return any(scope_allows(granted, required) for granted in scopes)
