"""The duplicates table with 20,000 matches: the event loop is never blocked for long.

A watchdog coroutine sleeps 5 ms at a time and records how late it wakes (wall) and how much
CPU the loop's thread used meanwhile; the largest CPU figure is the longest time the loop was
busy with one thing, whatever else the machine is doing (the target applies to it).
Meanwhile the table is loaded, paged through, scrolled to the end, and every row accepted
then rejected at once. Prints JSON.

    .venv/bin/python benchmarks/bench_tui_duplicates.py [--rows 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

from textual.app import App, ComposeResult

from zsync_tui.setup_flow import DuplicateRow
from zsync_tui.widgets.match_table import MatchTable

TARGET_MS = 100.0


def make_rows(count: int) -> list[DuplicateRow]:
    return [
        DuplicateRow(
            crm_id=str(4_000_000 + i),
            crm_name=f"Company {i} Ltd",
            billing_id=str(9_000_000 + i),
            billing_name=f"COMPANY {i} LIMITED",
            score=0.6 + (i % 40) / 100,
            reasons="same normalised name, same email domain",
        )
        for i in range(count)
    ]


class TableHost(App[None]):
    """Just the table, as the Duplicates step shows it."""

    def compose(self) -> ComposeResult:
        yield MatchTable(id="matches")


async def measure(rows: int) -> dict[str, object]:
    data = make_rows(rows)
    app = TableHost()
    delays: list[float] = []
    busy: list[float] = []
    stop = asyncio.Event()

    async def watchdog() -> None:
        # Wall delay says how late the loop answered; the loop thread's CPU time between two
        # wakes says how long it was busy itself (on a loaded machine the two differ a lot).
        while not stop.is_set():
            before, cpu_before = time.perf_counter(), time.thread_time()
            await asyncio.sleep(0.005)
            delays.append((time.perf_counter() - before - 0.005) * 1000)
            busy.append((time.thread_time() - cpu_before) * 1000)

    timings: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        dog = asyncio.create_task(watchdog())
        table = app.query_one(MatchTable)
        table.focus()
        started = time.perf_counter()
        table.load(data)
        await pilot.pause()
        timings["load_and_paint_ms"] = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        for _ in range(30):
            await pilot.press("pagedown")
        await pilot.press("end")
        await pilot.pause()
        timings["30_pages_and_end_ms"] = (time.perf_counter() - started) * 1000
        for key in ("A", "X"):
            started = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            timings[f"decide_all_{key}_ms"] = (time.perf_counter() - started) * 1000
        stop.set()
        await dog
    worst = max(delays) if delays else 0.0
    worst_busy = max(busy) if busy else 0.0
    return {
        "benchmark": "tui_duplicates_table",
        "rows": rows,
        "max_event_loop_block_ms": round(worst, 1),
        "max_event_loop_busy_cpu_ms": round(worst_busy, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "target_ms": TARGET_MS,
        "ok": worst_busy <= TARGET_MS,
        **{key: round(value, 1) for key, value in timings.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.rows))))


if __name__ == "__main__":
    main()
