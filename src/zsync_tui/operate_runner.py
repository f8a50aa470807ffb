"""The App's long-lived work for the operating screens: the running sync, the scheduled sync
and the periodic health refresh, plus one-off actions. Workers belong to the App (a screen's
die with it); screens and widgets subscribe to what the runner broadcasts.

The sync runs in a child process (`operate_sync_child`, followed by `SyncProcess`): on a
thread of this process its CPU held the GIL and keys waited hundreds of milliseconds. Client
options that cannot cross to a process (tests' in-memory transports) keep it on a thread.
Periodic work is a one-shot worker re-armed by `set_timer` once it finishes, so runs never
overlap; other blocking calls go to a thread (`asyncio.to_thread`) so the event loop stays free.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump
from textual.timer import Timer
from textual.worker import Worker

from zsync_tui.messages import LookupFailed, LookupFinished
from zsync_tui.operate_rows import Budget, Health
from zsync_tui.operate_sync_process import SyncProcess, advice_for
from zsync_tui.sync.events import RunReport, SyncProgress

if TYPE_CHECKING:
    # The backend imports the store and the sync service (most of a second): the dashboard
    # imports this module before its first paint, so the backend is built by the first
    # refresh, on a thread (`OperateRunner.backend`).
    from zsync_tui.operate_backend import OperateBackend

log = logging.getLogger(__name__)
PROGRESS_INTERVAL_S = 0.25  # about four repaints a second, however often the engine reports
REFRESH_INTERVAL_S = 10.0


def describe_problem(exc: BaseException) -> str:
    """`operate_backend.describe_problem`, imported only when a failure needs its words."""
    from zsync_tui.operate_backend import describe_problem as describe

    return describe(exc)


class OperateSyncStarted(Message):
    """A sync (or dry run) began."""

    def __init__(self, dry_run: bool) -> None:
        super().__init__()
        self.dry_run = dry_run


class OperateSyncProgressed(Message):
    """Throttled progress of the running sync; a newer one replaces one still waiting."""

    def __init__(self, progress: SyncProgress, dry_run: bool) -> None:
        super().__init__()
        self.progress = progress
        self.dry_run = dry_run

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, OperateSyncProgressed)


class OperateSyncFinished(Message):
    """The sync ended: `report` when it ran, `problem` (what to do next) when it could not;
    `advice` says what to do about a run that ended with record errors or no budget."""

    def __init__(
        self,
        report: RunReport | None,
        dry_run: bool,
        problem: str | None,
        advice: str | None = None,
    ) -> None:
        super().__init__()
        self.report = report
        self.dry_run = dry_run
        self.problem = problem
        self.advice = advice


class OperateRefreshed(Message):
    """Fresh health and budget figures (or why they could not be read)."""

    def __init__(self, health: Health | None, budget: Budget | None, problem: str | None) -> None:
        super().__init__()
        self.health = health
        self.budget = budget
        self.problem = problem

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, OperateRefreshed)


@dataclass
class RunState:
    """What the runner knows about the current sync, for screens that mount mid-run."""

    running: bool = False
    dry_run: bool = False
    last_progress: SyncProgress | None = None


class OperateRunner:
    """Owns the operate mode's workers on the App; see the module docstring."""

    def __init__(
        self,
        app: App[Any],
        backend: OperateBackend | None = None,
        *,
        periodic: bool = True,
        sync_in_child: bool = True,
        prewarm: bool = True,
    ) -> None:
        self.app = app
        self._backend = backend
        self._backend_lock = threading.Lock()
        self.periodic = periodic
        self.sync_in_child = sync_in_child
        #: Compose the main screens ahead while the dashboard is idle (screens/operate_base).
        self.prewarm = prewarm
        self.state = RunState()
        self._listeners: weakref.WeakSet[MessagePump] = weakref.WeakSet()
        self._cancel = threading.Event()
        self._child: SyncProcess | None = None
        self._refresh_timer: Timer | None = None
        self._schedule_timer: Timer | None = None

    @property
    def backend(self) -> OperateBackend:
        """The services' adapter over the App's runtime, built on first use: the first refresh
        builds it on a thread, after the dashboard's first paint."""
        with self._backend_lock:  # the refresh thread and the event loop may both ask first
            if self._backend is None:
                from zsync_tui.operate_backend import OperateBackend

                runtime = getattr(self.app, "runtime", None)
                if runtime is None:
                    raise RuntimeError("the operating screens need an App with a `runtime`")
                self._backend = OperateBackend(runtime)
            return self._backend

    # -- listeners -------------------------------------------------------------------------

    def subscribe(self, pump: MessagePump) -> None:
        self._listeners.add(pump)

    def unsubscribe(self, pump: MessagePump) -> None:
        self._listeners.discard(pump)

    def broadcast(self, make: Callable[[], Message]) -> None:
        """Post a fresh message to every listener (a message goes to one queue only)."""
        for pump in list(self._listeners):
            pump.post_message(make())

    # -- the sync --------------------------------------------------------------------------

    def start_sync(self, dry_run: bool = False) -> bool:
        """Start a sync unless one is running; False when one already is."""
        if self.state.running:
            return False
        self.state = RunState(running=True, dry_run=dry_run)
        self._cancel = threading.Event()
        self.broadcast(lambda: OperateSyncStarted(dry_run))
        command = self.backend.child_command(dry_run) if self.sync_in_child else None
        if command is not None:
            self._child = SyncProcess(command)
            job = self._child_sync_job(dry_run, self._child)
        else:
            job = self._sync_job(dry_run, self._cancel)
        self.app.run_worker(
            job,
            name="operate-sync",
            group="operate-sync",
            exclusive=True,
            exit_on_error=False,
        )
        return True

    def cancel_sync(self) -> bool:
        """Ask the running sync to stop after the page it is on; False when none runs."""
        if not self.state.running:
            return False
        self._cancel.set()
        if self._child is not None:
            self._child.stop()
        return True

    def _progress_relay(self, dry_run: bool) -> Callable[[SyncProgress], None]:
        last_post = 0.0

        def progress(step: SyncProgress) -> None:
            nonlocal last_post
            now = time.monotonic()
            if step.phase == "done" or now - last_post >= PROGRESS_INTERVAL_S:
                last_post = now
                self.state.last_progress = step
                self.broadcast(lambda: OperateSyncProgressed(step, dry_run))

        return progress

    async def _child_sync_job(self, dry_run: bool, child: SyncProcess) -> None:
        """The sync in its own process (the default): the engine's CPU never holds this
        process's GIL, so keys are handled while it runs."""
        report: RunReport | None = None
        problem: str | None = None
        try:
            child.environment = await asyncio.to_thread(self.backend.child_environment)
            outcome = await child.run(self._progress_relay(dry_run))
            report = outcome.report
            problem = outcome.problem
        except Exception as exc:  # no secrets, or the child could not be started
            log.warning("sync process failed to start: %s", exc, exc_info=True)
            problem = describe_problem(exc)
        finally:
            self._child = None
        self._finish(report, dry_run, problem)

    async def _sync_job(self, dry_run: bool, cancel: threading.Event) -> None:
        """The sync on a thread of this process: for client options that cannot cross to a
        child (tests' in-memory transports)."""
        report: RunReport | None = None
        problem: str | None = None
        try:
            report = await asyncio.to_thread(
                self.backend.run,
                dry_run=dry_run,
                progress=self._progress_relay(dry_run),
                cancel=cancel,
            )
        except asyncio.CancelledError:
            cancel.set()  # the App is leaving: let the engine's thread stop at its next page
            raise
        except Exception as exc:
            log.warning("sync failed: %s", exc, exc_info=True)
            problem = describe_problem(exc)
        self._finish(report, dry_run, problem)

    def _finish(self, report: RunReport | None, dry_run: bool, problem: str | None) -> None:
        self.state.running = False
        advice = advice_for(report)
        self.broadcast(lambda: OperateSyncFinished(report, dry_run, problem, advice))
        self.refresh_now()
        if not dry_run:
            self.arm_schedule()

    # -- scheduled sync --------------------------------------------------------------------

    def arm_schedule(self, health: Health | None = None) -> None:
        """Set (or reset) the timer of the next scheduled run from the last run's end."""
        if self._schedule_timer is not None:
            self._schedule_timer.stop()
            self._schedule_timer = None
        if not self.periodic or health is None or health.next_run_at is None:
            return
        delay = max(1.0, (health.next_run_at - datetime.now(UTC)).total_seconds())
        self._schedule_timer = self.app.set_timer(delay, self._scheduled_run)

    def _scheduled_run(self) -> None:
        self._schedule_timer = None
        self.start_sync(dry_run=False)

    # -- periodic refresh ------------------------------------------------------------------

    def refresh_now(self) -> Worker[None]:
        """Read health and budget off the event loop and broadcast them; re-arms itself."""
        if self._refresh_timer is not None:
            self._refresh_timer.stop()
            self._refresh_timer = None
        return self.app.run_worker(
            self._refresh_job(),
            name="operate-refresh",
            group="operate-refresh",
            exclusive=True,
            exit_on_error=False,
        )

    async def _refresh_job(self) -> None:
        health: Health | None = None
        budget: Budget | None = None
        problem: str | None = None
        try:
            health, budget = await asyncio.to_thread(self._read_health)
        except Exception as exc:
            problem = describe_problem(exc)
        self.broadcast(lambda: OperateRefreshed(health, budget, problem))
        if health is not None and self._schedule_timer is None and not self.state.running:
            self.arm_schedule(health)
        if self.periodic:
            self._refresh_timer = self.app.set_timer(REFRESH_INTERVAL_S, self.refresh_now)

    def _read_health(self) -> tuple[Health, Budget]:
        return self.backend.health(), self.backend.budget()

    # -- one-off actions -------------------------------------------------------------------

    def act(self, target: MessagePump, what: str, call: Callable[[], object]) -> Worker[None]:
        """Run a blocking service call off the loop; its answer goes to `target` as
        `LookupFinished(what, value)`, or `LookupFailed(what, reason)` saying what to do."""

        async def job() -> None:
            try:
                value = await asyncio.to_thread(call)
            except Exception as exc:
                log.info("%s failed: %s", what, exc)
                target.post_message(LookupFailed(what, describe_problem(exc)))
            else:
                target.post_message(LookupFinished(what, value))

        return self.app.run_worker(
            job(), name=what, group=f"operate-{what}", exclusive=True, exit_on_error=False
        )


_RUNNERS: weakref.WeakKeyDictionary[App[Any], OperateRunner] = weakref.WeakKeyDictionary()


def install_runner(
    app: App[Any],
    backend: OperateBackend | None = None,
    *,
    periodic: bool = True,
    sync_in_child: bool = True,
    prewarm: bool = True,
) -> OperateRunner:
    """Give `app` its runner (tests and benchmarks choose the backend, switch off timers and
    prewarming, and may keep the sync in this process; None: one over the app's runtime,
    built on first use)."""
    runner = OperateRunner(
        app, backend, periodic=periodic, sync_in_child=sync_in_child, prewarm=prewarm
    )
    _RUNNERS[app] = runner
    return runner


def runner_for(app: App[Any]) -> OperateRunner:
    """The app's runner, made on first use; its backend (over the app's runtime) is built
    when first needed."""
    runner = _RUNNERS.get(app)
    if runner is None:
        runner = install_runner(app)
    return runner
