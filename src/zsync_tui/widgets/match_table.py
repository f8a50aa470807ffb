"""A table of duplicate matches that stays fast with tens of thousands of rows.

It draws only the lines on screen (the line API), so loading 20,000 matches costs one list
assignment and every repaint costs the visible rows, never the whole table.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from zsync_tui.setup_flow import DuplicateRow

DECISION_MARKS = {True: "✓ link", False: "✗ no  ", None: "·     "}
HEADER = f"{'decision':8} {'score':>5}  {'CRM record':30} {'Billing customer':30} why"


def _fit(text: str, width: int) -> str:
    return text[: width - 1] + "…" if len(text) > width else text.ljust(width)


def format_row(row: DuplicateRow) -> str:
    """One match as a line of fixed-width columns (the header above uses the same widths)."""
    return (
        f"{DECISION_MARKS[row.accepted]:8} {row.score:5.2f}  "
        f"{_fit(row.crm_name, 30)} {_fit(row.billing_name, 30)} {row.reasons}"
    )


class MatchTable(ScrollView, can_focus=True):
    """Matches with a cursor; decide per row (a / x / space) or for every row (A / X)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("a", "decide(True)", "Link this"),
        Binding("x", "decide(False)", "Not a duplicate"),
        Binding("space", "flip", "Toggle", show=False),
        Binding("A", "decide_all(True)", "Link all"),
        Binding("X", "decide_all(False)", "Reject all"),
    ]

    class Decided(Message):
        """The admin decided one row or all of them; `accepted`/`rejected`/`open` count them."""

        def __init__(self, accepted: int, rejected: int, undecided: int) -> None:
            super().__init__()
            self.accepted = accepted
            self.rejected = rejected
            self.undecided = undecided

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[DuplicateRow] = []
        self.cursor = 0
        # Kept up to date as rows are decided, so no keypress walks all the rows to count.
        self._accepted = 0
        self._rejected = 0

    def load(self, rows: list[DuplicateRow]) -> None:
        """Show these rows (the list is shared, so decisions land in the caller's draft)."""
        self.rows = rows
        self._accepted = sum(1 for r in rows if r.accepted is True)
        self._rejected = sum(1 for r in rows if r.accepted is False)
        self.cursor = min(self.cursor, max(len(rows) - 1, 0))
        width = max((len(format_row(r)) for r in rows[:200]), default=len(HEADER))
        self.virtual_size = Size(width, len(rows))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        base = self.rich_style
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        style = base
        if index == self.cursor:
            style = base + Style(reverse=True, bold=self.has_focus)
        elif row.accepted is False:
            style = base + Style(dim=True)
        strip = Strip([Segment(format_row(row), style)])
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def counts(self) -> tuple[int, int, int]:
        """(to link, rejected, undecided)."""
        undecided = len(self.rows) - self._accepted - self._rejected
        return self._accepted, self._rejected, undecided

    def _set(self, row: DuplicateRow, accepted: bool | None) -> None:
        self._accepted += (accepted is True) - (row.accepted is True)
        self._rejected += (accepted is False) - (row.accepted is False)
        row.accepted = accepted

    def _changed(self) -> None:
        self.refresh()
        self.post_message(self.Decided(*self.counts()))

    def _move_to(self, index: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(index, len(self.rows) - 1))
        if self.cursor < self.scroll_y:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= self.scroll_y + self.size.height:
            self.scroll_to(y=self.cursor - self.size.height + 1, animate=False)
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        self._move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(self.size.height - 1, 1))

    def action_jump(self, index: int) -> None:
        self._move_to(index if index >= 0 else len(self.rows) - 1)

    def action_decide(self, accepted: bool) -> None:
        if self.rows:
            self._set(self.rows[self.cursor], accepted)
            self._move_to(self.cursor + 1)
            self._changed()

    def action_flip(self) -> None:
        if self.rows:
            row = self.rows[self.cursor]
            self._set(row, not row.accepted if row.accepted is not None else True)
            self._changed()

    def action_decide_all(self, accepted: bool) -> None:
        for row in self.rows:
            row.accepted = accepted
        self._accepted = len(self.rows) if accepted else 0
        self._rejected = 0 if accepted else len(self.rows)
        self._changed()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
