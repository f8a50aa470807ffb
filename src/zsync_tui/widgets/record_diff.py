"""One linked pair side by side: last synced, CRM and Billing values per field."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from zsync_tui.operate_rows import FieldValues


def shown(value: str | None) -> Text:
    return Text("(empty)", style="dim") if value in (None, "") else Text(str(value))


def diff_table(fields: list[FieldValues], focus: str | None = None) -> Table:
    """A table with one row per field; fields in conflict first and marked `!`."""
    table = Table(expand=True, show_edge=False, pad_edge=False)
    table.add_column(" ", width=1, no_wrap=True)
    table.add_column("Field", ratio=2, min_width=12, overflow="fold")
    table.add_column("Last synced", ratio=3, overflow="fold")
    table.add_column("CRM", ratio=3, overflow="fold")
    table.add_column("Billing", ratio=3, overflow="fold")
    for item in fields:
        waiting = item.conflict_id is not None
        style = "bold" if item.field == focus else ""
        table.add_row(
            Text("!", style="bold red") if waiting else Text(" "),
            Text(item.field, style=style),
            shown(item.base),
            shown(item.crm),
            shown(item.billing),
        )
    return table


class RecordDiff(Static):
    """A side-by-side view of a linked record's fields."""

    def show(self, fields: list[FieldValues], focus: str | None = None) -> None:
        """Draw these fields (conflicting ones first, `focus` in bold)."""
        if not fields:
            self.update("No values stored for this record yet.")
            return
        self.update(diff_table(fields, focus))
