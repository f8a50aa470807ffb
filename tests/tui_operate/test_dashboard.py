"""The dashboard: health from the store, the budget, Sync now / dry run / cancel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from zsync_tui.app import ZsyncApp
from zsync_tui.store import RecordError, SyncRun


async def test_dashboard_shows_health_runs_and_budget(
    make_operate_app: Callable[..., ZsyncApp], keys: Any
) -> None:
    app = make_operate_app()
    async with keys.running(app) as pilot:
        assert keys.screen_name(pilot) == "DashboardScreen"
        health = keys.text(pilot, "#health")
        assert "In sync" in health and "11" in health  # 12 links, one deleted in CRM
        assert "email is not valid" in health
        assert "Conflicts waiting" in health
        runs = keys.text(pilot, "#run-times")
        assert "Last run:\n▊   finished, 2 errors\n▊   2026-01-05 08:00 UTC" in runs
        assert "never" not in runs  # the last run went through every record


async def test_a_later_cancelled_run_still_shows_when_the_last_finished_and_how(
    make_operate_app: Callable[..., ZsyncApp], keys: Any, seeded_runtime: Any
) -> None:
    runtime, seeded = seeded_runtime
    with runtime.store.write() as session:
        for run in session.exec(select(SyncRun)).all():
            run.status = "cancelled" if run.status == "ok" else run.status
            session.add(run)
        session.add(
            SyncRun(
                profile_id=seeded.profile_id,
                status="cancelled",
                started_at=datetime(2026, 1, 5, 8, 30, tzinfo=UTC),
                finished_at=datetime(2026, 1, 5, 8, 31, tzinfo=UTC),
            )
        )
    app = make_operate_app()
    async with keys.running(app) as pilot:
        runs = keys.text(pilot, "#run-times")
        assert "Last run:\n▊   cancelled\n▊   2026-01-05 08:31 UTC" in runs
        assert "Last finished run:\n▊   finished, 2 errors\n▊   2026-01-05 08:00 UTC" in runs


async def test_a_long_failing_reason_is_shortened_at_a_word_not_wrapped(
    make_operate_app: Callable[..., ZsyncApp], keys: Any, seeded_runtime: Any
) -> None:
    runtime, _seeded = seeded_runtime
    reason = "Billing refused the customer: the e-mail address is not valid"
    with runtime.store.write() as session:
        for error in session.exec(select(RecordError)).all():
            error.reason = reason
            session.add(error)
    app = make_operate_app()
    async with keys.running(app) as pilot:
        health = keys.text(pilot, "#health").splitlines()
        line = next(row for row in health if "Billing refused" in row)
        label = line.split("▊", 1)[1].strip().rsplit(" ", 1)[0].strip()
        assert label.endswith("…") and reason.startswith(label[:-1])
        assert reason[len(label) - 1] in " :;,."  # cut where a word ends
        after = health[health.index(line) + 1]
        assert "Conflicts waiting" in after  # nothing wrapped onto the next line
