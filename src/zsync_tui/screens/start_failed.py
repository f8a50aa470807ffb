"""Shown instead of (or over) the first screen when the store cannot be opened."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static


class StartFailed(Screen[None]):
    """Why zsync cannot start and what to do about it; the App's ctrl+q quits."""

    def __init__(self, reason: str) -> None:
        super().__init__(id="start-failed")
        self.reason = reason

    def compose(self) -> ComposeResult:
        yield Static(
            f"zsync cannot start: {self.reason}\nFix it (or point --data-dir elsewhere), then "
            "run zsync again. ctrl+q quits.",
            id="start-failed-reason",
        )
