"""The App's side of the sync child (`operate_sync_child`): start it, read what it reports,
stop it.

Everything here runs on the App's event loop, and all it does there is read a few short lines
a second, so a key pressed during a 50k-record sync is handled at once. No textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from zsync_tui.operate_sync_child import (
    EXIT_SETUP,
    item_from_dict,
    progress_from_dict,
    report_from_dict,
)
from zsync_tui.sync.events import PlanItem, RunReport, SyncProgress

log = logging.getLogger(__name__)
#: How long a cancelled child may take to finish its page and record the run as cancelled.
STOP_GRACE_S = 30.0
#: A dry run's report of a big CRM arrives as many item lines: let the UI in between them.
LINES_BETWEEN_YIELDS = 200
LINE_LIMIT_BYTES = 4 * 1024 * 1024


@dataclass
class SyncOutcome:
    """How a child's run ended: its `report`, or the `problem` (what to do next), or both."""

    report: RunReport | None
    problem: str | None
    exit_code: int


def advice_for(report: RunReport | None) -> str | None:
    """What to do after a run that ended with record errors (`zsync sync`'s exit 1) or with
    the budget spent (exit 3); None when there is nothing to do."""
    if report is None or report.dry_run:
        return None
    if report.status == "budget_spent":
        return "The API budget is spent: zsync resumes by itself when the budget allows."
    if report.errors:
        return (
            f"{report.errors:,} records could not be synced: History (h) lists them by "
            "reason; fix them in CRM or Billing and the next sync retries them."
        )
    return None


class SyncProcess:
    """One sync run in a child process, driven from an event loop."""

    def __init__(self, command: list[str], environment: dict[str, str] | None = None) -> None:
        self.command = command
        self.environment = environment
        self.process: asyncio.subprocess.Process | None = None
        self._stderr_tail: deque[str] = deque(maxlen=5)
        self._killer: asyncio.TimerHandle | None = None
        self.killed = False
        self.stop_asked = False

    async def run(self, on_progress: Callable[[SyncProgress], None]) -> SyncOutcome:
        """Start the child and follow it to its end; `on_progress` gets each step. A stop
        asked before the child started ends the run before it begins (no report)."""
        if self.stop_asked:
            return SyncOutcome(None, "the sync was cancelled before it started.", 0)
        self.process = await asyncio.create_subprocess_exec(
            *self.command,
            stdin=asyncio.subprocess.PIPE,  # closed by us, or by our death: the child stops
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=LINE_LIMIT_BYTES,
            env=self.environment,
        )
        if self.stop_asked:  # cancelled while the process was being started
            self.stop()
        drain = asyncio.create_task(self._drain_stderr())
        try:
            report, problem = await self._read_lines(on_progress)
            code = await self.process.wait()
            await drain
        except asyncio.CancelledError:
            await self._end_now()
            drain.cancel()
            raise
        finally:
            if self._killer is not None:
                self._killer.cancel()
        if self.killed and report is None:
            problem = (
                f"the sync did not stop within {STOP_GRACE_S:.0f} s and was ended; "
                "the next sync resumes where it stopped."
            )
        elif report is None and problem is None:
            problem = self._crash_text(code)
        return SyncOutcome(report, problem, code)

    def stop(self) -> bool:
        """Ask the child to stop after its current page (SIGTERM); it is killed if it has not
        within `STOP_GRACE_S`. False when no child runs."""
        self.stop_asked = True
        process = self.process
        if process is None or process.returncode is not None:
            return False
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        if self._killer is None:
            self._killer = asyncio.get_running_loop().call_later(STOP_GRACE_S, self._kill)
        return True

    # -- inside ----------------------------------------------------------------------------

    async def _read_lines(
        self, on_progress: Callable[[SyncProgress], None]
    ) -> tuple[RunReport | None, str | None]:
        assert self.process is not None and self.process.stdout is not None
        items: list[PlanItem] = []
        report: RunReport | None = None
        problem: str | None = None
        count = 0
        async for raw in self.process.stdout:
            count += 1
            if count % LINES_BETWEEN_YIELDS == 0:
                await asyncio.sleep(0)  # buffered lines never suspend: give keys a turn
            try:
                message = json.loads(raw)
            except ValueError:
                log.info("sync child wrote a line that is not JSON: %r", raw[:200])
                continue
            if "progress" in message:
                on_progress(progress_from_dict(message["progress"]))
            elif "item" in message:
                items.append(item_from_dict(message["item"]))
            elif "report" in message:
                report = report_from_dict(message["report"], items)
            elif "problem" in message:
                problem = str(message["problem"])
        return report, problem

    async def _drain_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode(errors="replace").rstrip()
            if line:
                self._stderr_tail.append(line)
                log.info("sync child: %s", line)

    def _crash_text(self, code: int) -> str:
        last = self._stderr_tail[-1] if self._stderr_tail else ""
        if code == EXIT_SETUP:
            return (
                f"{last or 'the setup is incomplete'}; run `zsync doctor` to see what is missing."
            )
        detail = f": {last}" if last else ""
        return (
            f"the sync process ended unexpectedly (exit {code}){detail}; details in the log; "
            "try again, or run `zsync doctor`."
        )

    def _kill(self) -> None:
        process = self.process
        if process is not None and process.returncode is None:
            self.killed = True
            with contextlib.suppress(ProcessLookupError):
                process.kill()

    async def _end_now(self) -> None:
        """The App is leaving: ask the child to stop, and kill it if it takes too long."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        self.stop()
        try:
            await asyncio.wait_for(process.wait(), timeout=5.0)
        except (TimeoutError, asyncio.CancelledError):
            self._kill()
