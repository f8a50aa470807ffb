"""Deal triggers at scale against the sandbox over loopback.

1. An idle poll (nothing changed since the cursor) must cost exactly one CRM call (a 304).
2. N deals (default 1,000) moved to Closed Won at once must make exactly N invoices, paced by
   the client's Billing governor within the Billing per-minute cap, with no 429 from the server.

Prints one JSON object. The Billing cap is the sandbox's per-minute window, which the client's
governor is sized to; `billing_429s` counts the server's refusals (a minute's worth may go
out at once, so the average rate over a short run can read above the cap without a 429).

    python benchmarks/bench_deals.py [--deals 1000] [--billing-per-minute 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import select

from zsync_tui.sandbox import SandboxOptions, run_in_thread
from zsync_tui.store import Profile, RecordLink, Store
from zsync_tui.sync.config import IntegrationConfig
from zsync_tui.sync.deals.ledger import DealLedger
from zsync_tui.sync.deals.watcher import DealWatcher
from zsync_tui.sync.engine import CustomerSync
from zsync_tui.sync.ledger import Ledger
from zsync_tui.zoho.datacentres import resolve_data_centre
from zsync_tui.zoho.oauth import OAuthClient, Secret
from zsync_tui.zoho.session import ZohoClients, ZohoOptions, open_zoho


def stats(running: Any) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(f"{running.admin_url}/stats").json()
    return answer


def billing_429s(report: dict[str, Any]) -> int:
    return sum(
        row["count"]
        for row in report["requests"]
        if row["status"] == 429 and row["path"].startswith("/billing/")
    )


async def move_all(
    clients: ZohoClients, deal_ids: list[str], accounts: list[str], stage: str
) -> None:
    changes = [
        {"id": deal_id, "Stage": stage, "Account_Name": {"id": accounts[i % len(accounts)]}}
        for i, deal_id in enumerate(deal_ids)
    ]
    results = await clients.crm.update("Deals", changes, trigger=[])
    failed = [r for r in results if not r.ok]
    if failed:
        raise SystemExit(f"moving deals failed: {failed[:3]}")


async def run(deals: int, per_minute: int) -> dict[str, Any]:
    running = run_in_thread(
        SandboxOptions(
            seed=5,
            accounts=20,
            contacts=40,
            deals=deals,
            customers=0,
            duplicates=0,
            billing_calls_per_minute=per_minute,
            billing_calls_per_day=1_000_000,
        )
    )
    creds = running.credentials
    store = Store(Path(tempfile.mkdtemp(prefix="zsync-bench-deals-")) / "state.db")
    with store.write() as session:
        session.add(Profile(name="bench", client_id=creds["client_id"]))
    config = IntegrationConfig.from_mapping(
        {
            "module": "accounts",
            "duplicates": "clone",
            "triggers": {"enabled": True, "invoice_on_won": True, "void_on_lost": True},
        }
    )
    options = ZohoOptions(
        crm_edition="enterprise",
        billing_per_minute=per_minute,
        billing_per_day=1_000_000,
        billing_concurrency=10,
    )
    try:
        async with open_zoho(
            resolve_data_centre("custom", creds["accounts_url"], creds["api_domain"]),
            OAuthClient(creds["client_id"], Secret(creds["client_secret"])),
            Secret(creds["refresh_token"]),
            creds["billing_organization_id"],
            options=options,
        ) as clients:
            await CustomerSync(config, clients.crm, clients.billing, Ledger(store, 1)).run()
            with store.read() as session:
                linked = sorted(r.crm_id for r in session.exec(select(RecordLink)).all())
            deal_ids = sorted(running.sandbox.world.crm["Deals"].records)
            # Every deal open before the triggers start, each with an Account Billing knows.
            await move_all(clients, deal_ids, linked, "Negotiation/Review")
            ledger = DealLedger(store, 1)
            watcher = DealWatcher(ledger, config, clients.crm, clients.billing, concurrency=10)
            baseline = await watcher.poll_once()
            idle = await watcher.poll_once()

            httpx.post(f"{running.admin_url}/clock", json={"advance": 5})
            await move_all(clients, deal_ids, linked, "Closed Won")
            before = stats(running)
            started = time.perf_counter()
            polls = []
            while True:
                report = await watcher.poll_once()
                polls.append(report)
                if report.status not in ("budget_spent", "interrupted"):
                    break
                if len(polls) > 20:
                    break
                wait = 1.0
                if report.resumes_at is not None:
                    wait = max(0.0, report.resumes_at.timestamp() - time.time())
                await asyncio.sleep(min(wait, 60.0))
            elapsed = time.perf_counter() - started
            after = stats(running)
            invoices = [
                i
                for i in running.sandbox.world.invoices.values()
                if str(i.get("reference_number", "")).startswith("ZS-")
            ]
            per_deal = {}
            for invoice in invoices:
                per_deal[invoice["reference_number"]] = (
                    per_deal.get(invoice["reference_number"], 0) + 1
                )
            billing_calls = sum(p.billing_calls for p in polls)
            return {
                "deals": deals,
                "linked_accounts": len(linked),
                "baseline": {"status": baseline.status, "crm_calls": baseline.crm_calls},
                "idle_poll": {
                    "crm_calls": idle.crm_calls,
                    "billing_calls": idle.billing_calls,
                    "expected_crm_calls": 1,
                },
                "won_poll": {
                    "polls": len(polls),
                    "statuses": [p.status for p in polls],
                    "invoices": len(invoices),
                    "expected_invoices": deals,
                    "duplicate_invoices": sum(n - 1 for n in per_deal.values()),
                    "crm_calls": sum(p.crm_calls for p in polls),
                    "billing_calls": billing_calls,
                    "elapsed_s": round(elapsed, 2),
                    "average_billing_calls_per_minute": round(billing_calls / elapsed * 60, 1),
                    "billing_cap_per_minute": per_minute,
                    "billing_429s": billing_429s(after) - billing_429s(before),
                    "skipped": len([s for p in polls for s in p.skipped]),
                },
            }
    finally:
        running.stop()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1000)
    parser.add_argument("--billing-per-minute", type=int, default=3000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.deals, args.billing_per_minute)), indent=2))


if __name__ == "__main__":
    main()
