"""The sandbox's settable clock: tests move time instead of sleeping."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone


class SandboxClock:
    """Wall-clock time shifted by an offset, or frozen at an instant; changeable at run time."""

    def __init__(self, start: float | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0 if start is None else start - time.time()
        self._frozen: float | None = None

    def now(self) -> float:
        """Epoch seconds as the sandbox sees them."""
        frozen = self._frozen
        return frozen if frozen is not None else time.time() + self._offset

    def set(self, epoch: float, frozen: bool = False) -> None:
        """Jump to `epoch`; with `frozen`, stay there until moved again."""
        with self._lock:
            self._offset = epoch - time.time()
            self._frozen = epoch if frozen else None

    def advance(self, seconds: float) -> None:
        """Move forward (or back, with a negative value) by `seconds`."""
        with self._lock:
            self._offset += seconds
            if self._frozen is not None:
                self._frozen += seconds

    def freeze(self, frozen: bool) -> None:
        """Stop or restart the clock at the current sandbox time."""
        with self._lock:
            if frozen and self._frozen is None:
                self._frozen = time.time() + self._offset
            elif not frozen and self._frozen is not None:
                self._offset = self._frozen - time.time()
                self._frozen = None

    @property
    def frozen(self) -> bool:
        """Whether the clock stands still."""
        return self._frozen is not None


def crm_time(epoch: float) -> str:
    """CRM's timestamp: ISO 8601 with a colon offset, one-second resolution, UTC."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def billing_time(epoch: float) -> str:
    """Billing's timestamp: `2016-06-05T02:30:08-0700` style, here always UTC."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def billing_date(epoch: float) -> str:
    """Billing's calendar date, `YYYY-MM-DD`."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%d")


def parse_time(text: str) -> float:
    """An ISO 8601 timestamp (`Z`, `+05:30` or `+0530`) as epoch seconds; ValueError if not one."""
    value = text.strip().replace("Z", "+00:00")
    if len(value) >= 5 and value[-5] in "+-" and value[-3] != ":" and "T" in value:
        value = value[:-2] + ":" + value[-2:]
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone(timedelta(0)))
    return parsed.timestamp()


def to_crm_time(text: str) -> str:
    """Any accepted timestamp normalised to the CRM form, so strings compare as times."""
    return crm_time(parse_time(text))
