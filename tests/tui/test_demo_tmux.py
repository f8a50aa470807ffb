"""End to end in a real terminal: `zsync demo` under tmux, walked with keys to Save and Sync."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ZSYNC = Path(sys.executable).with_name("zsync")
# What the Connect step's Next button reads while it waits for Zoho.
BUSY = ("Verifying…", "Saving…")
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Terminal:
    """One detached tmux session of fixed size running a command."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.name = f"zsync-e2e-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{key}={value}" for key, value in env.items())
        subprocess.run(
            [
                "tmux",
                "new-session",
                "-d",
                "-s",
                self.name,
                "-x",
                "120",
                "-y",
                "40",
                # stty: some tmux servers hand the pane 80×24 whatever -x/-y say.
                f"sh -c 'stty cols 120 rows 40; exec env {exports} {command}'",
            ],
            check=True,
        )
        # Keep the pane after zsync exits, so a crash leaves its traceback on screen.
        subprocess.run(["tmux", "set-option", "-t", self.name, "remain-on-exit", "on"])

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        ).stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            subprocess.run(["tmux", "send-keys", "-t", self.name, key], capture_output=True)
            time.sleep(0.15)  # one key at a time, as a person types

    def wait_for(self, text: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")

    def advance_until(self, text: str, key: str = "C-n", attempts: int = 8) -> str:
        """Press `key` (Next) until `text` shows (a step asked to wait says so, stays put).

        Never presses again while the step is still talking to Zoho: a press that landed
        just after the answer would take the flow one step past `text` on a slow machine.
        """
        for _ in range(attempts):
            self.keys(key)
            quiet_until = time.monotonic() + 2.0
            while time.monotonic() < quiet_until:
                screen = self.screen()
                if text in screen:
                    return screen
                if any(busy in screen for busy in BUSY):
                    quiet_until = time.monotonic() + 2.0
                time.sleep(0.1)
        return self.wait_for(text, timeout=1.0)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def test_demo_in_a_real_terminal_reaches_the_synced_counts(tmp_path: Path) -> None:
    env = {
        "TERM": "xterm-256color",
        "ZSYNC_HOME": str(tmp_path / "home"),
        "PATH": os.environ["PATH"],
    }
    terminal = Terminal(f"{ZSYNC} demo --data-dir {tmp_path / 'demo'} --seed 3", env)
    started = time.monotonic()
    try:
        terminal.wait_for("Connect Zoho CRM and Zoho Billing", timeout=15)
        # Next verifies first (the button then reads "Save and go on"), then stores.
        terminal.advance_until("Save and go on")
        terminal.advance_until("Which CRM records become Billing customers?")
        terminal.keys("Enter")
        terminal.advance_until("Which way do changes flow?")
        terminal.keys("Down", "Enter")
        terminal.advance_until("possible duplicate")
        terminal.keys("Tab", "A")
        terminal.advance_until("Sync only the records of a CRM view")
        terminal.advance_until("Map CRM fields to Billing fields")
        terminal.advance_until("Turn deal stages into quotes and invoices")
        terminal.advance_until("Dry run (nothing written yet)")
        # Enter on the focused "Save and Sync" (ctrl+s may be eaten as XOFF by a terminal).
        terminal.advance_until("Sav", key="Enter")  # "Saved. Syncing…", then the result
        screen = terminal.wait_for("created in Billing", timeout=30)
        created = re.search(r"created in Billing\s+(\d+)", screen)
        assert created is not None and int(created.group(1)) > 0, screen
        assert "Sync ok" in screen or "Sync finished with errors" in screen, screen
        assert time.monotonic() - started < 60
    finally:
        terminal.close()
