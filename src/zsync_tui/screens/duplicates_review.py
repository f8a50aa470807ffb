"""Duplicates review: every match waiting, paged so tens of thousands stay fast.

Filter by state and minimum score, sort by score, accept (link on the next run) or reject
(create a new customer), one, the marked ones, or every match the filter shows.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Header, Input, Select, Static

from zsync_tui.messages import LookupFailed, LookupFinished
from zsync_tui.operate_rows import DuplicateRow, DuplicateState
from zsync_tui.screens.operate_base import OperateScreen
from zsync_tui.widgets.operate_footer import OperateFooter
from zsync_tui.widgets.paged_table import PagedTable, PageRow

STATES: list[tuple[str, DuplicateState]] = [
    ("Waiting", "waiting"),
    ("Accepted", "approved"),
    ("Rejected", "rejected"),
    ("All", "all"),
]


def duplicate_cells(row: DuplicateRow) -> PageRow:
    return PageRow(
        str(row.id),
        (f"{row.score:.2f}", row.crm_module, row.crm_id, row.billing_id, row.state, row.reasons),
    )


class DuplicatesReviewScreen(OperateScreen):
    """Matches between CRM records and Billing customers, with why they matched."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("a", "decide(True)", "Accept"),
        Binding("r", "decide(False)", "Reject"),
        Binding("A", "decide_all(True)", "Accept all shown"),
        Binding("R", "decide_all(False)", "Reject all shown"),
        Binding("o", "flip_order", "Sort by score"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.state: DuplicateState = "waiting"
        self.min_score = 0.0
        self.descending = True

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(classes="filters"):
            yield Select(STATES, value="waiting", allow_blank=False, id="state")
            yield Input(placeholder="min score, e.g. 0.8", id="min-score")
        yield Static("", id="why", classes="note")
        yield PagedTable(
            ("Score", "Module", "CRM id", "Billing id", "State", "Why"),
            self._count,
            self._fetch,
            id="matches",
        )
        yield OperateFooter()

    def on_mount(self) -> None:
        self.query_one(PagedTable).focus()

    def reload_data(self) -> None:
        self.query_one(PagedTable).reload(background=True)

    def _count(self) -> int:
        return self.backend.count_duplicates(self.state, self.min_score)

    def _fetch(self, offset: int, limit: int) -> list[PageRow]:
        rows = self.backend.duplicates(
            offset, limit, state=self.state, min_score=self.min_score, descending=self.descending
        )
        return [duplicate_cells(row) for row in rows]

    # -- filters ---------------------------------------------------------------------------

    @on(Select.Changed, "#state")
    def _state_changed(self, event: Select.Changed) -> None:
        self.state = event.value  # type: ignore[assignment]
        self.query_one(PagedTable).reload(first_page=True)

    @on(Input.Submitted, "#min-score")
    def _score_changed(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        try:
            score = float(text) if text else 0.0
        except ValueError:
            self.tell(f"{text!r} is not a score: type a number such as 0.8", problem=True)
            return
        self.min_score = score
        table = self.query_one(PagedTable)
        table.reload(first_page=True)
        table.focus()

    def action_flip_order(self) -> None:
        self.descending = not self.descending
        self.query_one(PagedTable).reload(first_page=True)

    @on(PagedTable.RowHighlighted)
    def _explain(self) -> None:
        table = self.query_one(PagedTable)
        key = table.current_key
        why = self.query_one("#why", Static)  # one line high (operate.tcss): no layout needed
        if key is None:
            why.update("No matches here.", layout=False)
            return
        row = table.get_row(key)
        why.update(f"Matched because: {row[-1]} (score {row[1]})", layout=False)

    # -- decisions -------------------------------------------------------------------------

    def action_decide(self, approve: bool) -> None:
        table = self.query_one(PagedTable)
        ids = [int(key) for key in table.chosen_keys()]
        if not ids:
            return
        self.runner.act(self, "decide", lambda: self.backend.decide_duplicates(approve, ids))
        table.clear_marks()

    def action_decide_all(self, approve: bool) -> None:
        if self.state != "waiting":
            self.tell("Only waiting matches can be decided: choose Waiting first.", problem=True)
            return
        score = self.min_score
        self.runner.act(
            self, "decide", lambda: self.backend.decide_duplicates(approve, None, min_score=score)
        )

    def on_lookup_finished(self, event: LookupFinished) -> None:
        if event.what == "decide":
            self.tell(f"{event.value:,} matches decided; the next sync acts on them.")
            self.query_one(PagedTable).reload()

    def on_lookup_failed(self, event: LookupFailed) -> None:
        self.tell(event.reason, problem=True)
