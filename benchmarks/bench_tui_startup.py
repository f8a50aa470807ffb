"""Time from starting `zsync` to its first painted screen (target: 0.6 s or less).

Each sample is a fresh interpreter (so imports count) in a fresh data directory, running the
real app headless at 120×40 until the first screen has been composed and refreshed. The clock
starts just before the process is spawned. Prints JSON with the median and the worst sample.

    .venv/bin/python benchmarks/bench_tui_startup.py [--samples 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_S = 0.6

CHILD = """
import sys, time
from zsync_tui.runtime import Runtime
from zsync_tui.app import make_app, UiOptions

app = make_app(Runtime.start(sys.argv[1]), ui=UiOptions(cursor_blink=False, animations=False))

async def first_paint(pilot):
    await pilot.pause()
    print(type(pilot.app.screen).__name__, time.time(), flush=True)
    pilot.app.exit()

app.run(headless=True, size=(120, 40), auto_pilot=first_paint)
"""


def sample() -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="zsync-bench-") as home:
        env = dict(os.environ, ZSYNC_HOME=home)
        started = time.time()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, home], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        return float(out[-1]) - started, out[-2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=7)
    args = parser.parse_args()
    sample()  # warm the OS file cache: the first run after an install reads every .pyc from disk
    results = [sample() for _ in range(args.samples)]
    seconds = [s for s, _ in results]
    median = statistics.median(seconds)
    print(
        json.dumps(
            {
                "benchmark": "tui_start_to_first_paint",
                "first_screen": results[0][1],
                "samples": args.samples,
                "median_s": round(median, 3),
                "worst_s": round(max(seconds), 3),
                "target_s": TARGET_S,
                "ok": median <= TARGET_S,
            }
        )
    )


if __name__ == "__main__":
    main()
