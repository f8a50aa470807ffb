"""The box under a step that says why the flow cannot go on, one line per problem."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class ProblemList(Static):
    """Hidden while there is nothing wrong; otherwise each problem on its own line."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.problems: list[str] = []
        self.display = False

    def show(self, problems: list[str]) -> None:
        self.problems = list(problems)
        text = Text()
        for index, problem in enumerate(self.problems):
            if index:
                text.append("\n")
            text.append("✗ ", style="bold")
            text.append(problem)
        self.update(text)
        self.display = bool(self.problems)
