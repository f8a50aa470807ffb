"""Which screen `zsync` opens on: told from the store file without SQLAlchemy when it can be,
from the store itself when it cannot, and a clear message when the store is unusable."""

from __future__ import annotations

import gc
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.widgets import Input, Static

from zsync_tui.app import ZsyncApp, make_app
from zsync_tui.runtime import Runtime
from zsync_tui.setup_services import ServiceBackend
from zsync_tui.setup_start import saved_profile_state
from zsync_tui.store import Profile

#: What must wait until after the first paint: each costs tens to hundreds of milliseconds
#: (`zsync_tui.zoho.datacentres`, a table of URLs, is cheap and allowed).
HEAVY_MODULES = (
    "sqlmodel",
    "sqlalchemy",
    "pydantic",
    "httpx",
    "keyring",
    "zsync_tui.store",
    "zsync_tui.zoho.session",
    "zsync_tui.zoho.oauth",
    "zsync_tui.sync.engine",
    "zsync_tui.sync.service",
    "zsync_tui.operate_backend",
)
#: Everything `zsync` imports before either first screen is painted: the command line, the
#: App, its backend, and the setup flow's first step and the dashboard (both screen classes
#: are imported for their stylesheets).
FIRST_PAINT_IMPORTS = """
import json, sys
import zsync_tui.cli, zsync_tui.app, zsync_tui.setup_services, zsync_tui.setup_start
from zsync_tui.screens import step_screen
from zsync_tui.screens.dashboard import DashboardScreen
from zsync_tui.setup_flow import STEP_ORDER
step_screen(STEP_ORDER[0])
print(json.dumps(sorted(sys.modules)))
"""


def _save_profile(runtime: Runtime, **values: Any) -> None:
    with runtime.store.write() as session:
        session.add(Profile(name=runtime.profile_name, **values))


def test_profile_state_from_the_file_alone(runtime: Runtime) -> None:
    database = runtime.paths.database_file
    assert saved_profile_state(database, "default") == "absent"  # no file yet
    _save_profile(runtime)
    assert saved_profile_state(database, "default") == "absent"  # a row, never connected
    with runtime.store.write() as session:
        profile = session.get(Profile, 1)
        assert profile is not None
        profile.client_id = "1000.CLIENT"
    assert saved_profile_state(database, "default") == "connected"
    with runtime.store.write() as session:
        profile = session.get(Profile, 1)
        assert profile is not None
        profile.config_toml = 'module = "accounts"\n'
    assert saved_profile_state(database, "default") == "configured"
    assert saved_profile_state(database, "other") == "absent"


def test_an_unreadable_file_is_left_to_the_store(tmp_path: Path) -> None:
    garbage = tmp_path / "zsync.db"
    garbage.write_bytes(b"not a database, " * 100)
    assert saved_profile_state(garbage, "default") is None
    empty = tmp_path / "empty.db"
    empty.touch()
    assert saved_profile_state(empty, "default") == "absent"
    unknown = tmp_path / "other.db"
    with sqlite3.connect(unknown) as connection:
        connection.execute("CREATE TABLE something (id INTEGER)")
    connection.close()
    assert saved_profile_state(unknown, "default") is None


async def test_a_file_that_is_not_a_database_says_what_to_do(
    isolated_home: Path, memory_keyring: Any
) -> None:
    runtime = Runtime.start(str(isolated_home))
    runtime.paths.database_file.write_bytes(b"not a database, " * 100)
    app = make_app(runtime, ServiceBackend(runtime))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        message = str(app.screen.query_one("#start-failed-reason", Static).content)
    assert message.startswith("zsync cannot start:")
    assert "is not a zsync database" in message and "move it aside" in message


async def test_a_newer_store_opens_the_screen_then_says_to_upgrade(
    isolated_home: Path, memory_keyring: Any
) -> None:
    runtime = Runtime.start(str(isolated_home))
    _save_profile(runtime)
    with sqlite3.connect(runtime.paths.database_file) as connection:
        connection.execute("PRAGMA user_version = 999")
    connection.close()
    fresh = Runtime.start(str(isolated_home))
    app = make_app(fresh, ServiceBackend(fresh))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        message = str(app.screen.query_one("#start-failed-reason", Static).content)
        # The Connect step was painted at once, then the store was opened.
        assert [type(screen).__name__ for screen in app.screen_stack[-2:]] == [
            "ConnectStep",
            "StartFailed",
        ]
    assert "newer zsync" in message


async def test_connected_but_not_configured_reopens_setup_from_the_store(
    make_demo_app: Callable[..., ZsyncApp], flow: Any
) -> None:
    first = make_demo_app()
    async with first.run_test(size=flow.size) as pilot:
        await flow.walk_to(pilot, "module")  # connected: the profile is saved, no config yet
    assert saved_profile_state(first.runtime.paths.database_file, "default") == "connected"
    again = make_demo_app(prefill=False)
    async with again.run_test(size=flow.size) as pilot:
        await flow.settle(pilot)
        assert flow.step(again) == "connect"
        client_id = again.screen.query_one("#client-id", Input).value
        assert client_id and client_id == first.draft.connection.client_id
        assert again.draft.connected


async def test_the_collector_is_back_on_once_the_first_screen_is_painted(
    isolated_home: Path, memory_keyring: Any
) -> None:
    runtime = Runtime.start(str(isolated_home))
    app = make_app(runtime, ServiceBackend(runtime))
    gc.disable()  # as `zsync` starts the TUI
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert type(app.screen).__name__ == "ConnectStep"
            assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


def test_neither_first_screen_imports_the_store_or_the_wire() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FIRST_PAINT_IMPORTS],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = set(json.loads(done.stdout))
    assert "zsync_tui.screens.dashboard" in loaded and "textual.app" in loaded
    assert sorted(loaded & set(HEAVY_MODULES)) == []
