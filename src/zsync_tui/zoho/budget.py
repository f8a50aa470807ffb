"""The budget governor: paces calls so a sync never spends more than Zoho allows.

CRM counts credits over a rolling 24 hours (and tells us what is left in
`X-API-CREDITS-REMAINING` once half is used) and limits concurrent calls by edition. Billing
counts calls per minute and per day. Short windows are paced (we wait); a spent daily budget
stops cleanly with the time it resumes.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from zsync_tui.zoho.errors import BudgetExhausted, Side

DAY_S = 86_400.0

#: CRM concurrency per org per app, by edition (zoho-api.md §2.12).
CRM_CONCURRENCY = {
    "free": 5,
    "standard": 10,
    "starter": 10,
    "professional": 15,
    "enterprise": 20,
    "zohoone": 20,
    "ultimate": 25,
    "crmplus": 25,
}
#: CRM credits per rolling 24 h: (base, per user, maximum or None for unlimited).
CRM_CREDITS = {
    "free": (5_000, 0, 5_000),
    "standard": (50_000, 250, 100_000),
    "starter": (50_000, 250, 100_000),
    "professional": (50_000, 500, 3_000_000),
    "enterprise": (50_000, 1_000, 5_000_000),
    "zohoone": (50_000, 1_000, 5_000_000),
    "ultimate": (50_000, 2_000, None),
    "crmplus": (50_000, 2_000, None),
}


def _edition_key(edition: str | None) -> str:
    return "".join(ch for ch in (edition or "").lower() if ch.isalnum())


def crm_concurrency(edition: str | None) -> int:
    """Concurrent CRM calls allowed for an edition; the lowest (Free) when unknown."""
    return CRM_CONCURRENCY.get(_edition_key(edition), 5)


def crm_daily_credits(edition: str | None, users: int = 1) -> int | None:
    """Credits per rolling 24 h for an edition, None when unlimited; Free's when unknown."""
    base, per_user, maximum = CRM_CREDITS.get(_edition_key(edition), CRM_CREDITS["free"])
    total = base + per_user * max(users, 1)
    return total if maximum is None else min(total, maximum)


@dataclass
class Window:
    """At most `limit` units in any `seconds`; `pace` waits for room, else the call stops."""

    name: str
    limit: int
    seconds: float
    pace: bool


