"""`zsync deals list|poll|watch|link|unlink|simulate`: deal-stage triggers and deal links.

Exit codes: 0 success, 1 refused by a link rule or a poll with failed actions, 2 a setup
problem (not connected, invalid configuration, authentication), 3 the API budget is spent,
75 another process is polling this profile's deals (`zsync run`, `zsync deals watch`).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import click

from zsync_tui.connection import ConnectFailed
from zsync_tui.runtime import Runtime
from zsync_tui.secrets import KeyringUnavailable
from zsync_tui.sync.config import ConfigError
from zsync_tui.sync.deals.links import LinkRefused, LinkResult
from zsync_tui.sync.deals.service import DealService
from zsync_tui.sync.deals.simulate import SimulationRefused
from zsync_tui.sync.deals.watcher import PollReport
from zsync_tui.sync.run_lock import RunLocked
from zsync_tui.zoho.errors import NotFound, RateLimited, ZohoError

EXIT_REFUSED, EXIT_SETUP, EXIT_BUDGET, EXIT_BUSY = 1, 2, 3, 75


def _fail(message: str, code: int) -> None:
    click.echo(f"zsync: {message}", err=True)
    sys.exit(code)


def _run(coro: Any) -> Any:
    try:
        return asyncio.run(coro)
    except (LinkRefused, SimulationRefused) as exc:
        _fail(str(exc), EXIT_REFUSED)
    except NotFound as exc:
        _fail(str(exc), EXIT_REFUSED)
    except (ConfigError, ConnectFailed, KeyringUnavailable) as exc:
        _fail(str(exc), EXIT_SETUP)
    except RateLimited as exc:
        _fail(str(exc), EXIT_BUDGET)
    except ZohoError as exc:
        _fail(str(exc), EXIT_SETUP)
    except RunLocked as exc:
        _fail(str(exc), EXIT_BUSY)


def _document(quote: str | None, invoice: str | None, salesorder: str | None) -> tuple[str, str]:
    given = [
        (entity, value)
        for entity, value in (("estimate", quote), ("invoice", invoice), ("salesorder", salesorder))
        if value
    ]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --quote, --invoice or --salesorder")
    return given[0]


_DOCUMENT_OPTIONS = (
    click.option("--quote", metavar="ID", help="A Billing quote (estimate) ID."),
    click.option("--invoice", metavar="ID", help="A Billing invoice ID."),
    click.option("--salesorder", metavar="ID", help="A Billing sales order ID."),
)


def _with_document_options(func: Any) -> Any:
    for option in reversed(_DOCUMENT_OPTIONS):
        func = option(func)
    return func


@click.group("deals")
def deals_group() -> None:
    """Deal-stage triggers (quotes and invoices from CRM deals) and deal links."""


@deals_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def deals_list(runtime: Runtime, as_json: bool) -> None:
    """Deals the triggers acted on, skipped (and why), locked, or linked by hand."""
    try:
        summaries = DealService(runtime).deals()
    except ConnectFailed as exc:
        _fail(str(exc), EXIT_SETUP)
        return
    for summary in summaries:
        if as_json:
            click.echo(json.dumps(summary.as_dict()))
            continue
        click.echo(f"deal {summary.deal_id}  stage {summary.stage or '-'}")
        for action in summary.actions:
            error = f"  ({action['error']})" if action.get("error") else ""
            click.echo(
                f"  {action['action']} #{action['generation']}: {action['state']} "
                f"{action['billing_id'] or ''}{error}"
            )
        for link in summary.links:
            click.echo(f"  linked {link['entity']} {link['billing_id']} ({link['origin']})")
        if summary.skipped:
            click.echo(f"  skipped: {summary.skipped}")
        for lock in summary.locked:
            click.echo(f"  locked by Billing: {lock['billing_id']} ({lock['reason']})")
    if not summaries and not as_json:
        click.echo("No deal has triggered anything yet.")


@deals_group.command("poll")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def deals_poll(runtime: Runtime, as_json: bool) -> None:
    """Read the deals changed since the last poll and run the triggers once."""
    report = _run(DealService(runtime).poll_once())
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        click.echo(
            f"{report.status}: {report.deals_read} deals read, {report.count('done')} actions "
            f"done, {report.count('failed')} failed, {len(report.skipped)} skipped "
            f"({report.crm_calls} CRM + {report.billing_calls} Billing calls)"
        )
        for outcome in report.outcomes:
            click.echo(
                f"  deal {outcome.deal_id}: {outcome.action} #{outcome.generation} "
                f"{outcome.state} {outcome.billing_id or ''} {outcome.message}".rstrip()
            )
        for deal_id, reason in report.skipped:
            click.echo(f"  deal {deal_id} skipped: {reason}")
        if report.message:
            click.echo(report.message)
    if report.status == "budget_spent":
        sys.exit(EXIT_BUDGET)
    if report.status in ("error", "config_invalid"):
        sys.exit(EXIT_SETUP)
    if report.count("failed"):
        sys.exit(EXIT_REFUSED)


@deals_group.command("watch")
@click.option("--polls", type=int, default=0, help="Stop after this many polls (0: run on).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per poll.")
@click.pass_obj
def deals_watch(runtime: Runtime, polls: int, as_json: bool) -> None:
    """Poll deals every `poll_seconds` of the [triggers] table and act at once (Ctrl-C stops)."""
    try:
        asyncio.run(_watch(DealService(runtime), polls, as_json))
    except KeyboardInterrupt:
        pass
    except (ConfigError, ConnectFailed, KeyringUnavailable) as exc:
        _fail(str(exc), EXIT_SETUP)


async def _watch(service: DealService, polls: int, as_json: bool) -> None:
    from datetime import UTC, datetime

    def show(report: PollReport) -> None:
        if as_json:
            click.echo(json.dumps(report.as_dict()))
            return
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        click.echo(
            f"{stamp} {report.status}: {report.deals_read} deals, "
            f"{report.count('done')} done, {report.count('failed')} failed, "
            f"{len(report.skipped)} skipped {report.message}".rstrip()
        )

    await service.watch(asyncio.Event(), polls=polls, on_report=show)


def _print_link(result: LinkResult, verb: str, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.as_dict()))
        return
    where = "in zsync and on the Billing record" if result.on_billing else "in zsync"
    click.echo(f"{verb} deal {result.deal_id} and {result.entity} {result.billing_id} ({where})")
    if result.note:
        click.echo(result.note)


LinkChange = Callable[[DealService, str, str, str], Coroutine[Any, Any, LinkResult]]


def _link_change_command(name: str, verb: str, help_text: str, change: LinkChange) -> click.Command:
    """`deals link` and `deals unlink`: the same options and output, a different service call."""

    @deals_group.command(name, help=help_text)
    @click.argument("deal_id")
    @_with_document_options
    @click.option("--json", "as_json", is_flag=True)
    @click.pass_obj
    def command(
        runtime: Runtime,
        deal_id: str,
        quote: str | None,
        invoice: str | None,
        salesorder: str | None,
        as_json: bool,
    ) -> None:
        entity, billing_id = _document(quote, invoice, salesorder)
        result = _run(change(DealService(runtime), deal_id, entity, billing_id))
        _print_link(result, verb, as_json)

    return command


deals_link = _link_change_command(
    "link",
    "Linked",
    "Link a deal to a quote, invoice or sales order of its customer.",
    DealService.link,
)
deals_unlink = _link_change_command(
    "unlink",
    "Unlinked",
    "Dissociate a deal from a document it was linked to by hand (not by a trigger).",
    DealService.unlink,
)


@deals_group.command("simulate")
@click.argument("deal_id")
@click.option("--stage", required=True, help="The stage the deal would move to.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def deals_simulate(runtime: Runtime, deal_id: str, stage: str, as_json: bool) -> None:
    """What the triggers would do if the deal moved to STAGE now; writes nothing."""
    result = _run(DealService(runtime).simulate(deal_id, stage))
    if as_json:
        click.echo(json.dumps(result.as_dict()))
        return
    decision = result.decision
    probability = "?" if result.probability is None else f"{result.probability}%"
    click.echo(f"deal {deal_id}: {result.from_stage} -> {stage} ({probability})")
    for action in decision.actions:
        target = f" {action.billing_id}" if action.billing_id else ""
        click.echo(f"  would {action.action.replace('_', ' ')}{target} ({action.reason})")
    for lock in decision.locks:
        click.echo(f"  would leave {lock.billing_id} alone: {lock.reason}")
    if decision.skipped:
        click.echo(f"  would skip: {decision.skipped}")
    for note in decision.notes:
        click.echo(f"  {note}")
    if not decision.actions and not decision.skipped:
        click.echo("  nothing would be written")
