"""Customer sync benchmark: prints one JSON object.

Scenarios (sizes scale with --scale, 1.0 = the issue's numbers):
- initial: 10k accounts and 20k contacts against 3k customers (1k planted duplicates), no
  latency, accounts and their contacts both ways with overwrite. API calls against the lower
  bound (every page of both sides read once + ceil(CRM creates / 100) + one call per Billing
  write), engine CPU per record (CPU time of the engine's thread; the sandbox serves from
  another thread), peak RSS of the process (sandbox included).
- idle: the next run with nothing changed, then one more: calls and writes.
- capped (--capped): Billing capped at 600 calls a minute with 50 ms latency: the write rate
  against the cap and the share of calls answered 429.

Run: .venv/bin/python benchmarks/bench_sync.py [--scale 0.1] [--capped]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import sys
import tempfile
import time
from typing import Any

import keyring
import keyring.backend


class _MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


def _stats(sandbox: Any) -> dict[str, Any]:
    import httpx

    return dict(httpx.get(f"{sandbox.admin_url}/stats", timeout=30).json())


async def _connect(runtime: Any, sandbox: Any, options: Any) -> None:
    from zsync_tui.connection import ConnectRequest, connect
    from zsync_tui.zoho.oauth import Secret

    creds = sandbox.credentials
    await connect(
        runtime,
        ConnectRequest(
            profile="default",
            data_centre="custom",
            client_id=creds["client_id"],
            client_secret=Secret(creds["client_secret"]),
            refresh_token=Secret(creds["refresh_token"]),
            accounts_url=creds["accounts_url"],
            api_domain=creds["api_domain"],
            billing_org_id=creds["billing_organization_id"],
        ),
        options=options,
    )


async def _timed_run(service: Any) -> tuple[Any, float, float]:
    started_cpu = time.thread_time()
    started = time.perf_counter()
    report = await service.run()
    return report, time.thread_time() - started_cpu, time.perf_counter() - started


def initial_and_idle(scale: float) -> dict[str, Any]:
    from zsync_tui.runtime import Runtime
    from zsync_tui.sandbox import SandboxOptions, run_in_thread
    from zsync_tui.sync.config import IntegrationConfig
    from zsync_tui.sync.service import SyncService
    from zsync_tui.zoho.session import ZohoOptions

    accounts, contacts = int(10_000 * scale), int(20_000 * scale)
    customers, duplicates = int(3_000 * scale), int(1_000 * scale)
    seeded = time.perf_counter()
    sandbox = run_in_thread(
        SandboxOptions(
            accounts=accounts,
            contacts=contacts,
            deals=0,
            customers=customers,
            duplicates=duplicates,
            billing_calls_per_minute=10**8,
            billing_calls_per_day=10**9,
            crm_credits_per_day=10**8,
            token_refreshes_per_10min=10**6,
        )
    )
    seed_s = time.perf_counter() - seeded
    options = ZohoOptions(billing_per_minute=10**8, billing_per_day=10**9, crm_credit_reserve=0)
    runtime = Runtime.start(tempfile.mkdtemp(prefix="zsync-bench-"))
    try:
        asyncio.run(_connect(runtime, sandbox, options))
        service = SyncService(runtime, options=options)
        config = IntegrationConfig(
            module="accounts_and_contacts", direction="both_ways", duplicates="overwrite"
        )
        service._store_config(config)
        before = _stats(sandbox)["requests_total"]
        report, cpu_s, wall_s = asyncio.run(_timed_run(service))
        sandbox_requests = _stats(sandbox)["requests_total"] - before
        first = report.as_dict()
        crm_creates = first["created"]["crm"]
        billing_writes = first["created"]["billing"] + first["updated"]["billing"]
        lower_bound = (
            math.ceil(accounts / 200)
            + math.ceil(contacts / 200)
            + math.ceil(customers / 200)
            + math.ceil(crm_creates / 100)
            + billing_writes
        )
        calls = first["api_calls"]["crm"] + first["api_calls"]["billing"]
        records = accounts + contacts + customers
        idle1, _, idle1_wall = asyncio.run(_timed_run(service))
        idle2, _, idle2_wall = asyncio.run(_timed_run(service))
        return {
            "sizes": {
                "accounts": accounts,
                "contacts": contacts,
                "customers": customers,
                "duplicates": duplicates,
            },
            "sandbox_seed_s": round(seed_s, 1),
            "initial": {
                "status": first["status"],
                "created": first["created"],
                "updated": first["updated"],
                "linked": first["linked"],
                "errors": first["errors"],
                "skipped_by_reason": first["skipped_by_reason"],
                "api_calls": first["api_calls"],
                "write_calls": first["write_calls"],
                "sandbox_requests": sandbox_requests,
                "lower_bound_calls": lower_bound,
                "calls_over_lower_bound_pct": round(100 * (calls - lower_bound) / lower_bound, 2),
                "wall_s": round(wall_s, 1),
                "engine_thread_cpu_s": round(cpu_s, 2),
                "engine_cpu_ms_per_record": round(1000 * cpu_s / records, 3),
            },
            "idle_after_initial": {
                "api_calls": idle1.as_dict()["api_calls"],
                "write_calls": idle1.write_calls,
                "wall_s": round(idle1_wall, 2),
            },
            "idle": {
                "api_calls": idle2.as_dict()["api_calls"],
                "write_calls": idle2.write_calls,
                "wall_s": round(idle2_wall, 2),
            },
            "peak_rss_mb_process_with_sandbox": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            // 1024,
        }
    finally:
        sandbox.stop()


def capped(accounts: int) -> dict[str, Any]:
    from zsync_tui.runtime import Runtime
    from zsync_tui.sandbox import SandboxOptions, run_in_thread
    from zsync_tui.sync.config import IntegrationConfig
    from zsync_tui.sync.service import SyncService
    from zsync_tui.zoho.session import ZohoOptions

    sandbox = run_in_thread(
        SandboxOptions(
            accounts=accounts,
            contacts=accounts,
            deals=0,
            customers=0,
            duplicates=0,
            latency_ms=50,
            billing_calls_per_minute=600,
            billing_calls_per_day=10**7,
            token_refreshes_per_10min=10**6,
        )
    )
    options = ZohoOptions(billing_per_minute=600, billing_per_day=10**7)
    runtime = Runtime.start(tempfile.mkdtemp(prefix="zsync-bench-cap-"))
    try:
        asyncio.run(_connect(runtime, sandbox, options))
        service = SyncService(runtime, options=options)
        service._store_config(IntegrationConfig(module="accounts", direction="fetch_from_crm"))
        report, _, wall_s = asyncio.run(_timed_run(service))
        stats = _stats(sandbox)
        billing_requests = sum(
            row["count"] for row in stats["requests"] if "/billing/" in row["path"]
        )
        billing_429 = sum(
            row["count"]
            for row in stats["requests"]
            if "/billing/" in row["path"] and row["status"] == 429
        )
        writes = report.created["billing"] + report.errors
        return {
            "accounts": accounts,
            "status": report.status,
            "billing_writes": writes,
            "wall_s": round(wall_s, 1),
            "billing_calls": billing_requests,
            "billing_calls_per_minute": round(60 * billing_requests / wall_s, 1),
            "cap_per_minute": 600,
            "calls_rate_vs_cap_pct": round(100 * (60 * billing_requests / wall_s) / 600, 1),
            "answered_429_pct": round(100 * billing_429 / max(1, billing_requests), 2),
        }
    finally:
        sandbox.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--capped", action="store_true", help="also run the 600/min scenario")
    parser.add_argument("--capped-accounts", type=int, default=900)
    args = parser.parse_args()
    os.environ.setdefault("ZSYNC_HOME", tempfile.mkdtemp(prefix="zsync-bench-home-"))
    keyring.set_keyring(_MemoryKeyring())
    result: dict[str, Any] = {"scale": args.scale, "initial_and_idle": initial_and_idle(args.scale)}
    if args.capped:
        result["capped"] = capped(args.capped_accounts)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
