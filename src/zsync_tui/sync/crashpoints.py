"""Deterministic crash points for the kill tests: `ZSYNC_CRASH_AT=N` makes the process exit
abruptly (as SIGKILL would leave it) at the Nth checkpoint it passes. Unset, it costs a counter.
"""

from __future__ import annotations

import os

CRASH_ENV = "ZSYNC_CRASH_AT"
_passed = 0


def checkpoint(name: str) -> None:
    """Mark a point where a crash must be survivable; exits here if the test asks for it."""
    global _passed
    _passed += 1
    wanted = os.environ.get(CRASH_ENV)
    if wanted and wanted.isdigit() and int(wanted) == _passed:
        os._exit(137)


def passed() -> int:
    """How many checkpoints this process has passed (tests size their kill loop with it)."""
    return _passed
