"""Shared fixtures: every test gets its own data directory and never sees the real home."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keyring.backend
import pytest

from zsync_tui.runtime import Runtime

if TYPE_CHECKING:
    from zsync_tui.sandbox import RunningSandbox


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend that keeps secrets in this process only (unit tests)."""

    priority = 0  # type: ignore[assignment]  # 0 keeps it out of keyring's automatic chain

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise keyring.errors.PasswordDeleteError(username)
        del self.entries[(service, username)]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "zsync-home"
    monkeypatch.setenv("ZSYNC_HOME", str(home))
    for name in ("ZSYNC_CLIENT_SECRET", "ZSYNC_REFRESH_TOKEN", "ZSYNC_GRANT_CODE"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def runtime(isolated_home: Path) -> Runtime:
    return Runtime.start(str(isolated_home))


# --- sandbox fixtures (issue 3): a real Zoho emulator over loopback HTTP --------------------


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., RunningSandbox]]:
    """Start sandboxes with `SandboxOptions` keyword overrides; all are stopped at teardown."""
    from zsync_tui.sandbox import SandboxOptions, run_in_thread

    started: list[RunningSandbox] = []

    def start(**overrides: Any) -> RunningSandbox:
        running = run_in_thread(SandboxOptions(**overrides))
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    """A small default world (30 accounts, 60 contacts, 20 deals, 20 customers, 5 planted
    duplicates), no latency, no faults, served over loopback."""
    return sandbox_factory()


@pytest.fixture
def steady() -> Callable[[Any], Awaitable[None]]:
    """For snapshots: wait until two screenshots in a row agree. Workers done is not enough on a
    loaded machine: a DataTable sizes its columns on the next idle moment, and a snapshot taken
    before that shows every column cut to its heading's width."""

    async def wait(pilot: Any) -> None:
        previous = None
        for _ in range(40):
            await pilot.pause(0.05)
            shot = pilot.app.export_screenshot()
            if shot == previous:
                return
            previous = shot

    return wait
