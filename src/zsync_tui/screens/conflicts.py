"""The conflict inbox: fields changed on both sides that their policy could not settle.

The list on top, the selected record's fields side by side below (last synced / CRM /
Billing). Take CRM, take Billing, edit the value, or settle every conflict of that field.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Header, Input, Label, Static

from zsync_tui.messages import LookupFailed, LookupFinished
from zsync_tui.operate_backend import describe_problem
from zsync_tui.operate_rows import ConflictRow
from zsync_tui.screens.operate_base import OperateScreen, steady_cursor
from zsync_tui.widgets.operate_footer import OperateFooter
from zsync_tui.widgets.record_diff import RecordDiff


def short(value: str | None, width: int = 24) -> str:
    text = "(empty)" if value in (None, "") else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


class ValueEditor(ModalScreen[str | None]):
    """Asks for the value to write to both sides; Escape keeps the conflict."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_none", "Cancel")]

    def __init__(self, conflict: ConflictRow) -> None:
        super().__init__()
        self.conflict = conflict

    def compose(self) -> ComposeResult:
        with Vertical(id="editor", classes="dialog"):
            yield Label(f"New value of {self.conflict.field} for {self.conflict.name}")
            yield Static(
                f"CRM: {short(self.conflict.crm_value, 60)}\n"
                f"Billing: {short(self.conflict.billing_value, 60)}",
                classes="note",
            )
            yield Input(value=self.conflict.crm_value or "", id="value")
            yield Static("Enter writes it to both sides · Escape cancels", classes="note")

    def on_mount(self) -> None:
        steady_cursor(self)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class ConflictsScreen(OperateScreen):
    """Every open conflict, and the selected record side by side."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("c", "take('crm')", "Take CRM"),
        Binding("b", "take('billing')", "Take Billing"),
        Binding("e", "edit", "Edit value"),
        Binding("C", "take_all('crm')", "CRM for field"),
        Binding("B", "take_all('billing')", "Billing for field"),
        Binding("w", "write_now", "Write now"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[ConflictRow] = []

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static("", id="conflicts-title", classes="title")
        yield DataTable(id="conflicts", cursor_type="row", zebra_stripes=True)
        yield RecordDiff(id="diff", classes="panel")
        yield OperateFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Record", "Field", "CRM", "Billing")
        self.reload()

    def reload_data(self) -> None:
        """Shown again: read in a worker; the list is rebuilt only if it changed."""
        self.run_worker(
            self._read_conflicts(), group="conflicts-read", exclusive=True, exit_on_error=False
        )

    async def _read_conflicts(self) -> None:
        try:
            rows = await asyncio.to_thread(self.backend.conflicts)
        except Exception as exc:
            self.tell(describe_problem(exc), problem=True)
            return
        if rows != self.rows:
            self.show_rows(rows)

    def reload(self) -> None:
        """Read the open conflicts again (one short query) and keep the cursor near."""
        self.show_rows(self.backend.conflicts())

    def show_rows(self, rows: list[ConflictRow]) -> None:
        """List `rows` and show the selected one side by side."""
        table = self.query_one(DataTable)
        row_at = table.cursor_row
        self.rows = rows
        table.clear()
        for row in self.rows:
            table.add_row(
                short(row.name, 20),
                row.field,
                short(row.crm_value),
                short(row.billing_value),
                key=str(row.id),
            )
        title = self.query_one("#conflicts-title", Static)
        if not self.rows:
            title.update("No conflicts wait for you: every field changed on both sides is settled.")
            self.query_one(RecordDiff).update("")
            return
        title.update(
            f"{len(self.rows)} conflicts wait · pick a side or edit; the next sync writes "
            "your choices (w: now)"
        )
        table.move_cursor(row=min(row_at, len(self.rows) - 1))
        self.show_selected()

    @property
    def selected(self) -> ConflictRow | None:
        table = self.query_one(DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted)
    def show_selected(self) -> None:
        conflict = self.selected
        if conflict is not None:
            fields = self.backend.link_fields(conflict.link_id)
            self.query_one(RecordDiff).show(fields, focus=conflict.field)

    # -- actions ---------------------------------------------------------------------------

    def action_take(self, side: Literal["crm", "billing"]) -> None:
        conflict = self.selected
        if conflict is None:
            return
        self.runner.act(self, "resolve", lambda: self.backend.resolve_conflict(conflict.id, side))

    def action_take_all(self, side: Literal["crm", "billing"]) -> None:
        conflict = self.selected
        if conflict is None:
            return
        field = conflict.field
        self.runner.act(self, "resolve", lambda: self.backend.resolve_field_everywhere(field, side))

    def action_edit(self) -> None:
        conflict = self.selected
        if conflict is None:
            return

        def apply(value: str | None) -> None:
            if value is not None:
                self.runner.act(
                    self,
                    "resolve",
                    lambda: self.backend.resolve_conflict(conflict.id, "value", value),
                )

        self.app.push_screen(ValueEditor(conflict), apply)

    def action_write_now(self) -> None:
        """Start a sync now, so the settled values reach both sides at once."""
        if self.runner.start_sync(dry_run=False):
            self.tell("Syncing now: your choices are written to both sides.")
        else:
            self.tell("A sync is already running; it writes your choices.")

    def on_lookup_finished(self, event: LookupFinished) -> None:
        if event.what == "resolve":
            count = event.value if isinstance(event.value, int) else 1
            self.tell(f"Settled {count} conflict{'s' if count != 1 else ''}.")
            self.reload()

    def on_lookup_failed(self, event: LookupFailed) -> None:
        self.tell(event.reason, problem=True)
