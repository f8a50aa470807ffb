"""`zsync sync` killed with SIGKILL at many points, then run again: nothing created twice,
nothing lost. The kill points are the engine's checkpoints (`ZSYNC_CRASH_AT=N`: the process
sends itself SIGKILL at the Nth), among them every gap between a remote create and the commit
that records it. Each run is a forked child running the `zsync sync` command (a fresh
interpreter would spend seconds importing); the sandbox serves from the parent."""

from __future__ import annotations

import json
import signal
from collections import Counter
from typing import Any

import pytest

WORLD = {
    "accounts": 20,
    "contacts": 24,
    "deals": 0,
    "customers": 12,
    "duplicates": 3,
    "billing_calls_per_minute": 100_000,
    "billing_calls_per_day": 1_000_000,
    "token_refreshes_per_10min": 100_000,
}
CONFIG = {"module": "accounts", "direction": "both_ways", "duplicates": "overwrite"}


def sync_env(sandbox: Any, crash_at: int | None, out_path: str) -> dict[str, str]:
    """`zsync sync`'s environment: the sandbox's secrets and where (if anywhere) to die."""
    return {
        "ZSYNC_CLIENT_SECRET": sandbox.credentials["client_secret"],
        "ZSYNC_REFRESH_TOKEN": sandbox.credentials["refresh_token"],
        "ZSYNC_CRASH_AT": "" if crash_at is None else str(crash_at),
        "ZSYNC_CRASH_NOTE": out_path + ".kills",
    }


def world_shape(harness: Any) -> dict[str, Any]:
    world = harness.world
    return {
        "customers": Counter(c["display_name"] for c in world.customers.values()),
        "accounts": Counter(r["Account_Name"] for r in world.crm["Accounts"].records.values()),
        "links": len(harness.links()),
    }


@pytest.mark.slow
async def test_killed_at_twenty_points_then_rerun_creates_nothing_twice(
    sandbox_factory: Any, make_harness: Any, runtime: Any, tmp_path: Any, forked_zsync: Any
):
    from zsync_tui.runtime import Runtime

    # What an uninterrupted run makes of the same seeded world.
    reference = make_harness(sandbox_factory(**WORLD), Runtime.start(str(tmp_path / "ref")))
    await reference.connect()
    await reference.configure(**CONFIG)
    await reference.sync()
    assert (await reference.sync()).write_calls == 0
    expected = world_shape(reference)

    sandbox = sandbox_factory(**WORLD)
    harness = make_harness(sandbox, runtime)
    await harness.connect()
    await harness.configure(**CONFIG)
    out = str(tmp_path / "out.json")
    kills: list[int] = []
    for attempt in range(80):
        # Small N (each run dies early, after a little progress), growing slowly so that
        # later phases are reached too.
        crash_at = 1 + attempt % 2 + attempt // 16
        how, code, _ = forked_zsync(["sync", "--json"], sync_env(sandbox, crash_at, out), out)
        if how == "killed":
            assert code == signal.SIGKILL
            kills.append(crash_at)
            continue
        assert code in (0, 1), code
        break
    assert len(kills) >= 20, f"only {len(kills)} kills before the world converged"
    with open(out + ".kills", encoding="utf-8") as handle:
        where = Counter(handle.read().split("\n")) - Counter({"": 99})
    # Among them, the gaps between a remote create and the commit that records it.
    assert where["billing create sent, not committed"] >= 3, where
    assert len(where) >= 4, where

    how, code, printed = forked_zsync(["sync", "--json"], sync_env(sandbox, None, out), out)
    assert (how, code) in (("exited", 0), ("exited", 1))
    report = json.loads(printed["stdout"])
    assert report["write_calls"] == 0, report
    assert world_shape(harness) == expected