class CallBudget:
    """Concurrency plus rolling windows for one side of the wire.

    `reserve` keeps some of a daily allowance for the org's other integrations.
    """

    def __init__(
        self,
        side: Side,
        *,
        concurrency: int,
        windows: list[Window] | None = None,
        reserve: int = 0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.side = side
        self.concurrency = concurrency
        self.windows = windows or []
        self.reserve = reserve
        self._clock = clock
        self._sleep = sleep
        self._semaphore = asyncio.Semaphore(concurrency)
        self._spent: dict[str, deque[tuple[float, int]]] = {w.name: deque() for w in self.windows}
        # Running sums, so a day of calls costs O(1) per call rather than a walk of the window.
        self._totals: dict[str, int] = {w.name: 0 for w in self.windows}
        self._pace_lock = asyncio.Lock()
        self.server_remaining: int | None = None
        self.in_flight = 0
        self.peak_in_flight = 0

    def _used(self, window: Window, now: float) -> int:
        spent = self._spent[window.name]
        while spent and now - spent[0][0] >= window.seconds:
            self._totals[window.name] -= spent.popleft()[1]
        return self._totals[window.name]

    def _room_at(self, window: Window, cost: int, now: float) -> float:
        """When `cost` more units fit in the window (now, if they fit already)."""
        used = self._used(window, now)
        if used + cost <= window.limit:
            return now
        excess = used + cost - window.limit
        for started, spent_cost in self._spent[window.name]:
            excess -= spent_cost
            if excess <= 0:
                return started + window.seconds
        return now + window.seconds

    def _stop(self, detail: str, resumes: float) -> BudgetExhausted:
        return BudgetExhausted(detail, datetime.fromtimestamp(resumes, UTC), side=self.side)

    def check(self, cost: int = 1) -> None:
        """Raise `BudgetExhausted` now if a hard (daily) budget has no room for `cost`."""
        now = self._clock()
        if self.server_remaining is not None and self.server_remaining - cost < self.reserve:
            raise self._stop(
                f"Zoho reports {max(self.server_remaining, 0)} {self.side.upper()} API credits "
                f"left (reserve {self.reserve})",
                self.daily_resume_at(),
            )
        for window in self.windows:
            if window.pace:
                continue
            limit = window.limit - self.reserve
            if self._used(window, now) + cost > limit:
                raise self._stop(
                    f"the {window.name} budget of {window.limit} for {self.side.upper()} is spent",
                    self._room_at(window, cost + self.reserve, now),
                )

    @asynccontextmanager
    async def slot(self, cost: int = 1) -> AsyncIterator[None]:
        """Hold one concurrent call, after waiting for room in the paced windows."""
        self.check(cost)
        async with self._semaphore:
            async with self._pace_lock:
                while True:
                    now = self._clock()
                    ready = max(
                        (self._room_at(w, cost, now) for w in self.windows if w.pace),
                        default=now,
                    )
                    if ready <= now:
                        break
                    await self._sleep(ready - now)
                self.check(cost)
                for window in self.windows:
                    self._spent[window.name].append((now, cost))
                    self._totals[window.name] += cost
                if self.server_remaining is not None:
                    # Count down between answers; the next header sets the true value again.
                    self.server_remaining -= cost
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                yield
            finally:
                self.in_flight -= 1

    def daily_resume_at(self) -> float:
        """When the oldest call of the day leaves the 24 h window (a day from now if none)."""
        now = self._clock()
        oldest = [
            self._spent[w.name][0][0] for w in self.windows if not w.pace and self._spent[w.name]
        ]
        return (min(oldest) + DAY_S) if oldest else now + DAY_S

    def server_says_spent(self, detail: str) -> BudgetExhausted:
        """The error for Zoho refusing because a daily allowance is used up."""
        return self._stop(detail, self.daily_resume_at())

    def observe_remaining(self, header_value: str | None) -> None:
        """Record `X-API-CREDITS-REMAINING` from a CRM answer (absent until 50% is used)."""
        if header_value is None:
            return
        try:
            self.server_remaining = int(header_value.strip())
        except ValueError:
            return


def crm_budget(
    edition: str | None = None,
    users: int = 1,
    *,
    reserve: int = 0,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> CallBudget:
    """The CRM governor for an edition: concurrency and rolling 24 h credits.

    With the edition unknown, concurrency is the lowest (5) and no local credit window is kept:
    guessing Free's 5,000 would stop a large org's sync early, so `X-API-CREDITS-REMAINING`
    alone decides. `ZohoClients.size_crm_budget(org)` sizes it properly once the org is read.
    """
    credits = crm_daily_credits(edition, users) if edition else None
    windows = [] if credits is None else [Window("daily credits", credits, DAY_S, pace=False)]
    return CallBudget(
        "crm",
        concurrency=crm_concurrency(edition),
        windows=windows,
        reserve=reserve,
        clock=clock,
        sleep=sleep,
    )


def billing_budget(
    per_minute: int = 100,
    per_day: int = 2_500,
    concurrency: int = 5,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> CallBudget:
    """The Billing governor. Zoho publishes no numbers for Billing (zoho-api.md §3.8); the
    defaults are the sibling products' (100 a minute, the Standard plan's day, 5 at once)."""
    return CallBudget(
        "billing",
        concurrency=concurrency,
        windows=[
            Window("per-minute", per_minute, 60.0, pace=True),
            Window("daily", per_day, DAY_S, pace=False),
        ],
        clock=clock,
        sleep=sleep,
    )


def write_cost(records: int) -> int:
    """CRM credits for an insert/update/upsert: one per ten records, at least one."""
    return max(1, math.ceil(records / 10))
