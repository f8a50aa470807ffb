"""Key-to-render latency of the operating screens while a 50k-record sync runs (target: p95
≤ 100 ms).

The sandbox runs in its own process at a lower CPU priority (it stands for Zoho, across the
network) with 50,000 CRM accounts; the sync runs as the TUI runs it, in a child process the
App's worker follows. The duplicates review holds 3,000 matches an earlier run left waiting.
While it runs, keys walk the dashboard, the duplicates table, customers, history and the
conflicts screen. Each sample is the time from sending a key to the first frame written
after the key was handled. Prints JSON.

    .venv/bin/python benchmarks/bench_tui_latency.py [--records 50000] [--keys 300]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import keyring

from zsync_tui.commands.demo import ProcessMemoryKeyring

TARGET_P95_MS = 100.0
SANDBOX_NICENESS = 10
WAITING_MATCHES = 3_000
WALK = (
    "d", "down", "down", "down", "right_square_bracket", "down", "escape",
    "u", "down", "down", "right_square_bracket", "escape",
    "h", "down", "escape",
    "c", "escape",
    "down", "up",
)  # fmt: skip


@dataclass
class FullCollections:
    """The garbage collector's full (oldest-generation) passes in this process, in ms."""

    pauses_ms: list[float] = field(default_factory=list)
    callback: Any = None


def watch_full_collections() -> FullCollections:
    watched = FullCollections()
    began = [0.0]

    def callback(phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            watched.pauses_ms.append(round((time.perf_counter() - began[0]) * 1000, 1))

    watched.callback = callback
    gc.callbacks.append(callback)
    return watched


def note(text: str) -> None:
    """Where the run is, on stderr (stdout carries only the JSON)."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def start_sandbox(records: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    command = [
        sys.executable, "-m", "zsync_tui", "sandbox", "serve",
        "--seed", "11", "--accounts", str(records), "--contacts", "0", "--deals", "0",
        "--customers", "2000", "--duplicates", "200",
        "--billing-calls-per-minute", "1000000", "--billing-calls-per-day", "10000000",
        "--crm-credits-per-day", "10000000",
    ]  # fmt: skip
    # The sandbox stands for Zoho's servers, whose CPU is not the admin's: on this machine it
    # runs at a lower priority, so it does not take the CPU from the TUI being measured.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, preexec_fn=lambda: os.nice(SANDBOX_NICENESS)
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        raise SystemExit("the sandbox did not start")
    return process, json.loads(line)


def connect(home: str, creds: dict[str, str]) -> Any:
    from zsync_tui.connection import ConnectRequest
    from zsync_tui.connection import connect as connect_profile
    from zsync_tui.runtime import Runtime
    from zsync_tui.sync.config import IntegrationConfig
    from zsync_tui.sync.service import SyncService

    runtime = Runtime.start(home)
    request = ConnectRequest.for_custom(creds, runtime.profile_name, pick_first_org=True)
    asyncio.run(connect_profile(runtime, request))
    config = IntegrationConfig.defaults().model_copy(update={"duplicates": "review"})
    asyncio.run(SyncService(runtime).save_config(config, check_remote=False))
    seed_waiting_matches(runtime, int(SyncService(runtime).profile().id or 0))
    return runtime


def seed_waiting_matches(runtime: Any, profile_id: int) -> None:
    """Matches left waiting by an earlier run, so the duplicates review's keys move through
    rows: the sync's reading phase, when the keys come, has stored nothing of its own yet."""
    from zsync_tui.store import DuplicateMatch

    with runtime.store.write() as session:
        for n in range(WAITING_MATCHES):
            session.add(
                DuplicateMatch(
                    profile_id=profile_id,
                    crm_module="Accounts",
                    crm_id=f"earlier-{n:06d}",
                    billing_id=f"earlier-{n:06d}",
                    score=round(0.5 + (n % 50) / 100, 2),
                    reasons="same normalised name; same email domain",
                )
            )


async def press_and_wait_for_frame(
    app: Any, key: str, frames: list[float]
) -> tuple[float, float] | None:
    """Send `key` as the terminal would; milliseconds until a frame is written that follows
    the key's handling with nothing left queued for the screen (so it shows the key's effect);
    5 s at most.

    Pilot.press is not used: it waits for the whole process to go idle, and a sync running
    on another thread keeps the process busy, which would measure the sync, not the UI."""
    from textual import events

    screen_before, view_before = app.screen, still_view(app)  # before the clock starts
    sent, cpu_at_send = time.perf_counter(), time.process_time()
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)
    handled = asyncio.Event()
    app.call_later(handled.set)  # queued behind the key: set once the App has handled it
    await handled.wait()
    deadline = sent + 5
    seen_frame = False
    while time.perf_counter() < deadline:
        after = time.perf_counter()
        while (not frames or frames[-1] < after) and time.perf_counter() < deadline:
            await asyncio.sleep(0.001)
        seen_frame = bool(frames) and frames[-1] >= after
        if app.screen._message_queue.empty() and app._message_queue.empty():
            break
    if not seen_frame or (screen_before is app.screen and still_view(app) == view_before):
        # The key changed nothing on screen (e.g. up at the top): the frame that came is the
        # live progress panel's own repaint, which the key did not cause.
        return None
    # The CPU this process spent meanwhile does not depend on how busy the machine is.
    return (min(frames[-1], deadline) - sent) * 1000, (time.process_time() - cpu_at_send) * 1000


