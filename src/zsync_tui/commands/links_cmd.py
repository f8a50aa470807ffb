"""`zsync links list|export|import` and `zsync conflicts list|resolve`.

Links survive a lost database: `export` writes them to CSV and `import` reads them back
(`sync/links_csv.py`: one transaction; a row the store already has is kept, a row that clashes
with a stored link refuses the whole file).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlmodel import select

from zsync_tui.connection import ConnectFailed, load_profile
from zsync_tui.runtime import Runtime
from zsync_tui.store import Conflict, RecordLink
from zsync_tui.sync.links_csv import (
    LINK_CSV_COLUMNS,
    LinksImportError,
    import_links_csv,
    write_links_csv,
)
from zsync_tui.sync.service import ConflictNotOpen, SyncService


def _profile_id(runtime: Runtime) -> int:
    try:
        return int(load_profile(runtime).id or 0)
    except ConnectFailed as exc:
        click.echo(f"zsync: {exc}", err=True)
        sys.exit(2)


@click.group("links")
def links_group() -> None:
    """The CRM id ↔ Billing id table: list, export, import."""


@links_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def links_list(runtime: Runtime, as_json: bool) -> None:
    """Every link, with its state (linked, crm_deleted)."""
    pid = _profile_id(runtime)
    with runtime.store.read() as session:
        rows = session.exec(select(RecordLink).where(RecordLink.profile_id == pid)).all()
    for row in rows:
        data = {key: getattr(row, key) for key in LINK_CSV_COLUMNS}
        click.echo(json.dumps(data) if as_json else "  ".join(str(v or "-") for v in data.values()))


@links_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def links_export(runtime: Runtime, file: Path) -> None:
    """Write every link to FILE.csv."""
    written = write_links_csv(runtime.store, _profile_id(runtime), file)
    click.echo(f"{written} links written to {file}")


@links_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def links_import(runtime: Runtime, file: Path) -> None:
    """Read links from FILE.csv, all or nothing; the next sync compares both sides of each new
    link as a first link. A pair unlinked earlier is linked again."""
    from zsync_tui.commands.sync_cmd import EXIT_BUSY
    from zsync_tui.sync.run_lock import RunLocked

    try:
        # Under the run lock: a run must not save a page around links appearing under it.
        with SyncService(runtime).writing("links import"):
            done = import_links_csv(runtime.store, _profile_id(runtime), file)
    except LinksImportError as exc:
        click.echo(f"zsync: {exc}", err=True)
        sys.exit(2)
    except RunLocked as exc:
        click.echo(f"zsync: {exc}", err=True)
        sys.exit(EXIT_BUSY)
    click.echo(
        f"{done.added} links imported, {done.kept} already present; run `zsync sync --full` next"
    )


@click.group("conflicts")
def conflicts_group() -> None:
    """Fields changed on both sides that wait for you."""


@conflicts_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def conflicts_list(runtime: Runtime, as_json: bool) -> None:
    """Open conflicts: field, last synced value, CRM value, Billing value."""
    pid = _profile_id(runtime)
    with runtime.store.read() as session:
        rows = session.exec(
            select(Conflict).where(Conflict.profile_id == pid, Conflict.state == "open")
        ).all()
    for row in rows:
        data = {
            "id": row.id,
            "link_id": row.link_id,
            "field": row.field,
            "last_synced": row.base_value,
            "crm": row.crm_value,
            "billing": row.billing_value,
        }
        click.echo(
            json.dumps(data) if as_json else "  ".join(f"{k}={v!r}" for k, v in data.items())
        )


@conflicts_group.command("resolve")
@click.argument("conflict_id", type=int)
@click.option("--take", type=click.Choice(["crm", "billing"]))
@click.option("--set", "set_value", metavar="FIELD=VALUE")
@click.pass_obj
def conflicts_resolve(
    runtime: Runtime, conflict_id: int, take: str | None, set_value: str | None
) -> None:
    """Settle a conflict; the next `zsync sync` writes the chosen value to the other side."""
    if bool(take) == bool(set_value):
        click.echo("zsync: give either --take crm|billing or --set FIELD=VALUE", err=True)
        sys.exit(2)
    value: str | None = None
    if set_value is not None:
        field, _, value = set_value.partition("=")
        with runtime.store.read() as session:
            row = session.get(Conflict, conflict_id)
        if row is not None and field != row.field:
            click.echo(f"zsync: conflict {conflict_id} is about {row.field}, not {field}", err=True)
            sys.exit(2)
    try:
        SyncService(runtime).resolve_conflict(conflict_id, take=take, value=value)
    except (ConflictNotOpen, ConnectFailed) as exc:
        click.echo(f"zsync: {exc}", err=True)
        sys.exit(2)
    click.echo(f"conflict {conflict_id} resolved; `zsync sync` writes it")


LINK_COMMANDS = (links_group, conflicts_group)
