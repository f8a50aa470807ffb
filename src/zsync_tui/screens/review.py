"""Step 8: the dry run's counts, then Save and Sync or Save and Sync Later, then the result."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, ProgressBar, Static

from zsync_tui.messages import LookupFailed, LookupFinished, SyncFinished, SyncProgressed
from zsync_tui.screens.step import SetupStep
from zsync_tui.setup_flow import DIRECTION_LABELS, MODULE_LABELS, PlanSummary, SetupDraft
from zsync_tui.widgets.counts import plan_table, result_table


def describe_choices(draft: SetupDraft) -> str:
    """The configuration in a few lines, as the admin chose it."""
    org = draft.billing_org
    views = ", ".join(
        f"{module}: {(draft.account_view if module == 'Accounts' else draft.contact_view) or 'all'}"
        for module in draft.needs_views()
    )
    triggers = draft.triggers
    trigger_text = "off"
    if triggers.enabled:
        parts = []
        if triggers.quote_create_stages:
            parts.append("quote at " + ", ".join(triggers.quote_create_stages))
        if triggers.invoice_on_won:
            parts.append("invoice on won" + (", void on lost" if triggers.void_on_lost else ""))
        trigger_text = "; ".join(parts)
    return "\n".join(
        [
            f"Billing org   {org.name if org else draft.billing_org_id}",
            f"Record owner  {draft.owner_email}",
            f"Module        {MODULE_LABELS.get(draft.module, draft.module)}"
            + ("  (+ contacts with no account)" if draft.include_contacts_without_account else ""),
            f"Direction     {DIRECTION_LABELS.get(draft.direction, draft.direction)}",
            f"Duplicates    {draft.duplicates}"
            + (
                f"  ({sum(1 for m in draft.matches if m.accepted)} to link)"
                if draft.matches
                else ""
            ),
            f"Views         {views}",
            f"Fields        {len(draft.field_map)} pairs",
            f"Triggers      {trigger_text}",
        ]
    )


class ReviewStep(SetupStep):
    """Plan counts first; then save, and sync now or later; the result stays on screen."""

    STEP_ID = "review"
    HEADING = "Review, then save"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save_and_sync", "Save and Sync", priority=True),
        Binding("ctrl+l", "save_only", "Save and Sync Later", priority=True),
        Binding("ctrl+b", "back", "Back", priority=True),
        Binding("ctrl+n", "next", "Next", show=False, priority=True),
    ]

    def body(self) -> ComposeResult:
        yield Static(self.HEADING, classes="step-title")
        yield Static(describe_choices(self.draft), id="choices")
        yield Static("Dry run: counting what the first sync would do…", id="plan-status")
        yield Static("", id="plan")
        with Horizontal(id="save-buttons"):
            yield Button("Save and Sync  (ctrl+s)", id="save-sync", variant="success", compact=True)
            yield Button("Save and Sync Later  (ctrl+l)", id="save-later", compact=True)
        yield ProgressBar(total=None, show_eta=False, id="progress")

    def on_mount(self) -> None:
        super().on_mount()
        self.phase = "planning"  # planning → ready → saving → syncing → done
        self.query_one("#next").display = False
        self.query_one("#progress").display = False
        draft = self.draft
        self.zsync.lookup(self, "plan", lambda: self.zsync.backend.plan(draft))
        self.query_one("#save-sync").focus()

    def problems(self) -> list[str]:
        if self.phase == "planning":
            return ["Wait: the dry run is still counting."]
        if self.phase in ("saving", "syncing"):
            return ["Wait: zsync is saving and syncing."]
        return []

    def action_next(self) -> None:
        if self.phase == "done":
            self.complete()

    def action_save_and_sync(self) -> None:
        self._save(sync_now=True)

    def action_save_only(self) -> None:
        self._save(sync_now=False)

    def _save(self, sync_now: bool) -> None:
        problems = self.problems()
        self.show_problems(problems)
        if problems or self.phase == "done":
            return
        self.phase = "saving"
        self.sync_now = sync_now
        draft = self.draft
        self.query_one("#plan-status", Static).update("Saving the configuration…")
        self.zsync.lookup(self, "save", lambda: self.zsync.backend.save(draft))

    @on(Button.Pressed, "#save-sync")
    def _sync_pressed(self) -> None:
        self.action_save_and_sync()

    @on(Button.Pressed, "#save-later")
    def _later_pressed(self) -> None:
        self.action_save_only()

    @on(LookupFinished)
    def _answered(self, event: LookupFinished) -> None:
        event.stop()
        if event.what == "plan":
            assert isinstance(event.value, PlanSummary)
            self.draft.plan = event.value
            self.phase = "ready"
            self.query_one("#plan-status", Static).update(
                "Dry run (nothing written yet): the first sync would"
            )
            self.query_one("#plan", Static).update(plan_table(event.value))
            self.show_problems([])
            self.query_one("#save-sync", Button).focus()
        elif event.what == "save":
            if not self.sync_now:
                self._finish(
                    "Saved. Nothing was synced yet: the first sync runs at the next "
                    "scheduled time, or when you start it from the integration screen."
                )
                return
            self.phase = "syncing"
            self.query_one("#save-buttons").display = False
            self.query_one("#plan-status", Static).update("Saved. Syncing…")
            self.query_one("#progress").display = True
            self.zsync.start_sync(self)

    @on(LookupFailed)
    def _failed(self, event: LookupFailed) -> None:
        event.stop()
        self.phase = "ready" if event.what == "save" or self.draft.plan else "failed"
        if event.what == "plan":
            self.query_one("#plan-status", Static).update("The dry run failed.")
            self.phase = "ready"  # saving is still possible; the sync will say the same
        self.show_problems(
            [f"{'Saving' if event.what == 'save' else 'The dry run'} failed: {event.reason}"]
        )

    @on(SyncProgressed)
    def _progress(self, event: SyncProgressed) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=event.total, progress=event.done)
        self.query_one("#plan-status", Static).update(f"Syncing: {event.phase}…")

    @on(SyncFinished)
    def _synced(self, event: SyncFinished) -> None:
        self.query_one("#progress").display = False
        # The result takes the plan's place, so it is on screen even in a small terminal.
        self.query_one("#plan", Static).update(result_table(event.counts))
        message = event.message if len(event.message) <= 150 else event.message[:149] + "…"
        self._finish(f"Sync {event.status.replace('_', ' ')}. {message}".strip())

    def _finish(self, text: str) -> None:
        self.phase = "done"
        self.query_one("#save-buttons").display = False
        self.query_one("#plan-status", Static).update(text)
        next_button = self.query_one("#next", Button)
        next_button.label = "Open the integration  (ctrl+n)"
        next_button.display = True
        next_button.focus()
