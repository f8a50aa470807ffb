"""Budgets (CRM credits and concurrency, Billing per minute and per day) and injected faults."""

from __future__ import annotations

import threading

import httpx
import pytest

FIELDS = {"fields": "Account_Name"}


def test_crm_credits_run_out_with_the_documented_429(zoho_factory) -> None:
    zoho = zoho_factory(crm_credits_per_day=10)
    answers = [zoho.crm("GET", "/Accounts", params=FIELDS) for _ in range(10)]
    assert all(a.status_code == 200 for a in answers)
    assert "x-api-credits-remaining" not in answers[3].headers
    assert answers[4].headers["x-api-credits-remaining"] == "5"
    assert answers[9].headers["x-api-credits-remaining"] == "0"
    refused = zoho.crm("GET", "/Accounts", params=FIELDS)
    assert refused.status_code == 429
    assert refused.json() == {
        "code": "TOO_MANY_REQUESTS",
        "details": {},
        "message": "You have exceeded the API credits allowed for the day (rolling 24 hours).",
        "status": "error",
    }
    assert "retry-after" not in refused.headers
    stats = zoho.stats()
    assert stats["throttled"] == {"crm_credits": 1}
    assert stats["crm_credits_used"] == 10
    zoho.advance(24 * 3600 + 1)
    zoho.refresh()
    assert zoho.crm("GET", "/Accounts", params=FIELDS).status_code == 200


def test_bulk_writes_cost_a_credit_per_ten_records(zoho_factory) -> None:
    zoho = zoho_factory(accounts=0)
    rows = [{"Account_Name": f"Bulk {i}"} for i in range(100)]
    assert zoho.crm("POST", "/Accounts", json={"data": rows}).status_code == 201
    assert zoho.stats()["crm_credits_used"] == 10
    zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": "One more"}]})
    assert zoho.stats()["crm_credits_used"] == 11


def test_editions_set_credits_and_concurrency(zoho_factory) -> None:
    free = zoho_factory(crm_edition="free").stats()["budgets"]
    assert (free["crm_credits_per_day"], free["crm_concurrency"]) == (5000, 5)
    pro = zoho_factory(crm_edition="professional", crm_users=10).stats()["budgets"]
    assert (pro["crm_credits_per_day"], pro["crm_concurrency"]) == (55000, 15)


def test_concurrency_limit_refuses_the_extra_call(zoho_factory) -> None:
    # Latency is served inside admission: a slow call holds its slot, as on Zoho.
    zoho = zoho_factory(crm_edition="free", latency_ms=1200)
    results: list[int] = []

    def call() -> None:
        with httpx.Client(timeout=30) as http:
            answer = http.get(
                f"{zoho.running.url}/crm/v8/Accounts",
                params={"fields": "Account_Name,Phone"},
                headers=zoho.auth,
            )
            results.append(answer.status_code)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(200) >= 5 and 429 in results
    assert zoho.stats()["throttled"]["crm_concurrency"] >= 1


