"""`zsync push ID...` and `zsync unlink ID...`: the customers screen's bulk actions, by a CRM
id or a Billing customer id each (as `zsync fetch-contact` takes them)."""

from __future__ import annotations

import click

from zsync_tui.commands.operate_cmd import _print as print_outcome
from zsync_tui.commands.sync_cmd import EXIT_BUSY, fail, run_service
from zsync_tui.connection import ConnectFailed
from zsync_tui.runtime import Runtime
from zsync_tui.sync.events import RunReport
from zsync_tui.sync.run_lock import RunLocked
from zsync_tui.sync.service import SyncService


def _link_ids(service: SyncService, record_ids: tuple[str, ...]) -> list[int]:
    try:
        return service.link_ids_for(list(record_ids))
    except (LookupError, ConnectFailed) as exc:
        fail(str(exc))
        raise  # fail() exits; this keeps the type checker informed


@click.command("push")
@click.argument("record_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every item.")
@click.pass_obj
def push(runtime: Runtime, record_ids: tuple[str, ...], as_json: bool) -> None:
    """Send these linked customers' Billing values to CRM now (fields whose direction lets
    Billing lead); exit 1 when a record failed, 2 when the profile only fetches from CRM."""
    service = SyncService(runtime)
    report: RunReport = run_service(service.push(_link_ids(service, record_ids)))
    print_outcome(report, as_json)


@click.command("unlink")
@click.argument("record_ids", metavar="ID...", nargs=-1, required=True)
@click.pass_obj
def unlink(runtime: Runtime, record_ids: tuple[str, ...]) -> None:
    """Forget these links; both records stay. The next syncs neither link them again nor copy
    them, until `zsync links import` links the pair again."""
    service = SyncService(runtime)
    try:
        count = service.unlink(_link_ids(service, record_ids))
    except RunLocked as exc:
        fail(str(exc), EXIT_BUSY)
        return
    click.echo(f"{count} links forgotten; the records stay in CRM and in Billing")
