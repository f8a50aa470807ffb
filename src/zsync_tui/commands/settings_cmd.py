"""`zsync settings show|set`: the application settings file, validated key by key."""

from __future__ import annotations

import click
import tomli_w

from zsync_tui.runtime import Runtime


@click.group("settings")
def settings_group() -> None:
    """Show or change application settings (saved as TOML in the config directory)."""


@settings_group.command("show")
@click.pass_obj
def show(runtime: Runtime) -> None:
    """Print the effective settings as TOML."""
    click.echo(f"# {runtime.paths.settings_file}")
    click.echo(tomli_w.dumps(runtime.settings.as_dict()), nl=False)


@settings_group.command("set")
@click.argument("key")
@click.argument("value")
@click.pass_obj
def set_value(runtime: Runtime, key: str, value: str) -> None:
    """Set KEY to VALUE; an invalid value is refused with the reason."""
    updated = runtime.settings.with_value(key, value)
    updated.save(runtime.paths.settings_file)
    click.echo(f"{key} = {getattr(updated, key)!r}")
