"""Customer sync benchmark: prints one JSON object.

Scenarios (sizes scale with --scale, 1.0 = the issue's numbers):
- initial: 10k accounts and 20k contacts against 3k customers (1k planted duplicates), no
  latency, accounts and their contacts both ways with overwrite. API calls against the lower
  bound (every page of both sides read once + ceil(CRM creates / 100) + one call per Billing
  write), engine CPU per record, peak RSS of the engine's process.

  The sandbox serves from a child process (this script with --serve-sandbox), so none of its
  CPU or memory is counted. The engine's process CPU still holds the HTTP client's share
  (httpx, JSON decoding, the Zoho clients): a CPU-time signal (ITIMER_PROF, every 1 ms of
  CPU) samples the stack of the main thread, where the engine runs: client (any frame of
  httpx, httpcore, h11, anyio or zsync_tui.zoho), engine (any other zsync frame: the sync
  code, the store, SQLite under them) or loop (neither: asyncio's selector, I/O callbacks and
  scheduling). Engine CPU = the main thread's CPU time x the engine's share of the samples.
  Waiting (an fsync, a socket) uses no CPU and is never sampled.
- idle: the next run with nothing changed, then one more: calls and writes.
- capped (--capped): Billing capped at 600 calls a minute with 50 ms latency: the write rate
  against the cap and the share of calls answered 429.

Run: .venv/bin/python benchmarks/bench_sync.py [--scale 0.1] [--capped]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import math
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import keyring

from zsync_tui.commands.demo import ProcessMemoryKeyring

CLIENT_PARTS = ("/httpx/", "/httpcore/", "/h11/", "/anyio/", "/zsync_tui/zoho/")


class SandboxProcess:
    """The sandbox served by a child process; stops when its stdin closes."""

    def __init__(self, **options: Any) -> None:
        self._child = subprocess.Popen(
            [sys.executable, __file__, "--serve-sandbox", json.dumps(options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._child.stdout is not None
        line = self._child.stdout.readline()
        if not line:
            raise RuntimeError("the sandbox child process did not start")
        self.credentials: dict[str, str] = json.loads(line)
        self.admin_url = self.credentials["url"] + "/_sandbox"

    def stats(self) -> dict[str, Any]:
        import httpx

        return dict(httpx.get(f"{self.admin_url}/stats", timeout=60).json())

    def stop(self) -> None:
        assert self._child.stdin is not None
        self._child.stdin.close()
        self._child.wait(timeout=30)


def serve_sandbox(options_json: str) -> None:
    """Child process: serve a sandbox, print its credentials, stop when stdin closes."""
    from zsync_tui.sandbox import SandboxOptions, run_in_thread

    running = run_in_thread(SandboxOptions(**json.loads(options_json)))
    sys.stdout.write(json.dumps(running.credentials) + "\n")
    sys.stdout.flush()
    sys.stdin.read()
    running.stop()


@dataclass
class CpuSampler:
    """A statistical profiler of this process's CPU: every `interval_s` of CPU used, a
    signal shows the main thread's stack (where the engine runs), sorted into client, engine
    or loop. The signal fires on CPU time, so waiting (an fsync, a socket) is never sampled,
    and it lands in the main thread between two bytecodes: a sample inside SQLite or a
    socket call shows the Python frame that made the call."""

    interval_s: float = 0.001
    samples: dict[str, int] = field(default_factory=lambda: {"client": 0, "engine": 0, "loop": 0})

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if frame is not None:
            self.samples[_kind(frame)] += 1

    def __enter__(self) -> CpuSampler:
        signal.signal(signal.SIGPROF, self._on_signal)
        signal.setitimer(signal.ITIMER_PROF, self.interval_s, self.interval_s)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)

    def engine_share(self) -> float:
        taken = sum(self.samples.values())
        return self.samples["engine"] / taken if taken else 1.0


def _kind(frame: Any) -> str:
    """client: any frame of the HTTP stack; engine: any other zsync frame (the sync code, the
    store and SQLite under it); loop: neither (asyncio's selector, callbacks and scheduling)."""
    ours = False
    while frame is not None:
        filename = frame.f_code.co_filename
        if any(part in filename for part in CLIENT_PARTS):
            return "client"
        ours = ours or "/zsync_tui/" in filename
        frame = frame.f_back
    return "engine" if ours else "loop"


async def _connect(runtime: Any, sandbox: SandboxProcess, options: Any) -> None:
    from zsync_tui.connection import ConnectRequest, connect

    creds = sandbox.credentials
    await connect(
        runtime,
        ConnectRequest.for_custom(creds, "default"),
        options=options,
    )


@dataclass
class Timed:
    """One run's report with its wall time, the engine thread's CPU and the sampler's split."""

    report: Any
    wall_s: float
    thread_cpu_s: float
    sampler: CpuSampler | None = None

    @property
    def engine_cpu_s(self) -> float:
        share = self.sampler.engine_share() if self.sampler else 1.0
        return self.thread_cpu_s * share


def _timed_run(service: Any, *, sample: bool = False, profile: str | None = None) -> Timed:
    sampler = CpuSampler() if sample else None
    profiler = cProfile.Profile() if profile else None
    started_cpu = time.thread_time()
    started = time.perf_counter()
    if sampler:
        sampler.__enter__()
    if profiler:
        profiler.enable()
    try:
        report = asyncio.run(service.run())
    finally:
        if profiler and profile:
            profiler.disable()
            profiler.dump_stats(profile)
        if sampler:
            sampler.__exit__()
    return Timed(report, time.perf_counter() - started, time.thread_time() - started_cpu, sampler)


def _errors_by_reason(report: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in report.items:
        if item.action == "error":
            # Record ids vary from one reason to the next: grouped without them.
            reason = re.sub(r"\d{6,}", "N", item.reason or "")[:90]
            counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda pair: -pair[1])[:5])


