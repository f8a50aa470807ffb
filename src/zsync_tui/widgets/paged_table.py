"""A table that stays fast with tens of thousands of rows: it holds one page at a time.

Rows come from a `count()` and a `fetch(offset, limit)` (short SQL reads with LIMIT/OFFSET),
so the DataTable never holds more than `page_size` rows and a page change costs one query.
Moving past the last row loads the next page; `[` and `]` page directly. Space marks rows for
bulk actions; marks survive page changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

PAGE_SIZE = 100
MARK = "mark"


@dataclass(frozen=True)
class PageRow:
    """One row: a stable key (the record's id) and its cells."""

    key: str
    cells: tuple[str | Text, ...]


class PagedTable(DataTable[Any]):
    """A DataTable over a paged source; see the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right_square_bracket", "next_page", "Next page"),
        Binding("left_square_bracket", "previous_page", "Prev page"),
        Binding("space", "toggle_mark", "Mark"),
    ]

    def __init__(
        self,
        columns: Sequence[str | tuple[str, int]],
        count: Callable[[], int],
        fetch: Callable[[int, int], list[PageRow]],
        *,
        page_size: int = PAGE_SIZE,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._columns = tuple(columns)
        self._count = count
        self._fetch = fetch
        self.page_size = page_size
        self.page_start = 0
        self.total = 0
        self.marked: set[str] = set()
        self.page_keys: list[str] = []

    def on_mount(self) -> None:
        self.add_column(" ", key=MARK, width=1)
        for column in self._columns:
            name, width = column if isinstance(column, tuple) else (column, None)
            self.add_column(name, key=name, width=width)
        self.reload()

    # -- loading ---------------------------------------------------------------------------

    def reload(self, *, first_page: bool = False) -> None:
        """Count again and show the current page (the first one with `first_page`)."""
        self.total = self._count()
        if first_page:
            self.page_start = 0
        if self.page_start >= self.total:
            self.page_start = max(0, (self.total - 1) // self.page_size * self.page_size)
        self._show_page(cursor_row=self.cursor_row if not first_page else 0)

    def _show_page(self, cursor_row: int = 0) -> None:
        rows = self._fetch(self.page_start, self.page_size)
        self.clear()
        self.page_keys = [row.key for row in rows]
        for row in rows:
            mark = Text("*", style="bold") if row.key in self.marked else Text(" ")
            self.add_row(mark, *row.cells, key=row.key)
        if rows:
            self.move_cursor(row=min(max(cursor_row, 0), len(rows) - 1), animate=False)
        self._describe()

    def _describe(self) -> None:
        if self.total == 0:
            self.border_subtitle = "no rows"
            return
        last = min(self.page_start + self.page_size, self.total)
        marked = f" · {len(self.marked):,} marked" if self.marked else ""
        self.border_subtitle = f"{self.page_start + 1:,}–{last:,} of {self.total:,}{marked}"

    # -- paging ----------------------------------------------------------------------------

    def action_next_page(self) -> None:
        if self.page_start + self.page_size < self.total:
            self.page_start += self.page_size
            self._show_page(0)

    def action_previous_page(self) -> None:
        if self.page_start > 0:
            self.page_start = max(0, self.page_start - self.page_size)
            self._show_page(self.page_size - 1)

    def action_cursor_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1:
            self.action_next_page()
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0 and self.page_start > 0:
            self.action_previous_page()
            return
        super().action_cursor_up()

    # -- marks -----------------------------------------------------------------------------

    @property
    def current_key(self) -> str | None:
        """The key of the row under the cursor, if any."""
        if not self.page_keys or not 0 <= self.cursor_row < len(self.page_keys):
            return None
        return self.page_keys[self.cursor_row]

    def action_toggle_mark(self) -> None:
        key = self.current_key
        if key is None:
            return
        if key in self.marked:
            self.marked.discard(key)
        else:
            self.marked.add(key)
        mark = Text("*", style="bold") if key in self.marked else Text(" ")
        self.update_cell(key, MARK, mark)
        self._describe()
        if self.cursor_row < self.row_count - 1:
            super().action_cursor_down()

    def chosen_keys(self) -> list[str]:
        """The marked rows, or the row under the cursor when none is marked."""
        if self.marked:
            return sorted(self.marked)
        key = self.current_key
        return [key] if key is not None else []

    def clear_marks(self) -> None:
        self.marked.clear()
        self._describe()
