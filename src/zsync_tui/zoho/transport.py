"""One async HTTP client per API, with auth, the budget governor, retries and error mapping.

Reads are retried on 429, 5xx and timeouts (exponential backoff, full jitter, `Retry-After`
honoured). A write is resent only when it provably never reached Zoho (no connection was made)
or Zoho refused it outright (429, or 401 before a token refresh); any other failure after the
bytes left raises `AmbiguousWrite`, because a blind resend could create a second record.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import httpcore
import httpx

from zsync_tui.zoho.budget import CallBudget
from zsync_tui.zoho.errors import (
    AmbiguousWrite,
    AuthenticationError,
    MalformedResponse,
    NotFound,
    RateLimited,
    ServerError,
    Side,
    Unreachable,
    ValidationFailed,
    ZohoError,
)
from zsync_tui.zoho.oauth import AccessToken, TokenManager
from zsync_tui.zoho.pages import ListAnswer, parse_json, trailing_info

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=120.0)
MAX_CONNECTIONS = 25
OK_STATUSES = frozenset({200, 201, 202, 204, 207, 304})
TOKEN_CODES = {"INVALID_TOKEN", "INVALID_OAUTHTOKEN"}
#: Failures where no byte of the request reached the server.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: httpcore reads an answer 64 KiB at a time, and a CRM page of 200 records is 80-100 KiB: two
#: reads, two trips through h11 and the event loop before the next request can go (~0.3 ms a
#: page in bench_client_read). A quarter MiB takes a page in one read.
RESPONSE_READ_BYTES = 256 * 1024
httpcore.AsyncHTTP11Connection.READ_NUM_BYTES = max(
    httpcore.AsyncHTTP11Connection.READ_NUM_BYTES, RESPONSE_READ_BYTES
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; `attempts` counts the first try."""

    attempts: int = 5
    base_s: float = 0.5
    cap_s: float = 30.0
    #: A longer `Retry-After` is not waited out: the call stops with `RateLimited`.
    max_wait_s: float = 120.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform between zero and the capped exponential step."""
        return rng.uniform(0.0, min(self.cap_s, self.base_s * (2**attempt)))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def json_body(response: httpx.Response, side: Side) -> dict[str, Any]:
    """The answer's JSON object, or `MalformedResponse` with a redacted excerpt."""
    try:
        body = parse_json(response.content)
    except ValueError:
        raise MalformedResponse(
            f"Zoho {side.upper()} answered HTTP {response.status_code} with a body that is not "
            "JSON",
            response.content,
            side=side,
        ) from None
    if not isinstance(body, dict):
        raise MalformedResponse(
            f"Zoho {side.upper()} answered a JSON {type(body).__name__}, not an object",
            response.content,
            side=side,
        )
    return body


def _error_fields(response: httpx.Response) -> tuple[str, str, dict[str, Any]]:
    try:
        body = parse_json(response.content)
    except ValueError:
        return "", response.reason_phrase, {}
    if not isinstance(body, dict):
        return "", response.reason_phrase, {}
    if isinstance(body.get("data"), list) and body["data"] and isinstance(body["data"][0], dict):
        body = body["data"][0]  # a batch where every record failed
    details = body.get("details")
    return (
        str(body.get("code", "")),
        str(body.get("message") or response.reason_phrase),
        details if isinstance(details, dict) else {},
    )


def error_for(response: httpx.Response, side: Side) -> ZohoError:
    """The typed error for a non-success answer."""
    status = response.status_code
    code, message, details = _error_fields(response)
    label = f"Zoho {side.upper()}"
    if status == 401:
        if side == "billing" and "organization" in message.lower():
            return AuthenticationError("organization", f"{label}: {message}", side=side, code=code)
        if side == "billing" and "not authorized" in message.lower():
            # Billing says this for a missing scope; a bad token was already refreshed once.
            return AuthenticationError("scope", f"{label}: {message}", side=side, code=code)
        if code == "OAUTH_SCOPE_MISMATCH" or "scope" in message.lower():
            return AuthenticationError("scope", f"{label}: {message}", side=side, code=code)
        return AuthenticationError("token", f"{label}: {message}", side=side, code=code)
    if status == 403:
        return AuthenticationError("permission", f"{label}: {message}", side=side, code=code)
    if status == 404:
        return NotFound(
            f"{label}: {message} (HTTP 404). Check the ID; the record may have been deleted",
            side=side,
            code=code,
        )
    if status == 429:
        resumes = datetime.fromtimestamp(time.time() + 60, UTC)
        return RateLimited(f"{label} is refusing calls: {message}", resumes, side=side, code=code)
    if status >= 500:
        return ServerError(status, f"{code} {message}".strip(), side=side)
    field = details.get("api_name") or details.get("param") or details.get("json_path")
    return ValidationFailed(
        f"{code} {message}".strip(),
        field=str(field) if field else None,
        details=details,
        side=side,
        code=code,
    )


