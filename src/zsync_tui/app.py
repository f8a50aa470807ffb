"""The Textual application: thin. Modes (setup / operate), bindings, the stylesheet, and the
workers that talk to the services on the steps' behalf. Screens live in `screens/`, styling in
`styles/`, the flow's state in `setup_flow.py`, the service calls in `setup_backend.py`.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import AwaitMount
from textual.widgets import Static
from textual.worker import Worker

from zsync_tui.messages import (
    LookupFailed,
    LookupFinished,
    StepCompleted,
    StepWentBack,
    SyncCounts,
    SyncFinished,
    SyncProgressed,
)
from zsync_tui.resources import stylesheet
from zsync_tui.runtime import Runtime
from zsync_tui.setup_backend import SetupBackend, describe_failure
from zsync_tui.setup_flow import STEP_ORDER, SetupDraft, StepId
from zsync_tui.setup_start import FirstScreen

PROGRESS_INTERVAL_S = 0.25  # about four progress repaints a second, whatever the engine sends


@dataclass(frozen=True)
class UiOptions:
    """What tests and benchmarks pin down for deterministic screens."""

    cursor_blink: bool = True
    animations: bool = True


class ZsyncApp(App[None]):
    """zsync's TUI: the setup flow when nothing is configured, the integration otherwise."""

    TITLE = "zsync"
    SUB_TITLE = "Zoho Billing ⇄ Zoho CRM"
    CSS_PATH = [stylesheet("app.tcss")]
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(
        self, runtime: Runtime, backend: SetupBackend, ui: UiOptions | None = None
    ) -> None:
        # Told from the store file in milliseconds when it can be; None: the store must say.
        first_screen = backend.quick_first_screen()
        super().__init__(css_path=_stylesheets_for(first_screen))
        self.first_screen = first_screen
        self.runtime = runtime
        self.backend = backend
        self.ui = ui or UiOptions()
        if not self.ui.animations:
            self.animation_level = "none"
        self.draft = SetupDraft()
        self.steps: tuple[StepId, ...] = STEP_ORDER
        self.add_mode("setup", self._first_step)
        self.add_mode("operate", self._operate_screen)

    def compose(self) -> ComposeResult:
        if self.first_screen is None:
            # Shown while the store is opened to tell which screen comes first (on_mount).
            yield Static("zsync: opening…", id="starting")

    def on_mount(self) -> None:
        if self.first_screen is None:
            resume_garbage_collection()  # this start waits for the store anyway
            self._run_start_worker(self._choose_first_screen)
            return
        mounted = self._push_first_screen(self.first_screen)
        self.run_worker(self._warm_up_after(mounted), name="warm-up", exit_on_error=False)

    def _run_start_worker(self, job: Callable[[], None]) -> None:
        self.run_worker(job, name="start", group="start", thread=True, exit_on_error=False)

    async def _warm_up_after(self, mounted: AwaitMount) -> None:
        """Open the store once the first screen is painted: it is needed soon, and its
        imports would otherwise compete with the first paint for the interpreter."""
        await mounted
        await self.screen.wait_for_refresh()
        self._run_start_worker(self._warm_up)

    def _warm_up(self) -> None:
        try:
            self.backend.warm_up()
        except Exception as exc:  # a store that cannot be opened: say so, with what to do
            self.call_from_thread(self._cannot_start, describe_failure(exc))
        finally:
            # Only now: the store's imports run a tenth faster with the collector off.
            resume_garbage_collection()

    def _choose_first_screen(self) -> None:
        """Setup when nothing is configured, the integration otherwise (worker thread)."""
        try:
            if self.backend.is_configured():
                first = FirstScreen("operate")
            else:
                first = FirstScreen("setup", self.backend.load_draft())
        except Exception as exc:  # a store that cannot be opened: say so, with what to do
            self.call_from_thread(self._cannot_start, describe_failure(exc))
            return
        self.call_from_thread(self._open_first_screen, first)

    def _open_first_screen(self, first: FirstScreen) -> None:
        self._push_first_screen(first)

    def _push_first_screen(self, first: FirstScreen) -> AwaitMount:
        """The first screen goes on the default mode's stack. Switching to the "setup" or
        "operate" mode instead would, in Textual, reparse every stylesheet twice and restyle
        the whole screen twice more before its first paint (about a fifth of the start-up
        work); the modes are used from the first restart of the flow on (`open_setup`,
        `finish_setup`)."""
        if first.draft is not None:
            self.draft = first.draft
        screen = self._first_step() if first.mode == "setup" else self._operate_screen()
        return self.push_screen(screen)

    def _cannot_start(self, reason: str) -> None:
        from zsync_tui.screens.start_failed import StartFailed

        self.push_screen(StartFailed(reason))

    def on_unmount(self) -> None:
        self.backend.close()

    # -- the setup flow -------------------------------------------------------------------

    def _step_screen(self, step: StepId) -> Screen[None]:
        from zsync_tui.screens import step_screen

        return step_screen(step)(self.draft, self.steps)

    def _first_step(self) -> Screen[None]:
        return self._step_screen(self.steps[0])

    def _operate_screen(self) -> Screen[None]:
        from zsync_tui.screens.dashboard import DashboardScreen

        return DashboardScreen()

    def open_setup(self, steps: tuple[StepId, ...] = STEP_ORDER) -> None:
        """Start (or restart) the flow over these steps, pre-filled from what is saved."""
        self.draft = self.backend.load_draft()
        self.steps = steps
        self._fresh_mode("setup", self._first_step)

    def finish_setup(self) -> None:
        """Leave the flow for the integration's own screen."""
        self._fresh_mode("operate", self._operate_screen)

    def _fresh_mode(self, mode: str, first_screen: Callable[[], Screen[None]]) -> None:
        """Switch to `mode` with a new screen stack (the old one's screens are discarded)."""
        if mode in self._modes:
            self.remove_mode(mode)
        self.add_mode(mode, first_screen)
        self.switch_mode(mode)

    @on(StepCompleted)
    def _next_step(self, event: StepCompleted) -> None:
        if getattr(self.screen, "STEP_ID", None) != event.step_id:
            return  # a second Next pressed before the next step took over: already moving on
        index = self.steps.index(event.step_id)
        if index + 1 < len(self.steps):
            self.push_screen(self._step_screen(self.steps[index + 1]))
        else:
            self.finish_setup()

    @on(StepWentBack)
    def _previous_step(self, event: StepWentBack) -> None:
        if getattr(self.screen, "STEP_ID", None) != event.step_id:
            return
        if len(self.screen_stack) > 1:
            self.pop_screen()

    # -- workers: every service call runs here, off the event loop -------------------------

    def lookup(self, screen: Screen[Any], what: str, call: Callable[[], object]) -> Worker[None]:
        """Run `call` on a thread; its answer (or a sentence on why it failed) goes to `screen`.

        One lookup of a kind at a time: asking again cancels the one still waiting.
        """

        def job() -> None:
            try:
                value = call()
            except Exception as exc:  # every failure becomes a message the step can show
                screen.post_message(LookupFailed(what, describe_failure(exc)))
            else:
                screen.post_message(LookupFinished(what, value))

        return self.run_worker(
            job, name=what, group=f"lookup-{what}", thread=True, exclusive=True, exit_on_error=False
        )

    def start_sync(self, screen: Screen[Any]) -> Worker[None]:
        """Run the first sync of the saved configuration; progress and result go to `screen`."""
        last_post = 0.0

        def progress(phase: str, done: int, total: int | None) -> None:
            nonlocal last_post
            now = time.monotonic()
            if now - last_post >= PROGRESS_INTERVAL_S:
                last_post = now
                screen.post_message(SyncProgressed(phase, done, total))

        def job() -> None:
            try:
                status, counts, message = self.backend.run_sync(progress)
            except Exception as exc:
                screen.post_message(SyncFinished("failed", SyncCounts(), describe_failure(exc)))
            else:
                screen.post_message(SyncFinished(status, counts, message))

        return self.run_worker(
            job, name="sync", group="sync", thread=True, exclusive=True, exit_on_error=False
        )


