"""Sorted record views and paging: `page` up to 2,000 records, then keyset `page_token`s.

Views sort stably by (sort field, id), so records sharing one Modified_Time second keep a
fixed order; a page token remembers the last key served, so records written while a client
walks the list neither shift nor repeat what it has not yet seen."""

from __future__ import annotations

import base64
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

from zsync_tui.sandbox.clock import crm_time
from zsync_tui.sandbox.responses import crm_error, dumps, loads
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


TIME_FIELDS = ("Created_Time", "Modified_Time")
# Ids are fixed-width digit strings, so they sort as numbers; "~" sorts after every digit.
AFTER_ANY_ID = "~"


def record_key(sort_by: str, record: Record) -> Key:
    """A record's position in a view sorted by `sort_by`: its id, or (time, id)."""
    if sort_by == "id":
        return record["id"]
    return (record.get(sort_by) or "", record["id"])


_second = itemgetter(1)


def _id_of(key: Key) -> str:
    return key if isinstance(key, str) else key[1]


def time_index(module: CrmModule, field: str) -> list[tuple[str, str]]:
    """All records' (time, id) in order; built once, then maintained by `index_*` on writes."""
    return module.sorted_by(field)


def index_add(module: CrmModule, record: Record) -> None:
    """Keep the time indexes (keys and records, in step) current after an insert."""
    for field, index in module.time_index.items():
        key = (record.get(field) or "", record["id"])
        position = bisect_left(index, key)
        index.insert(position, key)
        module.time_records[field].insert(position, record)


def index_remove(module: CrmModule, record: Record) -> None:
    """Keep the time indexes current after a delete (or before an update)."""
    for field, index in module.time_index.items():
        key = (record.get(field) or "", record["id"])
        position = bisect_left(index, key)
        if position < len(index) and index[position] == key:
            del index[position]
            del module.time_records[field][position]


def _base_keys(module: CrmModule, sort_by: str) -> list[Key]:
    if sort_by != "id":
        return time_index(module, sort_by)
    if module.id_keys_version != module.version:
        module.id_keys = list(module.records)  # dict order is id order
        module.id_keys_version = module.version
    return module.id_keys


def view_keys(module: CrmModule, spec: ViewSpec) -> list[Key]:
    """Ascending keys of the records `spec` shows; filtered views are cached per version."""
    base = _base_keys(module, spec.sort_by)
    if not spec.modified_after and spec.predicate is None:
        return base
    if module.views_version != module.version:
        module.views.clear()
        module.views_version = module.version
    cache_key = (spec.sort_by, spec.modified_after, spec.cvid)
    cached = module.views.get(cache_key)
    if cached is not None:
        return cached
    records = module.records
    if spec.modified_after:
        modified = time_index(module, "Modified_Time")
        start = bisect_right(modified, (spec.modified_after, AFTER_ANY_ID))
        ids = [record_id for _, record_id in modified[start:]]
        keys: list[Key] = sorted(record_key(spec.sort_by, records[i]) for i in ids)
    else:
        keys = list(base)
    if spec.predicate is not None:
        predicate = spec.predicate
        keys = [k for k in keys if predicate(records[_id_of(k)])]
    if len(module.views) >= MAX_VIEWS:
        module.views.clear()
    module.views[cache_key] = keys
    return keys


def _slice(
    module: CrmModule, spec: ViewSpec, keys: list[Key], start: int, end: int
) -> list[Record]:
    start, end = max(0, start), max(0, end)
    if spec.sort_by != "id" and keys is module.time_index.get(spec.sort_by):
        # An unfiltered time view: the records list runs in step with its keys.
        rows = module.time_records[spec.sort_by][start:end]
        return rows if spec.ascending else rows[::-1]
    chosen = keys[start:end]
    if not spec.ascending:
        chosen = chosen[::-1]
    lookup = module.records.__getitem__
    if chosen and isinstance(chosen[0], tuple):
        return list(map(lookup, map(_second, chosen)))
    return list(map(lookup, chosen))


@dataclass
class Page:
    """One page of a view and what the client needs to ask for the next."""

    records: list[Record]
    more: bool
    page_number: int
    next_token: str | None
    served: int


def _encode(sandbox: Sandbox, payload: dict[str, Any]) -> str:
    raw = dumps(payload)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + sandbox.sign(raw)


def _decode(sandbox: Sandbox, token: str) -> dict[str, Any]:
    body, _, signature = token.partition(".")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        payload = loads(raw)
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or sandbox.sign(raw) != signature:
        raise crm_error(400, "INVALID_DATA", "invalid page token", {"param": "page_token"})
    return payload


def _token_key(sort_by: str, raw: Any) -> Key:
    try:
        return str(raw) if sort_by == "id" else (str(raw[0]), str(raw[1]))
    except (TypeError, IndexError, KeyError):
        raise crm_error(
            400, "INVALID_DATA", "invalid page token", {"param": "page_token"}
        ) from None


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
    keys = view_keys(module, spec)
    start = (page - 1) * per_page
    if spec.ascending:
        chunk = _slice(module, spec, keys, start, start + per_page)
        more = start + per_page < len(keys)
    else:
        end = len(keys) - start
        chunk = _slice(module, spec, keys, end - per_page, end)
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
    keys = view_keys(module, spec)
    last = _token_key(spec.sort_by, payload["k"])
    if spec.ascending:
        start = bisect_right(keys, last)
        chunk = _slice(module, spec, keys, start, start + per_page)
        more = start + per_page < len(keys)
    else:
        end = bisect_left(keys, last)
        chunk = _slice(module, spec, keys, end - per_page, end)
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
    key = record_key(spec.sort_by, chunk[-1])
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
        "page_token_expiry": _expiry(int(sandbox.now() + sandbox.options.page_token_ttl_s))
        if page.next_token
        else None,
    }


@lru_cache(maxsize=4)
def _expiry(epoch: int) -> str:
    # A walk asks for a page every few ms; the expiry string changes once a second.
    return crm_time(epoch)
