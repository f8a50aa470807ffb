"""Every CRM client call against the sandbox over loopback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from zsync_tui.zoho.crm import all_of, criterion, escape_criteria_value, field_chunks
from zsync_tui.zoho.errors import NotFound, ValidationFailed

FIELDS = ["Account_Name", "Phone", "Billing_City", "Modified_Time"]


async def test_reading_org_users_and_metadata(live: Any, connect_to: Callable[..., Any]):
    async with connect_to(live) as zoho:
        org = await zoho.crm.org()
        assert org.name and org.base_currency == "USD" and org.edition == "enterprise"
        assert org.multi_currency is False and org.licensed_users == 5
        me = await zoho.crm.current_user()
        assert me.email and me.id
        assert (await zoho.crm.user_by_email(me.email.upper())) == me
        assert await zoho.crm.user_by_email("nobody@nowhere.example") is None

        stages = await zoho.crm.stage_probabilities()
        assert stages["Closed Won"].probability == 100
        assert stages["Closed Lost"].probability == 0
        assert stages["Qualification"].forecast_type == "Open"
        fields = await zoho.crm.fields("Accounts")
        assert {"Account_Name", "Modified_Time"} <= {f["api_name"] for f in fields}
        views = await zoho.crm.custom_views("Accounts")
        assert any(view.get("system_name") == "all" for view in views)
        pipelines = await zoho.crm.pipelines()
        assert pipelines and any(
            stage["actual_value"] == "Closed Won" for stage in pipelines[0]["maps"]
        )
        assert zoho.crm.counts.api_calls >= 9 and zoho.crm.counts.write_calls == 0


async def test_listing_walks_every_record_oldest_change_first(
    live: Any, connect_to: Callable[..., Any]
):
    async with connect_to(live) as zoho:
        records = [
            r async for page in zoho.crm.iter_records("Accounts", FIELDS, per_page=7) for r in page
        ]
        assert len(records) == len({r["id"] for r in records}) == await zoho.crm.count("Accounts")
        times = [r["Modified_Time"] for r in records]
        assert times == sorted(times)
        one = await zoho.crm.get_record("Accounts", records[0]["id"])
        assert one["Account_Name"] == records[0]["Account_Name"]
        with pytest.raises(NotFound):
            await zoho.crm.get_record("Accounts", "4876876999999999999")


async def test_if_modified_since_yields_only_later_changes(
    live: Any, connect_to: Callable[..., Any]
):
    async with connect_to(live) as zoho:
        future = datetime(2099, 1, 1, tzinfo=UTC)
        assert [
            page async for page in zoho.crm.iter_records("Accounts", FIELDS, modified_since=future)
        ] == []
        (result,) = await zoho.crm.insert("Accounts", [{"Account_Name": "Fresh Change GmbH"}])
        since = datetime.fromisoformat(result.details["Modified_Time"]) - timedelta(seconds=1)
        recent = [
            r
            async for page in zoho.crm.iter_records("Accounts", FIELDS, modified_since=since)
            for r in page
        ]
        assert result.id in {r["id"] for r in recent}


async def test_a_view_lists_its_own_records(live: Any, connect_to: Callable[..., Any]):
    async with connect_to(live) as zoho:
        views = await zoho.crm.custom_views("Accounts")
        everything = next(v for v in views if v.get("system_name") == "all")
        listed = [
            r
            async for page in zoho.crm.iter_records("Accounts", FIELDS, cvid=everything["id"])
            for r in page
        ]
        assert len(listed) == await zoho.crm.count("Accounts", cvid=everything["id"])


async def test_more_than_2000_records_with_one_modified_time_none_skipped(
    sandbox_factory: Callable[..., Any],
    sandbox_admin: Callable[..., Any],
    connect_to: Callable[..., Any],
):
    sandbox = sandbox_factory(seed=3, accounts=0, contacts=0, deals=0, customers=0, duplicates=0)
    sandbox_admin(sandbox, "clock", {"set": 1_900_000_000, "freeze": True})
    async with connect_to(sandbox) as zoho:
        names = [{"Account_Name": f"Same Second {i:05d}"} for i in range(2_150)]
        results = await zoho.crm.insert("Accounts", names, trigger=[])
        assert len(results) == 2_150 and all(r.ok for r in results)
        assert zoho.crm.counts.write_calls == 22  # batches of at most 100
        assert len({r.details["Modified_Time"] for r in results}) == 1
        pages = [page async for page in zoho.crm.iter_records("Accounts", FIELDS)]
        ids = [r["id"] for page in pages for r in page]
        assert len(ids) == len(set(ids)) == 2_150
        assert set(ids) == {r.id for r in results}
    assert len(pages) == 11  # ten by page number, the eleventh by page_token


async def test_writes_report_each_record(live: Any, connect_to: Callable[..., Any]):
    async with connect_to(live) as zoho:
        existing = [r async for page in zoho.crm.iter_records("Accounts", FIELDS) for r in page][0]
        results = await zoho.crm.insert(
            "Accounts",
            [{"Account_Name": "Brand New (Test), Ltd"}, {"Account_Name": existing["Account_Name"]}],
        )
        assert [r.status for r in results] == ["success", "error"]
        assert results[1].code == "DUPLICATE_DATA" and results[1].field == "Account_Name"
        new_id = results[0].id
        assert new_id

        (updated,) = await zoho.crm.update("Accounts", [{"id": new_id, "Phone": "+1 555 0100"}])
        assert (
            updated.ok and (await zoho.crm.get_record("Accounts", new_id))["Phone"] == "+1 555 0100"
        )

        upserted = await zoho.crm.upsert(
            "Accounts",
            [
                {"Account_Name": "Brand New (Test), Ltd", "Phone": "2"},
                {"Account_Name": "Upserted Anew"},
            ],
            duplicate_check_fields=["Account_Name"],
        )
        assert [r.action for r in upserted] == ["update", "insert"]
        assert upserted[0].id == new_id

        found = await zoho.crm.search(
            "Accounts", criteria=criterion("Account_Name", "equals", "Brand New (Test), Ltd")
        )
        assert [r["id"] for r in found] == [new_id]

        (deleted,) = await zoho.crm.delete("Accounts", [new_id])
        assert deleted.ok
        gone = [r async for page in zoho.crm.deleted_records("Accounts") for r in page]
        assert new_id in {r["id"] for r in gone}
        with pytest.raises(ValueError):
            await zoho.crm.update("Accounts", [{"Phone": "no id"}])


async def test_search_forms_count_and_an_accounts_contacts(
    live: Any, connect_to: Callable[..., Any]
):
    async with connect_to(live) as zoho:
        contacts = [
            r
            async for page in zoho.crm.iter_records(
                "Contacts", ["Last_Name", "Email", "Account_Name"]
            )
            for r in page
        ]
        with_account = next(c for c in contacts if c.get("Account_Name") and c.get("Email"))
        by_email = await zoho.crm.search("Contacts", email=with_account["Email"])
        assert with_account["id"] in {c["id"] for c in by_email}
        assert await zoho.crm.count("Contacts", email=with_account["Email"]) >= 1
        by_word = await zoho.crm.search("Contacts", word=with_account["Last_Name"])
        assert with_account["id"] in {c["id"] for c in by_word}
        account_id = with_account["Account_Name"]["id"]
        related = await zoho.crm.account_contacts(account_id, ["Last_Name", "Email"])
        assert with_account["id"] in {c["id"] for c in related}
        assert await zoho.crm.search("Contacts", email="nobody@nowhere.example") == []
        with pytest.raises(ValueError):
            await zoho.crm.search("Contacts")


async def test_an_unknown_field_is_a_validation_error_naming_it(
    live: Any, connect_to: Callable[..., Any]
):
    async with connect_to(live) as zoho:
        with pytest.raises(ValidationFailed) as refused:
            async for _ in zoho.crm.iter_records("Accounts", ["No_Such_Field"]):
                pass
        assert refused.value.field == "No_Such_Field" and "Correct" in str(refused.value)


def test_criteria_are_escaped_and_paired():
    assert escape_criteria_value("A (B), C\\D") == "A \\(B\\)\\, C\\\\D"
    assert criterion("Email", "equals", "a,b@x.example") == "(Email:equals:a\\,b@x.example)"
    assert all_of("(A:equals:1)", "(B:equals:2)", "(C:equals:3)") == (
        "(((A:equals:1)and(B:equals:2))and(C:equals:3))"
    )
    with pytest.raises(ValueError):
        criterion("Bad Field", "equals", "x")


def test_more_than_50_fields_are_split_into_calls_that_keep_the_keys():
    wanted = [f"Field_{i}" for i in range(120)]
    chunks = field_chunks(wanted)
    assert all(len(chunk) <= 50 and chunk[:2] == ["id", "Modified_Time"] for chunk in chunks)
    assert sorted(name for chunk in chunks for name in chunk[2:]) == sorted(wanted)
    assert len(chunks) == 3


async def test_fields_beyond_one_calls_limit_are_fetched_and_merged(
    live: Any, connect_to: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
):
    wanted = ["Account_Name", "Phone", "Website", "Billing_City", "Billing_Country", "Industry"]
    async with connect_to(live) as zoho:
        whole = [r async for page in zoho.crm.iter_records("Accounts", wanted) for r in page]
        before = zoho.crm.counts.api_calls
        # Shrink the per-call limit (50 in Zoho) so six fields need three calls per page.
        monkeypatch.setattr("zsync_tui.zoho.crm_query.MAX_FIELDS_PER_CALL", 4)
        split = [r async for page in zoho.crm.iter_records("Accounts", wanted) for r in page]
        assert zoho.crm.counts.api_calls - before == 3
    assert split == whole and all(set(wanted) <= set(r) for r in split)


async def test_concurrency_stays_within_the_edition(
    sandbox_factory: Callable[..., Any],
    sandbox_admin: Callable[..., Any],
    connect_to: Callable[..., Any],
):
    import asyncio

    free = sandbox_factory(seed=4, crm_edition="free", latency_ms=5)
    async with connect_to(free, crm_edition="free") as zoho:
        counts = await asyncio.gather(*(zoho.crm.count("Accounts") for _ in range(30)))
        peak = zoho.crm.transport.budget.peak_in_flight
    assert counts == [30] * 30 and peak == 5
    assert sandbox_admin(free, "stats")["throttled_total"] == 0


async def test_the_governor_is_sized_from_the_org(live: Any, connect_to: Callable[..., Any]):
    async with connect_to(live, crm_edition=None) as zoho:
        assert zoho.crm.transport.budget.concurrency == 5
        zoho.size_crm_budget(await zoho.crm.org())
        budget = zoho.crm.transport.budget
    assert budget.concurrency == 20 and budget.windows[0].limit == 55_000  # 50,000 + 5 users


async def test_stopping_early_spends_at_most_the_prefetched_call(
    live: Any, connect_to: Callable[..., Any]
):
    async with connect_to(live) as zoho:
        pages = zoho.crm.iter_records("Accounts", FIELDS, per_page=5)
        first = await anext(pages)
        await pages.aclose()
        calls = zoho.crm.counts.api_calls
        # This page, the next one already asked for, and the count a longer walk asks with it.
        assert len(first) == 5 and calls == 3
        with pytest.raises(NotFound):
            await zoho.crm.get_record("Accounts", "not-a-number")
