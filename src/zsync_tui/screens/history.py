"""History: runs with their counts, duration, API calls and errors grouped by reason (with
their records), and the journal of each write with its values before and after."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Static

from zsync_tui.operate_backend import describe_problem
from zsync_tui.operate_rows import RunSummary
from zsync_tui.screens.operate_base import OperateScreen
from zsync_tui.widgets.operate_footer import OperateFooter

SHORT_STATUS = {"finished_with_errors": "with errors", "budget_spent": "budget spent"}
RUN_COLUMNS = (
    ("Run", 4),
    ("Started", 11),
    ("Status", 14),
    ("+new ~upd =lnk", 14),
    ("Took", 5),
    ("CRM/Bill", 9),
    ("Err", 3),
)


def run_cells(run: RunSummary) -> tuple[str, ...]:
    duration = "…" if run.duration_s is None else f"{run.duration_s:,.0f}s"
    if run.status == "interrupted":  # its process died: no end time, and it is not going on
        duration = "-"
    status = SHORT_STATUS.get(run.status, run.status)
    status = f"dry {status}" if run.dry_run else status
    counts = run.counts
    created = sum((counts.get("created") or {}).values())
    updated = sum((counts.get("updated") or {}).values())
    return (
        str(run.id),
        run.started_at.strftime("%m-%d %H:%M"),
        status,
        f"+{created} ~{updated} ={counts.get('linked', 0)}",
        duration,
        f"{run.crm_calls}/{run.billing_calls}",
        str(run.error_count),
    )


class HistoryScreen(OperateScreen):
    """Every run, newest first; `j` toggles between a run's errors and its journal."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("j", "toggle_journal", "Errors/Journal"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[RunSummary] = []
        self.show_journal = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield Static("", id="detail-title", classes="title")
        yield DataTable(id="detail", cursor_type="row")
        yield OperateFooter()

    def reload_data(self) -> None:
        """Shown again: read the runs in a worker; the table is rebuilt only if they changed."""
        self.run_worker(
            self._read_runs(), group="history-read", exclusive=True, exit_on_error=False
        )

    async def _read_runs(self) -> None:
        try:
            runs = await asyncio.to_thread(self.backend.runs)
        except Exception as exc:
            self.tell(describe_problem(exc), problem=True)
            return
        if runs != self.runs:
            self.show_runs(runs)

    def on_mount(self) -> None:
        for label, width in RUN_COLUMNS:
            self.query_one("#runs", DataTable).add_column(label, width=width)
        self.show_runs(self.backend.runs())

    def show_runs(self, runs: list[RunSummary]) -> None:
        """Fill the list with `runs` (newest first) and show the selected one's detail."""
        self.runs = runs
        table = self.query_one("#runs", DataTable)
        table.clear()
        for run in self.runs:
            table.add_row(*run_cells(run), key=str(run.id))
        if not self.runs:
            self.query_one("#detail-title", Static).update("No run yet: n on the dashboard syncs.")
        else:
            self.show_detail()

    @property
    def selected(self) -> RunSummary | None:
        table = self.query_one("#runs", DataTable)
        if not self.runs or not 0 <= table.cursor_row < len(self.runs):
            return None
        return self.runs[table.cursor_row]

    @on(DataTable.RowHighlighted, "#runs")
    def show_detail(self) -> None:
        run = self.selected
        if run is None:
            return
        detail = self.query_one("#detail", DataTable)
        detail.clear(columns=True)
        title = self.query_one("#detail-title", Static)
        if self.show_journal:
            entries = self.backend.run_journal(run.id)
            title.update(f"Run {run.id}: {len(entries)} writes (j: errors)")
            for label, width in (
                ("Side", 7),
                ("Record", 10),
                ("Action", 8),
                ("Before", 19),
                ("After", 19),
            ):
                detail.add_column(label, width=width)
            for e in entries:
                detail.add_row(e.side, e.remote_id or "", e.action, e.before or "", e.after or "")
            return
        groups = self.backend.run_errors(run.id)
        total = sum(len(group.records) for group in groups)
        note = f" · {run.message}" if run.message else ""
        title.update(f"Run {run.id}: {total} errors in {len(groups)} reasons{note} (j: journal)")
        for label, width in (("Reason", 22), ("Side", 7), ("Record", 10), ("Message", 26)):
            detail.add_column(label, width=width)
        for group in groups:
            for side, record_id, message in group.records:
                detail.add_row(group.reason, side, record_id or "", message)

    def action_toggle_journal(self) -> None:
        self.show_journal = not self.show_journal
        self.show_detail()
