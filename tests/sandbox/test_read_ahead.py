"""A walk's next page rendered ahead is the answer a fresh request gets, or it is not used."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

# The sandbox tests' `Zoho` client (tests/sandbox/conftest.py).
Zoho = Any


WALK = {"fields": "Account_Name,Phone", "per_page": 4, "sort_by": "Modified_Time"}


def hits(zoho: Zoho) -> int:
    return int(zoho.stats()["timing"]["read_ahead_hits"])


def ask(zoho: Zoho, **params: Any) -> dict[str, Any]:
    answer = zoho.crm("GET", "/Accounts", params={**WALK, "sort_order": "asc", **params})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.fixture
def still(zoho_factory: Callable[..., Zoho]) -> Zoho:
    """A sandbox whose clock stands still, so equal answers are equal to the byte."""
    zoho = zoho_factory(accounts=30)
    zoho.freeze_at(time.time() + 86_400)  # after every seeded change: writes go last
    return zoho


@pytest.mark.parametrize("by", ["token", "number"])
def test_a_walk_is_answered_ahead_with_what_a_fresh_request_gets(still: Zoho, by: str):
    page = ask(still)
    served: list[str] = [r["id"] for r in page["data"]]
    number = 1
    while page["info"]["more_records"]:
        number += 1
        step = (
            {"page_token": page["info"]["next_page_token"]} if by == "token" else {"page": number}
        )
        before = hits(still)
        page = ask(still, **step)
        assert hits(still) == before + 1
        assert ask(still, **step) == page  # asked again: rendered afresh
        assert hits(still) == before + 1
        served += [r["id"] for r in page["data"]]
    assert len(served) == len(set(served)) == 30


@pytest.mark.parametrize("by", ["token", "number"])
def test_a_write_between_pages_is_in_the_next_answer(still: Zoho, by: str):
    first = ask(still)
    moved = first["data"][0]["id"]  # its new Modified_Time sends it to the end of the walk
    changed = still.crm("PUT", "/Accounts", json={"data": [{"id": moved, "Phone": "555-0199"}]})
    assert changed.status_code == 200
    step = {"page_token": first["info"]["next_page_token"]} if by == "token" else {"page": 2}
    before = hits(still)
    second = ask(still, **step)
    assert hits(still) == before  # the page rendered ahead predates the write
    assert ask(still, **step) == second
    rest = [second]
    while rest[-1]["info"]["more_records"]:
        rest.append(ask(still, page_token=rest[-1]["info"]["next_page_token"]))
    last = rest[-1]["data"][-1]
    assert (last["id"], last["Phone"]) == (moved, "555-0199")


def test_a_moved_clock_is_answered_afresh(still: Zoho):
    first = ask(still)
    still.advance(60)
    before = hits(still)
    second = ask(still, page_token=first["info"]["next_page_token"])
    assert hits(still) == before
    assert second["info"]["page"] == 2 and len(second["data"]) == 4
