"""The incremental sort indexes agree with a brute-force sort after any sequence of writes."""

from __future__ import annotations

import random

from zsync_tui.sandbox import SandboxOptions
from zsync_tui.sandbox.clock import crm_time
from zsync_tui.sandbox.crm_pages import ViewSpec, page_by_number, page_by_token, view_keys
from zsync_tui.sandbox.crm_write import delete, insert, update
from zsync_tui.sandbox.state import Sandbox


def _brute(module, sort_by: str, after: str) -> list:
    rows = [r for r in module.records.values() if not after or r["Modified_Time"] > after]
    if sort_by == "id":
        return sorted(r["id"] for r in rows)
    return sorted((r[sort_by], r["id"]) for r in rows)


def _assert_records_in_step(module) -> None:
    # The record lists that pages slice must hold the live dicts, position for position.
    for time_field, keys in module.time_index.items():
        rows = module.time_records[time_field]
        assert [(r.get(time_field) or "", r["id"]) for r in rows] == keys, time_field
        assert all(r is module.records[r["id"]] for r in rows), time_field


def test_indexes_match_a_brute_force_sort_under_random_writes() -> None:
    sandbox = Sandbox(SandboxOptions(seed=3, accounts=150, contacts=0, deals=0, customers=0))
    sandbox.clock.set(1_900_000_000, frozen=True)
    module = sandbox.world.crm["Accounts"]
    rng = random.Random(5)
    after = crm_time(1_900_000_000 - 5 * 86400)
    for sort_by in ("id", "Modified_Time", "Created_Time"):
        view_keys(module, ViewSpec(sort_by, True, "", ""))  # build the indexes before the writes
    for step in range(300):
        action = rng.random()
        ids = list(module.records)
        if action < 0.4 or not ids:
            insert(sandbox, module, {"Account_Name": f"Random {step}"})
        elif action < 0.8:
            update(sandbox, module, module.records[rng.choice(ids)], {"Phone": str(step)})
        else:
            delete(sandbox, module, rng.choice(ids))
        if rng.random() < 0.3:
            sandbox.clock.advance(rng.choice((0, 1, 2)))
        if step % 25 == 0:
            _assert_records_in_step(module)
            for sort_by in ("id", "Modified_Time", "Created_Time"):
                for since in ("", after):
                    assert view_keys(module, ViewSpec(sort_by, True, since, "")) == _brute(
                        module, sort_by, since
                    ), (step, sort_by, since)


def test_a_token_walk_sees_every_untouched_record_once_despite_writes() -> None:
    sandbox = Sandbox(SandboxOptions(seed=4, accounts=500, contacts=0, deals=0, customers=0))
    module = sandbox.world.crm["Accounts"]
    before = set(module.records)
    rng = random.Random(9)
    touched: set[str] = set()
    for ascending in (True, False):
        spec = ViewSpec("Modified_Time", ascending, "", "")
        page = page_by_number(sandbox, module, spec, 1, 50)
        seen = [r["id"] for r in page.records]
        while page.more:
            for _ in range(5):
                victim = rng.choice(list(module.records))
                touched.add(victim)
                if rng.random() < 0.5:
                    update(sandbox, module, module.records[victim], {"Phone": "1"})
                else:
                    delete(sandbox, module, victim)
            insert(sandbox, module, {"Account_Name": f"New {len(seen)} {ascending}"})
            assert page.next_token is not None
            page = page_by_token(sandbox, module, spec, page.next_token, 50)
            seen += [r["id"] for r in page.records]
        # A record changed during the walk may show again later (it moved); others exactly once.
        untouched = [record_id for record_id in seen if record_id not in touched]
        assert len(untouched) == len(set(untouched))
        assert before - touched <= set(untouched)
        _assert_records_in_step(module)


def test_a_page_serves_the_live_records_of_its_keys_in_both_orders() -> None:
    sandbox = Sandbox(SandboxOptions(seed=6, accounts=60, contacts=0, deals=0, customers=0))
    module = sandbox.world.crm["Accounts"]
    module.compact()  # fresh dicts: the pages must not serve the ones it replaced
    updated = update(sandbox, module, next(iter(module.records.values())), {"Phone": "42"})
    for ascending in (True, False):
        spec = ViewSpec("Modified_Time", ascending, "", "")
        keys = view_keys(module, spec)
        expected = keys if ascending else keys[::-1]
        page = page_by_number(sandbox, module, spec, 1, 25)
        served = list(page.records)
        while page.more:
            assert page.next_token is not None
            page = page_by_token(sandbox, module, spec, page.next_token, 25)
            served += page.records
        assert [(r["Modified_Time"], r["id"]) for r in served] == expected
        assert all(r is module.records[r["id"]] for r in served)
    assert updated["Phone"] == "42" and module.records[updated["id"]] is updated
