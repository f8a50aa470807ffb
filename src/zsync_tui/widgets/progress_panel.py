"""The running sync, live: phase, records done of total, rate, ETA and API calls.

The panel owns its reactives; the App's runner posts it throttled `OperateSyncProgressed`
messages, so a fast engine never floods the event loop.
"""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import ProgressBar, Static

from zsync_tui.operate_runner import OperateSyncProgressed

PHASES = {
    "reading_billing": "reading Billing customers",
    "reading_crm": "reading CRM records",
    "writing": "writing changes",
    "reconciling": "reconciling",
    "done": "finished",
}


def describe_rate(done: int, total: int | None, elapsed_s: float) -> tuple[str, str]:
    """(`123/s`, `ETA 2m 05s`) from what is done so far; blanks when too early to say."""
    if elapsed_s <= 0.5 or done <= 0:
        return "", ""
    rate = done / elapsed_s
    if not total or total <= done:
        return f"{rate:,.0f} records/s", ""
    left = int((total - done) / rate)
    return f"{rate:,.0f} records/s", f"ETA {left // 60}m {left % 60:02d}s"


class ProgressPanel(Vertical):
    """Shows the running sync; hidden words when nothing runs."""

    DEFAULT_CSS = """
    ProgressPanel { height: auto; }
    ProgressPanel ProgressBar { width: 1fr; }
    """

    running: reactive[bool] = reactive(False)
    dry_run: reactive[bool] = reactive(False)
    phase: reactive[str] = reactive("")
    done: reactive[int] = reactive(0)
    total: reactive[int | None] = reactive(None)
    crm_calls: reactive[int] = reactive(0)
    billing_calls: reactive[int] = reactive(0)
    outcome: reactive[str] = reactive("No sync is running.")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._started = 0.0

    def compose(self) -> ComposeResult:
        yield Static(id="progress-line")
        yield ProgressBar(show_eta=False, id="progress-bar")
        yield Static(id="progress-calls")

    def begin(self, dry_run: bool) -> None:
        """A run started: reset the counters."""
        self._started = time.monotonic()
        self.dry_run = dry_run
        self.phase, self.done, self.total = "starting", 0, None
        self.crm_calls = self.billing_calls = 0
        self.running = True

    def advance(self, phase: str, done: int, total: int | None, crm: int, billing: int) -> None:
        """A progress report arrived."""
        if not self.running:
            self.begin(self.dry_run)
        self.phase, self.done, self.total = phase, done, total
        self.crm_calls, self.billing_calls = crm, billing

    def on_operate_sync_progressed(self, event: OperateSyncProgressed) -> None:
        step = event.progress
        self.dry_run = event.dry_run
        self.advance(step.phase, step.done, step.total, step.crm_calls, step.billing_calls)

    def finish(self, outcome: str) -> None:
        """The run ended; `outcome` is one line on how."""
        self.running = False
        self.outcome = outcome

    def watch_running(self) -> None:
        self.query_one("#progress-bar").display = self.running
        self.query_one("#progress-calls").display = self.running
        self._render_lines()

    def watch_outcome(self) -> None:
        self._render_lines()

    def watch_done(self) -> None:
        self._render_lines()

    def watch_phase(self) -> None:
        self._render_lines()

    def _render_lines(self) -> None:
        if not self.children:  # reactives fire before compose on the first assignment
            return
        line = self.query_one("#progress-line", Static)
        if not self.running:
            line.update(self.outcome)
            return
        what = "Dry run" if self.dry_run else "Sync"
        of_total = f" of {self.total:,}" if self.total else ""
        rate, eta = describe_rate(self.done, self.total, time.monotonic() - self._started)
        words = [f"{what}: {PHASES.get(self.phase, self.phase)}", f"{self.done:,}{of_total}"]
        line.update(" · ".join(w for w in [*words, rate, eta] if w))
        bar = self.query_one("#progress-bar", ProgressBar)
        bar.update(total=self.total, progress=self.done)
        self.query_one("#progress-calls", Static).update(
            f"API calls: CRM {self.crm_calls:,} · Billing {self.billing_calls:,}"
        )

    def on_mount(self) -> None:
        self.watch_running()
