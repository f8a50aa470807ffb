"""Settings: edit the configuration (the setup flow), the schedule, disable and reactivate,
update credentials, switch the Billing org, export and import links."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, Static

from zsync_tui.messages import LookupFailed, LookupFinished
from zsync_tui.screens.ask_value import AskValue
from zsync_tui.screens.operate_base import OperateScreen
from zsync_tui.widgets.operate_footer import OperateFooter

if TYPE_CHECKING:
    from zsync_tui.app import ZsyncApp


class SettingsScreen(OperateScreen):
    """The integration's settings and the ways back into setup."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("e", "edit", "Edit config"),
        Binding("i", "interval", "Schedule"),
        Binding("r", "toggle_enabled", "Disable/Reactivate"),
        Binding("u", "credentials", "Credentials"),
        Binding("g", "switch_org", "Billing org"),
        Binding("x", "export", "Export links"),
        Binding("m", "import_links", "Import links"),
    ]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static("", id="settings", classes="panel")
        yield Static(
            "e edit the configuration (module, direction, duplicates, view, fields, triggers)\n"
            "i change the schedule · r disable or reactivate every sync and trigger\n"
            "u update the credentials · g switch to another Billing organization\n"
            "x export the links to CSV · m import links from CSV",
            classes="note",
        )
        yield OperateFooter()

    def on_mount(self) -> None:
        self.reload()

    def reload_data(self) -> None:
        self.reload()

    def reload(self) -> None:
        try:
            config = self.backend.config()
            profile = self.backend.service.profile()
        except Exception as exc:
            from zsync_tui.operate_runner import describe_problem

            self.query_one("#settings", Static).update(describe_problem(exc))
            return
        state = "enabled" if config.enabled else "DISABLED: nothing syncs until reactivated"
        self.query_one("#settings", Static).update(
            f"Integration {state}\n"
            f"CRM org {profile.crm_org_name or profile.crm_org_id} ⇄ "
            f"Billing org {profile.billing_org_name or profile.billing_org_id}\n"
            f"Module {config.module} · direction {config.direction} · "
            f"duplicates {config.duplicates}\n"
            f"Customers sync every {config.interval}"
        )

    @property
    def zsync(self) -> ZsyncApp:
        return self.app  # type: ignore[return-value]

    def action_edit(self) -> None:
        from zsync_tui.setup_flow import STEP_ORDER

        self.zsync.open_setup(STEP_ORDER[1:])

    def action_credentials(self) -> None:
        self.zsync.open_setup(("connect",))

    def action_switch_org(self) -> None:
        # Connect lists the Billing orgs the credentials reach; picking another one there
        # switches the profile's org, and the rest of the flow checks the configuration.
        from zsync_tui.setup_flow import STEP_ORDER

        self.zsync.open_setup(STEP_ORDER)

    def action_toggle_enabled(self) -> None:
        enabled = not self.backend.config().enabled
        self.runner.act(self, "enabled", lambda: self.backend.set_enabled(enabled))

    def action_interval(self) -> None:
        def apply(value: str | None) -> None:
            if value:
                self.runner.act(self, "interval", lambda: self.backend.set_interval(value))

        self.app.push_screen(
            AskValue("Sync customers every (e.g. 30m, 2h, 1d)", self.backend.config().interval),
            apply,
        )

    def _ask_path(self, what: str, question: str, call_name: str) -> None:
        default = str(self.backend.runtime.paths.data_dir / "links.csv")

        def apply(value: str | None) -> None:
            if value:
                path = Path(value).expanduser()
                call = getattr(self.backend, call_name)
                self.runner.act(self, what, lambda: call(path))

        self.app.push_screen(AskValue(question, default), apply)

    def action_export(self) -> None:
        self._ask_path("export", "Export the links to this CSV file", "export_links")

    def action_import_links(self) -> None:
        self._ask_path("import", "Import links from this CSV file", "import_links")

    def on_lookup_finished(self, event: LookupFinished) -> None:
        if event.what == "enabled":
            enabled = self.backend.config().enabled
            self.tell(
                "Reactivated: syncs and triggers run again."
                if enabled
                else "Disabled: no sync or trigger runs; links and history are kept."
            )
        elif event.what in ("export", "import"):
            self.tell(f"{event.value:,} links {event.what}ed.")
        else:
            self.tell("Schedule saved.")
        self.reload()
        self.runner.refresh_now()

    def on_lookup_failed(self, event: LookupFailed) -> None:
        self.tell(event.reason, problem=True)
