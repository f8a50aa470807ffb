"""Sorted record views and paging: `page` up to 2,000 records, then keyset `page_token`s.

Views sort stably by (sort field, id), so records sharing one Modified_Time second keep a
fixed order; a page token remembers the last key served, so records written while a client
walks the list neither shift nor repeat what it has not yet seen."""

from __future__ import annotations

import base64
import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zsync_tui.sandbox.clock import crm_time
from zsync_tui.sandbox.responses import crm_error
from zsync_tui.sandbox.state import Sandbox
from zsync_tui.sandbox.world import CrmModule, Record

SORT_FIELDS = ("id", "Created_Time", "Modified_Time")
PAGE_LIMIT = 2000
TOKEN_LIMIT = 100_000
MAX_VIEWS = 16

Key = Any


@dataclass(frozen=True)
class ViewSpec:
    """Which records, in which order."""

    sort_by: str
    ascending: bool
    modified_after: str  # CRM timestamp string, "" for all
    cvid: str
    predicate: Callable[[Record], bool] | None = None


def _key(sort_by: str) -> Callable[[Record], Key]:
    if sort_by == "id":
        return lambda r: int(r["id"])
    return lambda r: (r.get(sort_by) or "", int(r["id"]))


def sorted_view(module: CrmModule, spec: ViewSpec) -> tuple[list[Key], list[Record]]:
    """Ascending keys and records for `spec`; cached until the module changes."""
    if module.views_version != module.version:
        module.views.clear()
        module.views_version = module.version
    cache_key = (spec.sort_by, spec.modified_after, spec.cvid)
    cached = module.views.get(cache_key)
    if cached is not None:
        return cached
    records: list[Record] = list(module.records.values())
    if spec.modified_after:
        after = spec.modified_after
        records = [r for r in records if r["Modified_Time"] > after]
    if spec.predicate is not None:
        predicate = spec.predicate
        records = [r for r in records if predicate(r)]
    key = _key(spec.sort_by)
    if spec.sort_by == "id":
        records.sort(key=key)  # nearly sorted already: dict order is id order
    else:
        records.sort(key=key)
    keys = [key(r) for r in records]
    if len(module.views) >= MAX_VIEWS:
        module.views.clear()
    module.views[cache_key] = (keys, records)
    return keys, records


@dataclass
class Page:
    """One page of a view and what the client needs to ask for the next."""

    records: list[Record]
    more: bool
    page_number: int
    next_token: str | None
    served: int


def _encode(sandbox: Sandbox, payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + sandbox.sign(raw)


def _decode(sandbox: Sandbox, token: str) -> dict[str, Any]:
    body, _, signature = token.partition(".")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        payload = json.loads(raw)
    except (ValueError, json.JSONDecodeError):
        payload = None
    if not isinstance(payload, dict) or sandbox.sign(raw) != signature:
        raise crm_error(400, "INVALID_DATA", "invalid page token", {"param": "page_token"})
    return payload


def _token_key(sort_by: str, raw: Any) -> Key:
    return int(raw) if sort_by == "id" else (str(raw[0]), int(raw[1]))


def page_by_number(
    sandbox: Sandbox, module: CrmModule, spec: ViewSpec, page: int, per_page: int
) -> Page:
    """Classic paging; refused past the first 2,000 records, as Zoho does."""
    if page * per_page > PAGE_LIMIT:
        raise crm_error(
            400,
            "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
            "The given page and per_page exceeded the allowed limit, use page_token instead",
            {"limit": PAGE_LIMIT},
        )
    keys, records = sorted_view(module, spec)
    start = (page - 1) * per_page
    if spec.ascending:
        chunk = records[start : start + per_page]
        more = start + per_page < len(records)
    else:
        end = len(records) - start
        chunk = records[max(0, end - per_page) : max(0, end)][::-1]
        more = end - per_page > 0
    served = start + len(chunk)
    token = _next_token(sandbox, module, spec, chunk, page + 1, served) if more else None
    return Page(chunk, more, page, token, served)


def page_by_token(
    sandbox: Sandbox, module: CrmModule, spec: ViewSpec, token: str, per_page: int
) -> Page:
    """Keyset paging from a token handed out by an earlier page."""
    payload = _decode(sandbox, token)
    if payload.get("e", 0) < sandbox.now():
        raise crm_error(400, "INVALID_DATA", "the page token has expired", {"param": "page_token"})
    if (
        payload.get("m"),
        payload.get("s"),
        payload.get("a"),
        payload.get("i"),
        payload.get("c"),
    ) != (module.name, spec.sort_by, spec.ascending, spec.modified_after, spec.cvid):
        raise crm_error(
            400,
            "INVALID_DATA",
            "the page token was issued for another module, sort, view or If-Modified-Since",
            {"param": "page_token"},
        )
    served = int(payload.get("n", 0))
    if served + per_page > TOKEN_LIMIT:
        raise crm_error(400, "LIMIT_EXCEEDED", "page_token limit exceeded", {"limit": TOKEN_LIMIT})
    keys, records = sorted_view(module, spec)
    last = _token_key(spec.sort_by, payload["k"])
    if spec.ascending:
        start = bisect_right(keys, last)
        chunk = records[start : start + per_page]
        more = start + per_page < len(records)
    else:
        end = bisect_left(keys, last)
        chunk = records[max(0, end - per_page) : end][::-1]
        more = end - per_page > 0
    page_number = int(payload.get("p", 1))
    served += len(chunk)
    next_token = (
        _next_token(sandbox, module, spec, chunk, page_number + 1, served) if more else None
    )
    return Page(chunk, more, page_number, next_token, served)


def _next_token(
    sandbox: Sandbox, module: CrmModule, spec: ViewSpec, chunk: list[Record], page: int, served: int
) -> str | None:
    if not chunk:
        return None
    key = _key(spec.sort_by)(chunk[-1])
    payload = {
        "m": module.name,
        "s": spec.sort_by,
        "a": spec.ascending,
        "i": spec.modified_after,
        "c": spec.cvid,
        "k": list(key) if isinstance(key, tuple) else key,
        "p": page,
        "n": served,
        "e": int(sandbox.now() + sandbox.options.page_token_ttl_s),
    }
    return _encode(sandbox, payload)


def page_info(sandbox: Sandbox, page: Page, per_page: int, spec: ViewSpec) -> dict[str, Any]:
    """The `info` object of a list answer."""
    return {
        "per_page": per_page,
        "count": len(page.records),
        "page": page.page_number,
        "sort_by": spec.sort_by,
        "sort_order": "asc" if spec.ascending else "desc",
        "more_records": page.more,
        "next_page_token": page.next_token,
        "previous_page_token": None,
        "page_token_expiry": crm_time(sandbox.now() + sandbox.options.page_token_ttl_s)
        if page.next_token
        else None,
    }
