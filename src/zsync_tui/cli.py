"""The command line. `zsync` alone opens the TUI; every TUI action has a headless twin here."""

from __future__ import annotations

import click

from zsync_tui import __version__
from zsync_tui.commands.connect import connect_command
from zsync_tui.commands.deals import deals_group
from zsync_tui.commands.demo import demo
from zsync_tui.commands.doctor import doctor
from zsync_tui.commands.links_cmd import LINK_COMMANDS
from zsync_tui.commands.operate_cmd import OPERATE_COMMANDS
from zsync_tui.commands.sandbox_cmd import sandbox_group
from zsync_tui.commands.settings_cmd import settings_group
from zsync_tui.commands.sync_cmd import SYNC_COMMANDS
from zsync_tui.runtime import Runtime
from zsync_tui.settings import SettingsError
from zsync_tui.store import StoreError


class ZsyncGroup(click.Group):
    """Turns the errors users can fix into one clear line and exit code 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (SettingsError, StoreError) as exc:
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
        from zsync_tui.app import make_app

        make_app(ctx.obj).run()


main.add_command(doctor)
main.add_command(demo)
main.add_command(connect_command, name="connect")
main.add_command(settings_group)
main.add_command(deals_group)
main.add_command(sandbox_group)
for _sync_command in SYNC_COMMANDS + LINK_COMMANDS + OPERATE_COMMANDS:
    main.add_command(_sync_command)
