"""The command line. `zsync` alone opens the TUI; every TUI action has a headless twin here."""

from __future__ import annotations

import gc
import importlib

import click

from zsync_tui import __version__
from zsync_tui.runtime import Runtime
from zsync_tui.settings import SettingsError

# Subcommands are imported when they are used, so `zsync` opens its first screen without
# loading the engine, the HTTP clients and the sandbox first. Name -> "module:attribute".
LAZY_COMMANDS = {
    "demo": "zsync_tui.commands.demo:demo",
    "connect": "zsync_tui.commands.connect:connect_command",
    "configure": "zsync_tui.commands.sync_cmd:configure",
    "config": "zsync_tui.commands.sync_cmd:config_group",
    "sync": "zsync_tui.commands.sync_cmd:sync",
    "status": "zsync_tui.commands.sync_cmd:status",
    "disable": "zsync_tui.commands.sync_cmd:disable",
    "enable": "zsync_tui.commands.sync_cmd:enable",
    "run": "zsync_tui.commands.operate_cmd:run_scheduler",
    "fetch-contact": "zsync_tui.commands.operate_cmd:fetch_contact",
    "push": "zsync_tui.commands.link_actions_cmd:push",
    "unlink": "zsync_tui.commands.link_actions_cmd:unlink",
    "crm": "zsync_tui.commands.operate_cmd:crm_group",
    "links": "zsync_tui.commands.links_cmd:links_group",
    "conflicts": "zsync_tui.commands.links_cmd:conflicts_group",
    "deals": "zsync_tui.commands.deals:deals_group",
    "sandbox": "zsync_tui.commands.sandbox_cmd:sandbox_group",
    "settings": "zsync_tui.commands.settings_cmd:settings_group",
    "doctor": "zsync_tui.commands.doctor:doctor",
}


class ZsyncGroup(click.Group):
    """Loads subcommands on first use, and turns the errors users can fix into one clear line
    and exit code 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            module_name, attribute = LAZY_COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            self.add_command(command, name=cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            click.echo(f"zsync: {exc}", err=True)
            ctx.exit(2)
        except Exception as exc:
            from zsync_tui.store import StoreError

            if not isinstance(exc, StoreError):
                raise
            click.echo(f"zsync: {exc}", err=True)
            ctx.exit(2)


@click.group(
    cls=ZsyncGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "--version", prog_name="zsync")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar="ZSYNC_HOME",
    help="Keep config, data, state and logs under this directory (env: ZSYNC_HOME).",
)
@click.option("--profile", default=None, help="Which connection to use (several Billing orgs).")
@click.pass_context
def main(ctx: click.Context, data_dir: str | None, profile: str | None) -> None:
    """zsync keeps Zoho Billing and Zoho CRM in sync. Without a command, it opens the TUI."""
    ctx.obj = Runtime.start(data_dir, profile)
    if ctx.invoked_subcommand is None:
        # Collecting garbage while the first screen is built costs ~8% of the start-up and
        # frees next to nothing (modules, styles, widgets all live on); the App turns the
        # collector back on once that screen is painted.
        gc.disable()
        from zsync_tui.app import make_app

        make_app(ctx.obj).run()
