"""The Textual application: thin. Screens live in `screens/`, styling in `styles/`."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from zsync_tui.resources import stylesheet
from zsync_tui.runtime import Runtime
from zsync_tui.screens.home import HomeScreen


class ZsyncApp(App[None]):
    """zsync's TUI."""

    TITLE = "zsync"
    SUB_TITLE = "Zoho Billing ⇄ Zoho CRM"
    CSS_PATH = [stylesheet("app.tcss")]
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime

    def on_mount(self) -> None:
        self.push_screen(HomeScreen(self.runtime))


def make_app(runtime: Runtime) -> ZsyncApp:
    """The one way to build the app, shared by the command line and the tests."""
    return ZsyncApp(runtime)
