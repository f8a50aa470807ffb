"""The running sandbox: options, clock, world, tokens, budgets, faults and counters together."""

from __future__ import annotations

import gc
import hashlib
import hmac
import random
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from zsync_tui.sandbox.budgets import BudgetLimits, Budgets
from zsync_tui.sandbox.clock import SandboxClock
from zsync_tui.sandbox.connections import ConnectionTracker
from zsync_tui.sandbox.oauth import TokenAuthority
from zsync_tui.sandbox.options import FaultSettings, SandboxOptions
from zsync_tui.sandbox.read_ahead import ReadAhead
from zsync_tui.sandbox.seed import build_world
from zsync_tui.sandbox.world import World

TIMING_KEYS = (
    "api_calls",
    "api_s",
    "latency_calls",
    "latency_asked_s",
    "latency_waited_s",
    "read_ahead_hits",
    "read_ahead_renders",
    "read_ahead_s",
)


class Stats:
    """What the admin API reports: requests by method, path template and status, and more."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self.faults: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.timing: dict[str, float] = dict.fromkeys(TIMING_KEYS, 0.0)

    def reset(self) -> None:
        """Start counting from zero."""
        self.requests.clear()
        self.faults.clear()
        self.throttled.clear()
        self.timing = dict.fromkeys(TIMING_KEYS, 0.0)

    def add_api_time(self, seconds: float) -> None:
        """One CRM/Billing call took `seconds` in the sandbox, injected latency included."""
        self.timing["api_calls"] += 1
        self.timing["api_s"] += seconds

    def add_latency(self, asked_s: float, waited_s: float) -> None:
        """A call was delayed: `asked_s` injected, `waited_s` actually waited (never less)."""
        self.timing["latency_calls"] += 1
        self.timing["latency_asked_s"] += asked_s
        self.timing["latency_waited_s"] += waited_s

    def timing_report(self) -> dict[str, float]:
        """Where the API calls' time went, in totals (ms) so a caller can difference two
        reports: in the sandbox, of it latency asked and actually waited, and the rest, the
        sandbox's own work (routing, handler, JSON, writing the reply)."""
        timing = self.timing
        return {
            "api_calls": int(timing["api_calls"]),
            "api_ms": round(timing["api_s"] * 1000, 3),
            "latency_calls": int(timing["latency_calls"]),
            "latency_asked_ms": round(timing["latency_asked_s"] * 1000, 3),
            "latency_waited_ms": round(timing["latency_waited_s"] * 1000, 3),
            "work_ms": round((timing["api_s"] - timing["latency_waited_s"]) * 1000, 3),
            # Pages rendered ahead of a walk's request (outside any call's time), and served.
            "read_ahead_renders": int(timing["read_ahead_renders"]),
            "read_ahead_hits": int(timing["read_ahead_hits"]),
            "read_ahead_ms": round(timing["read_ahead_s"] * 1000, 3),
        }

    def as_dict(self) -> dict[str, Any]:
        """The counters as JSON-ready data."""
        return {
            "requests": [
                {"method": m, "path": p, "status": s, "count": n}
                for (m, p, s), n in sorted(self.requests.items())
            ],
            "requests_total": sum(self.requests.values()),
            "faults_injected": dict(self.faults),
            "faults_injected_total": sum(self.faults.values()),
            "throttled": dict(self.throttled),
            "throttled_total": sum(self.throttled.values()),
            "http_429_total": sum(
                n for (_, _, status), n in self.requests.items() if status == 429
            ),
            "timing": self.timing_report(),
        }


class Sandbox:
    """One emulated Zoho: everything the handlers read and change."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.clock = SandboxClock(options.clock_start)
        self.lock = threading.RLock()
        self.stats = Stats()
        self.read_ahead = ReadAhead(self.stats)
        self.connections = ConnectionTracker()
        self.base_url = "http://127.0.0.1"
        # Set by a process that serves only this sandbox (see `settle`); a test process that
        # runs many sandboxes leaves it off.
        self.settle_heap = False
        self.faults: FaultSettings = options.fault_settings
        self.fault_rng = random.Random(options.seed ^ 0x5A5A)
        self.tokens = TokenAuthority(options)
        self.tokens.early_expiry_s = self.faults.token_expiry_s
        self.budgets = Budgets(BudgetLimits.from_options(options))
        self._page_secret = hashlib.sha256(f"zsync-sandbox-pages:{options.seed}".encode()).digest()
        if options.state_file and Path(options.state_file).exists():
            self.world = World.load(Path(options.state_file))
        else:
            self.world = build_world(options, self.clock.now())

    def now(self) -> float:
        """Sandbox time, epoch seconds."""
        return self.clock.now()

    def settle(self) -> None:
        """Take the world out of the cyclic collector's rounds, when `settle_heap` is on.

        The world is hundreds of thousands of long-lived dicts and lists; each reply allocates
        a page of fresh ones, and every collection that reaches the older generations walked
        the whole world again (about a third of a list call's CPU with 50,000 Accounts).
        Records are plain acyclic data, so freezing them hides nothing the collector could
        free. The CRM records are first laid out in the order syncs read them
        (`CrmModule.compact`). A new world (reset, state load) is settled again."""
        if not self.settle_heap:
            return
        for module in self.world.crm.values():
            module.compact()
        gc.collect()
        gc.freeze()

    def set_faults(self, faults: FaultSettings) -> None:
        """Change the faults in force."""
        self.faults = faults
        self.tokens.early_expiry_s = faults.token_expiry_s

    def reset(self) -> None:
        """Back to the seeded world, with counters and usage cleared (faults and limits stay)."""
        with self.lock:
            self.world = build_world(self.options, self.now())
            self.settle()
            self.stats.reset()
            self.read_ahead.clear()
            self.budgets.reset()
            self.fault_rng = random.Random(self.options.seed ^ 0x5A5A)

    def sign(self, payload: bytes) -> str:
        """A short signature so page tokens cannot be forged or edited."""
        return hmac.new(self._page_secret, payload, hashlib.sha256).hexdigest()[:16]

    @property
    def credentials(self) -> dict[str, str]:
        """What a client needs to connect: the serve command's JSON line."""
        creds = self.tokens.credentials
        return {
            "url": self.base_url,
            "accounts_url": self.base_url,
            "api_domain": self.base_url,
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "refresh_token": creds.refresh_token,
            "billing_organization_id": self.world.billing_org["organization_id"],
        }
