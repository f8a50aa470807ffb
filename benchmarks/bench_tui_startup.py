"""Time from starting `zsync` to its first real screen painted in a terminal (target ≤ 0.6 s).

Each sample runs the real command line (`python -m zsync_tui --data-dir <fresh dir>`) in a
fresh interpreter (so every import counts) on a pseudo-terminal of 120×40, and reads what it
writes there. The first paint is the moment the terminal has received the first setup step's
text (its heading, escape codes stripped): what a user would see, not a splash. Then ctrl+q
is typed and the process must exit. The child's CPU time is printed too, since wall time on a
shared machine depends on its load.

With `--configured`, each data directory holds a configured profile, so `zsync` opens on
the dashboard instead: its first frame is the whole layout (health, last and next run,
budget) with "reading…" placeholders, painted before the store is opened; the figures come
from a worker a moment later. The paint counts when all three placeholders are on screen;
the time until the figures replace them is reported too (`figures_median_s`), and ctrl+q is
typed only then, so the CPU time includes reading them.

The same harness times the floor: a minimal Textual app that paints one Static, so the
report can say how much of the time is Python + Textual and how much is zsync's own.

    .venv/bin/python benchmarks/bench_tui_startup.py [--samples 7] [--no-floor] [--configured]

Prints JSON with medians.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import re
import resource
import select
import shutil
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time

TARGET_S = 0.6
COLUMNS, ROWS = 120, 40
TIMEOUT_S = 30.0
CTRL_Q = b"\x11"
SETUP_MARKER = "Connect Zoho CRM and Zoho Billing"  # the Connect step's heading
# The dashboard's first frame: its three panels, before the figures are read.
DASHBOARD_MARKERS = ("Reading the state", "Last run: reading", "Budget: reading")
# The dashboard's figures, read by a worker after the first frame.
FIGURES_MARKERS = ("In sync", "CRM credits (24 h)")
FLOOR_MARKER = "floor: one Static"

FLOOR_APP = f"""
from textual.app import App, ComposeResult
from textual.widgets import Static

class Floor(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("{FLOOR_MARKER}")

Floor().run()
"""

# CSI / OSC / two-character escape sequences: what is left is the text on screen, in order.
ESCAPES = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


def run_on_pty(
    argv: list[str], markers: tuple[str, ...], env: dict[str, str], then: tuple[str, ...] = ()
) -> tuple[float, float, float]:
    """(seconds until every one of `markers` is on the terminal, seconds until every one of
    `then` is too, CPU seconds of the process)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    seen = b""
    painted: float | None = None
    filled: float | None = None
    deadline = started + TIMEOUT_S
    try:
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
                text = ESCAPES.sub(b"", seen).decode(errors="replace")
                if painted is None and all(marker in text for marker in markers):
                    painted = time.perf_counter() - started
                if painted is not None and filled is None and all(m in text for m in then):
                    filled = time.perf_counter() - started
                    os.write(master, CTRL_Q)
            if child.poll() is not None:
                break
        child.wait(timeout=max(0.1, deadline - time.perf_counter()))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(master)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if painted is None or filled is None:
        tail = ESCAPES.sub(b"", seen).decode(errors="replace")[-2000:]
        raise RuntimeError(f"{markers + then!r} never reached the terminal; it showed:\n{tail}")
    if child.returncode != 0:
        raise RuntimeError(f"{argv} exited with {child.returncode} after ctrl+q")
    return painted, filled, cpu


def configured_home(root: str) -> str:
    """A data directory with a connected, configured profile (made once, copied per sample)."""
    from zsync_tui.runtime import Runtime
    from zsync_tui.store import Profile
    from zsync_tui.sync.config import IntegrationConfig

    home = os.path.join(root, "configured")
    runtime = Runtime.start(home)
    with runtime.store.write() as session:
        session.add(
            Profile(
                name=runtime.profile_name,
                client_id="1000.BENCHCLIENT",
                billing_org_id="700001",
                owner_email="owner@example.com",
                config_toml=IntegrationConfig.defaults().to_toml(),
            )
        )
    # Everything into the main file, so copying it (without -wal/-shm) copies the profile.
    with sqlite3.connect(runtime.paths.database_file) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return home


def zsync_sample(template: str | None) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory(prefix="zsync-bench-") as home:
        if template is not None:
            skip = shutil.ignore_patterns("*-wal", "*-shm")
            shutil.copytree(template, home, dirs_exist_ok=True, ignore=skip)
        env = dict(os.environ, ZSYNC_HOME=home, TERM="xterm-256color")
        argv = [sys.executable, "-m", "zsync_tui", "--data-dir", home]
        if template is None:
            return run_on_pty(argv, (SETUP_MARKER,), env)
        return run_on_pty(argv, DASHBOARD_MARKERS, env, then=FIGURES_MARKERS)


def floor_sample() -> tuple[float, float, float]:
    env = dict(os.environ, TERM="xterm-256color")
    return run_on_pty([sys.executable, "-c", FLOOR_APP], (FLOOR_MARKER,), env)


def medians(results: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    return (
        round(statistics.median(r[0] for r in results), 3),
        round(statistics.median(r[1] for r in results), 3),
        round(statistics.median(r[2] for r in results), 3),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--no-floor", action="store_true", help="skip the minimal Textual app")
    parser.add_argument(
        "--configured", action="store_true", help="a configured profile: the dashboard first"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zsync-bench-template-") as root:
        template = configured_home(root) if args.configured else None
        zsync_sample(template)  # warm the OS file cache: the first run after an install
        load_before = os.getloadavg()[0]
        paint, figures, cpu = medians([zsync_sample(template) for _ in range(args.samples)])
    report: dict[str, object] = {
        "benchmark": "tui_start_to_first_paint",
        "samples": args.samples,
        "first_screen": "DashboardScreen" if args.configured else "ConnectStep",
        "first_paint_median_s": paint,
        **({"figures_median_s": figures} if args.configured else {}),
        "process_cpu_median_s": cpu,
    }
    if not args.no_floor:
        floor_sample()
        floor_paint, _same, floor_cpu = medians([floor_sample() for _ in range(args.samples)])
        report["floor_first_paint_median_s"] = floor_paint
        report["floor_process_cpu_median_s"] = floor_cpu
    report["load_average_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    report["target_s"] = TARGET_S
    report["ok"] = paint <= TARGET_S
    print(json.dumps(report))


if __name__ == "__main__":
    main()
