"""The duplicates table: per-row and bulk decisions, counted without walking every row."""

from __future__ import annotations

from textual.app import App, ComposeResult

from zsync_tui.setup_flow import DuplicateRow
from zsync_tui.widgets.match_table import MatchTable


class TableHost(App[None]):
    def compose(self) -> ComposeResult:
        yield MatchTable(id="matches")


def rows(count: int) -> list[DuplicateRow]:
    return [
        DuplicateRow(str(i), f"Firm {i} Ltd", str(100 + i), f"FIRM {i} LIMITED", 0.8, "same name")
        for i in range(count)
    ]


async def test_keys_decide_rows_and_the_counts_follow() -> None:
    app = TableHost()
    data = rows(50)
    data[3].accepted = False
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(MatchTable)
        table.focus()
        table.load(data)
        assert table.counts() == (0, 1, 49)
        await pilot.press("a", "a", "x", "space")  # link, link, reject, toggle row 3 to link
        assert [r.accepted for r in data[:5]] == [True, True, False, True, None]
        assert table.counts() == (3, 1, 46)
        await pilot.press("A")
        assert table.counts() == (50, 0, 0) and all(r.accepted for r in data)
        await pilot.press("X")
        assert table.counts() == (0, 50, 0)


async def test_twenty_thousand_rows_scroll_to_the_end() -> None:
    app = TableHost()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(MatchTable)
        table.focus()
        table.load(rows(20_000))
        await pilot.press("end", "a")
        assert table.cursor == 19_999 and table.rows[-1].accepted is True
        assert table.scroll_y > 19_000  # the last row is on screen
