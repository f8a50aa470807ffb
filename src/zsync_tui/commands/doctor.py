"""`zsync doctor`: where files live, whether the keyring works, which schema the store has."""

from __future__ import annotations

import json

import click

from zsync_tui.runtime import Runtime
from zsync_tui.store.database import schema_version


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def doctor(runtime: Runtime, as_json: bool) -> None:
    """Show where zsync keeps its files and whether credentials can be stored."""
    _ = runtime.store  # opening it creates or upgrades the database
    status = runtime.credentials.status()
    report = {
        "config_dir": str(runtime.paths.config_dir),
        "data_dir": str(runtime.paths.data_dir),
        "state_dir": str(runtime.paths.state_dir),
        "log_dir": str(runtime.paths.log_dir),
        "database": str(runtime.paths.database_file),
        "schema_version": schema_version(runtime.paths.database_file),
        "profile": runtime.profile_name,
        "keyring_backend": status.backend,
        "keyring_usable": status.usable,
        "keyring_problem": status.reason,
    }
    if as_json:
        click.echo(json.dumps(report))
        return
    for key, value in report.items():
        if key == "keyring_problem" and not value:
            continue
        click.echo(f"{key:16} {value}")
    if not status.usable:
        from zsync_tui.secrets import KeyringUnavailable

        click.echo(str(KeyringUnavailable(status.reason)), err=True)