def test_billing_per_minute_and_per_day(zoho_factory) -> None:
    zoho = zoho_factory(billing_calls_per_minute=3, billing_calls_per_day=5)
    assert [zoho.billing("GET", "/customers").status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = zoho.billing("GET", "/customers")
    assert refused.json()["code"] == 44 and "too many requests" in refused.json()["message"]
    zoho.advance(61)
    zoho.refresh()
    assert [zoho.billing("GET", "/customers").status_code for _ in range(3)] == [200, 200, 429]
    assert zoho.billing("GET", "/customers").json()["code"] == 45
    assert zoho.stats()["throttled"] == {"billing_minute": 2, "billing_day": 2}


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_random_http_faults(zoho_factory, status: int) -> None:
    zoho = zoho_factory(faults=f"{status}=1")
    crm = zoho.crm("GET", "/Accounts", params=FIELDS)
    billing = zoho.billing("GET", "/customers")
    assert crm.status_code == billing.status_code == status
    if status in (502, 503):
        assert crm.headers["content-type"].startswith("text/html")
    else:
        assert crm.json()["status"] == "error"
        assert billing.json()["code"] != 0
    assert zoho.stats()["faults_injected"] == {f"http_{status}": 2}


def test_faults_change_at_run_time_and_bad_specs_are_refused(zoho) -> None:
    assert zoho.admin("POST", "/faults", json={"p500": 1}).json()["p500"] == 1.0
    assert zoho.crm("GET", "/Accounts", params=FIELDS).status_code == 500
    zoho.admin("POST", "/faults", json={"p500": 0})
    assert zoho.crm("GET", "/Accounts", params=FIELDS).status_code == 200
    for bad in ({"p500": 2}, {"bogus": 1}, {"latency_ms": "slow"}, {"drop_mode": "explode"}):
        answer = zoho.admin("POST", "/faults", json=bad)
        assert answer.status_code == 400 and answer.json()["error"]


def test_malformed_bodies(zoho_factory) -> None:
    zoho = zoho_factory(faults="html=1")
    page = zoho.crm("GET", "/Accounts", params=FIELDS)
    assert page.status_code == 200 and page.text.startswith("<!DOCTYPE html>")
    zoho.admin("POST", "/faults", json={"html": 0, "truncated": 1})
    cut = zoho.crm("GET", "/Accounts", params=FIELDS)
    assert cut.status_code == 200
    with pytest.raises(ValueError):
        cut.json()
    assert zoho.stats()["faults_injected"] == {"html": 1, "truncated": 1}


def test_trickling_reply_arrives_whole(zoho_factory) -> None:
    zoho = zoho_factory(faults="trickle=1,trickle_chunk=200,trickle_delay_ms=1")
    answer = zoho.crm("GET", "/Accounts", params=FIELDS)
    assert answer.status_code == 200 and len(answer.json()["data"]) == 30


def test_commit_then_drop_applies_the_write_and_closes(zoho_factory) -> None:
    zoho = zoho_factory(faults="drop=1")
    with pytest.raises(httpx.TransportError):
        zoho.billing(
            "POST", "/customers", json={"display_name": "Dropped Ltd", "email": "d@example.org"}
        )
    zoho.admin("POST", "/faults", json={"commit_then_drop": 0})
    names = [c["display_name"] for c in zoho.billing("GET", "/customers").json()["customers"]]
    assert "Dropped Ltd" in names
    assert zoho.stats()["faults_injected"] == {"commit_then_drop": 1}


def test_commit_then_stall_outlasts_the_read_timeout(zoho_factory) -> None:
    zoho = zoho_factory(faults="drop=1,drop_mode=stall,stall_s=2")
    with pytest.raises(httpx.ReadTimeout):
        zoho.crm("POST", "/Accounts", json={"data": [{"Account_Name": "Stalled"}]}, timeout=0.3)
    zoho.admin("POST", "/faults", json={"commit_then_drop": 0})
    found = zoho.crm(
        "GET", "/Accounts/search", params={"criteria": "(Account_Name:equals:Stalled)"}
    )
    assert found.status_code == 200


def test_latency_is_added(zoho_factory) -> None:
    zoho = zoho_factory(latency_ms=80)
    answer = zoho.crm("GET", "/Accounts", params=FIELDS)
    assert answer.elapsed.total_seconds() >= 0.08


def test_latency_is_never_cut_short_and_is_timed_apart_from_the_work(zoho_factory) -> None:
    zoho = zoho_factory(latency_ms=7)
    for _ in range(5):
        assert zoho.crm("GET", "/Accounts", params=FIELDS).status_code == 200
    timing = zoho.stats()["timing"]
    assert timing["api_calls"] == 5 and timing["latency_calls"] == 5
    assert timing["latency_asked_ms"] == pytest.approx(35.0)
    assert timing["latency_waited_ms"] >= timing["latency_asked_ms"]
    assert timing["api_ms"] > timing["latency_waited_ms"]  # the work comes on top
    zoho.admin("POST", "/reset")
    assert zoho.stats()["timing"]["api_calls"] == 0
