"""The operate mode's home: health, last and next run, the API budget, the running sync.

Figures come from the App's runner (a periodic one-shot refresh) as `OperateRefreshed`; the
running sync's progress as `OperateSyncProgressed`. Sync now, dry run and cancel act on the
runner, so a sync keeps running whichever screen is shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, Static

from zsync_tui.operate_rows import Budget, Health, RunSummary
from zsync_tui.operate_runner import (
    OperateRefreshed,
    OperateSyncFinished,
    OperateSyncProgressed,
    OperateSyncStarted,
)
from zsync_tui.screens.operate_base import (
    PREWARMED,
    OperateScreen,
    open_operate_screen,
    prewarm_operate_screen,
)
from zsync_tui.widgets.budget_gauge import BudgetGauge
from zsync_tui.widgets.operate_footer import OperateFooter
from zsync_tui.widgets.progress_panel import ProgressPanel

if TYPE_CHECKING:
    from zsync_tui.sync.events import RunReport


def when(moment: datetime | None) -> str:
    return "never" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


PREWARM_AFTER_S = 0.5
PREWARM_GAP_S = 0.3
#: The counts' column: "1,234,567" and its padding.
COUNT_WIDTH = 9


def fit_words(text: str, width: int) -> str:
    """`text` on one line of `width` cells, cut at a word boundary with an ellipsis (a reason
    wrapped mid-word at 80×24; History shows it whole)."""
    if len(text) <= width:
        return text
    cut = text[: max(1, width - 1)]
    if text[len(cut)] != " " and " " in cut.strip():
        cut = cut[: cut.rstrip().rfind(" ")]
    return cut.rstrip(" :;,.") + "…"


def health_table(health: Health, width: int = 44) -> Table:
    """In sync, excluded and failing by reason, and what waits for the admin; `width` is the
    panel's, so a long reason is shortened at a word instead of wrapping mid-word."""
    table = Table(show_header=False, box=None, padding=(0, 1), expand=True)
    table.add_column(ratio=1, no_wrap=True)
    table.add_column(justify="right", width=COUNT_WIDTH, no_wrap=True)
    reason_width = max(12, width - COUNT_WIDTH - 4 - 2)  # cell padding, then the indent

    def reason_row(reason: str, count: int) -> None:
        table.add_row(f"  {fit_words(reason, reason_width)}", f"{count:,}", style="dim")

    table.add_row("In sync", f"{health.in_sync:,}", style="green")
    excluded = sum(health.excluded.values()) + health.crm_deleted
    table.add_row("Excluded", f"{excluded:,}")
    for reason, count in sorted(health.excluded.items(), key=lambda kv: -kv[1])[:3]:
        reason_row(reason, count)
    if health.crm_deleted:
        reason_row("deleted in CRM (link kept)", health.crm_deleted)
    failing = sum(health.failing.values())
    table.add_row("Failing", f"{failing:,}", style="red" if failing else "")
    for reason, count in list(health.failing.items())[:3]:
        reason_row(reason, count)
    table.add_row(
        "Conflicts waiting (c)",
        f"{health.conflicts_waiting:,}",
        style="yellow" if health.conflicts_waiting else "",
    )
    table.add_row(
        "Duplicates to review (d)",
        f"{health.duplicates_waiting:,}",
        style="yellow" if health.duplicates_waiting else "",
    )
    return table


RUN_OUTCOMES = {
    "ok": "finished, no errors",
    "budget_spent": "stopped: API budget spent",
    "interrupted": "interrupted: its process ended",
}


def run_outcome(run: RunSummary) -> str:
    """How a run ended, in words that fit the panel."""
    if run.status == "finished_with_errors":
        return f"finished, {run.error_count:,} errors"
    return RUN_OUTCOMES.get(run.status, run.status.replace("_", " "))


def runs_text(health: Health) -> str:
    """The last run (how and when it ended), the last one that went through every record
    when the last did not, and the next."""
    last = health.last_run
    state = "enabled" if health.enabled else "DISABLED: o, then r reactivates"
    lines = [f"Integration {state}", ""]
    if last is None:
        lines += ["Last run: none yet", "  n syncs now"]
    else:
        lines += [
            "Last run:",
            f"  {run_outcome(last)}",
            f"  {when(last.finished_at or last.started_at)}",
        ]
        finished = health.last_finished
        if finished is None:
            lines += ["Last finished run:", "  none yet"]
        elif finished.id != last.id:
            lines += [
                "Last finished run:",
                f"  {run_outcome(finished)}",
                f"  {when(finished.finished_at or finished.started_at)}",
            ]
    nxt = when(health.next_run_at) if health.next_run_at else "not scheduled"
    lines += ["Next run:", f"  {nxt}"]
    return "\n".join(lines)


