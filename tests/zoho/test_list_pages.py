"""List answers read tail first: `trailing_info`, and `iter_records` when a body breaks behind a
good tail (the page is read again, nothing skipped or repeated)."""

from __future__ import annotations

import json
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


async def test_a_page_broken_behind_its_tail_is_read_again_whole():
    pages = {
        1: answer([{"id": "1"}, {"id": "2"}], {**INFO, "page": 1}),
        2: answer([{"id": "3"}, {"id": "4"}], {**INFO, "page": 2}),
        3: answer([{"id": "5"}], {**INFO, "page": 3, "count": 1, "more_records": False}),
    }
    asked: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/token":
            return httpx.Response(
                200, json={"access_token": "1000.a.b", "api_domain": BASE, "expires_in": 3600}
            )
        page = int(request.url.params["page"])
        asked.append(page)
        body = pages[page]
        if page == 2 and asked.count(2) == 1:
            body = body.replace(b'"id"', b'"id', 1)  # broken once, the tail intact
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    options = ZohoOptions(
        http_transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=3, base_s=0.001, cap_s=0.001),
    )
    async with open_zoho(
        resolve_data_centre("custom", BASE, BASE),
        OAuthClient("1000.CLIENT", Secret("cs-unit-0123456789")),
        Secret("1000.refresh.unit"),
        options=options,
    ) as zoho:
        seen = [
            r["id"]
            async for page in zoho.crm.iter_records("Accounts", ["Account_Name"], per_page=2)
            for r in page
        ]
    assert seen == ["1", "2", "3", "4", "5"]
    # Page 3 was asked on page 2's tail, dropped when page 2's body broke, then asked again.
    assert asked[:2] == [1, 2] and asked.count(2) == 2 and asked[-1] == 3


def test_params_encoded_into_the_url_match_httpx():
    params = {"fields": "A,B", "per_page": 200, "page_token": "a-_.b=", "word": "é ü&+"}
    url, rest = with_query(f"{BASE}/crm/v8/Accounts", params)
    assert rest is None
    assert httpx.URL(url) == httpx.Request("GET", f"{BASE}/crm/v8/Accounts", params=params).url
    odd = {"ids": ["1", "2"], "approved": True}
    assert with_query(BASE, odd) == (BASE, odd)  # lists and booleans stay with httpx
