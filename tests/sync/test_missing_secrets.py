"""A profile whose secrets cannot be read says so in one line instead of a traceback."""

from __future__ import annotations

import asyncio
from typing import Any

import keyring
import keyring.backends.fail


async def test_sync_without_keyring_or_environment_is_one_line_and_exit_2(
    harness: Any, monkeypatch: Any
) -> None:
    from click.testing import CliRunner

    from zsync_tui.cli import main

    await harness.configure()
    monkeypatch.delenv("ZSYNC_CLIENT_SECRET", raising=False)
    monkeypatch.delenv("ZSYNC_REFRESH_TOKEN", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        result = await asyncio.to_thread(CliRunner().invoke, main, ["sync", "--json"])
    finally:
        keyring.set_keyring(previous)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "cannot read its secrets" in lines[0] and "ZSYNC_REFRESH_TOKEN" in lines[0]
    assert harness.links() == []
