"""Step 3: the extent of sync, fetch from CRM or both ways."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import RadioButton, RadioSet, Static

from zsync_tui.screens.step import SetupStep
from zsync_tui.setup_flow import DIRECTION_LABELS


class DirectionStep(SetupStep):
    """Fetch from CRM or both ways; a second Billing org is forced one-way, and says why."""

    STEP_ID = "direction"
    HEADING = "Which way do changes flow?"

    def body(self) -> ComposeResult:
        forced = self.draft.one_way_reason
        current = "fetch_from_crm" if forced else self.draft.direction
        yield Static(self.HEADING, classes="step-title")
        with RadioSet(id="direction", compact=True):
            for key, label in DIRECTION_LABELS.items():
                yield RadioButton(
                    label,
                    value=current == key,
                    id=f"direction-{key}",
                    disabled=bool(forced) and key == "both_ways",
                    compact=True,
                )
        if forced:
            yield Static(forced, id="one-way-reason", classes="warning")
        yield Static(
            "Fetch from CRM: CRM records come into Billing; Billing changes stay in Billing.\n"
            "Both ways: a change on either side reaches the other; when both sides changed the "
            "same field, its policy (Fields step) decides or it waits for you as a conflict.",
            classes="note",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(RadioSet).focus()

    @property
    def chosen(self) -> str:
        pressed = self.query_one(RadioSet).pressed_button
        return (pressed.id or "").removeprefix("direction-") if pressed else ""

    def problems(self) -> list[str]:
        if not self.chosen:
            return ["Choose how changes flow: Fetch from CRM, or Sync both ways."]
        if self.chosen == "both_ways" and self.draft.one_way_reason:
            return [self.draft.one_way_reason]
        return []

    def save(self) -> None:
        self.draft.direction = self.chosen
