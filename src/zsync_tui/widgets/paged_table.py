"""A table that stays fast with tens of thousands of rows: it holds one page at a time.

Rows come from a `count()` and a `fetch(offset, limit)` (short SQL reads with LIMIT/OFFSET),
so the DataTable never holds more than a page, and a page is what the table shows: every row
added is measured cell by cell, and a 100-row page cost ~40 ms of each screen switch while
fifteen were visible. Moving past the last row (or Page Down there) loads the next page; `[`
and `]` page directly. Space marks rows for bulk actions; marks survive page changes.

A screen shown again reloads its page from a worker (`reload(background=True)`): the rows read
off the event loop, and the table is rebuilt only if they changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

log = logging.getLogger(__name__)
#: The page before the table knows its height (and the floor after).
PAGE_SIZE = 20
MIN_PAGE_SIZE = 5
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
        page_size: int | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._columns = tuple(columns)
        self._count = count
        self._fetch = fetch
        #: None: the page is as tall as the table (set on resize).
        self.fixed_page_size = page_size
        self.page_size = page_size or PAGE_SIZE
        self.page_start = 0
        self.total = 0
        self.marked: set[str] = set()
        self.page_keys: list[str] = []
        self._shown: tuple[int, list[PageRow]] | None = None

    def on_mount(self) -> None:
        self.add_column(" ", key=MARK, width=1)
        for column in self._columns:
            name, width = column if isinstance(column, tuple) else (column, None)
            self.add_column(name, key=name, width=width)
        if self.fixed_page_size is not None:
            self.reload()  # else the first resize, which knows the height, loads the page

    def on_resize(self) -> None:
        if self.fixed_page_size is not None:
            return
        visible = max(MIN_PAGE_SIZE, self.scrollable_content_region.height - self.header_height)
        if self._shown is None or visible != self.page_size:
            at = self.page_start + max(0, self.cursor_row)
            self.page_size = visible
            self.page_start = at // visible * visible
            self.reload(cursor_row=at - self.page_start)

    # -- loading ---------------------------------------------------------------------------

    def reload(
        self, *, first_page: bool = False, background: bool = False, cursor_row: int | None = None
    ) -> None:
        """Count again and show the current page (the first one with `first_page`); with
        `background`, read in a worker and rebuild only if the rows changed."""
        if first_page:
            self.page_start = 0
        cursor = 0 if first_page else self.cursor_row if cursor_row is None else cursor_row
        if background:
            self.run_worker(
                self._read_in_background(cursor),
                group="paged-table-read",
                exclusive=True,
                exit_on_error=False,
            )
        else:
            self._show(*self._read(self.page_start, self.page_size), cursor)

    def _read(self, start: int, size: int) -> tuple[int, int, list[PageRow]]:
        total = self._count()
        if start >= total:
            start = max(0, (total - 1) // size * size)
        return total, start, self._fetch(start, size)

    async def _read_in_background(self, cursor: int) -> None:
        try:
            read = await asyncio.to_thread(self._read, self.page_start, self.page_size)
        except Exception as exc:
            log.warning("reading a page failed: %s", exc, exc_info=True)
            self.border_subtitle = "could not read the rows; details in the log"
            return
        self._show(*read, cursor)

    def _show(self, total: int, start: int, rows: list[PageRow], cursor_row: int) -> None:
        self.total = total
        self.page_start = start
        if self._shown == (start, rows):
            self._describe()  # the same rows: keep the table (and its cursor) as it is
            return
        self._shown = (start, rows)
        self.clear()
        self.page_keys = [row.key for row in rows]
        for row in rows:
            mark = Text("*", style="bold") if row.key in self.marked else Text(" ")
            self.add_row(mark, *row.cells, key=row.key)
        if rows:
            self.move_cursor(row=min(max(cursor_row, 0), len(rows) - 1), animate=False)
        self._describe()
        if self.fixed_page_size is None and len(rows) == self.page_size:
            self.call_after_refresh(self._fit_page)

    def _fit_page(self) -> None:
        """A horizontal scrollbar (wide columns) takes a row the height promised: make the
        page that much shorter, so no page needs scrolling."""
        visible = self.scrollable_content_region.height - self.header_height
        if MIN_PAGE_SIZE <= visible < self.page_size:
            at = self.page_start + max(0, self.cursor_row)
            self.page_size = visible
            self.page_start = at // self.page_size * self.page_size
            self.reload(cursor_row=at - self.page_start)

    def _show_page(self, cursor_row: int) -> None:
        self.reload(cursor_row=cursor_row)

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

    def action_page_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1:
            self.action_next_page()
            return
        super().action_page_down()

    def action_page_up(self) -> None:
        if self.cursor_row <= 0 and self.page_start > 0:
            self.action_previous_page()
            return
        super().action_page_up()

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
        self._shown = None  # the shown marks are stale: the next read rebuilds the page
        self._describe()
