"""`zsync sync`, `configure`, `config show`, `status`, `disable`, `enable`: the customer sync.

Exit codes of `zsync sync`: 0 success, 1 finished with record errors, 2 a configuration or
authentication problem, 3 the API budget is spent (it prints when the run can resume), 75 the
profile is busy: another process (another `zsync sync`, `zsync run`, the TUI, a push or an
unlink) is writing to it; nothing was done, try again later (75 is sysexits' EX_TEMPFAIL).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from zsync_tui.connection import ConnectFailed
from zsync_tui.runtime import Runtime
from zsync_tui.sync.config import ConfigError, IntegrationConfig
from zsync_tui.sync.events import RunReport, SyncProgress
from zsync_tui.sync.run_lock import RunLocked
from zsync_tui.sync.service import SyncDisabled, SyncService
from zsync_tui.zoho.errors import AuthenticationError, RateLimited, ZohoError

EXIT_RECORD_ERRORS, EXIT_SETUP, EXIT_BUDGET = 1, 2, 3
#: Another process holds the profile's run lock: a temporary failure, try again later.
EXIT_BUSY = 75


def fail(message: str, code: int = EXIT_SETUP) -> None:
    click.echo(f"zsync: {message}", err=True)
    sys.exit(code)


def run_service(coro: Any) -> Any:
    """Run an engine call; setup problems become one line and exit 2, budget exit 3, a
    profile another process is writing to exit 75."""
    try:
        return asyncio.run(coro)
    except RunLocked as exc:
        fail(str(exc), EXIT_BUSY)
    except (ConfigError, ConnectFailed, SyncDisabled, AuthenticationError) as exc:
        fail(str(exc))
    except RateLimited as exc:
        fail(str(exc), EXIT_BUDGET)
    except ZohoError as exc:
        fail(str(exc))


class ProgressBar:
    """A one-line progress display on stderr, only on a terminal."""

    def __init__(self) -> None:
        self.last = ""

    def __call__(self, event: SyncProgress) -> None:
        calls = event.crm_calls + event.billing_calls
        line = f"\r{event.phase:16} {event.done:>7} records  {calls:>6} API calls"
        if line != self.last:
            click.echo(line, nl=event.phase == "done", err=True)
            self.last = line


@click.command("sync")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--full", is_flag=True, help="Read every CRM record, not only the changed ones.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def sync(runtime: Runtime, dry_run: bool, full: bool, as_json: bool) -> None:
    """Run one customer sync now (exit 0 ok, 1 record errors, 2 setup, 3 budget spent, 75
    another process is writing to the profile)."""
    service = SyncService(runtime)
    progress = ProgressBar() if not as_json and sys.stderr.isatty() else None
    report: RunReport = run_service(service.run(dry_run=dry_run, full=full, progress=progress))
    if as_json:
        click.echo(json.dumps(report.as_dict(with_items=dry_run)))
    else:
        print_report(report)
    if report.status == "budget_spent":
        if not as_json:
            click.echo(f"zsync: {report.message}", err=True)
        sys.exit(EXIT_BUDGET)
    if report.errors:
        sys.exit(EXIT_RECORD_ERRORS)


def print_report(report: RunReport) -> None:
    if report.dry_run:
        for item in report.items:
            detail = item.reason or ""
            if item.diff:
                detail += " " + ", ".join(
                    f"{k}: {v[0]!r} → {v[-1]!r}" for k, v in item.diff.items()
                )
            click.echo(f"{item.action:18} {item.name or item.crm_id or item.billing_id}  {detail}")
    data = report.as_dict()
    click.echo(
        f"{'plan' if report.dry_run else 'run'} {data['status']}: created CRM "
        f"{data['created']['crm']} Billing {data['created']['billing']}, updated CRM "
        f"{data['updated']['crm']} Billing {data['updated']['billing']}, linked {data['linked']}, "
        f"skipped {data['skipped']}, conflicts {data['conflicts']}, errors {data['errors']}; "
        f"{sum(data['api_calls'].values())} API calls, {data['write_calls']} writes, "
        f"{data['duration_s']}s"
    )
    for message in report.error_messages[:20]:
        click.echo(f"  error: {message}", err=True)


@click.command("configure")
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--defaults", is_flag=True, help="Save the default configuration.")
@click.option("--no-check", is_flag=True, help="Do not check views and currencies with Zoho.")
@click.pass_obj
def configure(runtime: Runtime, file: Path | None, defaults: bool, no_check: bool) -> None:
    """Save the integration configuration from a TOML file, or the defaults."""
    if bool(file) == defaults:
        fail("give either --file FILE.toml or --defaults")
    service = SyncService(runtime)
    try:
        if file:
            config = IntegrationConfig.from_toml(file.read_text(encoding="utf-8"))
        else:
            config = IntegrationConfig.defaults()
            try:
                if service.is_secondary_org():
                    config = config.model_copy(update={"direction": "fetch_from_crm"})
            except ConnectFailed as exc:
                fail(str(exc))
    except ConfigError as exc:
        fail(f"{file}: " + str(exc).replace("\n", f"\n{file}: "))
        return
    run_service(service.save_config(config, check_remote=not no_check))
    click.echo(f"configuration saved for profile {service.profile_name}")


@click.group("config")
def config_group() -> None:
    """Show the integration configuration."""


@config_group.command("show")
@click.option("--toml", "as_toml", is_flag=True, help="TOML that `configure --file` takes back.")
@click.option("--json", "as_json", is_flag=True, help="JSON, with the field map in force.")
@click.pass_obj
def config_show(runtime: Runtime, as_toml: bool, as_json: bool) -> None:
    """Print the configuration (TOML by default)."""
    try:
        config = SyncService(runtime).config()
    except (ConnectFailed, ConfigError) as exc:
        fail(str(exc))
        return
    click.echo(config.to_json() if as_json else config.to_toml(), nl=as_json)


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def status(runtime: Runtime, as_json: bool) -> None:
    """In sync, excluded, failing, conflicts waiting, last run."""
    try:
        data = SyncService(runtime).status()
    except ConnectFailed as exc:
        fail(str(exc))
        return
    if as_json:
        click.echo(json.dumps(data))
        return
    for key, value in data.items():
        click.echo(f"{key:22} {value}")


@click.command("disable")
@click.pass_obj
def disable(runtime: Runtime) -> None:
    """Stop every sync; links and history are kept."""
    _set_enabled(runtime, False)


@click.command("enable")
@click.pass_obj
def enable(runtime: Runtime) -> None:
    """Turn the sync back on."""
    _set_enabled(runtime, True)


def _set_enabled(runtime: Runtime, enabled: bool) -> None:
    try:
        SyncService(runtime).set_enabled(enabled)
    except ConnectFailed as exc:
        fail(str(exc))
    click.echo("enabled" if enabled else "disabled (links and history kept)")


SYNC_COMMANDS = (sync, configure, config_group, status, disable, enable)
