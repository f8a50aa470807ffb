"""OAuth against Zoho Accounts: grant exchange, refresh, a cached token, single flight.

The access token may also be cached across processes (`TokenCache`, the keyring in practice),
bound to its data centre, client and refresh token, so that cron jobs and child processes do not
each spend one of Zoho's ten refreshes per ten minutes.

Secrets travel in the POST body only (never a query string, where proxies and logs keep
them), and every secret value is registered with the log redactor as soon as it is known.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from zsync_tui.logs import known_secrets
from zsync_tui.zoho.datacentres import DataCentre, DataCentreError
from zsync_tui.zoho.errors import (
    AuthenticationError,
    MalformedResponse,
    RateLimited,
    Unreachable,
)
from zsync_tui.zoho.token_cache import (
    TokenCache,
    cache_binding,
    decode_cached_token,
    encode_cached_token,
)

log = logging.getLogger(__name__)

TOKEN_PATH = "/oauth/v2/token"
#: Zoho allows 10 access tokens per refresh token per 10 minutes; we stay one under.
REFRESH_LIMIT = 9
REFRESH_WINDOW_S = 600.0
REFRESH_MARGIN_S = 300.0
TOKEN_CONNECT_ATTEMPTS = 3
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=30.0)


class Secret:
    """A string that never shows itself in `repr`, `str`, f-strings or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not value:
            raise ValueError("a secret cannot be empty")
        known_secrets.add(value)
        self._value = value

    def reveal(self) -> str:
        """The value itself: pass it straight to the wire, never to a message."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class OAuthClient:
    """The Self Client (or server app) identity: its ID is public, its secret is not."""

    client_id: str
    client_secret: Secret


@dataclass(frozen=True)
class AccessToken:
    """A bearer token with the time (epoch seconds) it stops working."""

    value: Secret
    expires_at: float
    api_domain: str | None = None
    generation: int = 0
    lifetime_s: float = 3600.0

    @property
    def header(self) -> str:
        return f"Zoho-oauthtoken {self.value.reveal()}"


@dataclass(frozen=True)
class GrantExchange:
    """What a grant code turned into: the long-lived refresh token and a first access token."""

    refresh_token: Secret
    access_token: AccessToken
    api_base: str


def _describe_token_error(answer: dict[str, Any], status: int) -> Exception:
    error = str(answer.get("error") or answer.get("code") or "")
    description = str(answer.get("error_description") or answer.get("message") or error)
    lowered = f"{error} {description}".lower()
    if "access denied" in lowered or "too many requests" in lowered:
        resumes = datetime.fromtimestamp(time.time() + REFRESH_WINDOW_S, UTC)
        return RateLimited(
            "Zoho Accounts refused a token request (too many in 10 minutes)",
            resumes,
            side="accounts",
            code=error or None,
        )
    if error == "invalid_client" or "invalid_client" in lowered:
        return AuthenticationError("bad_client", "Zoho Accounts: invalid client", side="accounts")
    if error == "invalid_code":
        return AuthenticationError(
            "revoked",
            "Zoho Accounts: the refresh token or grant code is not valid",
            side="accounts",
        )
    return AuthenticationError(
        "bad_client", f"Zoho Accounts refused the token request ({status} {error})", side="accounts"
    )


async def _post_token_form(
    http: httpx.AsyncClient, accounts_url: str, form: dict[str, str]
) -> dict[str, Any]:
    try:
        for attempt in range(TOKEN_CONNECT_ATTEMPTS):
            try:
                response = await http.post(f"{accounts_url}{TOKEN_PATH}", data=form)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout):
                # Never sent, so safe even for a one-use grant code; a blip should not end a run.
                if attempt + 1 == TOKEN_CONNECT_ATTEMPTS:
                    raise
                await asyncio.sleep(0.2 * 2**attempt)
    except httpx.TimeoutException as exc:
        raise Unreachable(
            accounts_url, f"timed out: {type(exc).__name__}", side="accounts"
        ) from None
    except httpx.TransportError as exc:
        raise Unreachable(accounts_url, type(exc).__name__, side="accounts") from None
    try:
        answer = response.json()
    except ValueError:
        raise MalformedResponse(
            f"Zoho Accounts answered HTTP {response.status_code} with something other than JSON",
            response.content,
            side="accounts",
        ) from None
    if not isinstance(answer, dict):
        raise MalformedResponse("Zoho Accounts answered an unexpected shape", response.content)
    if response.status_code >= 400 or "error" in answer or "access_token" not in answer:
        raise _describe_token_error(answer, response.status_code)
    return answer


def _token_from_answer(
    answer: dict[str, Any], dc: DataCentre, now: float, generation: int
) -> tuple[AccessToken, str]:
    value = answer.get("access_token")
    if not isinstance(value, str) or not value:
        raise MalformedResponse("the token answer has no access_token", "{...}", side="accounts")
    secret = Secret(value)
    raw_expiry = answer.get("expires_in_sec", answer.get("expires_in", 3600))
    try:
        expires_in = float(raw_expiry)
    except (TypeError, ValueError):
        expires_in = 3600.0
    try:
        api_base = dc.trusted_api_base(answer.get("api_domain"))
    except DataCentreError as exc:
        raise AuthenticationError("domain", str(exc), side="accounts") from None
    return AccessToken(secret, now + expires_in, api_base, generation, expires_in), api_base


async def exchange_grant_code(
    dc: DataCentre,
    client: OAuthClient,
    grant_code: Secret,
    *,
    redirect_uri: str | None = None,
    http: httpx.AsyncClient | None = None,
) -> GrantExchange:
    """Turn a one-use grant code (Self Client) into a refresh token."""
    form = {
        "grant_type": "authorization_code",
        "client_id": client.client_id,
        "client_secret": client.client_secret.reveal(),
        "code": grant_code.reveal(),
    }
    if redirect_uri:
        form["redirect_uri"] = redirect_uri
    owned = http is None
    http = http or httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
    try:
        answer = await _post_token_form(http, dc.accounts_url, form)
    except AuthenticationError as exc:
        if exc.reason == "revoked":
            raise AuthenticationError("grant", "Zoho Accounts refused the grant code") from None
        raise
    finally:
        if owned:
            await http.aclose()
    refresh = answer.get("refresh_token")
    if not isinstance(refresh, str) or not refresh:
        raise AuthenticationError(
            "grant", "the grant code gave no refresh token (was it made with access_type offline?)"
        )
    token, api_base = _token_from_answer(answer, dc, time.time(), 1)
    return GrantExchange(Secret(refresh), token, api_base)


class TokenManager:
    """Hands out a valid access token; refreshes once for many waiters (single flight).

    The token is refreshed ahead of expiry, and again when a call reports it invalid. The
    refresh rate is kept under Zoho's per-refresh-token limit; past it, `RateLimited`.
    With a `cache`, a token another process saved is used while it is fresh, and every new one
    is saved (a refused refresh clears it); `refresh_count` counts this manager's refreshes.
    """

    def __init__(
        self,
        dc: DataCentre,
        client: OAuthClient,
        refresh_token: Secret,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
        refresh_margin_s: float = REFRESH_MARGIN_S,
        initial: AccessToken | None = None,
        cache: TokenCache | None = None,
    ) -> None:
        self.dc = dc
        self._client = client
        self._refresh_token = refresh_token
        self._http = http
        self._owns_http = http is None
        self._clock = clock
        self._margin = refresh_margin_s
        self._token: AccessToken | None = initial
        self._lock = asyncio.Lock()
        self._recent: deque[float] = deque()
        self.refresh_count = 0
        self._cache = cache
        self._binding = cache_binding(dc, client.client_id, refresh_token) if cache else ""

    def __repr__(self) -> str:
        return f"TokenManager(dc={self.dc.code!r}, client_id={self._client.client_id!r})"

    @property
    def api_base(self) -> str:
        """The API base URL (from the last token answer, if trusted)."""
        if self._token and self._token.api_domain:
            return self._token.api_domain
        return self.dc.api_domain

    def _fresh(self, token: AccessToken | None) -> bool:
        if token is None:
            return False
        # Refresh ahead of expiry: 5 minutes early, or a tenth of a short-lived token's life.
        margin = min(self._margin, max(0.0, token.lifetime_s * 0.1))
        return token.expires_at - margin > self._clock()

    async def token(self) -> AccessToken:
        """A token good for the next call, refreshing first if it is near its expiry."""
        current = self._token
        if current is not None and self._fresh(current):
            return current
        async with self._lock:
            if self._token is not None and self._fresh(self._token):
                return self._token
            cached = await self._from_cache()
            if cached is not None:
                return cached
            return await self._refresh()

    async def _from_cache(self) -> AccessToken | None:
        """A fresh token another process (or an earlier session) saved, made current."""
        if self._cache is None:
            return None
        try:
            text = await asyncio.to_thread(self._cache.load)
        except Exception as exc:  # a cache that fails is a cache that is empty
            log.debug("access token cache not read: %s", type(exc).__name__)
            return None
        generation = (self._token.generation if self._token else 0) + 1
        cached = decode_cached_token(text, self._binding, self.dc, generation)
        if cached is None or not self._fresh(cached):
            return None
        if self._token is not None and cached.value == self._token.value:
            return None  # the very token that stopped working
        self._token = cached
        log.debug("access token taken from the cache (generation %d)", generation)
        return cached

    async def _cache_call(self, what: str, call: Callable[[], None]) -> None:
        if self._cache is None:
            return
        try:
            await asyncio.to_thread(call)
        except Exception as exc:
            log.debug("access token cache not %s: %s", what, type(exc).__name__)

    async def invalidate(self, stale: AccessToken) -> AccessToken:
        """Called when Zoho rejected `stale`: refresh unless another caller already did."""
        async with self._lock:
            if self._token is not None and self._token.generation != stale.generation:
                return self._token
            return await self._refresh()

    def _check_throttle(self) -> None:
        now = self._clock()
        while self._recent and now - self._recent[0] >= REFRESH_WINDOW_S:
            self._recent.popleft()
        if len(self._recent) >= REFRESH_LIMIT:
            resumes = datetime.fromtimestamp(self._recent[0] + REFRESH_WINDOW_S, UTC)
            raise RateLimited(
                f"{REFRESH_LIMIT} access tokens were requested in the last 10 minutes (Zoho's "
                "limit is 10)",
                resumes,
                side="accounts",
            )

    async def _refresh(self) -> AccessToken:
        self._check_throttle()
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
        self._recent.append(self._clock())
        form = {
            "grant_type": "refresh_token",
            "client_id": self._client.client_id,
            "client_secret": self._client.client_secret.reveal(),
            "refresh_token": self._refresh_token.reveal(),
        }
        try:
            answer = await _post_token_form(self._http, self.dc.accounts_url, form)
        except AuthenticationError:
            # Revoked or a bad client: no cached token of these credentials is worth keeping.
            if self._cache is not None:
                await self._cache_call("cleared", self._cache.clear)
            raise
        generation = (self._token.generation if self._token else 0) + 1
        token, _ = _token_from_answer(answer, self.dc, self._clock(), generation)
        self._token = token
        self.refresh_count += 1
        log.debug("access token refreshed (generation %d)", generation)
        if self._cache is not None:
            text = encode_cached_token(token, self._binding)
            cache = self._cache
            await self._cache_call("saved", lambda: cache.save(text))
        return token

    async def aclose(self) -> None:
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None
