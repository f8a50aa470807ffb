"""Search CRM for a record not yet imported, and import it with Enter.

Contacts mode: contacts by first or last name. Accounts modes: accounts by name; Enter on an
account lists its contacts, and Enter there imports the account they belong to (in these
modes the account is the customer and its contacts come with it).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Input, Static

from zsync_tui.messages import LookupFailed, LookupFinished
from zsync_tui.screens.operate_base import OperateScreen, describe_report
from zsync_tui.sync.events import RunReport
from zsync_tui.widgets.operate_footer import OperateFooter


def record_name(record: dict[str, Any]) -> str:
    name = record.get("name")
    return str(name) if name else str(record.get("id", "?"))


class CrmSearchScreen(OperateScreen):
    """Find a CRM contact or account and import it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("i", "import_highlighted", "Import"),
        Binding("slash", "focus_search", "Search"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.results: list[dict[str, Any]] = []
        self.account: dict[str, Any] | None = None
        self.importing: str | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Input(placeholder="a name to search in CRM, then Enter", id="query")
        yield Static(self._mode_hint(), id="where", classes="note")
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield OperateFooter()

    def _mode_hint(self) -> str:
        try:
            contacts = self.backend.config().module == "contacts"
        except Exception:
            contacts = False
        if contacts:
            return "Contacts by first or last name. Enter on a result imports it."
        return "Accounts by name. Enter on an account lists its contacts; Enter again imports."

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (
            ("Name", 24),
            ("Module", 8),
            ("CRM id", 19),
            ("Email", 12),
            ("Linked", 6),
        ):
            table.add_column(label, width=width)
        self.query_one("#query", Input).focus()

    def action_focus_search(self) -> None:
        self.query_one("#query", Input).focus()

    @on(Input.Submitted, "#query")
    def _search(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.tell("Type part of a name first.")
            return
        self.account = None
        self.query_one("#where", Static).update(f"Searching CRM for {text!r}…")
        self.runner.act(self, "search", lambda: self.backend.search_crm(text))

    def show(self, records: list[dict[str, Any]], where: str) -> None:
        self.results = records
        table = self.query_one(DataTable)
        table.clear()
        for record in records:
            table.add_row(
                record_name(record),
                str(record.get("module", "Contacts" if self.account else "")),
                str(record.get("id", "")),
                str(record.get("email") or ""),
                "yes" if record.get("linked") else "no",
            )
        self.query_one("#where", Static).update(where)
        if records:
            table.focus()

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        record = self.results[event.cursor_row]
        if self.account is None and record.get("module") == "Accounts":
            contacts = record.get("contacts")
            if contacts is None:
                self.tell("Too many accounts to list contacts: narrow the search, or press i.")
                return
            self.account = record
            self.show(
                list(contacts),
                f"Contacts of {record_name(record)} · Enter imports the account · Escape back",
            )
            return
        self.import_record(self.account or record)

    def action_import_highlighted(self) -> None:
        table = self.query_one(DataTable)
        if self.results and 0 <= table.cursor_row < len(self.results):
            self.import_record(self.account or self.results[table.cursor_row])

    def import_record(self, record: dict[str, Any]) -> None:
        if record.get("linked"):
            self.tell(f"{record_name(record)} is already linked to a Billing customer.")
            return
        crm_id = str(record.get("id"))
        self.importing = crm_id
        self.tell(f"Importing {record_name(record)}…")
        self.runner.act(self, "import", lambda: self.backend.import_crm(crm_id))

    def action_back(self) -> None:
        if self.account is not None:
            self.account = None
            self.query_one("#query", Input).focus()
            self.query_one(DataTable).clear()
            self.query_one("#where", Static).update("Back to the search.")
            return
        super().action_back()

    def on_lookup_finished(self, event: LookupFinished) -> None:
        value = event.value
        if event.what == "search" and isinstance(value, list):
            self.show(value, f"{len(value)} found · Enter chooses" if value else "Nothing found.")
        elif event.what == "import" and isinstance(value, RunReport):
            self.tell(f"Import: {describe_report(value)}", problem=bool(value.errors))
            if not value.errors and (value.linked or sum(value.created.values())):
                if self.account is not None and str(self.account.get("id")) == self.importing:
                    self.account["linked"] = True
                for record in self.results:
                    if str(record.get("id")) == self.importing:
                        record["linked"] = True
                self.show(self.results, "Imported · type another name to search")

    def on_lookup_failed(self, event: LookupFailed) -> None:
        self.query_one("#where", Static).update(event.reason)
        self.tell(event.reason, problem=True)
