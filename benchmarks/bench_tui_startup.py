"""Time from starting `zsync` to its first painted screen (target: 0.6 s or less).

Each sample is a fresh interpreter (so imports count) in a fresh data directory, running the
real app headless at 120×40. Two times, from just before the process is spawned: the first
paint (the App paints at once and opens the store off the event loop) and the first setup step
on screen. The child's CPU time is printed too, since wall time on a shared machine depends
on its load. Prints JSON with medians.

    .venv/bin/python benchmarks/bench_tui_startup.py [--samples 7]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_S = 0.6

CHILD = """
import asyncio, sys, time
from zsync_tui.runtime import Runtime
from zsync_tui.app import make_app, UiOptions

app = make_app(Runtime.start(sys.argv[1]), ui=UiOptions(cursor_blink=False, animations=False))

async def first_paint(pilot):
    await pilot.pause()
    painted = time.time()
    while not hasattr(pilot.app.screen, "STEP_ID"):
        await asyncio.sleep(0.005)
    await pilot.pause()
    print(type(pilot.app.screen).__name__, painted, time.time(), flush=True)
    pilot.app.exit()

app.run(headless=True, size=(120, 40), auto_pilot=first_paint)
"""


def sample() -> tuple[float, float, float, str]:
    """(first paint, first step on screen, CPU seconds of the child, the step's screen)."""
    with tempfile.TemporaryDirectory(prefix="zsync-bench-") as home:
        env = dict(os.environ, ZSYNC_HOME=home)
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.time()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, home], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (
            cpu_after.ru_stime - cpu_before.ru_stime
        )
        return float(out[-2]) - started, float(out[-1]) - started, cpu, out[-3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=7)
    args = parser.parse_args()
    sample()  # warm the OS file cache: the first run after an install reads every .pyc from disk
    results = [sample() for _ in range(args.samples)]
    paint = statistics.median(r[0] for r in results)
    step = statistics.median(r[1] for r in results)
    cpu = statistics.median(r[2] for r in results)
    print(
        json.dumps(
            {
                "benchmark": "tui_start_to_first_paint",
                "samples": args.samples,
                "first_paint_median_s": round(paint, 3),
                "first_step_screen": results[0][3],
                "first_step_median_s": round(step, 3),
                "process_cpu_median_s": round(cpu, 3),
                "load_average_1m": round(os.getloadavg()[0], 2),
                "target_s": TARGET_S,
                "ok": paint <= TARGET_S,
            }
        )
    )


if __name__ == "__main__":
    main()