def _first_screen_type(first: FirstScreen) -> type[Screen[None]]:
    if first.mode == "setup":
        from zsync_tui.screens import step_screen

        return step_screen(STEP_ORDER[0])
    from zsync_tui.screens.dashboard import DashboardScreen

    return DashboardScreen


def _stylesheets_for(first: FirstScreen | None) -> list[str | PurePath]:
    """The App's sheet and, when it is known, the first screen's own: read together before
    the first paint. Read when the screen is shown, a sheet makes Textual reparse them all."""
    sheets: list[str | PurePath] = [stylesheet("app.tcss")]
    if first is not None:
        screen_sheets = _first_screen_type(first).CSS_PATH or []
        sheets += screen_sheets if isinstance(screen_sheets, list) else [screen_sheets]
    return sheets


def resume_garbage_collection() -> None:
    """Turn the collector back on if `zsync` started with it off (cli.py). What start-up
    allocated lives as long as the App, so it is frozen out of later collections rather than
    scanned by each of them."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def make_app(
    runtime: Runtime, backend: SetupBackend | None = None, ui: UiOptions | None = None
) -> ZsyncApp:
    """The one way to build the app, shared by the command line, `zsync demo` and the tests."""
    if backend is None:
        from zsync_tui.setup_services import ServiceBackend

        backend = ServiceBackend(runtime)
    return ZsyncApp(runtime, backend, ui)
