"""Token manager and transport against `httpx.MockTransport`: the pure behaviour, exactly."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import pytest

from zsync_tui.zoho.budget import CallBudget
from zsync_tui.zoho.datacentres import resolve_data_centre
from zsync_tui.zoho.errors import (
    AmbiguousWrite,
    AuthenticationError,
    MalformedResponse,
    RateLimited,
    ServerError,
    Unreachable,
    ValidationFailed,
)
from zsync_tui.zoho.oauth import OAuthClient, Secret, TokenManager
from zsync_tui.zoho.transport import RetryPolicy, ZohoTransport

BASE = "http://127.0.0.1:9"
CLIENT_SECRET = "cs-unit-0123456789abcdef"
REFRESH = "1000.refresh.unit.0123456789"

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """Counts token refreshes and keeps every request; API answers come from `api`."""

    def __init__(self, api: Handler, expires_in: int = 3600) -> None:
        self.api = api
        self.expires_in = expires_in
        self.refreshes: list[httpx.Request] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/token":
            self.refreshes.append(request)
            return httpx.Response(
                200,
                json={
                    "access_token": f"1000.access.{len(self.refreshes)}.abcdef",
                    "api_domain": BASE,
                    "token_type": "Bearer",
                    "expires_in": self.expires_in,
                },
            )
        self.requests.append(request)
        return self.api(request)


def make(
    api: Handler, *, expires_in: int = 3600, attempts: int = 4
) -> tuple[ZohoTransport, Recorder, list[float]]:
    recorder = Recorder(api, expires_in)
    mock = httpx.MockTransport(recorder)
    dc = resolve_data_centre("custom", BASE, BASE)
    tokens = TokenManager(
        dc,
        OAuthClient("1000.CLIENT", Secret(CLIENT_SECRET)),
        Secret(REFRESH),
        http=httpx.AsyncClient(transport=mock),
    )
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    transport = ZohoTransport(
        "crm",
        "/crm/v8",
        tokens,
        CallBudget("crm", concurrency=10),
        retry=RetryPolicy(attempts=attempts, base_s=0.5, cap_s=4.0),
        http_transport=mock,
        sleep=sleep,
        rng=random.Random(1),
    )
    return transport, recorder, slept


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"data": [{"id": "1"}]})


async def test_refresh_sends_secrets_in_the_body_never_the_query():
    transport, recorder, _ = make(ok)
    await transport.request("GET", "/org")
    (refresh,) = recorder.refreshes
    assert refresh.method == "POST" and refresh.url.query == b""
    form = parse_qs(refresh.content.decode())
    assert form == {
        "grant_type": ["refresh_token"],
        "client_id": ["1000.CLIENT"],
        "client_secret": [CLIENT_SECRET],
        "refresh_token": [REFRESH],
    }
    assert recorder.requests[0].headers["Authorization"] == "Zoho-oauthtoken 1000.access.1.abcdef"


async def test_many_concurrent_calls_share_one_refresh():
    transport, recorder, _ = make(ok)
    await asyncio.gather(*(transport.request("GET", "/org") for _ in range(50)))
    assert len(recorder.refreshes) == 1 and len(recorder.requests) == 50


async def test_invalid_token_refreshes_once_for_all_waiters_then_retries():
    seen_tokens: set[str] = set()

    def api(request: httpx.Request) -> httpx.Response:
        token = request.headers["Authorization"]
        seen_tokens.add(token)
        if token.endswith(".1.abcdef"):
            return httpx.Response(
                401,
                json={
                    "code": "INVALID_TOKEN",
                    "message": "invalid oauth token",
                    "details": {},
                    "status": "error",
                },
            )
        return ok(request)

    transport, recorder, _ = make(api)
    await asyncio.gather(*(transport.request("GET", "/org") for _ in range(20)))
    assert len(recorder.refreshes) == 2  # the first token, then exactly one replacement
    assert len(seen_tokens) == 2


async def test_a_token_refused_twice_is_an_authentication_error():
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"code": "INVALID_TOKEN", "message": "invalid oauth token"})

    transport, recorder, _ = make(api)
    with pytest.raises(AuthenticationError) as failed:
        await transport.request("GET", "/org")
    assert failed.value.reason == "token" and len(recorder.refreshes) == 2


async def test_scope_mismatch_says_to_regenerate_the_grant():
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, json={"code": "OAUTH_SCOPE_MISMATCH", "message": "invalid oauth scope"}
        )

    transport, recorder, _ = make(api)
    with pytest.raises(AuthenticationError, match="scopes") as failed:
        await transport.request("GET", "/org")
    assert failed.value.reason == "scope" and len(recorder.refreshes) == 1


async def test_tokens_are_refreshed_ahead_of_expiry():
    transport, recorder, _ = make(ok, expires_in=-1)
    await transport.request("GET", "/org")
    await transport.request("GET", "/org")
    assert len(recorder.refreshes) == 2


async def test_reads_retry_429_honouring_retry_after():
    answers = iter([429, 429, 200])

    def api(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        if status == 429:
            return httpx.Response(
                429, headers={"Retry-After": "3"}, json={"code": "TOO_MANY_REQUESTS"}
            )
        return ok(request)

    transport, _, slept = make(api)
    response = await transport.request("GET", "/Accounts")
    assert response.status_code == 200 and slept == [3.0, 3.0]
    assert transport.calls == 3 and transport.retries == 2


async def test_a_429_storm_ends_with_rate_limited_and_a_resume_time():
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json={"code": "TOO_MANY_REQUESTS"})

    transport, _, slept = make(api, attempts=4)
    with pytest.raises(RateLimited) as stopped:
        await transport.request("GET", "/Accounts")
    assert len(slept) == 3 and all(0 <= s <= 4.0 for s in slept)
    assert stopped.value.resumes_at is not None


async def test_a_long_retry_after_is_not_waited_out():
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "3600"})

    transport, _, slept = make(api)
    with pytest.raises(RateLimited):
        await transport.request("GET", "/Accounts")
    assert slept == []


async def test_reads_retry_5xx_and_timeouts_then_give_up():
    answers = iter(["timeout", 502, 200])

    def api(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if answer == "timeout":
            raise httpx.ReadTimeout("slow", request=request)
        return ok(request) if answer == 200 else httpx.Response(answer)

    transport, _, slept = make(api)
    assert (await transport.request("GET", "/Accounts")).status_code == 200
    assert len(slept) == 2

    transport, _, _ = make(lambda r: httpx.Response(500, json={"code": "INTERNAL_ERROR"}))
    with pytest.raises(ServerError, match="500"):
        await transport.request("GET", "/Accounts")


async def test_a_write_is_resent_only_when_it_never_left():
    answers = iter(["refused", 201])

    def api(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if answer == "refused":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(201, json={"data": []})

    transport, recorder, _ = make(api)
    response = await transport.request("POST", "/Accounts", json={"data": []}, write=True)
    assert response.status_code == 201 and transport.write_calls == 2


@pytest.mark.parametrize(
    "failure",
    [
        lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=r)),
        lambda r: (_ for _ in ()).throw(httpx.RemoteProtocolError("dropped", request=r)),
        lambda r: httpx.Response(500, json={"code": "INTERNAL_ERROR"}),
        lambda r: httpx.Response(503),
    ],
)
async def test_a_write_that_may_have_landed_is_ambiguous(failure: Handler):
    transport, recorder, slept = make(failure)
    with pytest.raises(AmbiguousWrite, match="may have been applied"):
        await transport.request("POST", "/Accounts", json={"data": [{}]}, write=True)
    assert len(recorder.requests) == 1 and slept == []


async def test_unreachable_after_retries():
    def api(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    transport, recorder, slept = make(api, attempts=3)
    with pytest.raises(Unreachable, match="cannot reach 127.0.0.1"):
        await transport.request("GET", "/org")
    assert len(recorder.requests) == 3 and len(slept) == 2


async def test_validation_errors_name_the_field():
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400,
            json={
                "code": "INVALID_DATA",
                "message": "invalid data",
                "status": "error",
                "details": {"api_name": "Email"},
            },
        )

    transport, _, _ = make(api)
    with pytest.raises(ValidationFailed) as refused:
        await transport.request("GET", "/Accounts")
    assert refused.value.field == "Email" and refused.value.code == "INVALID_DATA"


async def test_token_endpoint_errors_are_typed():
    for answer, expected in [
        ({"error": "invalid_client"}, AuthenticationError),
        ({"error": "invalid_code"}, AuthenticationError),
        ({"error": "Access Denied", "error_description": "too many requests"}, RateLimited),
    ]:
        mock = httpx.MockTransport(lambda r, a=answer: httpx.Response(200, json=a))
        tokens = TokenManager(
            resolve_data_centre("custom", BASE, BASE),
            OAuthClient("1000.CLIENT", Secret(CLIENT_SECRET)),
            Secret(REFRESH),
            http=httpx.AsyncClient(transport=mock),
        )
        with pytest.raises(expected):
            await tokens.token()


async def test_a_token_for_a_foreign_api_domain_is_refused():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "access_token": "1000.x.y",
                "api_domain": "https://evil.example",
                "expires_in": 3600,
            },
        )

    tokens = TokenManager(
        resolve_data_centre("us"),
        OAuthClient("1000.CLIENT", Secret(CLIENT_SECRET)),
        Secret(REFRESH),
        http=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    with pytest.raises(AuthenticationError, match="outside this data centre"):
        await tokens.token()


async def test_the_refresh_rate_stays_under_zohos_limit():
    now = [1_000.0]
    transport, recorder, _ = make(ok, expires_in=-1)
    transport.tokens._clock = lambda: now[0]
    for _ in range(9):
        await transport.tokens.token()
    with pytest.raises(RateLimited, match="10 minutes"):
        await transport.tokens.token()
    now[0] += 601
    await transport.tokens.token()
    assert len(recorder.refreshes) == 10


async def test_malformed_bodies_give_a_short_redacted_excerpt():
    from zsync_tui.zoho.transport import json_body

    body = b"<html>oops access_token=1000.leak.leak " + b"x" * 500
    response = httpx.Response(200, content=body)
    with pytest.raises(MalformedResponse) as bad:
        json_body(response, "crm")
    assert "1000.leak" not in str(bad.value) and len(bad.value.excerpt) <= 160
    with pytest.raises(MalformedResponse, match="list"):
        json_body(httpx.Response(200, content=json.dumps([1]).encode()), "crm")


def test_secrets_mask_themselves():
    secret = Secret("1000.very.secret.value")
    client = OAuthClient("1000.CLIENT", secret)
    for text in (repr(secret), str(secret), f"{secret}", repr(client), str(client)):
        assert "very.secret" not in text
    assert secret.reveal() == "1000.very.secret.value"


async def test_a_token_is_refreshed_five_minutes_before_it_expires():
    now = [10_000.0]
    transport, recorder, _ = make(ok, expires_in=3600)
    transport.tokens._clock = lambda: now[0]
    await transport.request("GET", "/org")
    now[0] += 3600 - 301  # still more than five minutes left: the cached token serves
    await transport.request("GET", "/org")
    assert len(recorder.refreshes) == 1
    now[0] += 2  # now inside the last five minutes: refreshed before use
    await transport.request("GET", "/org")
    assert len(recorder.refreshes) == 2
