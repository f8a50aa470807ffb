"""The sync child and the App's side of it, without the TUI: what it prints, how it ends, what
the App makes of a crash, and cancelling with SIGTERM."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from zsync_tui.operate_sync_child import EXIT_SETUP, report_from_dict
from zsync_tui.operate_sync_process import SyncProcess, advice_for
from zsync_tui.sync.events import RunReport, SyncProgress


def python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def test_the_child_without_a_connected_profile_says_what_to_do_and_exits_2(
    isolated_home: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "zsync_tui.operate_sync_child", "--data-dir", str(isolated_home)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == EXIT_SETUP
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 1 and "zsync connect" in lines[0]["problem"]


def test_a_report_survives_the_trip_through_json() -> None:
    report = RunReport(status="budget_spent", errors=2, error_messages=["a: b"], run_id=7)
    report.created["billing"] = 3
    from datetime import UTC, datetime

    report.resumes_at = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    back = report_from_dict(json.loads(json.dumps(report.as_dict())))
    assert back.as_dict() == report.as_dict() and back.resumes_at == report.resumes_at


async def test_progress_and_report_lines_reach_the_app() -> None:
    child = SyncProcess(
        python(
            """
            import json
            step = {"phase": "reading_crm", "done": 5, "total": 9, "crm_calls": 1,
                    "billing_calls": 2}
            print(json.dumps({"progress": step}))
            print("a stray line that is not JSON")
            print(json.dumps({"item": {"action": "create_in_billing", "crm_id": "51"}}))
            print(json.dumps({"report": {"status": "ok", "dry_run": True, "linked": 1}}))
            """
        )
    )
    seen: list[SyncProgress] = []
    outcome = await child.run(seen.append)
    assert outcome.exit_code == 0 and outcome.problem is None
    assert seen == [SyncProgress("reading_crm", 5, 9, 1, 2)]
    assert outcome.report is not None and outcome.report.linked == 1
    assert [item.crm_id for item in outcome.report.items] == ["51"]


async def test_a_child_that_dies_without_a_report_is_explained() -> None:
    child = SyncProcess(python("import sys; sys.stderr.write('boom\\n'); sys.exit(5)"))
    outcome = await child.run(lambda step: None)
    assert outcome.report is None and outcome.exit_code == 5
    assert outcome.problem is not None
    assert "ended unexpectedly (exit 5): boom" in outcome.problem
    assert "zsync doctor" in outcome.problem


async def test_stop_asks_the_child_to_finish_its_page_with_sigterm() -> None:
    child = SyncProcess(
        python(
            """
            import json, signal, sys, time
            def stop(*_):
                print(json.dumps({"report": {"status": "cancelled"}}), flush=True)
                sys.exit(0)
            signal.signal(signal.SIGTERM, stop)
            step = {"phase": "reading_crm", "done": 1, "total": None, "crm_calls": 0,
                    "billing_calls": 0}
            print(json.dumps({"progress": step}), flush=True)
            time.sleep(60)
            """
        )
    )
    started = asyncio.Event()
    run = asyncio.create_task(child.run(lambda step: started.set()))
    await asyncio.wait_for(started.wait(), 30)
    assert child.stop()
    outcome = await asyncio.wait_for(run, 30)
    assert outcome.report is not None and outcome.report.status == "cancelled"
    assert not child.killed and not child.stop()  # over: nothing left to stop


async def test_a_stop_before_the_start_runs_nothing() -> None:
    child = SyncProcess(python("raise SystemExit('must not run')"))
    assert not child.stop()
    outcome = await child.run(lambda step: None)
    assert outcome.report is None and child.process is None
    assert outcome.problem == "the sync was cancelled before it started."


def test_advice_after_record_errors_and_a_spent_budget() -> None:
    assert advice_for(RunReport(status="ok")) is None
    assert advice_for(RunReport(status="finished_with_errors", errors=3, dry_run=True)) is None
    errors = advice_for(RunReport(status="finished_with_errors", errors=1_234))
    assert errors is not None and "1,234 records" in errors and "History (h)" in errors
    budget = advice_for(RunReport(status="budget_spent"))
    assert budget is not None and "resumes by itself" in budget
