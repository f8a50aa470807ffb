"""The messages that cross from the App's workers (and from steps) up to the UI.

Workers run off the event loop and post these to the screen that asked; `post_message` is
thread-safe, so no widget is ever touched from a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


class LookupFinished(Message):
    """A background lookup (verify, list views, list fields, plan, ...) answered."""

    def __init__(self, what: str, value: object) -> None:
        super().__init__()
        self.what = what
        self.value = value


class LookupFailed(Message):
    """A background lookup failed; `reason` is one sentence that says what to do next."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__()
        self.what = what
        self.reason = reason


class StepCompleted(Message):
    """A setup step validated its input and wrote it into the draft: go to the next step."""

    def __init__(self, step_id: str) -> None:
        super().__init__()
        self.step_id = step_id


class StepWentBack(Message):
    """The user asked for the previous step."""

    def __init__(self, step_id: str) -> None:
        super().__init__()
        self.step_id = step_id


@dataclass(frozen=True)
class SyncCounts:
    """What a run (or a dry run) did, in the words the result panel shows."""

    created_in_billing: int = 0
    created_in_crm: int = 0
    updated_in_billing: int = 0
    updated_in_crm: int = 0
    linked: int = 0
    skipped: int = 0
    conflicts: int = 0
    errors: int = 0


class SyncProgressed(Message):
    """A throttled progress report from the sync worker; newer ones replace waiting older ones."""

    def __init__(self, phase: str, done: int, total: int | None) -> None:
        super().__init__()
        self.phase = phase
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SyncProgressed)


class SyncFinished(Message):
    """The sync started by Save and Sync ended (`error` set when it could not run at all)."""

    def __init__(self, status: str, counts: SyncCounts, message: str = "") -> None:
        super().__init__()
        self.status = status
        self.counts = counts
        self.message = message
