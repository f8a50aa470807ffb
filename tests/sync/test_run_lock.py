"""The profile's run lock across real processes: a second writer is refused with who holds the
lock and exit 75, writing nothing; a process killed while holding it leaves it free, and the
next run marks the dead run interrupted. The holders are forked processes (a fresh
interpreter would spend seconds importing); the sandbox serves over loopback from the parent."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlmodel import col, select

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="forks holder processes")

CONFIG = {"module": "accounts", "direction": "both_ways", "duplicates": "overwrite"}
EXIT_BUSY = 75


def profile_lock(runtime: Any, action: str = "sync", kind: str = "customers") -> Any:
    from zsync_tui.connection import load_profile
    from zsync_tui.sync.run_lock import RunLock

    profile = load_profile(runtime, runtime.profile_name)
    data_dir = runtime.paths.data_dir
    return RunLock.for_profile(data_dir, int(profile.id or 0), profile.name, action, kind)


@contextmanager
def lock_held_elsewhere(
    runtime: Any, action: str = "sync", kind: str = "customers"
) -> Iterator[int]:
    """A forked process holds the profile's lock until the block ends; yields its pid."""
    lock = profile_lock(runtime, action, kind)
    ready_r, ready_w = os.pipe()
    release_r, release_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the holder: never returns
        code = 70
        try:
            os.close(ready_r)
            os.close(release_w)
            lock.acquire()
            os.write(ready_w, b"1")
            os.read(release_r, 1)  # until the parent closes its end
            code = 0
        finally:
            os._exit(code)
    os.close(ready_w)
    os.close(release_r)
    try:
        assert os.read(ready_r, 1) == b"1", "the holder could not take the lock"
        yield pid
    finally:
        os.close(release_w)
        os.close(ready_r)
        os.waitpid(pid, 0)


def cli_env(harness: Any) -> dict[str, str]:
    creds = harness.sandbox.credentials
    return {
        "ZSYNC_CLIENT_SECRET": creds["client_secret"],
        "ZSYNC_REFRESH_TOKEN": creds["refresh_token"],
    }


async def zsync(harness: Any, *args: str) -> Any:
    """`zsync ARGS` through click, off the event loop (the command runs its own)."""
    from click.testing import CliRunner

    from zsync_tui.cli import main

    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=cli_env(harness))


def api_requests(harness: Any) -> int:
    stats = harness.admin("GET", "stats")
    return sum(row["count"] for row in stats["requests"] if "/oauth/" not in row["path"])


def runs(harness: Any) -> list[Any]:
    from zsync_tui.store import SyncRun

    with harness.runtime.store.read() as session:
        return list(session.exec(select(SyncRun).order_by(col(SyncRun.id))).all())


async def test_a_second_sync_while_another_process_holds_the_lock_exits_75_and_writes_nothing(
    harness: Any,
) -> None:
    await harness.configure(**CONFIG)
    calls_before = api_requests(harness)
    with lock_held_elsewhere(harness.runtime) as holder:
        refused = await zsync(harness, "sync", "--json")
    assert refused.exit_code == EXIT_BUSY, refused.output
    assert refused.stdout == ""
    message = refused.stderr.strip()
    assert "\n" not in message
    assert f"pid {holder}" in message and "is busy" in message and "try again" in message
    # Not a single API call, no run row, no link: the lock comes before everything.
    assert api_requests(harness) == calls_before
    assert harness.writes() == 0
    assert runs(harness) == [] and harness.links() == []

    # The holder gone, the same command runs.
    done = await zsync(harness, "sync", "--json")
    assert done.exit_code in (0, 1), done.output
    assert json.loads(done.stdout)["write_calls"] > 0
    assert harness.links()


async def test_a_sync_killed_while_holding_the_lock_frees_it_and_is_marked_interrupted(
    harness: Any, tmp_path: Any, forked_zsync: Any
) -> None:
    from zsync_tui.operate_rows import run_summary
    from zsync_tui.screens.dashboard import run_outcome
    from zsync_tui.screens.history import run_cells

    await harness.configure(**CONFIG)
    # The engine's second checkpoint: the run row is written, the run is half way.
    crash = {"ZSYNC_CRASH_AT": "2", "ZSYNC_CRASH_NOTE": str(tmp_path / "kills")}
    how, code, _ = forked_zsync(
        ["sync", "--json"], {**cli_env(harness), **crash}, str(tmp_path / "out.json")
    )
    assert (how, code) == ("killed", signal.SIGKILL)
    [dead] = runs(harness)
    assert dead.status == "running"
    # Before anyone takes the lock again, status already tells the dead run from a live one.
    assert harness.service.status()["last_run"]["status"] == "interrupted"

    # The OS freed the lock with the process: it is taken at once, no stale file to clear.
    lock = profile_lock(harness.runtime)
    lock.acquire()
    lock.release()

    report = await harness.sync()
    assert report.status in ("ok", "finished_with_errors")
    rows = {row.id: row for row in runs(harness)}
    assert rows[dead.id].status == "interrupted"
    assert "ended before it finished" in (rows[dead.id].message or "")
    assert rows[report.run_id].status == report.status
    # History and the dashboard say so in words.
    summary = run_summary(rows[dead.id])
    assert "interrupted" in run_cells(summary)
    assert "interrupted" in run_outcome(summary)
    # A second run finds nothing left to mark.
    await harness.sync()
    assert [r.status for r in runs(harness)].count("interrupted") == 1