def initial_and_idle(scale: float, profile: str | None = None) -> dict[str, Any]:
    from zsync_tui.runtime import Runtime
    from zsync_tui.sync.config import IntegrationConfig
    from zsync_tui.sync.service import SyncService
    from zsync_tui.zoho.session import ZohoOptions

    accounts, contacts = int(10_000 * scale), int(20_000 * scale)
    customers, duplicates = int(3_000 * scale), int(1_000 * scale)
    seeded = time.perf_counter()
    sandbox = SandboxProcess(
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
        before = sandbox.stats()["requests_total"]
        initial = _timed_run(service, sample=profile is None, profile=profile)
        after = sandbox.stats()
        sandbox_requests = after["requests_total"] - before
        customer_reads = sum(
            row["count"]
            for row in after["requests"]
            if (row["method"], row["path"]) == ("GET", "/billing/v1/customers/{customer_id}")
        )
        first = initial.report.as_dict()
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
        crm_bound = (
            math.ceil(accounts / 200) + math.ceil(contacts / 200) + math.ceil(crm_creates / 100)
        )
        # A linked duplicate's merge and a CRM create from a Billing customer (made or refused)
        # need the customer's addresses and notes, which the list omits: one GET each.
        full_reads = customer_reads
        records = accounts + contacts + customers
        idle1 = _timed_run(service)
        idle2 = _timed_run(service)
        sampler = initial.sampler
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
                "calls_over_lower_bound": {
                    "crm": first["api_calls"]["crm"] - crm_bound,
                    "billing": first["api_calls"]["billing"] - (lower_bound - crm_bound),
                },
                "customer_reads_for_omitted_fields": full_reads,
                "calls_over_lower_bound_plus_those_reads_pct": round(
                    100 * (calls - lower_bound - full_reads) / (lower_bound + full_reads), 2
                ),
                "wall_s": round(initial.wall_s, 1),
                "errors_by_reason": _errors_by_reason(initial.report),
                "thread_cpu_s": round(initial.thread_cpu_s, 2),
                "thread_cpu_ms_per_record": round(1000 * initial.thread_cpu_s / records, 3),
                "cpu_samples": sampler.samples if sampler else None,
                "engine_cpu_s": round(initial.engine_cpu_s, 2),
                "engine_cpu_ms_per_record": round(1000 * initial.engine_cpu_s / records, 3),
                "profiled": profile is not None,
            },
            "idle_after_initial": {
                "api_calls": idle1.report.as_dict()["api_calls"],
                "write_calls": idle1.report.write_calls,
                "wall_s": round(idle1.wall_s, 2),
            },
            "idle": {
                "api_calls": idle2.report.as_dict()["api_calls"],
                "write_calls": idle2.report.write_calls,
                "wall_s": round(idle2.wall_s, 2),
            },
            "peak_rss_mb_engine_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            // 1024,
        }
    finally:
        sandbox.stop()


def capped(accounts: int) -> dict[str, Any]:
    from zsync_tui.runtime import Runtime
    from zsync_tui.sync.config import IntegrationConfig
    from zsync_tui.sync.service import SyncService
    from zsync_tui.zoho.session import ZohoOptions

    sandbox = SandboxProcess(
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
    options = ZohoOptions(billing_per_minute=600, billing_per_day=10**7)
    runtime = Runtime.start(tempfile.mkdtemp(prefix="zsync-bench-cap-"))
    try:
        asyncio.run(_connect(runtime, sandbox, options))
        service = SyncService(runtime, options=options)
        service._store_config(IntegrationConfig(module="accounts", direction="fetch_from_crm"))
        timed = _timed_run(service)
        report, wall_s = timed.report, timed.wall_s
        stats = sandbox.stats()
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
    parser.add_argument(
        "--profile", metavar="FILE", help="cProfile the initial run into FILE (no sampler)"
    )
    parser.add_argument("--serve-sandbox", metavar="OPTIONS_JSON", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_sandbox:
        serve_sandbox(args.serve_sandbox)
        return
    os.environ.setdefault("ZSYNC_HOME", tempfile.mkdtemp(prefix="zsync-bench-home-"))
    keyring.set_keyring(ProcessMemoryKeyring())
    result: dict[str, Any] = {
        "scale": args.scale,
        "initial_and_idle": initial_and_idle(args.scale, args.profile),
    }
    if args.capped:
        result["capped"] = capped(args.capped_accounts)
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
