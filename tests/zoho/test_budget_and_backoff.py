"""The governor and the backoff, on a fake clock: no real sleeping."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from zsync_tui.zoho.budget import (
    billing_budget,
    crm_budget,
    crm_concurrency,
    crm_daily_credits,
    write_cost,
)
from zsync_tui.zoho.errors import BudgetExhausted
from zsync_tui.zoho.transport import RetryPolicy, parse_retry_after


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_backoff_is_full_jitter_under_a_growing_cap():
    policy = RetryPolicy(base_s=0.5, cap_s=8.0)
    rng = random.Random(7)
    for attempt in range(8):
        ceiling = min(8.0, 0.5 * 2**attempt)
        delays = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # spread across the whole range, not a fixed step
        assert min(delays) < ceiling * 0.2


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_editions_size_concurrency_and_credits():
    assert crm_concurrency("Enterprise") == 20
    assert crm_concurrency("Zoho One") == 20
    assert crm_concurrency(None) == 5
    assert crm_daily_credits("free", 3) == 5_000
    assert crm_daily_credits("standard", 400) == 100_000  # capped at the maximum
    assert crm_daily_credits("professional", 10) == 55_000
    assert crm_daily_credits("ultimate", 10) == 70_000
    assert write_cost(1) == 1 and write_cost(10) == 1 and write_cost(11) == 2


async def test_billing_calls_are_paced_per_minute():
    clock = FakeClock()
    budget = billing_budget(per_minute=3, per_day=100, clock=clock, sleep=clock.sleep)
    start = clock.now
    for _ in range(7):
        async with budget.slot():
            pass
    # 3 in the first minute, 3 in the second, the 7th in the third.
    assert clock.now - start == pytest.approx(120.0)
    assert clock.slept == [pytest.approx(60.0), pytest.approx(60.0)]


async def test_a_spent_daily_budget_stops_with_the_resume_time():
    clock = FakeClock()
    budget = billing_budget(per_minute=1000, per_day=5, clock=clock, sleep=clock.sleep)
    first = clock.now
    for _ in range(5):
        async with budget.slot():
            clock.now += 10
    with pytest.raises(BudgetExhausted) as stopped:
        async with budget.slot():
            pass
    assert stopped.value.resumes_at == datetime.fromtimestamp(first + 86_400, UTC)
    assert "resumed" in str(stopped.value)
    clock.now = first + 86_400 + 1
    async with budget.slot():  # the oldest call left the window
        pass


async def test_crm_credits_header_stops_before_zoho_refuses():
    clock = FakeClock()
    budget = crm_budget("enterprise", 5, reserve=10, clock=clock, sleep=clock.sleep)
    async with budget.slot():
        pass
    budget.observe_remaining("12")
    async with budget.slot(cost=2):  # 12 - 2 = 10, exactly the reserve
        pass
    with pytest.raises(BudgetExhausted, match="10 CRM API credits left"):
        async with budget.slot():
            pass
    budget.observe_remaining("not a number")
    assert budget.server_remaining == 10


async def test_concurrency_is_bounded_by_edition():
    import asyncio

    budget = crm_budget("free")
    gate = asyncio.Event()

    async def call() -> None:
        async with budget.slot():
            await gate.wait()

    tasks = [asyncio.create_task(call()) for _ in range(12)]
    for _ in range(5):
        await asyncio.sleep(0)  # let every task reach the semaphore
    assert budget.in_flight == 5
    gate.set()
    await asyncio.gather(*tasks)
    assert budget.peak_in_flight == 5


async def test_an_unknown_edition_leans_on_the_server_header_only():
    clock = FakeClock()
    budget = crm_budget(None, clock=clock, sleep=clock.sleep)
    assert budget.concurrency == 5 and budget.windows == []
    for _ in range(6_000):  # past Free's 5,000: not our guess to stop at
        budget.check()
    budget.observe_remaining("0")
    with pytest.raises(BudgetExhausted):
        budget.check()
