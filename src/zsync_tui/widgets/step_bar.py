"""The row of step names at the top of the setup flow, the current one highlighted."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from zsync_tui.setup_flow import STEP_TITLES, StepId


class StepBar(Static):
    """`1 Connect › 2 Module › …` with done, current and coming steps styled apart."""

    def __init__(self, steps: tuple[StepId, ...], current: StepId) -> None:
        super().__init__(self._render_steps(steps, current), id="step-bar")

    @staticmethod
    def _render_steps(steps: tuple[StepId, ...], current: StepId) -> Text:
        text = Text()
        here = steps.index(current)
        for index, step in enumerate(steps):
            if index:
                text.append("  ›  ", style="dim")
            label = f"{index + 1} {STEP_TITLES[step]}"
            if index == here:
                text.append(f" {label} ", style="bold reverse")
            elif index < here:
                text.append(f"✓ {STEP_TITLES[step]}")
            else:
                text.append(label, style="dim")
        return text
