"""Search CRM for a record not yet imported, and import it with Enter.

Contacts mode: by first or last name. Accounts modes: by account name; Enter on an account
lists its contacts. `i` imports the highlighted account (or contact) as it is.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Select, Static

from zsync_tui.messages import LookupFailed, LookupFinished
from zsync_tui.operate_backend import SearchMode
from zsync_tui.screens.operate_base import OperateScreen

MODES: list[tuple[str, SearchMode]] = [("Contacts by name", "contacts"), ("Accounts", "accounts")]


def record_name(record: dict[str, Any]) -> str:
    for key in ("name", "Account_Name", "Full_Name", "Last_Name"):
        value = record.get(key)
        if isinstance(value, str) and value:
            return value
    return str(record.get("id", "?"))


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

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(classes="filters"):
            yield Select(MODES, value=self._default_mode(), allow_blank=False, id="mode")
            yield Input(placeholder="name to search, then Enter", id="query")
        yield Static("Type a name and press Enter.", id="where", classes="note")
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def _default_mode(self) -> SearchMode:
        try:
            return "contacts" if self.backend.config().module == "contacts" else "accounts"
        except Exception:
            return "contacts"

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Name", "Module", "CRM id", "Email", "In Billing")
        self.query_one("#query", Input).focus()

    @property
    def mode(self) -> SearchMode:
        return self.query_one("#mode", Select).value  # type: ignore[return-value]

    def action_focus_search(self) -> None:
        self.query_one("#query", Input).focus()

    @on(Input.Submitted, "#query")
    def _search(self, event: Input.Submitted) -> None:
        text, mode = event.value.strip(), self.mode
        if not text:
            self.tell("Type part of a name first.")
            return
        self.account = None
        self.query_one("#where", Static).update(f"Searching CRM {mode} for {text!r}…")
        self.runner.act(self, "search", lambda: self.backend.search_crm(mode, text))

    def show(self, records: list[dict[str, Any]], where: str) -> None:
        self.results = records
        table = self.query_one(DataTable)
        table.clear()
        for record in records:
            table.add_row(
                record_name(record),
                str(record.get("module", "")),
                str(record.get("id", "")),
                str(record.get("email") or record.get("Email") or ""),
                "yes" if record.get("imported") else "no",
            )
        self.query_one("#where", Static).update(where)
        if records:
            table.focus()

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        record = self.results[event.cursor_row]
        if self.mode == "accounts" and self.account is None:
            self.account = record
            account_id = str(record.get("id"))
            self.runner.act(self, "contacts", lambda: self.backend.account_contacts(account_id))
            return
        self.import_record(record)

    def action_import_highlighted(self) -> None:
        table = self.query_one(DataTable)
        if self.results and 0 <= table.cursor_row < len(self.results):
            self.import_record(self.results[table.cursor_row])

    def import_record(self, record: dict[str, Any]) -> None:
        if record.get("imported"):
            self.tell(f"{record_name(record)} is already in Billing.")
            return
        module = str(record.get("module") or ("Contacts" if self.account else "Accounts"))
        crm_id = str(record.get("id"))
        self.tell(f"Importing {record_name(record)}…")
        self.runner.act(self, "import", lambda: self.backend.import_crm(module, crm_id))

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
            self.show(value, f"{len(value)} found · Enter imports" if value else "Nothing found.")
        elif event.what == "contacts" and isinstance(value, list):
            name = record_name(self.account or {})
            self.show(value, f"Contacts of {name} · Enter imports · Escape back")
        elif event.what == "import":
            self.tell("Imported and linked.")

    def on_lookup_failed(self, event: LookupFailed) -> None:
        self.query_one("#where", Static).update(event.reason)
        self.tell(event.reason, problem=True)