async def test_push_unlink_and_links_import_during_a_held_lock_are_refused_with_the_holder(
    harness: Any, tmp_path: Any
) -> None:
    await harness.configure(**CONFIG)
    await harness.sync()
    link = harness.links()[0]
    links_before = len(harness.links())
    writes_before = harness.writes()
    exported = tmp_path / "links.csv"
    assert (await zsync(harness, "links", "export", str(exported))).exit_code == 0
    with lock_held_elsewhere(harness.runtime, action="sync") as holder:
        pushed = await zsync(harness, "push", link.crm_id)
        unlinked = await zsync(harness, "unlink", link.crm_id)
        imported = await zsync(harness, "links", "import", str(exported))
    for result in (pushed, unlinked, imported):
        assert result.exit_code == EXIT_BUSY, result.output
        assert f"pid {holder}" in result.stderr and "is busy" in result.stderr
    assert harness.writes() == writes_before
    assert len(harness.links()) == links_before
    # Free again: the unlink goes through.
    assert (await zsync(harness, "unlink", link.crm_id)).exit_code == 0
    assert len(harness.links()) == links_before - 1


async def test_the_tui_shows_the_holder_when_its_sync_child_finds_the_profile_busy(
    harness: Any,
) -> None:
    from zsync_tui.operate_sync_process import SyncProcess
    from zsync_tui.screens.dashboard import outcome_text

    await harness.configure(**CONFIG)
    home = os.environ["ZSYNC_HOME"]
    child = SyncProcess([sys.executable, "-m", "zsync_tui.operate_sync_child", "--data-dir", home])
    with lock_held_elsewhere(harness.runtime) as holder:
        outcome = await child.run(lambda _step: None)
    assert outcome.exit_code == EXIT_BUSY and outcome.report is None
    shown = outcome_text(None, False, outcome.problem)
    assert shown.startswith("The sync could not run: profile 'default' is busy")
    assert f"pid {holder}" in shown and "try again" in shown
    assert runs(harness) == []


async def test_the_scheduler_skips_a_tick_while_another_process_syncs(
    harness: Any, tmp_path: Any, forked_zsync: Any
) -> None:
    await harness.configure(**CONFIG)
    with lock_held_elsewhere(harness.runtime) as holder:
        how, code, printed = forked_zsync(
            ["run", "--once"], cli_env(harness), str(tmp_path / "o.json")
        )
    assert (how, code) == ("exited", 0), printed
    assert "scheduled sync skipped" in printed["stderr"]
    assert f"pid {holder}" in printed["stderr"]
    assert runs(harness) == [] and harness.links() == []


async def test_deal_polls_take_their_own_lock(harness: Any) -> None:
    await harness.configure(**CONFIG)
    with lock_held_elsewhere(harness.runtime, "deal poll", kind="deals") as holder:
        refused = await zsync(harness, "deals", "poll", "--json")
    assert refused.exit_code == EXIT_BUSY, refused.output
    assert f"pid {holder}" in refused.stderr and "the deal poll did not start" in refused.stderr
    # A hand link waits for no poll either: it could meet the poll acting on the same deal.
    with lock_held_elsewhere(harness.runtime, "deal poll", kind="deals") as holder:
        linking = await zsync(harness, "deals", "link", "4876876000000001", "--invoice", "1")
    assert linking.exit_code == EXIT_BUSY, linking.output
    assert f"pid {holder}" in linking.stderr and "deal link" in linking.stderr
    # A customer sync in progress does not hold deal polls back (a poll that must import a
    # customer first meets the customers' lock there, and says so for that deal).
    with lock_held_elsewhere(harness.runtime):
        polled = await zsync(harness, "deals", "poll", "--json")
    assert polled.exit_code != EXIT_BUSY, polled.output
    assert json.loads(polled.stdout)["status"] != "busy"


def test_a_second_writer_in_the_same_process_is_refused_and_other_profiles_are_not(
    tmp_path: Any,
) -> None:
    from zsync_tui.sync.run_lock import RunLock, RunLocked

    first = RunLock.for_profile(tmp_path, 1, "default", "sync")
    me = first.acquire()
    assert me.pid == os.getpid() and first.holder() == me
    with pytest.raises(RunLocked) as refused:
        RunLock.for_profile(tmp_path, 1, "default", "push").acquire()
    assert refused.value.holder == me and "the push did not start" in str(refused.value)
    with RunLock.for_profile(tmp_path, 2, "second", "sync"):
        pass
    first.release()
    assert first.holder() is None  # blanked: nobody is named once it is free
    with RunLock.for_profile(tmp_path, 1, "default", "push") as again:
        assert again.held


async def test_status_calls_a_run_running_only_while_its_process_holds_the_lock(
    harness: Any,
) -> None:
    from zsync_tui.connection import load_profile
    from zsync_tui.store import SyncRun

    await harness.configure(**CONFIG)
    profile = load_profile(harness.runtime, harness.runtime.profile_name)
    with harness.runtime.store.write() as session:
        session.add(SyncRun(profile_id=int(profile.id or 0)))
    with lock_held_elsewhere(harness.runtime):
        assert harness.service.status()["last_run"]["status"] == "running"
    # Released (its name blanked): whatever row it left "running" is not running any more.
    assert harness.service.status()["last_run"]["status"] == "interrupted"
