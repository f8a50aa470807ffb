"""Step 4: what to do with a record that already exists on the other side.

The dry run finds the matches (normalised names, email, phone, with a score and the reasons);
the admin picks a policy and, before anything is written, accepts or rejects each match.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import RadioButton, RadioSet, Static

from zsync_tui.messages import LookupFailed, LookupFinished
from zsync_tui.screens.step import SetupStep
from zsync_tui.setup_flow import DUPLICATE_LABELS, DuplicateRow, PlanSummary
from zsync_tui.widgets.match_table import HEADER, MatchTable


class DuplicatesStep(SetupStep):
    """The duplicates policy and the table of matches, decided per row or in bulk."""

    STEP_ID = "duplicates"
    HEADING = "Records that already exist on the other side"
    BINDINGS: ClassVar[list[BindingType]] = [
        *SetupStep.BINDINGS,
        Binding("ctrl+r", "replan", "Find again"),
    ]

    def body(self) -> ComposeResult:
        yield Static(self.HEADING, classes="step-title")
        with RadioSet(id="policy", compact=True):
            for key, label in DUPLICATE_LABELS.items():
                yield RadioButton(
                    label, value=self.draft.duplicates == key, id=f"policy-{key}", compact=True
                )
        yield Static("Looking for duplicates (a dry run: nothing is written)…", id="match-summary")
        yield Static(HEADER, id="match-header")
        yield MatchTable(id="matches")
        yield Static(
            "a: link this pair · x: not a duplicate · space: toggle · A: link all · X: reject all",
            classes="note",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.loading_plan = True
        self.query_one(RadioSet).focus()
        self.action_replan()

    def action_replan(self) -> None:
        self.loading_plan = True
        self.query_one("#match-summary", Static).update(
            "Looking for duplicates (a dry run: nothing is written)…"
        )
        draft = self.draft
        self.zsync.lookup(self, "plan", lambda: self.zsync.backend.plan(draft))

    @property
    def policy(self) -> str:
        pressed = self.query_one("#policy", RadioSet).pressed_button
        return (pressed.id or "").removeprefix("policy-") if pressed else ""

    @on(LookupFinished)
    def _planned(self, event: LookupFinished) -> None:
        event.stop()
        assert isinstance(event.value, PlanSummary)
        previous = {(r.crm_id, r.billing_id): r.accepted for r in self.draft.matches}
        rows: list[DuplicateRow] = list(event.value.matches)
        for row in rows:
            row.accepted = previous.get((row.crm_id, row.billing_id), row.accepted)
        self.draft.plan = event.value
        self.draft.matches = rows
        self.loading_plan = False
        self.query_one(MatchTable).load(rows)
        self._summarise(*self.query_one(MatchTable).counts())

    @on(LookupFailed)
    def _plan_failed(self, event: LookupFailed) -> None:
        event.stop()
        self.loading_plan = False
        self.query_one("#match-summary", Static).update("No matches to show.")
        self.show_problems([f"The dry run failed: {event.reason} Press ctrl+r to try again."])

    @on(MatchTable.Decided)
    def _decided(self, event: MatchTable.Decided) -> None:
        self._summarise(event.accepted, event.rejected, event.undecided)

    def _summarise(self, accepted: int, rejected: int, undecided: int) -> None:
        total = accepted + rejected + undecided
        if not total:
            text = "The dry run found no duplicates: every record is new on the other side."
        else:
            text = (
                f"{total} possible duplicate(s): {accepted} to link, {rejected} rejected, "
                f"{undecided} undecided. Tab to the table to decide."
            )
        self.query_one("#match-summary", Static).update(text)

    def problems(self) -> list[str]:
        if self.loading_plan:
            return ["Wait: the dry run is still looking for duplicates."]
        found = []
        if not self.policy:
            found.append("Choose what to do with duplicates: Review, Overwrite, Clone or Skip.")
        undecided = self.query_one(MatchTable).counts()[2]
        if self.policy == "review" and undecided:
            found.append(
                f"{undecided} match(es) are undecided: link (a) or reject (x) each in the table, "
                "or all at once (A / X)."
            )
        return found

    def save(self) -> None:
        self.draft.duplicates = self.policy
