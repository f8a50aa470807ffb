"""Small tables of counts: what a dry run would do, and what a sync did."""

from __future__ import annotations

from rich.padding import Padding
from rich.table import Table

from zsync_tui.messages import SyncCounts
from zsync_tui.setup_flow import PlanSummary

PLAN_LABEL_WIDTH = 44


def plan_table(plan: PlanSummary) -> Table:
    """The dry run's counts, one line per kind of change (a long reason wraps)."""
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(justify="left", max_width=PLAN_LABEL_WIDTH)
    table.add_column(justify="right")
    rows = [
        ("create in Billing", plan.create_in_billing),
        ("create in CRM", plan.create_in_crm),
        ("update in Billing", plan.update_in_billing),
        ("update in CRM", plan.update_in_crm),
        ("link (duplicates)", plan.link),
        ("skip", plan.skip),
        ("conflicts", plan.conflicts),
    ]
    for label, count in rows:
        table.add_row(label, str(count))
    for reason, count in plan.skip_reasons:
        table.add_row(f"  skipped: {reason}", str(count), style="dim")
    if plan.refusals:
        table.add_row("not sent", str(sum(count for _, count in plan.refusals)))
        for reason, count in plan.refusals:
            # Indented as a block, so a reason that wraps stays under its heading.
            shown = Padding(reason.removeprefix("Not sent to Billing: "), (0, 0, 0, 2))
            table.add_row(shown, str(count), style="dim")
    return table


def result_table(counts: SyncCounts) -> Table:
    """What the sync did; the end-to-end test reads these lines off the terminal."""
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(justify="left")
    table.add_column(justify="right")
    for label, count in (
        ("created in Billing", counts.created_in_billing),
        ("created in CRM", counts.created_in_crm),
        ("updated in Billing", counts.updated_in_billing),
        ("updated in CRM", counts.updated_in_crm),
        ("linked", counts.linked),
        ("skipped", counts.skipped),
        ("conflicts", counts.conflicts),
        ("errors", counts.errors),
    ):
        table.add_row(label, str(count))
    return table
