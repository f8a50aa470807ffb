"""Step 2: which CRM module becomes Billing customers."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Checkbox, RadioButton, RadioSet, Static

from zsync_tui.screens.step import SetupStep
from zsync_tui.setup_flow import MODULE_LABELS, MODULE_NOTES


class ModuleStep(SetupStep):
    """Accounts, Contacts, or Accounts & their Contacts (with contacts that have no account)."""

    STEP_ID = "module"
    HEADING = "Which CRM records become Billing customers?"

    def body(self) -> ComposeResult:
        yield Static(self.HEADING, classes="step-title")
        with RadioSet(id="module", compact=True):
            for key, label in MODULE_LABELS.items():
                yield RadioButton(
                    label, value=self.draft.module == key, id=f"module-{key}", compact=True
                )
        yield Checkbox(
            "Also include contacts that are not associated with any account "
            "(each becomes a customer of its own)",
            value=self.draft.include_contacts_without_account,
            id="include-orphans",
            compact=True,
        )
        yield Static("", id="module-note", classes="note")
        yield Static(
            "With both-ways sync, a Business customer made in Billing goes to CRM Accounts and "
            "an Individual one to CRM Contacts.",
            classes="note",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self._show_choice()
        self.query_one(RadioSet).focus()

    @property
    def chosen(self) -> str:
        pressed = self.query_one(RadioSet).pressed_button
        return (pressed.id or "").removeprefix("module-") if pressed else ""

    @on(RadioSet.Changed)
    def _show_choice(self) -> None:
        module = self.chosen
        self.query_one("#include-orphans", Checkbox).disabled = module != "accounts_and_contacts"
        note = MODULE_NOTES.get(module) or "\n".join(
            f"{MODULE_LABELS[key]}: {text}" for key, text in MODULE_NOTES.items()
        )
        self.query_one("#module-note", Static).update(note)

    def problems(self) -> list[str]:
        if not self.chosen:
            return [
                "Choose a module: Accounts, Contacts, or Accounts & their Contacts "
                "(arrow keys, then Enter or space)."
            ]
        return []

    def save(self) -> None:
        module = self.chosen
        if module != self.draft.module:
            # Views and field pairs belong to a module: a new module starts them afresh.
            self.draft.account_view = self.draft.contact_view = ""
            self.draft.field_map = []
            self.draft.plan = None
        self.draft.module = module
        self.draft.include_contacts_without_account = module == "accounts_and_contacts" and (
            self.query_one("#include-orphans", Checkbox).value
        )
