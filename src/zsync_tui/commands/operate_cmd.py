"""`zsync run` (the headless scheduler), `zsync fetch-contact ID`, `zsync crm search|import`."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from datetime import UTC, datetime

import click

from zsync_tui.commands.sync_cmd import EXIT_RECORD_ERRORS, print_report, run_service
from zsync_tui.connection import ConnectFailed
from zsync_tui.runtime import Runtime
from zsync_tui.sync.config import ConfigError
from zsync_tui.sync.deals.service import DealService
from zsync_tui.sync.deals.watcher import PollReport
from zsync_tui.sync.events import RunReport
from zsync_tui.sync.run_lock import RunLocked
from zsync_tui.sync.service import SyncDisabled, SyncService
from zsync_tui.zoho.errors import AuthenticationError, RateLimited, ZohoError

log = logging.getLogger(__name__)


@click.command("fetch-contact")
@click.argument("record_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def fetch_contact(runtime: Runtime, record_id: str, as_json: bool) -> None:
    """Pull one customer from CRM now (a Billing customer id or a CRM id)."""
    report: RunReport = run_service(SyncService(runtime).fetch_one(record_id))
    _print(report, as_json)


@click.group("crm")
def crm_group() -> None:
    """Find CRM records not yet imported, and import one."""


@crm_group.command("search")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def crm_search(runtime: Runtime, text: str, as_json: bool) -> None:
    """Search CRM (contacts: by name; accounts: by account name, with their contacts)."""
    results = run_service(SyncService(runtime).crm_search(text))
    if as_json:
        click.echo(json.dumps(results))
        return
    if not results:
        click.echo("nothing found")
    for item in results:
        mark = "linked" if item["linked"] else "not imported"
        click.echo(f"{item['id']}  {item['name']}  {item.get('email') or ''}  ({mark})")
        for contact in item.get("contacts", []):
            click.echo(f"    {contact['id']}  {contact['name']}  {contact.get('email') or ''}")


@crm_group.command("import")
@click.argument("crm_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def crm_import(runtime: Runtime, crm_id: str, as_json: bool) -> None:
    """Import one CRM record into Billing now (the duplicate rules apply)."""
    report: RunReport = run_service(SyncService(runtime).crm_import(crm_id))
    _print(report, as_json)


def _print(report: RunReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.as_dict(with_items=True)))
    else:
        print_report(report)
    if report.errors:
        sys.exit(EXIT_RECORD_ERRORS)


@click.command("run")
@click.option("--once", is_flag=True, help="One run, then exit (for testing a service unit).")
@click.pass_obj
def run_scheduler(runtime: Runtime, once: bool) -> None:
    """Headless scheduler: one sync per configured interval; SIGTERM or Ctrl-C stops it after
    the batch in progress is committed."""
    try:
        asyncio.run(_schedule(SyncService(runtime), once))
    except (ConfigError, ConnectFailed, AuthenticationError) as exc:
        click.echo(f"zsync: {exc}", err=True)
        sys.exit(2)


async def _schedule(service: SyncService, once: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # Deal triggers act at once: their watcher polls between customer syncs (`busy`).
    busy = asyncio.Lock()
    deals = DealService(service.runtime, service.profile_name, service.options)
    watcher = asyncio.create_task(
        deals.watch(stop, busy=busy, polls=1 if once else 0, on_report=_print_deal_poll)
    )
    while not stop.is_set():
        config = service.config()
        wait_s: float = config.interval_seconds
        if config.enabled:
            try:
                async with busy:
                    report = await service.run(cancel=stop)
                click.echo(json.dumps(report.as_dict()), err=False)
                if report.resumes_at is not None:
                    wait_s = max(1.0, (report.resumes_at - datetime.now(UTC)).total_seconds())
            except SyncDisabled:
                pass
            except RunLocked as exc:
                # Another process (the TUI, a `zsync sync`) is syncing this profile: this
                # tick is its; the next comes after the interval as usual.
                log.info("scheduled sync skipped: %s", exc)
                click.echo(f"zsync: scheduled sync skipped: {exc}", err=True)
            except RateLimited as exc:
                wait_s = max(1.0, (exc.resumes_at - datetime.now(UTC)).total_seconds())
            except (ConfigError, AuthenticationError):
                raise
            except ZohoError as exc:
                log.warning("sync run failed: %s", exc)
                click.echo(f"zsync: run failed: {exc}; next try in {wait_s:.0f}s", err=True)
        if once:
            await watcher
            return
        try:
            await asyncio.wait_for(stop.wait(), timeout=wait_s)
        except TimeoutError:
            continue
    await watcher
    click.echo("zsync: stopped", err=True)


def _print_deal_poll(report: PollReport) -> None:
    if report.status not in ("ok", "disabled") or report.outcomes or report.skipped:
        click.echo(json.dumps({"deals": report.as_dict()}))


OPERATE_COMMANDS = (fetch_contact, crm_group, run_scheduler)