def still_view(app: Any) -> list[Any]:
    """What the screen shows, with its styles (a cursor moves by style alone), less the live
    progress panel (it repaints by itself)."""
    lines: list[Any] = [
        [(segment.text, segment.style) for segment in strip]
        for strip in app.screen._compositor.render_strips()
    ]
    for panel in app.screen.query("#progress"):
        region = panel.region
        for row in range(region.y, min(region.bottom, len(lines))):
            lines[row] = []
    return lines


async def measure(runtime: Any, key_count: int, max_seconds: float) -> dict[str, Any]:
    from zsync_tui.app import UiOptions, make_app
    from zsync_tui.operate_backend import OperateBackend
    from zsync_tui.operate_runner import install_runner
    from zsync_tui.setup_services import ServiceBackend
    from zsync_tui.sync.service import SyncService
    from zsync_tui.zoho.session import ZohoOptions

    options = ZohoOptions(
        crm_edition="enterprise",
        crm_users=100,
        billing_per_minute=1_000_000,
        billing_per_day=10_000_000,
    )
    backend = OperateBackend(runtime, SyncService(runtime, options=options))
    app = make_app(runtime, ServiceBackend(runtime), UiOptions(False, False))
    runner = install_runner(app, backend, periodic=False)
    frames: list[float] = []
    samples: list[float] = []
    cpu_samples: list[float] = []
    by_key: dict[str, list[float]] = {}
    timeline: list[tuple[float, str, float]] = []
    skipped: dict[str, int] = {}  # keys that changed nothing on screen, by key
    async with app.run_test(size=(80, 24)) as pilot:
        display = app._display

        def timed_display(screen: Any, renderable: Any) -> None:
            # Headless apps compose every update and hand it here (a terminal app writes it
            # out from here); the time it arrives is when the frame is ready.
            if renderable is not None:
                frames.append(time.perf_counter())
            display(screen, renderable)

        app._display = timed_display  # type: ignore[method-assign]
        await pilot.pause()
        runner.start_sync(dry_run=False)
        note("sync started")
        while runner.state.running and (
            runner.state.last_progress is None or runner.state.last_progress.done < 2_500
        ):
            await asyncio.sleep(0.05)  # keys start once the engine is into the CRM records
        if not runner.state.running or runner.state.last_progress is None:
            raise SystemExit("the sync ended before the keys started: see the log")
        note(f"sync at {runner.state.last_progress.done} records: keys start")
        collections = watch_full_collections()
        started = time.perf_counter()
        done_at_start = runner.state.last_progress.done
        for index in range(key_count):
            if not runner.state.running or time.perf_counter() - started > max_seconds:
                break
            key = WALK[index % len(WALK)]
            measured = await press_and_wait_for_frame(app, key, frames)
            if measured is None:
                skipped[key] = skipped.get(key, 0) + 1
                continue
            sample, cpu_ms = measured
            samples.append(sample)
            cpu_samples.append(cpu_ms)
            by_key.setdefault(key, []).append(sample)
            timeline.append((round(time.perf_counter() - started, 2), key, round(sample, 1)))
            if index % 25 == 24:
                done = runner.state.last_progress.done if runner.state.last_progress else 0
                note(
                    f"{index + 1} keys, median {statistics.median(samples):.0f} ms, sync at {done}"
                )
        window = time.perf_counter() - started
        gc.callbacks.remove(collections.callback)
        progress = runner.state.last_progress
        still_running = runner.state.running
        runner.cancel_sync()
        await app.workers.wait_for_complete()
    samples.sort()
    cpu_samples.sort()
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    return {
        "benchmark": "tui_key_to_render_during_sync",
        "terminal": "80x24",
        "keys": len(samples),
        "latency_ms": {
            "p50": round(statistics.median(samples), 1),
            "p95": round(p95, 1),
            "max": round(samples[-1], 1),
        },
        "cpu_ms_per_key": {
            "p50": round(statistics.median(cpu_samples), 1),
            "p95": round(cpu_samples[max(0, int(len(cpu_samples) * 0.95) - 1)], 1),
        },
        "load_average_1m": (round(os.getloadavg()[0], 2), "at the end"),
        "median_ms_by_key": {k: round(statistics.median(v), 1) for k, v in by_key.items()},
        "keys_without_effect": skipped,
        "slowest": sorted(timeline, key=lambda t: -t[2])[:8],  # (s into the keys, key, ms)
        "full_gc_pauses_ms": collections.pauses_ms,
        "target_p95_ms": TARGET_P95_MS,
        "ok": p95 <= TARGET_P95_MS and still_running,
        "sync_still_running_at_end": still_running,
        "sync_phase_at_end": progress.phase if progress else None,
        "records_done_during_keys": (progress.done - done_at_start) if progress else 0,
        "engine_records_per_s": round((progress.done - done_at_start) / window, 1)
        if progress
        else 0,
        "window_s": round(window, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--keys", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=120.0, help="most time spent on keys")
    args = parser.parse_args()
    keyring.set_keyring(ProcessMemoryKeyring())
    # The sync child gets the secrets from the App; what it would cache goes nowhere.
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    home = tempfile.mkdtemp(prefix="zsync-bench-")
    os.environ["ZSYNC_HOME"] = home
    seeding = time.perf_counter()
    process, creds = start_sandbox(args.records)
    sandbox_start_s = time.perf_counter() - seeding
    note(f"sandbox with {args.records} accounts up in {sandbox_start_s:.0f} s")
    try:
        runtime = connect(home, creds)
        note("connected and configured")
        result = asyncio.run(measure(runtime, args.keys, args.seconds))
        result["records_in_crm"] = args.records
        result["sandbox_start_s"] = round(sandbox_start_s, 1)
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
