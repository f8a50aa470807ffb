"""Step 7: deal-stage automation, with the stages read from the CRM pipeline."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Label, Select, SelectionList, Static

from zsync_tui.messages import LookupFailed, LookupFinished
from zsync_tui.screens.step import SetupStep
from zsync_tui.setup_flow import Stage, TriggerChoices

NO_STAGE = "__none__"


class TriggersStep(SetupStep):
    """Create a quote at chosen stages, accept or decline it, invoice on won, void on lost."""

    STEP_ID = "triggers"
    HEADING = "Turn deal stages into quotes and invoices"

    def body(self) -> ComposeResult:
        choices = self.draft.triggers
        owner = "a Contact" if self.draft.module == "contacts" else "an Account"
        yield Static(self.HEADING, classes="step-title")
        yield Checkbox("Use deal-stage triggers", value=choices.enabled, id="enabled", compact=True)
        yield Static("", id="triggers-off", classes="warning")
        yield Static("Reading the stages of the CRM pipeline…", id="stages-status", classes="note")
        yield Label("Create a quote when a deal reaches (space to tick):")
        yield SelectionList[str](id="quote-create", compact=True)
        with Horizontal(classes="field-row"):
            yield Label("Accept it at", classes="field-label")
            yield Select[str]([], prompt="stage", id="quote-accept", compact=True)
        with Horizontal(classes="field-row"):
            yield Label("Decline it at", classes="field-label")
            yield Select[str]([], prompt="stage", id="quote-decline", compact=True)
        yield Checkbox(
            "Create an invoice when a deal is won (probability 100)",
            value=choices.invoice_on_won,
            id="invoice-won",
            compact=True,
        )
        yield Checkbox(
            "Void that invoice when the deal is lost (probability 0)",
            value=choices.void_on_lost,
            id="void-lost",
            compact=True,
        )
        yield Static(
            f"A deal must be associated with {owner} to trigger anything. The quote or invoice "
            "takes the customer and address from it, the salesperson from the deal owner, and "
            "the item's name, description and rate from the deal's name, description and "
            "amount. Once it is marked Sent in Billing, deal changes no longer touch it.",
            classes="note",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.stages: tuple[Stage, ...] | None = None
        if self.draft.one_way_reason:
            self.stages = ()
            off = self.query_one("#triggers-off", Static)
            off.update(
                "Triggers are off for this Billing organization: " + self.draft.one_way_reason
            )
            enabled = self.query_one("#enabled", Checkbox)
            enabled.value = False
            enabled.disabled = True
            self._enable_widgets()
            return
        self.query_one("#triggers-off").display = False
        self.zsync.lookup(self, "stages", self.zsync.backend.list_stages)
        self._enable_widgets()
        self.query_one("#enabled").focus()

    @on(Checkbox.Changed, "#enabled")
    def _enable_widgets(self) -> None:
        on_ = self.query_one("#enabled", Checkbox).value
        for selector in (
            "#quote-create",
            "#quote-accept",
            "#quote-decline",
            "#invoice-won",
            "#void-lost",
        ):
            self.query_one(selector).disabled = not on_

    @on(LookupFinished)
    def _listed(self, event: LookupFinished) -> None:
        event.stop()
        stages = self.stages = tuple(s for s in event.value if isinstance(s, Stage))  # type: ignore[attr-defined]
        choices = self.draft.triggers
        listed = ", ".join(f"{s.name} {s.probability}%" for s in stages)
        self.query_one("#stages-status", Static).update(f"Pipeline stages: {listed}.")
        create = self.query_one("#quote-create", SelectionList)
        create.add_options(
            [("a new deal is created", "on_create", "on_create" in choices.quote_create_stages)]
            + [(s.name, s.name, s.name in choices.quote_create_stages) for s in stages]
        )
        options = [("(none)", NO_STAGE)] + [
            (f"{s.name} ({s.probability}%)", s.name) for s in stages
        ]
        for selector, saved, fallback in (
            ("#quote-accept", choices.quote_accept_stage, 100),
            ("#quote-decline", choices.quote_decline_stage, 0),
        ):
            select = self.query_one(selector, Select)
            select.set_options(options)
            default = next((s.name for s in stages if s.probability == fallback), NO_STAGE)
            select.value = saved if saved in {s.name for s in stages} else default

    @on(LookupFailed)
    def _failed(self, event: LookupFailed) -> None:
        event.stop()
        self.stages = ()
        self.query_one("#stages-status", Static).update("The pipeline could not be read.")
        self.show_problems(
            [
                f"Reading the deal stages failed: {event.reason} Go Back and Next to "
                "retry, or leave triggers off."
            ]
        )

    def _stage(self, selector: str) -> str:
        value = self.query_one(selector, Select).value
        return "" if not isinstance(value, str) or value == NO_STAGE else value

    def problems(self) -> list[str]:
        enabled = self.query_one("#enabled", Checkbox).value
        if not enabled:
            return []
        if self.stages is None:
            return ["Wait: the pipeline's stages are still being read."]
        if not self.stages:
            return ["No pipeline stages are known, so no trigger can be set: untick the triggers."]
        found = []
        create = self.query_one("#quote-create", SelectionList).selected
        accept, decline = self._stage("#quote-accept"), self._stage("#quote-decline")
        invoice = self.query_one("#invoice-won", Checkbox).value
        if not create and not invoice:
            found.append(
                "Pick at least one stage that creates a quote, or tick the invoice "
                "trigger (or untick 'Use deal-stage triggers')."
            )
        if (accept or decline) and not create:
            found.append("Accepting or declining needs a quote: pick a stage that creates one.")
        if accept and accept == decline:
            found.append(f"A quote cannot be accepted and declined at the same stage ({accept}).")
        if accept and accept in create:
            found.append(f"{accept} both creates and accepts the quote: pick another stage.")
        if invoice and not any(s.probability == 100 for s in self.stages):
            found.append(
                "No stage has probability 100, so no deal can be won: fix the "
                "stage-probability mapping in CRM or untick the invoice trigger."
            )
        if self.query_one("#void-lost", Checkbox).value and not invoice:
            found.append("Voiding on lost needs the invoice-on-won trigger.")
        return found

    def save(self) -> None:
        enabled = self.query_one("#enabled", Checkbox).value
        self.draft.triggers = TriggerChoices(
            enabled=enabled,
            quote_create_stages=list(self.query_one("#quote-create", SelectionList).selected)
            if enabled
            else [],
            quote_accept_stage=self._stage("#quote-accept") if enabled else "",
            quote_decline_stage=self._stage("#quote-decline") if enabled else "",
            invoice_on_won=enabled and self.query_one("#invoice-won", Checkbox).value,
            void_on_lost=enabled and self.query_one("#void-lost", Checkbox).value,
        )