def outcome_text(report: RunReport | None, dry_run: bool, problem: str | None) -> str:
    """One line on how a run ended."""
    if problem is not None:
        return f"The sync could not run: {problem}"
    assert report is not None
    what = "Dry run" if dry_run else "Sync"
    created = report.created["billing"] + report.created["crm"]
    updated = report.updated["billing"] + report.updated["crm"]
    words = (
        f"{what} {report.status}: {created} created, {updated} updated, {report.linked} linked, "
        f"{report.skipped} skipped, {report.conflicts} conflicts, {report.errors} errors"
    )
    if report.resumes_at is not None:
        words += f"; resumes at {when(report.resumes_at)}"
    return words


class DashboardScreen(OperateScreen):
    """Health, runs, budget and the live sync; the way to every other screen."""

    IS_HOME = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", show=False),
        Binding("n", "sync", "Sync now"),
        Binding("y", "dry_run", "Dry run"),
        Binding("x", "cancel", "Cancel"),
        Binding("c", "go('conflicts')", "Conflicts"),
        Binding("d", "go('duplicates')", "Duplicates"),
        Binding("u", "go('customers')", "Customers"),
        Binding("s", "go('crm_search')", "Search CRM"),
        Binding("l", "go('deals')", "Deals"),
        Binding("h", "go('history')", "History"),
        Binding("o", "go('settings')", "Settings"),
    ]

    _shown_health: tuple[Health, int] | None = None
    _shown_budget: Budget | None = None
    _prewarm_armed = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="dashboard"):
            with Horizontal(id="top"):
                yield Static("Reading the state…", id="health", classes="panel")
                yield Static("Last run: reading…", id="run-times", classes="panel")
            yield BudgetGauge(id="budget", classes="panel")
            yield ProgressPanel(id="progress")
        yield OperateFooter()

    def on_mount(self) -> None:
        self.runner.subscribe(self)
        self.runner.subscribe(self.query_one(ProgressPanel))
        if self.runner.state.running:
            self.query_one(ProgressPanel).begin(self.runner.state.dry_run)
        # The figures are read once this frame is painted: the first read builds the backend
        # (the store, the sync service), whose imports would otherwise delay the paint.
        self.call_after_refresh(self.runner.refresh_now)

    def _arm_prewarm(self) -> None:
        """Compose the other screens ahead from PREWARM_AFTER_S after the first figures: their
        modules import the backend's, which the first read has loaded by then (imported on the
        event loop while that read's thread still imports them, they would stall every key)."""
        if self.runner.prewarm and not self._prewarm_armed:
            self._prewarm_armed = True
            self.set_timer(PREWARM_AFTER_S, self._prewarm_next)

    def _prewarm_next(self) -> None:
        """One screen at a time, so a key pressed meanwhile waits for one at most."""
        for name in PREWARMED:
            if prewarm_operate_screen(self.app, name):
                self.set_timer(PREWARM_GAP_S, self._prewarm_next)
                return

    def reload_data(self) -> None:
        self.runner.refresh_now()

    def on_unmount(self) -> None:
        self.runner.unsubscribe(self)

    # -- what the runner reports -----------------------------------------------------------

    def on_operate_refreshed(self, event: OperateRefreshed) -> None:
        self._arm_prewarm()
        if event.problem is not None:
            self._shown_health = None
            self.query_one("#health", Static).update(
                f"The state could not be read: {event.problem}"
            )
            return
        # Shown again (or refreshed) with the same figures: leave the panels as they are, so
        # a screen switch costs no re-layout of the dashboard.
        if event.health is not None:
            panel = self.query_one("#health", Static)
            width = panel.content_size.width or 44  # before the first layout: 80×24's width
            if (event.health, width) != self._shown_health:
                self._shown_health = (event.health, width)
                panel.update(health_table(event.health, width))
                self.query_one("#run-times", Static).update(runs_text(event.health))
        if event.budget is not None and event.budget != self._shown_budget:
            self._shown_budget = event.budget
            self.query_one(BudgetGauge).show(event.budget)

    @on(OperateSyncStarted)
    def _started(self, event: OperateSyncStarted) -> None:
        self.query_one(ProgressPanel).begin(event.dry_run)

    @on(OperateSyncFinished)
    def _finished(self, event: OperateSyncFinished) -> None:
        text = outcome_text(event.report, event.dry_run, event.problem)
        self.query_one(ProgressPanel).finish(text)
        if event.problem is not None:
            self.tell(text, problem=True)
        elif event.advice is not None:
            self.tell(event.advice, problem=True)
        elif event.dry_run and event.report is not None and self.app.screen is self:
            from zsync_tui.screens.dry_run import DryRunScreen

            self.app.push_screen(DryRunScreen(event.report))

    # -- actions ---------------------------------------------------------------------------

    def action_sync(self) -> None:
        if not self.runner.start_sync(dry_run=False):
            self.tell("A sync is already running; x cancels it.")

    def action_dry_run(self) -> None:
        if not self.runner.start_sync(dry_run=True):
            self.tell("A sync is already running; x cancels it.")

    def action_cancel(self) -> None:
        if self.runner.cancel_sync():
            self.tell("Stopping after the current page…")
        else:
            self.tell("No sync is running.")

    def action_go(self, name: str) -> None:
        open_operate_screen(self.app, name)


__all__ = ["DashboardScreen", "OperateSyncProgressed"]
