"""The ledger's batch writes: links, issues and cursors in a few statements, same results as
row by row."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from zsync_tui.store import RecordIssue, RecordLink, new_record_link


def _link(world: Any, crm_id: str, **extra: Any) -> RecordLink:
    return new_record_link(
        profile_id=world.ledger.profile_id,
        crm_module="Accounts",
        crm_id=crm_id,
        billing_id=f"b{crm_id}",
        **extra,
    )


def test_a_fast_link_is_the_same_link_as_the_model_builds(world: Any):
    fields = {"profile_id": 1, "crm_module": "Accounts", "crm_id": "7", "billing_id": "9"}
    assert new_record_link(**fields).model_dump() == RecordLink(**fields).model_dump()
    fast = new_record_link(**fields)
    fast.crm_hash = "changed"
    assert fast.crm_hash == "changed"
    try:
        new_record_link(crm_idd="7")
    except TypeError as exc:
        assert "crm_idd" in str(exc)
    else:
        raise AssertionError("an unknown field must be refused")


def test_links_are_inserted_with_their_ids_then_updated(world: Any):
    ledger = world.ledger
    links = [_link(world, str(n), crm_hash=f"h{n}") for n in range(5)]
    with ledger.store.write() as session:
        ledger.save_links(session, links + [links[0]])  # the same object twice: one row
    assert all(link.id for link in links)
    assert len({link.id for link in links}) == 5
    links[2].crm_hash = "new"
    fresh = _link(world, "99")
    with ledger.store.write() as session:
        ledger.save_links(session, [links[2], fresh])
    with ledger.store.read() as session:
        stored = ledger.links_by_crm(session, "Accounts", ["0", "2", "99"])
    assert stored["2"].crm_hash == "new" and stored["2"].id == links[2].id
    assert stored["0"].crm_hash == "h0"
    assert stored["99"].id == fresh.id
    assert stored["2"].last_synced_at is not None


def test_issues_are_upserted_keeping_first_seen_and_settled_in_one_go(world: Any):
    ledger = world.ledger
    issue = ("crm", "Accounts", "5", "Acme", "Billing refused", "no email", "t1")
    with ledger.store.write() as session:
        ledger.record_issues(session, [issue, ("crm", "Accounts", "6", None, "r", "m", None)])
    with ledger.store.read() as session:
        first = session.exec(select(RecordIssue).where(RecordIssue.record_id == "5")).one()
    with ledger.store.write() as session:
        ledger.record_issues(session, [(*issue[:4], "Billing refused again", "still", "t2")])
    with ledger.store.read() as session:
        again = session.exec(select(RecordIssue).where(RecordIssue.record_id == "5")).one()
    assert (again.id, again.first_seen) == (first.id, first.first_seen)
    assert (again.reason, again.record_modified_time) == ("Billing refused again", "t2")
    assert again.last_seen >= first.last_seen
    with ledger.store.write() as session:
        ledger.settle_issues(session, [("crm", "Accounts", "5"), ("crm", "Contacts", "6")])
    assert ledger.issue_ids("crm", "Accounts") == {"6": None}


def test_a_cursor_is_created_then_moved(world: Any):
    ledger = world.ledger
    with ledger.store.write() as session:
        ledger.set_cursor(session, "crm:Accounts", "2026-01-01T00:00:00+00:00")
    with ledger.store.write() as session:
        ledger.set_cursor(session, "crm:Accounts", "2026-01-02T00:00:00+00:00")
    assert ledger.cursor("crm:Accounts") == "2026-01-02T00:00:00+00:00"


def test_a_link_changed_through_a_session_is_still_tracked_and_saved(world: Any):
    ledger = world.ledger
    with ledger.store.write() as session:
        ledger.save_links(session, [_link(world, "1")])
    with ledger.store.write() as session:
        link = session.exec(select(RecordLink)).one()
        link.crm_hash, link.state = "moved", "crm_deleted"
    with ledger.store.read() as session:
        again = session.exec(select(RecordLink)).one()
    assert (again.crm_hash, again.state) == ("moved", "crm_deleted")


def test_a_runs_match_decision_does_not_overwrite_the_admins_made_meanwhile(world: Any):
    from zsync_tui.store import DuplicateMatch
    from zsync_tui.sync.page_work import PageWork, commit_page

    ledger = world.ledger
    with ledger.store.write() as session:
        rows = [
            DuplicateMatch(
                profile_id=ledger.profile_id,
                crm_module="Accounts",
                crm_id=str(n),
                billing_id=f"b{n}",
                score=0.9,
                reasons="same name",
            )
            for n in range(2)
        ]
        session.add_all(rows)
        session.flush()
        ids = [int(row.id or 0) for row in rows]
    # The run read both as waiting; the admin approves the first before the run commits.
    with ledger.store.write() as session:
        session.get(DuplicateMatch, ids[0]).state = "approved"  # type: ignore[union-attr]
    work = PageWork()
    work.decided = [(ids[0], "waiting", "cloned"), (ids[1], "waiting", "cloned")]
    commit_page(ledger, None, work)
    with ledger.store.read() as session:
        states = [session.get(DuplicateMatch, i).state for i in ids]  # type: ignore[union-attr]
    assert states == ["approved", "cloned"]
