"""What the operating screens share: the runner and backend, navigation, the command palette.

Every operating screen is pushed on top of the dashboard; Escape goes back. The command
palette (ctrl+p) offers the main actions from any of them.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.events import Mount, ScreenResume
from textual.screen import Screen
from textual.widgets import Input

from zsync_tui.operate_runner import OperateRunner, runner_for
from zsync_tui.resources import stylesheet

if TYPE_CHECKING:
    from textual.app import App

    # For hints only: the dashboard imports this module before its first paint, and the
    # backend brings the store and the sync service (most of a second of imports).
    from zsync_tui.operate_backend import OperateBackend
    from zsync_tui.sync.events import RunReport


def screen_factories() -> dict[str, tuple[str, type[Screen[None]]]]:
    """Each operating screen by name: (palette title, class). Imported on first use."""
    from zsync_tui.screens.conflicts import ConflictsScreen
    from zsync_tui.screens.crm_search import CrmSearchScreen
    from zsync_tui.screens.customers import CustomersScreen
    from zsync_tui.screens.deals import DealsScreen
    from zsync_tui.screens.duplicates_review import DuplicatesReviewScreen
    from zsync_tui.screens.history import HistoryScreen
    from zsync_tui.screens.settings_screen import SettingsScreen

    return {
        "conflicts": ("Open conflicts", ConflictsScreen),
        "duplicates": ("Review duplicates", DuplicatesReviewScreen),
        "customers": ("Open customers", CustomersScreen),
        "crm_search": ("Search CRM and import", CrmSearchScreen),
        "deals": ("Open deals", DealsScreen),
        "history": ("Open history", HistoryScreen),
        "settings": ("Open settings", SettingsScreen),
    }


def open_operate_screen(app: App[object], name: str) -> None:
    """Show the named operating screen right above the dashboard.

    Each is composed once and installed: showing it again costs a refresh of its data, not a
    new compose and restyle (which takes hundreds of milliseconds on a slow machine).
    """
    _title, screen_type = screen_factories()[name]
    if isinstance(app.screen, screen_type):
        return
    while (
        len(app.screen_stack) > 1
        and isinstance(app.screen, OperateScreen)
        and not app.screen.IS_HOME
    ):
        app.pop_screen()
    installed = f"operate-{name}"
    if not app.is_screen_installed(installed):
        app.install_screen(screen_type(), installed)
    app.push_screen(installed)


#: Composed and styled ahead while the dashboard is idle, in this order: their first show then
#: costs a layout, not a compose and a whole restyle (duplicates: ~300 -> ~140 ms of CPU).
PREWARMED = ("duplicates", "customers", "conflicts", "history")


def prewarm_operate_screen(app: App[object], name: str) -> bool:
    """Compose the named operating screen now without showing it; False when it already is."""
    installed = f"operate-{name}"
    if app.is_screen_installed(installed):
        return False
    _title, screen_type = screen_factories()[name]
    app.install_screen(screen_type(), installed)
    # Textual offers no public call that mounts a screen without showing it. Its version is
    # pinned, and a test shows a prewarmed screen looks the same as one composed on demand.
    app._get_screen(installed)
    return True


def describe_report(report: RunReport) -> str:
    """One line on what a fetch or an import did, from the engine's report."""
    created = report.created["billing"] + report.created["crm"]
    updated = report.updated["billing"] + report.updated["crm"]
    parts = [
        f"{created} created" if created else "",
        f"{updated} updated" if updated else "",
        f"{report.linked} linked" if report.linked else "",
        f"{report.conflicts} conflicts" if report.conflicts else "",
    ]
    parts += [f"skipped: {reason}" for reason in report.skipped_by_reason]
    parts += report.error_messages[:2]
    return "; ".join(p for p in parts if p) or "nothing to change: both sides already agree"


class OperateCommands(Provider):
    """The command palette's main actions: sync, dry run, cancel, and each screen."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = self.app
        runner = runner_for(app)
        found: list[tuple[str, str, Callable[[], object]]] = [
            ("Sync now", "Run a customer sync now", partial(runner.start_sync, False)),
            ("Dry run", "What a sync would do; writes nothing", partial(runner.start_sync, True)),
            ("Cancel sync", "Stop the running sync after its current page", runner.cancel_sync),
        ]
        for name, (title, _screen) in screen_factories().items():
            go = partial(open_operate_screen, app, name)
            found.append((title, f"Go to {name.replace('_', ' ')}", go))
        return found

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


def freeze_long_lived() -> None:
    """Move every object alive now out of the collector's reach.

    The App's modules, styles and kept screens live as long as the process; each full
    collection walked all of them again, 160-220 ms at a time while a sync ran (three in
    eleven seconds of keys). Frozen after each screen's first show, they are never walked."""
    gc.freeze()


def steady_cursor(screen: Screen[Any]) -> None:
    """No blinking cursor when the App is asked for deterministic screens (snapshots)."""
    ui = getattr(screen.app, "ui", None)
    if ui is not None and not ui.cursor_blink:
        for field in screen.query(Input):
            field.cursor_blink = False


class OperateScreen(Screen[None]):
    """Base of the operating screens."""

    CSS_PATH = [stylesheet("operate.tcss")]
    COMMANDS = Screen.COMMANDS | {OperateCommands}
    IS_HOME: ClassVar[bool] = False
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]

    _shown_before = False
    #: The App's CSS generation this screen's styles were last applied at.
    _styled_at: int | None = None

    @on(Mount)
    def _steady_cursor(self) -> None:
        steady_cursor(self)
        if not self.is_current:  # prewarmed: style it now, while nothing waits for it
            self.call_after_refresh(self._style_ahead)
        self.call_after_refresh(freeze_long_lived)

    def _style_ahead(self) -> None:
        if not self.is_current:
            self.update_node_styles(animate=False)
            self._styled_at = self.app._css_update_count

    def _on_screen_resume(self, event: ScreenResume) -> None:
        # Textual re-applies the whole stylesheet to a screen each time it is pushed, which
        # also empties every DataTable's render caches: a third of a switch's cost. A kept
        # screen needs it only when the App's CSS changed (a theme) while it was hidden.
        if event.refresh_styles and self._styled_at == self.app._css_update_count:
            event.refresh_styles = False
        super()._on_screen_resume(event)
        self._styled_at = self.app._css_update_count

    @on(ScreenResume)
    def _shown_again(self) -> None:
        if self._shown_before:
            self.reload_data()
        self._shown_before = True

    def reload_data(self) -> None:
        """Read what the screen shows again: it is being shown again (screens are kept)."""

    @property
    def runner(self) -> OperateRunner:
        return runner_for(self.app)

    @property
    def backend(self) -> OperateBackend:
        return self.runner.backend

    def action_back(self) -> None:
        if not self.IS_HOME and len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def tell(self, text: str, *, problem: bool = False) -> None:
        """A toast: problems stay longer and say what to do next."""
        if problem:
            self.notify(text, severity="error", timeout=8)
        else:
            self.notify(text, timeout=4)
