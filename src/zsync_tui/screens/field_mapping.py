"""Step 6: which CRM field feeds which Billing field, which way, and who wins a conflict."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Select, Static

from zsync_tui.messages import LookupFailed, LookupFinished
from zsync_tui.screens.step import SetupStep
from zsync_tui.setup_flow import FIELD_DIRECTIONS, FIELD_POLICIES, FieldCatalogue, FieldPair
from zsync_tui.sync.config import ConfigError, FieldMapEntry, IntegrationConfig

CUSTOM_FIELD_RULE = (
    "A CRM field with no Billing counterpart needs a Billing custom field first: create it in "
    "Zoho Billing (Settings → Preferences → Customers → Field Customization), then press "
    "ctrl+r here to list the fields again."
)
DIRECTION_LABELS = {"both": "both ways", "to_billing": "CRM → Billing", "to_crm": "Billing → CRM"}


def _cycle(options: tuple[str, ...], current: str) -> str:
    return (
        options[(options.index(current) + 1) % len(options)] if current in options else options[0]
    )


class FieldMappingStep(SetupStep):
    """Default pairs pre-filled; add, remove, and set direction and policy per pair."""

    STEP_ID = "field_mapping"
    HEADING = "Map CRM fields to Billing fields"
    BINDINGS: ClassVar[list[BindingType]] = [
        *SetupStep.BINDINGS,
        Binding("ctrl+r", "reload", "List fields again"),
        Binding("delete", "remove_pair", "Remove pair"),
        Binding("d", "cycle_direction", "Direction"),
        Binding("p", "cycle_policy", "Policy"),
    ]

    def body(self) -> ComposeResult:
        yield Static(self.HEADING, classes="step-title")
        yield Static("Listing the fields both APIs report…", id="fields-status", classes="note")
        yield Static("", id="currency", classes="warning")
        yield DataTable(id="pairs", cursor_type="row", zebra_stripes=True)
        yield Static(
            "On a pair: d changes its direction, p its conflict policy, Delete removes it.",
            classes="note",
        )
        with Horizontal(id="add-pair"):
            yield Select[str]([], prompt="CRM field", id="crm-field", compact=True)
            yield Select[str]([], prompt="Billing field", id="billing-field", compact=True)
            yield Button("Add pair", id="add", compact=True)
        yield Static(CUSTOM_FIELD_RULE, id="custom-rule", classes="note")

    def on_mount(self) -> None:
        super().on_mount()
        self.catalogue: FieldCatalogue | None = None
        self.pairs: list[FieldPair] = [
            FieldPair(p.crm, p.billing, p.direction, p.policy) for p in self.draft.field_map
        ]
        table = self.query_one("#pairs", DataTable)
        table.add_columns("CRM field", "Billing field", "direction", "conflict policy")
        self.action_reload()

    def action_reload(self) -> None:
        self.catalogue = None
        draft = self.draft
        self.zsync.lookup(self, "fields", lambda: self.zsync.backend.field_catalogue(draft))

    @on(LookupFinished)
    def _listed(self, event: LookupFinished) -> None:
        event.stop()
        assert isinstance(event.value, FieldCatalogue)
        catalogue = self.catalogue = event.value
        if not self.pairs or self.draft.field_map_module != self.draft.module:
            self.pairs = [
                FieldPair(p.crm, p.billing, p.direction, p.policy) for p in catalogue.default_pairs
            ]
        customs = ", ".join(f.label for f in catalogue.billing_custom_fields) or "none yet"
        self.query_one("#fields-status", Static).update(
            f"{len(catalogue.crm_fields)} CRM fields and {len(catalogue.billing_fields)} Billing "
            f"fields listed. Billing custom fields that exist: {customs}."
        )
        currency = self.query_one("#currency", Static)
        currency.update(catalogue.currency_problem)
        currency.display = bool(catalogue.currency_problem)
        self.query_one("#crm-field", Select).set_options(
            (f"{f.label} ({f.api_name})", f.api_name) for f in catalogue.crm_fields
        )
        self.query_one("#billing-field", Select).set_options(
            (f"{f.label}{' (custom)' if f.custom else ''}", f.api_name)
            for f in catalogue.billing_fields
        )
        self._fill_table()

    @on(LookupFailed)
    def _failed(self, event: LookupFailed) -> None:
        event.stop()
        self.query_one("#fields-status", Static).update("The fields could not be listed.")
        self.show_problems([f"Listing the fields failed: {event.reason} Press ctrl+r to retry."])

    def _fill_table(self, keep_row: int | None = None) -> None:
        table = self.query_one("#pairs", DataTable)
        table.clear()
        for pair in self.pairs:
            table.add_row(
                pair.crm,
                pair.billing,
                DIRECTION_LABELS.get(pair.direction, pair.direction),
                pair.policy.replace("_", " "),
            )
        if keep_row is not None and self.pairs:
            table.move_cursor(row=min(keep_row, len(self.pairs) - 1))

    def _selected(self) -> int | None:
        table = self.query_one("#pairs", DataTable)
        return table.cursor_row if self.pairs and table.has_focus else None

    def action_remove_pair(self) -> None:
        row = self._selected()
        if row is not None:
            del self.pairs[row]
            self._fill_table(row)

    def action_cycle_direction(self) -> None:
        row = self._selected()
        if row is not None:
            pair = self.pairs[row]
            pair.direction = _cycle(FIELD_DIRECTIONS, pair.direction)
            self._fill_table(row)

    def action_cycle_policy(self) -> None:
        row = self._selected()
        if row is not None:
            pair = self.pairs[row]
            pair.policy = _cycle(FIELD_POLICIES, pair.policy)
            self._fill_table(row)

    @on(Button.Pressed, "#add")
    def _add(self) -> None:
        crm = self.query_one("#crm-field", Select)
        billing = self.query_one("#billing-field", Select)
        if crm.is_blank() or billing.is_blank():
            self.show_problems(["To add a pair, choose a CRM field and a Billing field first."])
            return
        direction = "to_billing" if self.draft.direction == "fetch_from_crm" else "both"
        self.pairs.append(FieldPair(str(crm.value), str(billing.value), direction, "newest_wins"))
        self._fill_table(len(self.pairs) - 1)
        self.show_problems([])

    def problems(self) -> list[str]:
        if self.catalogue is None:
            return ["Wait: the fields are still being listed (or press ctrl+r to retry)."]
        found: list[str] = []
        if self.catalogue.currency_problem:
            found.append(self.catalogue.currency_problem)
        if not self.pairs:
            found.append("Map at least one pair (the defaults come back with ctrl+r).")
        try:
            IntegrationConfig(
                module=self.draft.module or "accounts",
                field_map=[
                    FieldMapEntry(
                        crm=p.crm,
                        billing=p.billing,
                        direction=p.direction,
                        policy=p.policy,
                    )
                    for p in self.pairs
                ],
            )
        except (ConfigError, ValueError) as exc:
            found += [_first_line(line) for line in str(exc).splitlines() if line.strip()][:4]
        customs = {f.api_name for f in self.catalogue.billing_custom_fields}
        for pair in self.pairs:
            if pair.billing.startswith("custom_fields.") and pair.billing not in customs:
                found.append(f"{pair.billing} does not exist in Billing. {CUSTOM_FIELD_RULE}")
        return found

    def save(self) -> None:
        self.draft.field_map = [
            FieldPair(p.crm, p.billing, p.direction, p.policy) for p in self.pairs
        ]
        self.draft.field_map_module = self.draft.module
        self.draft.plan = None


def _first_line(text: str) -> str:
    return text.strip().removeprefix("Value error, ")
