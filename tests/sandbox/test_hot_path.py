"""The list route's fast lane: direct routing, one write per reply, a settled heap."""

from __future__ import annotations

import gc
from typing import Any

from zsync_tui.sandbox.connections import CoalescingTransport
from zsync_tui.sandbox.options import SandboxOptions
from zsync_tui.sandbox.state import Sandbox


class RecordingTransport:
    """What reached the socket, write by write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.aborted

    def abort(self) -> None:
        self.aborted = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 1) if name == "peername" else default


def test_held_writes_leave_as_one_and_others_go_straight_through() -> None:
    raw = RecordingTransport()
    transport = CoalescingTransport(raw)  # type: ignore[arg-type]
    transport.write(b"before")
    transport.hold()
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(memoryview(b"{}"))
    assert raw.writes == [b"before"]
    transport.release()
    assert raw.writes == [b"before", b"HTTP/1.1 200 OK\r\n\r\n{}"]
    transport.release()  # nothing held: nothing written
    transport.write(b"after")
    assert raw.writes[-1] == b"after" and len(raw.writes) == 3
    assert transport.get_extra_info("peername") == ("127.0.0.1", 1)


def test_abort_drops_what_was_held() -> None:
    raw = RecordingTransport()
    transport = CoalescingTransport(raw)  # type: ignore[arg-type]
    transport.hold()
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.abort()
    transport.release()
    assert raw.aborted and raw.writes == []


def test_list_route_answers_as_the_router_did(zoho) -> None:
    asked = {"fields": "Account_Name,Phone", "per_page": 3, "sort_by": "id", "sort_order": "asc"}
    direct = zoho.crm("GET", "/Accounts", params=asked)
    lower = zoho.crm("GET", "/accounts", params=asked)
    assert direct.status_code == lower.status_code == 200
    assert direct.json() == lower.json()
    assert direct.headers["content-length"] == str(len(direct.content))
    record = direct.json()["data"][0]
    assert list(record) == ["id", "Account_Name", "Phone"]
    refused = zoho.crm("GET", "/Accounts", params={**asked, "sort_order": "up"})
    assert refused.status_code == 400 and refused.json()["details"]["param"] == "sort_order"
    # Paths near the list route still go to their own handlers.
    assert zoho.crm("GET", "/Accounts/actions/count").json()["count"] > 0
    assert zoho.crm("GET", "/org").status_code == 200
    counted = {
        (row["method"], row["path"], row["status"]): row["count"]
        for row in zoho.stats()["requests"]
    }
    assert counted[("GET", "/crm/v8/Accounts", 200)] == 1
    assert counted[("GET", "/crm/v8/Accounts", 400)] == 1


def test_list_route_still_checks_the_token(zoho) -> None:
    zoho.token = "not-a-token"
    answer = zoho.crm("GET", "/Accounts", params={"fields": "Phone"})
    assert answer.status_code == 401 and answer.json()["code"] == "INVALID_TOKEN"


def test_a_settled_sandbox_freezes_each_new_world() -> None:
    # Other tests in this worker (the TUI's) may have frozen objects of their own.
    gc.unfreeze()
    sandbox = Sandbox(SandboxOptions(seed=3, accounts=5, contacts=5, deals=0, customers=0))
    try:
        sandbox.settle()
        assert gc.get_freeze_count() == 0  # off unless the serving process asks for it
        sandbox.settle_heap = True
        sandbox.settle()
        assert gc.get_freeze_count() > 0
        gc.unfreeze()
        sandbox.reset()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_compact_reallocates_records_in_walk_order_with_the_same_content() -> None:
    sandbox = Sandbox(SandboxOptions(seed=5, accounts=40, contacts=30, deals=10, customers=0))
    module = sandbox.world.crm["Accounts"]
    before = {record_id: dict(record) for record_id, record in module.records.items()}
    old_objects = {record_id: record for record_id, record in module.records.items()}
    module.compact()
    assert list(module.records) == list(before)  # id order kept
    assert module.records == before  # same values
    for record_id, record in module.records.items():
        assert record is not old_objects[record_id]
        assert record["Owner"] is not old_objects[record_id]["Owner"]
        # What the seeder shared within a record stays shared.
        assert (record["Created_By"] is record["Modified_By"]) == (
            old_objects[record_id]["Created_By"] is old_objects[record_id]["Modified_By"]
        )
