"""Read every Account through `CrmClient.iter_records` from the sandbox over loopback.

Starts `zsync sandbox serve` (its public interface: one JSON line with the URLs and the
credentials), then walks the Accounts with per-call latency injected by the sandbox. Prints one
JSON object: calls (against ⌈N/200⌉), wall time (against 1.2 × calls × latency, which only
holds when the work on one page overlaps the fetch of the next), and client CPU per record.

    python benchmarks/bench_client_read.py [--accounts 50000] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from zsync_tui.zoho.datacentres import resolve_data_centre
from zsync_tui.zoho.oauth import OAuthClient, Secret
from zsync_tui.zoho.session import ZohoOptions, open_zoho

FIELDS = [
    "Account_Name",
    "Phone",
    "Website",
    "Billing_Street",
    "Billing_City",
    "Billing_Code",
    "Billing_Country",
    "Owner",
    "Modified_Time",
]


def split_cpus() -> tuple[set[int], set[int]] | None:
    """One CPU for the sandbox, the others for the client; None with fewer than two.

    Zoho's servers do not share the client's CPU. On one machine they would: the sandbox's
    reply wakes the client on the sandbox's own CPU (the scheduler's wake-affine placement),
    and the two take turns there while the other CPU idles."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    return {cpus[0]}, set(cpus[1:])


