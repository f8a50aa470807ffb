"""API budgets: CRM credits per rolling 24 h and concurrency by edition; Billing calls per
minute and per day. All counters run on the sandbox clock."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from zsync_tui.sandbox.options import SandboxOptions

DAY_S = 86400.0
MINUTE_S = 60.0
# zoho-api.md 2.12: base 50,000 plus a per-user amount, capped; Free is a flat 5,000.
EDITION_CREDITS = {
    "free": (5000, 0, 5000),
    "standard": (50000, 250, 100000),
    "professional": (50000, 500, 3000000),
    "enterprise": (50000, 1000, 5000000),
    "ultimate": (50000, 2000, 10**12),
}
EDITION_CONCURRENCY = {
    "free": 5,
    "standard": 10,
    "professional": 15,
    "enterprise": 20,
    "ultimate": 25,
}
SUB_CONCURRENCY = 10


def edition_credits(edition: str, users: int) -> int:
    """Credits per rolling 24 h for an edition and a number of user licences."""
    base, per_user, cap = EDITION_CREDITS[edition]
    return min(base + per_user * users, cap)


class _Window:
    """A rolling window of (time, amount) with a running sum."""

    def __init__(self, span_s: float) -> None:
        self.span_s = span_s
        self.entries: deque[tuple[float, int]] = deque()
        self.total = 0

    def used(self, now: float) -> int:
        cutoff = now - self.span_s
        entries = self.entries
        while entries and entries[0][0] <= cutoff:
            self.total -= entries.popleft()[1]
        return self.total

    def add(self, now: float, amount: int) -> None:
        self.entries.append((now, amount))
        self.total += amount

    def reset(self) -> None:
        self.entries.clear()
        self.total = 0


@dataclass
class BudgetLimits:
    """The limits in force; changeable at run time through the admin API."""

    crm_credits_per_day: int
    crm_concurrency: int
    billing_calls_per_minute: int
    billing_calls_per_day: int

    @classmethod
    def from_options(cls, options: SandboxOptions) -> BudgetLimits:
        return cls(
            crm_credits_per_day=options.crm_credits_per_day
            if options.crm_credits_per_day is not None
            else edition_credits(options.crm_edition, options.crm_users),
            crm_concurrency=options.crm_concurrency or EDITION_CONCURRENCY[options.crm_edition],
            billing_calls_per_minute=options.billing_calls_per_minute,
            billing_calls_per_day=options.billing_calls_per_day,
        )


class Budgets:
    """Counts and enforces the budgets; thread-safe, cheap on the hot path."""

    def __init__(self, limits: BudgetLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self.crm_window = _Window(DAY_S)
        self.billing_minute = _Window(MINUTE_S)
        self.billing_day = _Window(DAY_S)
        self.crm_in_flight = 0
        self.heavy_in_flight = 0
        self.crm_credits_total = 0
        self.billing_calls_total = 0

    def crm_remaining(self, now: float) -> int:
        """Credits left in the rolling window."""
        return self.limits.crm_credits_per_day - self.crm_window.used(now)

    def crm_admit(self, now: float, heavy: bool) -> str | None:
        """Start a CRM call: None if admitted, else which limit refuses it."""
        with self._lock:
            if self.crm_window.used(now) + 1 > self.limits.crm_credits_per_day:
                return "credits"
            if self.crm_in_flight >= self.limits.crm_concurrency:
                return "concurrency"
            if heavy and self.heavy_in_flight >= SUB_CONCURRENCY:
                return "concurrency"
            self.crm_in_flight += 1
            if heavy:
                self.heavy_in_flight += 1
            return None

    def crm_release(self, heavy: bool) -> None:
        """End a CRM call admitted by `crm_admit`."""
        with self._lock:
            self.crm_in_flight -= 1
            if heavy:
                self.heavy_in_flight -= 1

    def crm_charge(self, now: float, credits: int) -> None:
        """Count the credits a finished call cost."""
        with self._lock:
            self.crm_window.add(now, credits)
            self.crm_credits_total += credits

    def crm_header(self, now: float) -> str | None:
        """`X-API-CREDITS-REMAINING`, sent once half the window's credits are used."""
        remaining = self.crm_remaining(now)
        if remaining <= self.limits.crm_credits_per_day / 2:
            return str(max(remaining, 0))
        return None

    def billing_admit(self, now: float) -> str | None:
        """Count a Billing call: None if admitted, else `minute` or `day`."""
        with self._lock:
            if self.billing_day.used(now) >= self.limits.billing_calls_per_day:
                return "day"
            if self.billing_minute.used(now) >= self.limits.billing_calls_per_minute:
                return "minute"
            self.billing_day.add(now, 1)
            self.billing_minute.add(now, 1)
            self.billing_calls_total += 1
            return None

    def reset(self) -> None:
        """Forget all usage (not the limits)."""
        with self._lock:
            self.crm_window.reset()
            self.billing_minute.reset()
            self.billing_day.reset()
            self.crm_credits_total = 0
            self.billing_calls_total = 0

    def snapshot(self, now: float) -> dict[str, int]:
        """Usage and limits for the admin stats."""
        with self._lock:
            return {
                "crm_credits_per_day": self.limits.crm_credits_per_day,
                "crm_credits_used_24h": self.crm_window.used(now),
                "crm_credits_used_total": self.crm_credits_total,
                "crm_concurrency": self.limits.crm_concurrency,
                "crm_in_flight": self.crm_in_flight,
                "billing_calls_per_minute": self.limits.billing_calls_per_minute,
                "billing_calls_per_day": self.limits.billing_calls_per_day,
                "billing_calls_last_minute": self.billing_minute.used(now),
                "billing_calls_24h": self.billing_day.used(now),
                "billing_calls_total": self.billing_calls_total,
            }
