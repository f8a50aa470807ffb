"""Customers: every link, filtered (from CRM, linked, unlinked, failing), paged, with bulk
fetch from CRM, push and unlink; Enter opens one customer's page."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Select

from zsync_tui.messages import LookupFailed, LookupFinished
from zsync_tui.operate_rows import CUSTOMER_FILTERS, CustomerFilter, CustomerRow
from zsync_tui.screens.operate_base import OperateScreen
from zsync_tui.widgets.operate_footer import OperateFooter
from zsync_tui.widgets.paged_table import PagedTable, PageRow

FILTER_LABELS = {
    "all": "All customers",
    "from_crm": "Came from CRM",
    "linked": "Linked",
    "unlinked": "Unlinked or deleted in CRM",
    "failing": "Failing or in conflict",
}


def customer_cells(row: CustomerRow) -> PageRow:
    synced = row.last_synced_at.strftime("%m-%d %H:%M") if row.last_synced_at else "never"
    state = row.state + (f" · {row.conflicts} conflict" if row.conflicts else "")
    module = {"Accounts": "Acc", "Contacts": "Con"}.get(row.crm_module, row.crm_module)
    return PageRow(str(row.link_id), (row.name, module, row.crm_id, row.billing_id, state, synced))


class CustomersScreen(OperateScreen):
    """Linked customers with filters and bulk actions."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("f", "fetch", "Fetch from CRM"),
        Binding("p", "push", "Push"),
        Binding("x", "unlink", "Unlink"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.which: CustomerFilter = "all"
        self.rows: dict[str, CustomerRow] = {}

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Select(
            [(FILTER_LABELS[key], key) for key in CUSTOMER_FILTERS],
            value="all",
            allow_blank=False,
            id="filter",
        )
        yield PagedTable(
            (
                ("Name", 18),
                ("Mod", 3),
                ("CRM id", 9),
                ("Billing id", 10),
                ("State", 12),
                ("Synced", 11),
            ),
            lambda: self.backend.count_customers(self.which),
            self._fetch,
            id="customers",
        )
        yield OperateFooter()

    def on_mount(self) -> None:
        self.query_one(PagedTable).focus()

    def reload_data(self) -> None:
        self.query_one(PagedTable).reload(background=True)

    def _fetch(self, offset: int, limit: int) -> list[PageRow]:
        rows = self.backend.customers(offset, limit, self.which)
        self.rows = {str(row.link_id): row for row in rows}
        return [customer_cells(row) for row in rows]

    @on(Select.Changed, "#filter")
    def _filter_changed(self, event: Select.Changed) -> None:
        self.which = event.value  # type: ignore[assignment]
        self.query_one(PagedTable).reload(first_page=True)

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        from zsync_tui.screens.customer_detail import CustomerDetailScreen

        if event.row_key.value is not None:
            self.app.push_screen(CustomerDetailScreen(int(event.row_key.value)))

    def _chosen(self) -> list[CustomerRow]:
        table = self.query_one(PagedTable)
        keys = table.chosen_keys()
        chosen = [self.rows[key] for key in keys if key in self.rows]
        if len(chosen) < len(keys):  # marks on other pages: read those rows again
            wanted = {int(key) for key in keys}
            found = self.backend.customers(0, 10**9, self.which)
            chosen = [row for row in found if row.link_id in wanted]
        return chosen

    def action_fetch(self) -> None:
        rows = self._chosen()
        if rows:
            self.tell(f"Fetching {len(rows)} from CRM…")
            self.runner.act(self, "fetch", lambda: self.backend.fetch_many(rows))

    def action_push(self) -> None:
        ids = [row.link_id for row in self._chosen()]
        if ids:
            self.runner.act(self, "push", lambda: self.backend.push(ids))

    def action_unlink(self) -> None:
        ids = [row.link_id for row in self._chosen()]
        if ids:
            self.runner.act(self, "unlink", lambda: self.backend.unlink(ids))

    def on_lookup_finished(self, event: LookupFinished) -> None:
        table = self.query_one(PagedTable)
        table.clear_marks()
        table.reload()
        if event.what == "fetch" and isinstance(event.value, list) and event.value:
            self.tell("Some records failed: " + "; ".join(event.value[:3]), problem=True)
        else:
            self.tell(f"{event.what.capitalize()} done.")

    def on_lookup_failed(self, event: LookupFailed) -> None:
        self.tell(event.reason, problem=True)