def start_sandbox(
    accounts: int, latency_ms: float, cpus: set[int] | None = None
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    home = tempfile.mkdtemp(prefix="zsync-bench-")
    command = [
        sys.executable,
        "-m",
        "zsync_tui",
        "--data-dir",
        home,
        "sandbox",
        "serve",
        "--port",
        "0",
        "--seed",
        "7",
        "--accounts",
        str(accounts),
        "--contacts",
        "0",
        "--deals",
        "0",
        "--customers",
        "0",
        "--duplicates",
        "0",
        "--latency-ms",
        str(latency_ms),
        "--crm-edition",
        "ultimate",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "ZSYNC_HOME": home},
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        raise SystemExit(f"the sandbox did not start: {' '.join(command)}")
    return process, json.loads(line)


def sandbox_timing(credentials: dict[str, Any]) -> dict[str, float]:
    """The sandbox's own account of its API calls (totals, see `Stats.timing_report`)."""
    import httpx

    stats = httpx.get(f"{credentials['url']}/_sandbox/stats", timeout=30).json()
    timing: dict[str, float] = stats["timing"]
    return timing


def timing_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Per-call means of what the sandbox spent between two reports."""
    calls = max(after["api_calls"] - before["api_calls"], 1)
    delayed = max(after["latency_calls"] - before["latency_calls"], 1)

    def per_call(key: str, count: float) -> float:
        return round((after[key] - before[key]) / count, 3)

    return {
        "api_ms": per_call("api_ms", calls),
        "latency_asked_ms": per_call("latency_asked_ms", delayed),
        "latency_waited_ms": per_call("latency_waited_ms", delayed),
        "work_ms": per_call("work_ms", calls),
        "read_ahead_hits": int(after["read_ahead_hits"] - before["read_ahead_hits"]),
        "read_ahead_ms": per_call("read_ahead_ms", calls),
    }


def digest_page(records: list[dict[str, Any]]) -> int:
    """Stand-in for the engine's work on a page: hash what a sync would compare."""
    for record in records:
        hashlib.blake2b(json.dumps(record, sort_keys=True).encode(), digest_size=16).digest()
    return len(records)


async def walk(credentials: dict[str, Any]) -> dict[str, float]:
    dc = resolve_data_centre("custom", credentials["accounts_url"], credentials["api_domain"])
    client = OAuthClient(credentials["client_id"], Secret(credentials["client_secret"]))
    options = ZohoOptions(crm_edition="ultimate", crm_users=10)
    async with open_zoho(dc, client, Secret(credentials["refresh_token"]), options=options) as z:
        await z.tokens.token()  # the token exchange is not part of the read
        seen: set[str] = set()
        started, cpu_started = time.perf_counter(), time.process_time()
        work_cpu = 0.0
        async for page in z.crm.iter_records("Accounts", FIELDS):
            work_started = time.process_time()
            digest_page(page)
            seen.update(str(record["id"]) for record in page)
            work_cpu += time.process_time() - work_started
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started - work_cpu
        return {
            "records": len(seen),
            "calls": z.crm.counts.api_calls,
            "wall": wall,
            "cpu": cpu,
            "work_cpu": work_cpu,
        }


async def bare_walk(credentials: dict[str, Any]) -> float:
    """The same walk with plain httpx and no work per page: what the sandbox itself allows."""
    import httpx

    async with httpx.AsyncClient(timeout=60) as http:
        answer = await http.post(
            f"{credentials['accounts_url']}/oauth/v2/token",
            data={
                "grant_type": "refresh_token",
                "client_id": credentials["client_id"],
                "client_secret": credentials["client_secret"],
                "refresh_token": credentials["refresh_token"],
            },
        )
        headers = {"Authorization": f"Zoho-oauthtoken {answer.json()['access_token']}"}
        params: dict[str, Any] = {
            "fields": ",".join(FIELDS),
            "per_page": 200,
            "sort_by": "Modified_Time",
            "sort_order": "asc",
        }
        started = time.perf_counter()
        page, token = 1, None
        while True:
            query = {**params, **({"page_token": token} if token else {"page": page})}
            response = await http.get(
                f"{credentials['api_domain']}/crm/v8/Accounts", params=query, headers=headers
            )
            info = response.json()["info"]
            if not info["more_records"]:
                return time.perf_counter() - started
            page += 1
            token = info["next_page_token"] if page > 10 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument(
        "--share-cpus",
        action="store_true",
        help="let the sandbox and the client run on any CPU (by default each has its own)",
    )
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    split = None if args.share_cpus else split_cpus()
    process, credentials = start_sandbox(
        args.accounts, args.latency_ms, split[0] if split else None
    )
    if split:
        os.sched_setaffinity(0, split[1])
    try:
        before = sandbox_timing(credentials)
        result = asyncio.run(walk(credentials))
        middle = sandbox_timing(credentials)
        floor = asyncio.run(bare_walk(credentials))
        after = sandbox_timing(credentials)
    finally:
        process.terminate()
        process.wait(timeout=10)
    expected_calls = math.ceil(args.accounts / 200)
    bound_s = 1.2 * result["calls"] * args.latency_ms / 1000
    report = {
        "benchmark": "client_read",
        "accounts": args.accounts,
        "latency_ms": args.latency_ms,
        "records_read": int(result["records"]),
        "calls": int(result["calls"]),
        "expected_calls": expected_calls,
        "wall_s": round(result["wall"], 3),
        "wall_bound_s": round(bound_s, 3),
        "bare_httpx_walk_s": round(floor, 3),
        "sandbox_ms_per_page": round(floor * 1000 / max(result["calls"], 1) - args.latency_ms, 1),
        # The client's own CPU (HTTP, JSON, paging), without the stand-in work on each page.
        "cpu_us_per_record": round(result["cpu"] * 1e6 / max(result["records"], 1), 1),
        "work_cpu_us_per_record": round(result["work_cpu"] * 1e6 / max(result["records"], 1), 1),
        "records_per_s": round(result["records"] / result["wall"]),
        # Where a call's wall time goes: the sandbox's side (the latency it waited, never less
        # than asked, and its own work), and the rest: the client's turnaround from one answer
        # to the next request, and the loopback in between.
        "wall_ms_per_call": round(result["wall"] * 1000 / max(result["calls"], 1), 3),
        "sandbox_per_call": timing_between(before, middle),
        "client_and_wire_ms_per_call": round(
            result["wall"] * 1000 / max(result["calls"], 1)
            - timing_between(before, middle)["api_ms"],
            3,
        ),
        "bare_walk_sandbox_per_call": timing_between(middle, after),
        "cpus": {"sandbox": sorted(split[0]), "client": sorted(split[1])} if split else "shared",
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "all_records": int(result["records"]) == args.accounts,
        "calls_ok": expected_calls <= result["calls"] <= expected_calls + 3,
        "wall_ok": result["wall"] <= bound_s,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
