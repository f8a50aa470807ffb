"""List answers read tail first: `trailing_info`, and `iter_records` when a body breaks behind a
good tail (the page is read again, nothing skipped or repeated)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from zsync_tui.zoho.datacentres import resolve_data_centre
from zsync_tui.zoho.errors import MalformedResponse
from zsync_tui.zoho.oauth import OAuthClient, Secret
from zsync_tui.zoho.pages import ListAnswer, trailing_info
from zsync_tui.zoho.session import ZohoOptions, open_zoho
from zsync_tui.zoho.transport import RetryPolicy, with_query

BASE = "http://127.0.0.1:9"
INFO = {"per_page": 2, "count": 2, "page": 1, "more_records": True, "next_page_token": None}


def answer(data: list[dict[str, Any]], info: dict[str, Any]) -> bytes:
    return orjson.dumps({"data": data, "info": info})


def test_the_trailing_info_is_read_alone():
    raw = answer([{"id": "1", "info": {"x": 1}}], INFO)
    assert trailing_info(raw) == INFO
    pretty = json.dumps({"data": [{"id": "1"}], "info": INFO}, indent=2).encode()
    assert trailing_info(pretty) == INFO


@pytest.mark.parametrize(
    "raw",
    [
        orjson.dumps({"info": INFO, "data": [{"id": "1"}]}),  # info first: parse whole
        orjson.dumps({"info": INFO, "data": [{"id": "1", "info": {"more_records": False}}]}),
        answer([{"id": "1"}], INFO)[:-1],  # cut off
        answer([{"id": "1"}], INFO)[:40],
        orjson.dumps({"data": [], "info": [1, 2]}),
        b"<html>info</html>",
        b"",
    ],
)
def test_anything_but_a_trailing_info_object_is_left_to_the_whole_parse(raw: bytes):
    assert trailing_info(raw) is None


def test_a_body_that_breaks_behind_a_good_tail_is_malformed():
    good = answer([{"id": "1"}], INFO)
    assert ListAnswer(INFO, raw=good).body()["data"] == [{"id": "1"}]
    broken = good.replace(b'"id"', b'"id', 1)
    with pytest.raises(MalformedResponse):
        ListAnswer(INFO, raw=broken).body()
    other_info = answer([{"id": "1"}], {**INFO, "more_records": False})
    with pytest.raises(MalformedResponse):
        ListAnswer(INFO, raw=other_info).body()


def token_answer(request: httpx.Request) -> httpx.Response | None:
    if request.url.path == "/oauth/v2/token":
        return httpx.Response(
            200, json={"access_token": "1000.a.b", "api_domain": BASE, "expires_in": 3600}
        )
    return None


def mock_zoho(handler: Callable[[httpx.Request], httpx.Response]) -> Any:
    """`open_zoho` on a mock transport: the token endpoint answered, `handler` for the rest."""

    def route(request: httpx.Request) -> httpx.Response:
        return token_answer(request) or handler(request)

    options = ZohoOptions(
        http_transport=httpx.MockTransport(route),
        retry=RetryPolicy(attempts=3, base_s=0.001, cap_s=0.001),
    )
    return open_zoho(
        resolve_data_centre("custom", BASE, BASE),
        OAuthClient("1000.CLIENT", Secret("cs-unit-0123456789")),
        Secret("1000.refresh.unit"),
        options=options,
    )


async def walk_ids(zoho: Any) -> list[str]:
    return [
        r["id"]
        async for page in zoho.crm.iter_records("Accounts", ["Account_Name"], per_page=2)
        for r in page
    ]


def json_answer(body: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=body, headers={"content-type": "application/json"})


async def test_a_page_broken_behind_its_tail_is_read_again_whole():
    pages = {
        1: answer([{"id": "1"}, {"id": "2"}], {**INFO, "page": 1}),
        2: answer([{"id": "3"}, {"id": "4"}], {**INFO, "page": 2}),
        3: answer([{"id": "5"}], {**INFO, "page": 3, "count": 1, "more_records": False}),
    }
    asked: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/actions/count"):
            return json_answer(b'{"count": 5}')
        page = int(request.url.params["page"])
        asked.append(page)
        body = pages[page]
        if page == 2 and asked.count(2) == 1:
            body = body.replace(b'"id"', b'"id', 1)  # broken once, the tail intact
        return json_answer(body)

    async with mock_zoho(handler) as zoho:
        assert await walk_ids(zoho) == ["1", "2", "3", "4", "5"]
    # Page 3 was asked on page 2's tail, dropped when page 2's body broke, then asked again.
    assert asked[:2] == [1, 2] and asked.count(2) == 2 and asked[-1] == 3


def numbered_pages(records: int) -> Callable[[int], httpx.Response]:
    """A module of `records` records, two a page; an empty page answers 204, as Zoho does."""

    def page(number: int) -> httpx.Response:
        ids = [str(i) for i in range(2 * number - 1, min(2 * number, records) + 1)]
        if not ids:
            return httpx.Response(204)
        info = {**INFO, "page": number, "count": len(ids), "more_records": 2 * number < records}
        return json_answer(answer([{"id": i} for i in ids], info))

    return page


@pytest.mark.parametrize(
    ("counted", "extra_pages"),
    [("13", 0), ("29", 8), ("nothing", 0)],  # right, grown stale, unreadable
)
async def test_a_full_walk_asks_the_counted_pages_at_once(counted: str, extra_pages: int):
    page = numbered_pages(13)
    asked: list[int | str] = []
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        if request.url.path.endswith("/actions/count"):
            asked.append("count")
            return json_answer(
                b"<html>busy</html>"
                if counted == "nothing"
                else b'{"count": %s}' % counted.encode()
            )
        number = int(request.url.params["page"])
        asked.append(number)
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return page(number)

    async with mock_zoho(handler) as zoho:  # type: ignore[arg-type]
        assert await walk_ids(zoho) == [str(i) for i in range(1, 14)]
    pages = [a for a in asked if a != "count"]
    assert sorted(pages) == list(range(1, 8 + extra_pages)) and asked.count("count") >= 1
    assert asked[:3] == [1, "count", 2] or asked[:3] == [1, 2, "count"]
    assert peak >= (1 if counted == "nothing" else 5)  # pages 3 to 7 went out together


async def test_a_one_page_walk_and_an_incremental_walk_ask_no_count():
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return numbered_pages(2)(int(request.url.params["page"]))

    async with mock_zoho(handler) as zoho:
        assert await walk_ids(zoho) == ["1", "2"]
        since = "2026-01-01T00:00:00+00:00"
        async for _ in zoho.crm.iter_records("Accounts", ["Account_Name"], modified_since=since):
            pass
    assert not any(path.endswith("/count") for path in asked) and len(asked) == 2


def test_params_encoded_into_the_url_match_httpx():
    params = {"fields": "A,B", "per_page": 200, "page_token": "a-_.b=", "word": "é ü&+"}
    url, rest = with_query(f"{BASE}/crm/v8/Accounts", params)
    assert rest is None
    assert httpx.URL(url) == httpx.Request("GET", f"{BASE}/crm/v8/Accounts", params=params).url
    odd = {"ids": ["1", "2"], "approved": True}
    assert with_query(BASE, odd) == (BASE, odd)  # lists and booleans stay with httpx
