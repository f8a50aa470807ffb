"""What a dry run would do: counts and each planned change with its reason or field diff."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from zsync_tui.screens.operate_base import OperateScreen
from zsync_tui.sync.events import PlanItem, RunReport

MAX_ROWS = 2_000  # a plan's first rows; the command line (`zsync sync --dry-run --json`) has all


def item_detail(item: PlanItem) -> str:
    if item.diff:
        return "; ".join(f"{k}: {v[0]!s} → {v[-1]!s}" for k, v in list(item.diff.items())[:3])
    if item.reasons:
        return ", ".join(item.reasons)
    return item.reason or ""


class DryRunScreen(OperateScreen):
    """The plan of a dry run; nothing was written."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]

    def __init__(self, report: RunReport) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        r = self.report
        yield Header(show_clock=False)
        yield Static(
            f"Dry run: nothing was written. Would create {r.created['billing']} in Billing and "
            f"{r.created['crm']} in CRM, update {r.updated['billing']} in Billing and "
            f"{r.updated['crm']} in CRM, link {r.linked}, skip {r.skipped}; "
            f"{r.conflicts} conflicts, {r.errors} errors.",
            classes="panel",
        )
        yield DataTable(id="plan", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Action", "Record", "Detail")
        for item in self.report.items[:MAX_ROWS]:
            table.add_row(
                item.action.replace("_", " "), item.name or item.crm_id or "", item_detail(item)
            )
