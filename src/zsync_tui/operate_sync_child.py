"""The TUI's sync, in a process of its own: `python -m zsync_tui.operate_sync_child`.

Run inside the TUI, the engine's JSON parsing and SQLite writes held the GIL for tens of
milliseconds at a time, and every key pressed during a 50k-record sync waited for them. Here
the engine runs as `zsync sync` runs it (its own secrets from the environment or the keyring,
its own store connection) and tells the App what it does as JSON lines on stdout:

    {"progress": {"phase": ..., "done": ..., "total": ..., "crm_calls": ..., "billing_calls": ...}}
    {"item": {...}}          one per planned change (dry runs only)
    {"report": {...}}        `RunReport.as_dict()`, last
    {"problem": "..."}       what went wrong and what to do next, when no report could be made

Exit codes are those of `zsync sync`: 0 ok, 1 record errors, 2 setup, 3 budget spent, 75 another
process is writing to the profile (the "problem" line names it).
SIGTERM, or (with `--stop-on-stdin-close`) the App closing our stdin, stops the run after its
current page (the engine records the run as cancelled); the engine is crash-safe if the
process is killed instead.

No textual here, and nothing heavy is imported before the stop signal is wired.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

_stop_requested = threading.Event()


def _request_stop(_signum: int = 0, _frame: object = None) -> None:
    _stop_requested.set()


if __name__ == "__main__":
    # Wired first: a cancel that arrives while the engine is still being imported must not
    # kill the process before it has recorded anything. (Only as the child: the App imports
    # this module for the protocol and keeps its own signal handling.)
    signal.signal(signal.SIGTERM, _request_stop)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, fields  # noqa: E402
from datetime import datetime  # noqa: E402

from zsync_tui.sync.events import PlanItem, RunReport, SyncProgress  # noqa: E402

EXIT_OK, EXIT_RECORD_ERRORS, EXIT_SETUP, EXIT_BUDGET, EXIT_UNEXPECTED = 0, 1, 2, 3, 4
EXIT_BUSY = 75  # another process writes to the profile (`zsync sync`'s exit 75)
PROGRESS_INTERVAL_S = 0.25
CHILD_NICENESS = 10
#: The ZohoOptions that cross to the child (plain numbers; no transport, no budget objects).
OPTION_FIELDS = (
    "crm_edition",
    "crm_users",
    "crm_credit_reserve",
    "billing_per_minute",
    "billing_per_day",
    "billing_concurrency",
    "timeout_s",
)


# -- the protocol, shared with the App's side -------------------------------------------------


def report_from_dict(data: dict[str, Any], items: list[PlanItem] | None = None) -> RunReport:
    """The `RunReport` a child printed (`RunReport.as_dict()`), with its plan items."""
    known = {f.name for f in fields(RunReport)} - {"items", "resumes_at"}
    report = RunReport(**{key: value for key, value in data.items() if key in known})
    if data.get("resumes_at"):
        report.resumes_at = datetime.fromisoformat(str(data["resumes_at"]))
    report.items = list(items or [])
    return report


def item_from_dict(data: dict[str, Any]) -> PlanItem:
    """A plan item a child printed (`PlanItem.as_dict()`)."""
    known = {f.name for f in fields(PlanItem)}
    return PlanItem(**{key: value for key, value in data.items() if key in known})


def progress_from_dict(data: dict[str, Any]) -> SyncProgress:
    """A progress step a child printed."""
    return SyncProgress(
        phase=str(data["phase"]),
        done=int(data["done"]),
        total=None if data.get("total") is None else int(data["total"]),
        crm_calls=int(data["crm_calls"]),
        billing_calls=int(data["billing_calls"]),
    )


# -- the child's side ------------------------------------------------------------------------


def _emit(kind: str, value: Any) -> None:
    sys.stdout.write(json.dumps({kind: value}, default=str) + "\n")
    sys.stdout.flush()


class _ThrottledProgress:
    """At most ~4 lines a second, but every phase change and the last step."""

    def __init__(self) -> None:
        self.last_at = 0.0
        self.last_phase = ""

    def __call__(self, step: SyncProgress) -> None:
        now = time.monotonic()
        if (
            step.phase == "done"
            or step.phase != self.last_phase
            or now - self.last_at >= PROGRESS_INTERVAL_S
        ):
            self.last_at, self.last_phase = now, step.phase
            _emit("progress", asdict(step))


def _watch_stdin() -> None:
    """Our stdin closes when the App closes it, or when the App is gone: stop either way."""
    try:
        while sys.stdin.readline():
            pass
    except (OSError, ValueError):
        pass
    _stop_requested.set()


async def _run(runtime: Any, profile: str | None, options: Any, dry_run: bool) -> RunReport:
    from zsync_tui.sync.service import SyncService

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def relay_stop() -> None:
        await loop.run_in_executor(None, _stop_requested.wait)
        stop.set()

    relay = asyncio.create_task(relay_stop())
    try:
        service = SyncService(runtime, profile, options=options)
        report: RunReport = await service.run(
            dry_run=dry_run, progress=_ThrottledProgress(), cancel=stop
        )
        return report
    finally:
        relay.cancel()
        _stop_requested.set()  # lets the executor's waiting thread end with the run


def main(argv: list[str] | None = None) -> int:
    """Run one sync and report it as JSON lines; the exit code says how it ended."""
    parser = argparse.ArgumentParser(prog="python -m zsync_tui.operate_sync_child")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--profile", default=None)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--options", default=None, help="ZohoOptions numbers, as JSON")
    parser.add_argument("--stop-on-stdin-close", action="store_true")
    args = parser.parse_args(argv)
    # The sync is background work and waits on the network most of the time: on a busy
    # machine the screen the admin is using gets the CPU first.
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(CHILD_NICENESS)
    if args.stop_on_stdin_close:
        threading.Thread(target=_watch_stdin, name="stdin-watch", daemon=True).start()

    from zsync_tui.operate_backend import describe_problem
    from zsync_tui.runtime import Runtime
    from zsync_tui.zoho.session import ZohoOptions

    try:
        runtime = Runtime.start(args.data_dir, args.profile)
        chosen = json.loads(args.options) if args.options else None
        options = (
            ZohoOptions(**{k: chosen[k] for k in OPTION_FIELDS if k in chosen}) if chosen else None
        )
        report = asyncio.run(_run(runtime, args.profile, options, args.dry_run))
    except Exception as exc:
        import logging

        code = _exit_code_of(exc)
        if code == EXIT_UNEXPECTED:
            logging.getLogger(__name__).warning("the sync failed", exc_info=True)
        _emit("problem", describe_problem(exc))
        return code
    if args.dry_run:
        for item in report.items:
            _emit("item", item.as_dict())
    _emit("report", report.as_dict())
    if report.status == "budget_spent":
        return EXIT_BUDGET
    return EXIT_RECORD_ERRORS if report.errors else EXIT_OK


def _exit_code_of(exc: BaseException) -> int:
    """`zsync sync`'s exit code for a failure that left no report."""
    from zsync_tui.connection import ConnectFailed
    from zsync_tui.sync.config import ConfigError
    from zsync_tui.sync.run_lock import RunLocked
    from zsync_tui.sync.service import SyncDisabled
    from zsync_tui.zoho.errors import RateLimited, ZohoError

    if isinstance(exc, RunLocked):
        return EXIT_BUSY
    if isinstance(exc, RateLimited):
        return EXIT_BUDGET
    if isinstance(exc, ConfigError | ConnectFailed | SyncDisabled | ZohoError):
        return EXIT_SETUP
    return EXIT_UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())
