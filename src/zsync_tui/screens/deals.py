"""Deals: each with its linked quotes, sales orders and invoices and its trigger history;
link and dissociate by hand (trigger links refused with the reason); simulate a stage."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Static

from zsync_tui.messages import LookupFailed, LookupFinished
from zsync_tui.operate_rows import DealRow
from zsync_tui.screens.ask_value import AskValue
from zsync_tui.screens.operate_base import OperateScreen
from zsync_tui.widgets.operate_footer import OperateFooter

ENTITIES = ("estimate", "salesorder", "invoice")  # Billing's names; a quote is an estimate


def parse_target(text: str) -> tuple[str, str]:
    """`invoice 123` → ("invoice", "123"); ValueError says what is expected."""
    kind, _, billing_id = text.partition(" ")
    kind = kind.lower().replace("_", "").replace("-", "")
    kind = {"salesorders": "salesorder", "quotes": "estimate", "quote": "estimate"}.get(kind, kind)
    if kind not in ENTITIES or not billing_id.strip():
        raise ValueError("type the kind and the id, e.g. `invoice 460000000012345`")
    return kind, billing_id.strip()


class DealsScreen(OperateScreen):
    """Deals and what they are tied to in Billing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("k", "link", "Link"),
        Binding("x", "unlink", "Dissociate"),
        Binding("m", "simulate", "Simulate stage"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.deals: list[DealRow] = []

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield DataTable(id="deals", cursor_type="row", zebra_stripes=True)
        yield Static("", id="detail", classes="panel")
        yield OperateFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Deal", "Linked to", "Triggers")
        self.reload()

    def reload_data(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.deals = self.backend.deals()
        table = self.query_one(DataTable)
        table.clear()
        for deal in self.deals:
            linked = ", ".join(f"{entity} {bid}" for entity, bid, _ in deal.links) or "—"
            actions = ", ".join(f"{a} ({state})" for a, _, state, _ in deal.actions) or "—"
            table.add_row(deal.deal_id, linked[:40], actions[:30], key=deal.deal_id)
        if not self.deals:
            self.query_one("#detail", Static).update(
                "No deal is linked or triggered yet. k links a deal by its CRM id."
            )
        else:
            self.show_detail()

    @property
    def selected(self) -> DealRow | None:
        table = self.query_one(DataTable)
        if not self.deals or not 0 <= table.cursor_row < len(self.deals):
            return None
        return self.deals[table.cursor_row]

    @on(DataTable.RowHighlighted)
    def show_detail(self) -> None:
        deal = self.selected
        if deal is None:
            return
        stage = f" · last stage seen: {deal.stage}" if deal.stage else ""
        lines = [f"Deal {deal.deal_id}{stage}"]
        if deal.skipped:
            lines.append(f"  skipped: {deal.skipped}")
        lines += [f"  locked by Billing: {line}" for line in deal.locked]
        for entity, bid, origin in deal.links:
            lines.append(f"  {entity} {bid} (linked by {origin})")
        for action, generation, state, message in deal.actions:
            lines.append(f"  trigger {action} #{generation}: {state} {message or ''}".rstrip())
        self.query_one("#detail", Static).update("\n".join(lines))

    # -- actions ---------------------------------------------------------------------------

    def action_link(self) -> None:
        deal = self.selected

        def with_deal(deal_id: str | None) -> None:
            if deal_id:
                self.app.push_screen(
                    AskValue(
                        f"Link deal {deal_id} to", hint="invoice ID | estimate ID | salesorder ID"
                    ),
                    lambda target: self._link(deal_id, target),
                )

        if deal is None:
            self.app.push_screen(AskValue("Which deal (CRM id)?", hint="deal id"), with_deal)
        else:
            with_deal(deal.deal_id)

    def _link(self, deal_id: str, target: str | None) -> None:
        if target is None:
            return
        try:
            entity, billing_id = parse_target(target)
        except ValueError as exc:
            self.tell(str(exc), problem=True)
            return
        self.runner.act(self, "link", lambda: self.backend.link_deal(deal_id, entity, billing_id))

    def action_unlink(self) -> None:
        deal = self.selected
        if deal is None or not deal.links:
            self.tell("This deal has no link to dissociate.")
            return
        # The first link; the engine refuses a trigger's link with the reason.
        entity, billing_id, _origin = deal.links[0]
        self.runner.act(
            self, "unlink", lambda: self.backend.unlink_deal(deal.deal_id, entity, billing_id)
        )

    def action_simulate(self) -> None:
        deal = self.selected
        if deal is None:
            return
        self.app.push_screen(
            AskValue(f"Simulate deal {deal.deal_id} moving to stage", hint="e.g. Closed Won"),
            lambda stage: self._simulate(deal.deal_id, stage),
        )

    def _simulate(self, deal_id: str, stage: str | None) -> None:
        if stage:
            self.runner.act(self, "simulate", lambda: self.backend.simulate_deal(deal_id, stage))

    def on_lookup_finished(self, event: LookupFinished) -> None:
        if event.what == "simulate" and isinstance(event.value, list):
            text = "\n".join(event.value) or "The triggers would do nothing."
            self.query_one("#detail", Static).update(f"Simulation (nothing written):\n{text}")
            return
        self.tell(str(event.value) if event.value else f"{event.what.capitalize()} done.")
        self.reload()

    def on_lookup_failed(self, event: LookupFailed) -> None:
        self.tell(event.reason, problem=True)