def _refused_for_the_day(response: httpx.Response) -> bool:
    _, message, _ = _error_fields(response)
    lowered = message.lower()
    return "per day" in lowered or "for the day" in lowered or "daily" in lowered


def _is_token_rejection(response: httpx.Response, side: Side) -> bool:
    code, _, _ = _error_fields(response)
    # Billing's 401 codes are numeric and undocumented; any Billing 401 earns one refresh.
    return code in TOKEN_CODES or (side == "billing" and code != "OAUTH_SCOPE_MISMATCH")


def with_query(url: str, params: dict[str, Any] | None) -> tuple[str, dict[str, Any] | None]:
    """`url` with plain (str, int) params encoded into it, as httpx would encode them; other
    params are left to httpx. Saves httpx merging them into a parsed URL and parsing the
    result again, on the path between one list page and the next request."""
    if not params or not all(type(value) is str or type(value) is int for value in params.values()):
        return url, params
    return f"{url}?{urlencode(params)}", None


def _sent_tracer(sent: asyncio.Event | None) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    async def trace(event: str, info: dict[str, Any]) -> None:
        if sent is not None and event.endswith("send_request_body.complete"):
            sent.set()

    return trace


class ZohoTransport:
    """One API (CRM or Billing) behind one `httpx.AsyncClient`; counts every call."""

    def __init__(
        self,
        side: Side,
        path_prefix: str,
        tokens: TokenManager,
        budget: CallBudget,
        *,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        http_transport: httpx.AsyncBaseTransport | None = None,
        headers: dict[str, str] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.side = side
        self.path_prefix = path_prefix
        self.tokens = tokens
        self.budget = budget
        self.retry = retry or RetryPolicy()
        self.headers = dict(headers or {})
        self._sleep = sleep
        self._rng = rng or random.Random()
        # The governor bounds concurrency (and may be resized); the pool only needs room.
        limits = httpx.Limits(
            max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
        )
        self._http = httpx.AsyncClient(timeout=timeout, limits=limits, transport=http_transport)
        self.calls = 0
        self.write_calls = 0
        self.retries = 0

    def __repr__(self) -> str:
        return f"ZohoTransport({self.side!r}, calls={self.calls})"

    def url(self, path: str) -> str:
        return f"{self.tokens.api_base}{self.path_prefix}{path}"

    async def _wait(self, seconds: float) -> None:
        self.retries += 1
        await self._sleep(seconds)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        write: bool = False,
        cost: int = 1,
        accept: Collection[int] = OK_STATUSES,
        sent: asyncio.Event | None = None,
    ) -> httpx.Response:
        """Send one logical call (retrying as the policy allows); typed errors otherwise.

        `sent`, when given, is set as soon as the request has been written to the socket (and
        in any case when the call ends), so a caller can start CPU work knowing the server is
        already busy with this request.
        """
        try:
            return await self._request(
                method, path, params, json, headers, write, cost, accept, sent
            )
        finally:
            if sent is not None:
                sent.set()

    async def _request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        json: Any,
        headers: dict[str, str] | None,
        write: bool,
        cost: int,
        accept: Collection[int],
        sent: asyncio.Event | None,
    ) -> httpx.Response:
        extensions = {"trace": _sent_tracer(sent)} if sent is not None else None
        attempt = 0
        refreshed = False
        while True:
            token: AccessToken = await self.tokens.token()
            url, query = with_query(self.url(path), params)
            started = time.perf_counter()
            try:
                async with self.budget.slot(cost):
                    self.calls += 1
                    self.write_calls += int(write)
                    response = await self._http.request(
                        method,
                        url,
                        params=query,
                        json=json,
                        headers={**self.headers, **(headers or {}), "Authorization": token.header},
                        extensions=extensions,
                    )
            except NEVER_SENT as exc:
                attempt += 1
                if attempt >= self.retry.attempts:
                    host = httpx.URL(url).host
                    raise Unreachable(host, type(exc).__name__, side=self.side) from None
                await self._wait(self.retry.backoff(attempt, self._rng))
                continue
            except httpx.TransportError as exc:
                if write:
                    raise AmbiguousWrite(
                        f"the connection failed after the request was sent ({type(exc).__name__})",
                        method=method,
                        path=path,
                        side=self.side,
                    ) from None
                attempt += 1
                if attempt >= self.retry.attempts:
                    raise Unreachable(
                        httpx.URL(url).host, type(exc).__name__, side=self.side
                    ) from None
                await self._wait(self.retry.backoff(attempt, self._rng))
                continue
            status = response.status_code
            log.debug(
                "%s %s%s -> %d (%.0f ms)",
                method,
                self.path_prefix,
                path,
                status,
                (time.perf_counter() - started) * 1000,
            )
            if self.side == "crm":
                self.budget.observe_remaining(response.headers.get("X-API-CREDITS-REMAINING"))
            if status == 401 and not refreshed and _is_token_rejection(response, self.side):
                refreshed = True
                await self.tokens.invalidate(token)
                continue
            if status == 429:
                # Out of daily credits or calls: waiting minutes would not help, so stop now.
                self.budget.check(cost)
                if _refused_for_the_day(response):
                    raise self.budget.server_says_spent(
                        f"Zoho {self.side.upper()} says the daily API allowance is used up"
                    )
            if status == 429 or (status >= 500 and not write):
                attempt += 1
                now = time.time()
                delay = parse_retry_after(response.headers.get("Retry-After"), now)
                if delay is None:
                    delay = self.retry.backoff(attempt, self._rng)
                if attempt >= self.retry.attempts or delay > self.retry.max_wait_s:
                    if status == 429:
                        raise RateLimited(
                            f"Zoho {self.side.upper()} kept answering 429 Too Many Requests "
                            f"({attempt} tries)",
                            datetime.fromtimestamp(now + max(delay, 60.0), UTC),
                            side=self.side,
                        )
                    raise error_for(response, self.side)
                await self._wait(delay)
                continue
            if status >= 500 and write:
                raise AmbiguousWrite(
                    f"Zoho answered HTTP {status} to a write",
                    method=method,
                    path=path,
                    side=self.side,
                )
            if status in accept:
                return response
            raise error_for(response, self.side)

    async def read_json(
        self,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        sent: asyncio.Event | None = None,
    ) -> dict[str, Any] | None:
        """GET and parse; a body that is not JSON (a proxy's error page, a cut-off answer) is
        read again like a 5xx. None for 204/304 (nothing, or nothing changed)."""
        attempt = 0
        while True:
            response = await self.request("GET", path, params=params, headers=headers, sent=sent)
            if response.status_code in (204, 304):
                return None
            try:
                return json_body(response, self.side)
            except MalformedResponse:
                attempt += 1
                if attempt >= self.retry.attempts:
                    raise
                await self._wait(self.retry.backoff(attempt, self._rng))

    async def read_list(
        self,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        sent: asyncio.Event | None = None,
    ) -> ListAnswer | None:
        """`read_json` for a list whose `info` trails its records: when that tail reads on its
        own, the records are parsed only on `ListAnswer.body()`, so the caller can send its
        next request first. None for 204/304."""
        attempt = 0
        while True:
            response = await self.request("GET", path, params=params, headers=headers, sent=sent)
            if response.status_code in (204, 304):
                return None
            info = trailing_info(response.content)
            if info is not None:
                return ListAnswer(info, raw=response.content, side=self.side)
            try:
                return ListAnswer.parsed(json_body(response, self.side), self.side)
            except MalformedResponse:
                attempt += 1
                if attempt >= self.retry.attempts:
                    raise
                await self._wait(self.retry.backoff(attempt, self._rng))

    async def aclose(self) -> None:
        await self._http.aclose()
