"""Deterministic crash points for the kill tests: `ZSYNC_CRASH_AT=N` makes the process kill
itself with SIGKILL at the Nth checkpoint it passes (no cleanup, no flush, no finally blocks).
Unset, a checkpoint costs a counter.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "ZSYNC_CRASH_AT"
NOTE_ENV = "ZSYNC_CRASH_NOTE"  # a file the test reads: which checkpoint the kill hit
_passed = 0


def checkpoint(name: str) -> None:
    """Mark a point where a crash must be survivable; dies here if the test asks for it."""
    global _passed
    _passed += 1
    wanted = os.environ.get(CRASH_ENV)
    if wanted and wanted.isdigit() and int(wanted) == _passed:
        note = os.environ.get(NOTE_ENV)
        if note:
            with open(note, "a", encoding="utf-8") as handle:
                handle.write(name + "\n")
        os.kill(os.getpid(), signal.SIGKILL)


def passed() -> int:
    """How many checkpoints this process has passed."""
    return _passed


def reset() -> None:
    """Start counting again (a forked test child starts its own count)."""
    global _passed
    _passed = 0
