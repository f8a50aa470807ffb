"""The governor against the sandbox's own budgets: it stops cleanly, with a resume time."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from zsync_tui.zoho.errors import BudgetExhausted, RateLimited


async def test_crm_credits_header_stops_the_run_before_zoho_refuses(
    live: Any, sandbox_admin: Callable[..., Any], connect_to: Callable[..., Any]
):
    sandbox_admin(live, "budgets", {"crm_credits_per_day": 20, "reset_usage": True})
    async with connect_to(live) as zoho:
        with pytest.raises(BudgetExhausted) as stopped:
            for _ in range(40):
                await zoho.crm.count("Accounts")
        calls = zoho.crm.counts.api_calls
    stats = sandbox_admin(live, "stats")
    assert calls == 20 and stats["throttled_total"] == 0  # every credit used, none refused
    assert "0 CRM API credits left" in str(stopped.value)
    resumes = stopped.value.resumes_at
    assert (
        datetime.now(UTC) + timedelta(hours=23) < resumes < datetime.now(UTC) + timedelta(hours=25)
    )


async def test_a_crm_429_saying_no_credits_is_not_retried(
    live: Any, sandbox_admin: Callable[..., Any], connect_to: Callable[..., Any]
):
    async with connect_to(live) as zoho:
        await zoho.crm.org()
        sandbox_admin(live, "budgets", {"crm_credits_per_day": 0})
        with pytest.raises(RateLimited, match="credits"):
            await zoho.crm.org()
        assert zoho.crm.counts.retries == 0


async def test_billing_daily_calls_stop_with_the_resume_time(
    live: Any, sandbox_admin: Callable[..., Any], connect_to: Callable[..., Any]
):
    async with connect_to(live, billing_per_day=3) as zoho:
        started = time.time()
        for _ in range(3):
            await zoho.billing.organizations()
        with pytest.raises(BudgetExhausted, match="daily budget of 3 for BILLING") as stopped:
            await zoho.billing.organizations()
    assert stopped.value.resumes_at.timestamp() == pytest.approx(started + 86_400, abs=5)
    # And when Zoho's own daily allowance is the smaller one, its 429 ends the run the same way.
    sandbox_admin(live, "budgets", {"billing_calls_per_day": 1, "reset_usage": True})
    async with connect_to(live) as zoho:
        await zoho.billing.organizations()
        with pytest.raises(BudgetExhausted, match="daily API allowance"):
            await zoho.billing.organizations()
        assert zoho.billing.counts.retries == 0
