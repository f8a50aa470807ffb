"""The first screen: where zsync keeps things, and whether credentials can be stored."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from zsync_tui.runtime import Runtime
from zsync_tui.secrets import BackendStatus, KeyringUnavailable


class HomeScreen(Screen[None]):
    """Shows the data locations and checks the keyring off the event loop."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime

    def compose(self) -> ComposeResult:
        paths = self.runtime.paths
        yield Header(show_clock=False)
        yield Static(
            f"Profile   {self.runtime.profile_name}\n"
            f"Config    {paths.config_dir}\n"
            f"Data      {paths.data_dir}\n"
            f"Logs      {paths.log_dir}",
            id="paths",
        )
        yield Static("Checking the keyring…", id="keyring")
        yield Footer()

    def on_mount(self) -> None:
        self.check_keyring()

    @work(thread=True, exclusive=True, group="keyring")
    def check_keyring(self) -> None:
        status = self.runtime.credentials.status()
        self.app.call_from_thread(self.show_keyring, status)

    def show_keyring(self, status: BackendStatus) -> None:
        widget = self.query_one("#keyring", Static)
        if status.usable:
            widget.update(f"Keyring   ready ({status.backend})")
        else:
            widget.update(f"Keyring   not usable\n\n{KeyringUnavailable(status.reason)}")
