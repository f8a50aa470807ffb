"""The dashboard's failing count is what fails now, not only what the last run logged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from zsync_tui.app import ZsyncApp
from zsync_tui.operate_queries import still_failing
from zsync_tui.store import SyncRun
from zsync_tui.store.models import RecordIssue


async def test_a_refusal_skipped_by_a_later_clean_run_still_shows_as_failing(
    make_operate_app: Callable[..., ZsyncApp], keys: Any, seeded_runtime: Any
) -> None:
    runtime, seeded = seeded_runtime
    reason = "Billing refused: email is required"
    with runtime.store.write() as session:
        session.add(
            RecordIssue(
                profile_id=seeded.profile_id,
                side="crm",
                module="Accounts",
                record_id="5100009",
                reason=reason,
                message=reason,
            )
        )
        # A clean run after it: the refused record is unchanged, so it logged no error.
        session.add(
            SyncRun(
                profile_id=seeded.profile_id,
                status="ok",
                started_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
                finished_at=datetime(2026, 1, 5, 9, 1, tzinfo=UTC),
            )
        )
    app = make_operate_app()
    async with keys.running(app) as pilot:
        health = keys.text(pilot, "#health")
        lines = health.splitlines()
        failing = next(line for line in lines if "Failing" in line)
        assert failing.split()[-1] == "1"
        assert "Billing refused" in lines[lines.index(failing) + 1]


def test_a_record_in_both_the_ledger_and_the_last_run_counts_once() -> None:
    standing = {"refused: no email": 2}
    last_run = {"refused: no email": 2, "timed out": 1}
    assert still_failing(standing, last_run) == {"refused: no email": 2, "timed out": 1}
