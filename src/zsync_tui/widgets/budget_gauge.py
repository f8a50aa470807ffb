"""API budget left today, with a small chart of zsync's calls over the last 24 hours."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from zsync_tui.operate_rows import Budget

BAR_WIDTH = 20


def gauge(used: int, limit: int | None) -> str:
    """`[#######.............] 1,234 of 5,000 used` (or just the count when unlimited)."""
    if not limit:
        return f"{used:,} used (no daily cap)"
    filled = min(BAR_WIDTH, round(BAR_WIDTH * used / limit))
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {used:,} of {limit:,} used"


class BudgetGauge(Vertical):
    """CRM credits (rolling 24 h) and Billing calls today, from zsync's own runs."""

    DEFAULT_CSS = """
    BudgetGauge { height: auto; }
    BudgetGauge Sparkline { height: 2; width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Budget: reading…", id="budget-lines")
        yield Sparkline([0] * 24, id="budget-chart")
        yield Static("calls per hour, last 24 h (oldest left)", classes="note")

    def show(self, budget: Budget) -> None:
        """Draw these figures."""
        crm_left = (
            "" if not budget.crm_limit else f", {budget.crm_limit - budget.crm_used_24h:,} left"
        )
        billing_left = budget.billing_limit - budget.billing_used_today
        self.query_one("#budget-lines", Static).update(
            f"CRM credits (24 h)  {gauge(budget.crm_used_24h, budget.crm_limit)}{crm_left}\n"
            f"Billing calls today {gauge(budget.billing_used_today, budget.billing_limit)}"
            f", {billing_left:,} left"
        )
        self.query_one("#budget-chart", Sparkline).data = list(budget.hourly_calls)
