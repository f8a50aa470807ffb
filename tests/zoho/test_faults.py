"""The wire under stress, against the sandbox: 429 storms, 5xx, token expiry, dropped writes,
malformed bodies, and no secret in DEBUG logs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest

from zsync_tui.logs import install_redaction
from zsync_tui.zoho.errors import AmbiguousWrite, MalformedResponse

FIELDS = ["Account_Name", "Modified_Time"]


async def read_all(zoho: Any, module: str = "Accounts") -> list[dict[str, Any]]:
    return [r async for page in zoho.crm.iter_records(module, FIELDS, per_page=5) for r in page]


async def test_a_429_storm_is_ridden_out(
    live: Any, sandbox_admin: Callable[..., Any], connect_to: Callable[..., Any]
):
    async with connect_to(live) as zoho:
        expected = await read_all(zoho)
        sandbox_admin(live, "faults", {"p429": 0.5})
        records = await read_all(zoho)
        customers = [c async for page in zoho.billing.list_customers() for c in page]
    stats = sandbox_admin(live, "stats")
    assert [r["id"] for r in records] == [r["id"] for r in expected]
    assert len(customers) == 20
    assert stats["faults_injected_total"] > 0 and zoho.crm.counts.retries > 0


async def test_5xx_on_reads_is_retried(
    live: Any, sandbox_admin: Callable[..., Any], connect_to: Callable[..., Any]
):
    sandbox_admin(live, "faults", {"p500": 0.2, "p502": 0.2, "p503": 0.2})
    async with connect_to(live) as zoho:
        records = await read_all(zoho)
        org = await zoho.crm.org()
    assert len(records) == 30 and org.name
    assert zoho.crm.counts.retries > 0


async def test_a_token_expiring_mid_run_is_refreshed_once_for_all(
    live: Any, sandbox_admin: Callable[..., Any], connect_to: Callable[..., Any]
):
    async with connect_to(live) as zoho:
        await zoho.crm.org()
        assert zoho.tokens.refresh_count == 1
        assert sandbox_admin(live, "tokens/expire", {})["expired"] >= 1
        results = await asyncio.gather(*(zoho.crm.count("Accounts") for _ in range(40)))
        assert results == [30] * 40
        assert zoho.tokens.refresh_count == 2  # exactly one refresh for forty waiting calls
        await zoho.billing.organizations()
        assert zoho.tokens.refresh_count == 2


async def test_commit_then_drop_is_ambiguous_and_never_doubles_a_record(
    live: Any, sandbox_admin: Callable[..., Any], connect_to: Callable[..., Any]
):
    sandbox_admin(live, "faults", {"commit_then_drop": 1.0})
    async with connect_to(live) as zoho:
        with pytest.raises(AmbiguousWrite, match="may have been applied") as crm_failure:
            await zoho.crm.insert("Accounts", [{"Account_Name": "Dropped Reply AG"}])
        with pytest.raises(AmbiguousWrite):
            await zoho.billing.create_customer(
                {"display_name": "Dropped Reply AG", "email": "d@example.com"}
            )
        assert crm_failure.value.method == "POST" and crm_failure.value.completed == []
        sandbox_admin(live, "faults", {"commit_then_drop": 0.0})
        found = await zoho.crm.search("Accounts", criteria="(Account_Name:equals:Dropped Reply AG)")
        customers = [
            c
            async for page in zoho.billing.list_customers()
            for c in page
            if c["display_name"] == "Dropped Reply AG"
        ]
    assert len(found) == 1 and len(customers) == 1  # applied once, never resent
    assert sandbox_admin(live, "stats")["records"]["Accounts"] == 31


async def test_an_occasional_cut_off_or_html_answer_is_read_again(
    live: Any, sandbox_admin: Callable[..., Any], connect_to: Callable[..., Any]
):
    sandbox_admin(live, "faults", {"truncated": 0.3, "html": 0.2})
    async with connect_to(live) as zoho:
        records = await read_all(zoho)
        customers = [c async for page in zoho.billing.list_customers() for c in page]
    assert len(records) == 30 and len(customers) == 20
    assert zoho.crm.counts.retries > 0
    assert sandbox_admin(live, "stats")["faults_injected_total"] > 0


async def test_malformed_bodies_are_reported_with_a_short_excerpt(
    live: Any, sandbox_admin: Callable[..., Any], connect_to: Callable[..., Any]
):
    async with connect_to(live) as zoho:
        await zoho.crm.org()
        sandbox_admin(live, "faults", {"html": 1.0})
        with pytest.raises(MalformedResponse) as html:
            await zoho.crm.org()
        sandbox_admin(live, "faults", {"html": 0.0, "truncated": 1.0})
        with pytest.raises(MalformedResponse) as truncated:
            await zoho.billing.get_customer("982000000001001")
    assert "html" in html.value.excerpt.lower() and len(html.value.excerpt) <= 160
    assert "not JSON" in str(truncated.value) and "try again" in str(truncated.value)


async def test_no_secret_in_debug_logs_after_connect_and_read(
    live: Any,
    connect_to: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
    sandbox_admin: Callable[..., Any],
):
    install_redaction()
    creds = live.credentials
    for name in ("httpx", "httpcore", "zsync_tui"):  # DEBUG everywhere, whatever ran before
        caplog.set_level(logging.DEBUG, logger=name)
    with caplog.at_level(logging.DEBUG):
        async with connect_to(live) as zoho:
            await zoho.crm.org()
            await read_all(zoho)
            sandbox_admin(live, "tokens/expire", {})
            await zoho.crm.current_user()
            async for _ in zoho.billing.list_customers():
                pass
            access = zoho.tokens._token.value.reveal() if zoho.tokens._token else ""
        logging.getLogger("zsync_tui.test").debug("answer %s", {"access_token": access})
    text = "\n".join(record.getMessage() for record in caplog.records)
    # The capture saw the traffic at every layer: our transport, httpx and httpcore.
    assert "/crm/v8/org -> 200" in text and "HTTP Request" in text and "send_request" in text
    for secret in (creds["client_secret"], creds["refresh_token"], access):
        assert secret and secret not in text


async def test_a_write_that_stalls_past_the_timeout_is_ambiguous_too(
    live: Any, sandbox_admin: Callable[..., Any], connect_to: Callable[..., Any]
):
    async with connect_to(live, timeout_s=0.3) as zoho:
        await zoho.crm.org()
        sandbox_admin(live, "faults", {"commit_then_drop": 1.0, "drop_mode": "stall", "stall_s": 1})
        with pytest.raises(AmbiguousWrite, match="ReadTimeout"):
            await zoho.crm.insert("Accounts", [{"Account_Name": "Stalled Reply SA"}])
        sandbox_admin(live, "faults", {"commit_then_drop": 0.0})
        found = await zoho.crm.search("Accounts", criteria="(Account_Name:equals:Stalled Reply SA)")
    assert len(found) == 1
