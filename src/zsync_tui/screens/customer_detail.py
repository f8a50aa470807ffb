"""One customer: its link, last synced values side by side, its journal, and
**Fetch this contact from Zoho CRM**."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Static

from zsync_tui.messages import LookupFailed, LookupFinished
from zsync_tui.operate_rows import CustomerRow
from zsync_tui.screens.operate_base import OperateScreen, describe_report
from zsync_tui.sync.events import RunReport
from zsync_tui.widgets.operate_footer import OperateFooter
from zsync_tui.widgets.record_diff import RecordDiff


class CustomerDetailScreen(OperateScreen):
    """A linked customer's page."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("f", "fetch", "Fetch this contact from Zoho CRM"),
    ]

    def __init__(self, link_id: int) -> None:
        super().__init__()
        self.link_id = link_id
        self.row: CustomerRow | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll():
            yield Static("", id="link", classes="panel")
            yield RecordDiff(id="values", classes="panel")
            yield Static("Journal (newest first)", classes="title")
            yield DataTable(id="journal", cursor_type="row", zebra_stripes=True)
        yield OperateFooter()

    def on_mount(self) -> None:
        self.query_one("#journal", DataTable).add_columns("When", "Side", "Action", "After")
        self.reload()

    def reload_data(self) -> None:
        self.reload()

    def reload(self) -> None:
        found = self.backend.customer(self.link_id)
        if found is None:
            self.query_one("#link", Static).update("This link no longer exists.")
            return
        self.row, fields = found
        row = self.row
        synced = (
            row.last_synced_at.strftime("%Y-%m-%d %H:%M UTC") if row.last_synced_at else "never"
        )
        self.query_one("#link", Static).update(
            f"{row.name}\nCRM {row.crm_module} {row.crm_id} ⇄ Billing customer {row.billing_id}\n"
            f"State {row.state} · came from {row.origin} · last synced {synced}"
            + (f" · {row.conflicts} conflicts waiting" if row.conflicts else "")
        )
        self.query_one(RecordDiff).show(fields)
        journal = self.query_one("#journal", DataTable)
        journal.clear()
        for entry in self.backend.customer_journal(row):
            after = (entry.after or "")[:60]
            journal.add_row(entry.at.strftime("%Y-%m-%d %H:%M"), entry.side, entry.action, after)

    def action_fetch(self) -> None:
        row = self.row
        if row is None:
            return
        self.tell(f"Fetching {row.name} from Zoho CRM…")
        self.runner.act(self, "fetch_one", lambda: self.backend.fetch_one(row.crm_id))

    def on_lookup_finished(self, event: LookupFinished) -> None:
        report = event.value
        if isinstance(report, RunReport):
            self.tell(
                f"Fetched from Zoho CRM: {describe_report(report)}", problem=bool(report.errors)
            )
        self.reload()

    def on_lookup_failed(self, event: LookupFailed) -> None:
        self.tell(event.reason, problem=True)
