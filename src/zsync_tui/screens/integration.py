"""The integration once it is configured: what was chosen, and the ways back into setup.

The live dashboard (issue 8) replaces this as the operate mode's first screen; until then this
is where Save and Sync lands, and where the configuration and credentials are reopened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from zsync_tui.messages import LookupFailed, LookupFinished
from zsync_tui.setup_flow import STEP_ORDER, SetupDraft

if TYPE_CHECKING:
    from zsync_tui.app import ZsyncApp


class IntegrationScreen(Screen[None]):
    """The saved configuration, with Edit configuration and Update credentials."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", "Edit configuration"),
        Binding("u", "credentials", "Update credentials"),
    ]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static("Reading the saved configuration…", id="integration")
        yield Footer()

    @property
    def zsync(self) -> ZsyncApp:
        return cast("ZsyncApp", self.app)

    def on_mount(self) -> None:
        self.zsync.lookup(self, "saved", self.zsync.backend.load_draft)

    def on_lookup_finished(self, event: LookupFinished) -> None:
        from zsync_tui.screens.review import describe_choices

        assert isinstance(event.value, SetupDraft)
        self.query_one("#integration", Static).update(
            "The integration is configured.\n\n"
            + describe_choices(event.value)
            + "\n\ne: edit the configuration · u: update the credentials"
        )

    def on_lookup_failed(self, event: LookupFailed) -> None:
        self.query_one("#integration", Static).update(
            f"The saved configuration could not be read: {event.reason}\n"
            "e: set it up again · u: update the credentials"
        )

    def action_edit(self) -> None:
        self.zsync.open_setup(STEP_ORDER[1:])

    def action_credentials(self) -> None:
        self.zsync.open_setup(("connect",))
