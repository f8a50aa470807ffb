"""`zsync status` and the dashboard's counts: what is in sync, excluded, failing and waiting,
and how the last run ended."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col, func, select

from zsync_tui.store import Conflict, DuplicateMatch, OutboxIntent, Profile, RecordLink, SyncRun
from zsync_tui.store.database import Store
from zsync_tui.sync.ledger import Ledger
from zsync_tui.sync.run_lock import INTERRUPTED, INTERRUPTED_MESSAGE, RunLock


def profile_status(store: Store, profile: Profile, enabled: bool, lock: RunLock) -> dict[str, Any]:
    """In sync, excluded by reason, failing by reason, conflicts waiting, last run (a run left
    "running" by a process that died, as `lock` tells, is said to be interrupted)."""
    pid = int(profile.id or 0)
    with store.read() as session:
        links = session.exec(
            select(RecordLink.state, func.count())
            .where(RecordLink.profile_id == pid)
            .group_by(RecordLink.state)
        ).all()
        conflicts = session.exec(
            select(func.count()).where(Conflict.profile_id == pid, Conflict.state == "open")
        ).one()
        waiting = session.exec(
            select(func.count()).where(
                DuplicateMatch.profile_id == pid, DuplicateMatch.state == "waiting"
            )
        ).one()
        pending = session.exec(
            select(func.count()).where(
                OutboxIntent.profile_id == pid, OutboxIntent.state == "pending"
            )
        ).one()
        last = session.exec(
            select(SyncRun)
            .where(SyncRun.profile_id == pid, SyncRun.dry_run == False)  # noqa: E712
            .order_by(col(SyncRun.id).desc())
        ).first()
        last_ok = session.exec(
            select(SyncRun)
            .where(SyncRun.profile_id == pid, SyncRun.status == "ok")
            .order_by(col(SyncRun.id).desc())
        ).first()
        last_full = session.exec(
            select(SyncRun)
            .where(
                SyncRun.profile_id == pid,
                SyncRun.kind == "customers_full",
                SyncRun.dry_run == False,  # noqa: E712
            )
            .order_by(col(SyncRun.id).desc())
        ).first()
        matches = session.exec(
            select(DuplicateMatch.state, func.count())
            .where(DuplicateMatch.profile_id == pid)
            .group_by(DuplicateMatch.state)
        ).all()
    by_state = dict(links)
    excluded: dict[str, int] = {}
    if last_full is not None:
        full_counts = json.loads(last_full.counts_json)
        excluded.update(full_counts.get("skipped_by_reason") or {})
    by_match = dict(matches)
    for reason, state in (
        ("duplicate waiting for review", "waiting"),
        ("duplicate skipped", "skipped"),
        ("unlinked by the admin", "unlinked"),
    ):
        excluded.pop(reason, None)
        if by_match.get(state):
            excluded[reason] = by_match[state]
    excluded.pop("refused earlier", None)
    failing = Ledger(store, pid).issues_by_reason()
    counts = json.loads(last.counts_json) if last else {}
    if last is not None and last.status == "running" and not lock.holder_alive():
        # Its process died; the next writer marks it so. Said now, not "running" for ever.
        last.status, last.message = INTERRUPTED, INTERRUPTED_MESSAGE
    return {
        "profile": profile.name,
        "enabled": enabled,
        "in_sync": by_state.get("linked", 0),
        "crm_deleted": by_state.get("crm_deleted", 0),
        "excluded": excluded,
        "failing": sum(failing.values()),
        "failing_by_reason": failing,
        "last_run_errors": counts.get("error_messages", [])[:10],
        "conflicts_waiting": conflicts,
        "duplicates_waiting": waiting,
        "outbox_pending": pending,
        "last_run": None
        if last is None
        else {
            "id": last.id,
            "status": last.status,
            "started_at": last.started_at.isoformat(),
            "finished_at": last.finished_at.isoformat() if last.finished_at else None,
            "message": last.message,
            "resumes_at": counts.get("resumes_at"),
            "api_calls": counts.get("api_calls"),
            "write_calls": counts.get("write_calls"),
        },
        "last_successful_run": last_ok.finished_at.isoformat()
        if last_ok and last_ok.finished_at
        else None,
    }
