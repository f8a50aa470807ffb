"""The deal watcher: every `poll_seconds`, read the deals changed since the cursor
(`If-Modified-Since`, so an idle poll is one CRM call answered 304), decide, and act.

`DealWatcher.poll_once()` is what `zsync run` calls between customer syncs. The first poll reads
every deal once and records its stage (the baseline) without acting: triggers fire on stages
deals *enter* after the triggers were switched on.

The cursor never passes a deal whose work was interrupted (a rate limit, an uncertain write):
such a deal is read again by the next poll, after `reconcile` has settled its pending actions.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from zsync_tui.sync.config import IntegrationConfig
from zsync_tui.sync.deals.config import TriggerConfig, check_stages
from zsync_tui.sync.deals.customers import CustomerResolver, ImportOne
from zsync_tui.sync.deals.executor import ActionExecutor, ActionOutcome, CrashHook
from zsync_tui.sync.deals.ledger import DealLedger
from zsync_tui.sync.deals.model import DEAL_FIELDS, Deal, StageMap
from zsync_tui.sync.deals.page import DealResult, PageRunner
from zsync_tui.sync.deals.stages import read_stage_map
from zsync_tui.sync.records import parse_time
from zsync_tui.zoho.errors import AuthenticationError, RateLimited, ZohoError

log = logging.getLogger(__name__)
STAGE_MAP_TTL_S = 900.0


@dataclass
class PollReport:
    """What one poll read, did and skipped, and what it cost."""

    status: str = "ok"  # ok|baseline|interrupted|disabled|config_invalid|budget_spent|error|busy
    deals_read: int = 0
    outcomes: list[ActionOutcome] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    locked: list[tuple[str, str, str]] = field(default_factory=list)
    crm_calls: int = 0
    billing_calls: int = 0
    cursor: str | None = None
    message: str = ""
    resumes_at: datetime | None = None

    def count(self, state: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.state == state)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "deals_read": self.deals_read,
            "actions": [outcome.as_dict() for outcome in self.outcomes],
            "skipped": [{"deal_id": d, "reason": r} for d, r in self.skipped],
            "locked": [{"deal_id": d, "billing_id": b, "reason": r} for d, b, r in self.locked],
            "api_calls": {"crm": self.crm_calls, "billing": self.billing_calls},
            "cursor": self.cursor,
            "message": self.message,
            "resumes_at": self.resumes_at.isoformat() if self.resumes_at else None,
        }


class DealWatcher:
    """Polls CRM deals for one profile and runs the configured triggers at most once."""

    def __init__(
        self,
        ledger: DealLedger,
        config: IntegrationConfig,
        crm: Any,
        billing: Any,
        *,
        importer: ImportOne | None = None,
        crash_hook: CrashHook | None = None,
        concurrency: int = 5,
        one_way: bool = False,
    ) -> None:
        self.ledger = ledger
        self.config = config
        self.triggers: TriggerConfig = config.triggers or TriggerConfig()
        self.crm = crm
        self.billing = billing
        self.importer = importer
        self.one_way = one_way
        self.concurrency = max(1, concurrency)
        hook = {"crash_hook": crash_hook} if crash_hook is not None else {}
        self.executor = ActionExecutor(ledger, billing, self.triggers.items, **hook)
        self._stages: StageMap | None = None
        self._stages_read_at = 0.0

    @property
    def interval_seconds(self) -> int:
        return self.triggers.poll_seconds

    @property
    def fields(self) -> list[str]:
        return list(dict.fromkeys([*DEAL_FIELDS, *self.triggers.items.crm_fields()]))

    async def stage_map(self) -> StageMap:
        """The stage→probability map, re-read at most every 15 minutes."""
        if self._stages is None or time.monotonic() - self._stages_read_at > STAGE_MAP_TTL_S:
            self._stages = await read_stage_map(self.crm)
            self._stages_read_at = time.monotonic()
        return self._stages

    # -- one poll --------------------------------------------------------------------------

    async def poll_once(self) -> PollReport:
        """Read changed deals once and act on them; never raises for Zoho trouble."""
        report = PollReport()
        if not self.config.enabled or not self.triggers.active or self.one_way:
            report.status = "disabled"
            report.message = (
                "this Billing organization is one-way: no deal triggers"
                if self.one_way
                else "deal-stage triggers are off"
            )
            return report
        crm_before, billing_before = self.crm.counts.api_calls, self.billing.counts.api_calls
        try:
            report.outcomes += await self.executor.reconcile()
            since = self.ledger.cursor()
            if since is None:
                await self._baseline(report)
            else:
                await self._read_changes(since, report)
        except RateLimited as exc:
            report.status, report.message, report.resumes_at = (
                "budget_spent",
                str(exc),
                exc.resumes_at,
            )
        except (AuthenticationError, ZohoError) as exc:
            report.status, report.message = "error", str(exc)
        finally:
            report.crm_calls = self.crm.counts.api_calls - crm_before
            report.billing_calls = self.billing.counts.api_calls - billing_before
            report.cursor = self.ledger.cursor()
        return report

    async def _baseline(self, report: PollReport) -> None:
        stages: dict[str, str] = {}
        newest: str | None = None
        async for page in self.crm.iter_records("Deals", ["Stage", "Modified_Time"]):
            for record in page:
                stages[str(record.get("id"))] = str(record.get("Stage") or "")
                newest = _later(newest, record.get("Modified_Time"))
        self.ledger.mark_seen_many(stages)
        self.ledger.set_cursor(newest or datetime.now(UTC).isoformat(timespec="seconds"))
        report.status, report.deals_read = "baseline", len(stages)
        report.message = f"recorded the stage of {len(stages)} deals; triggers act from now on"

    async def _read_changes(self, since: str, report: PollReport) -> None:
        newest: str | None = None
        hold: str | None = None
        stages: StageMap | None = None
        fatal: ZohoError | None = None
        try:
            async for page in self.crm.iter_records("Deals", self.fields, modified_since=since):
                if stages is None:
                    stages = await self.stage_map()
                    problems = check_stages(self.triggers, stages.probabilities)
                    if problems:
                        report.status = "config_invalid"
                        report.message = "; ".join(f"{k}: {r}" for k, r in problems)
                        return
                deals = [Deal.from_record(record) for record in page]
                report.deals_read += len(deals)
                for deal, result in zip(
                    deals, await self._process_page(deals, stages), strict=True
                ):
                    report.outcomes += result.outcomes
                    if result.skipped:
                        report.skipped.append((deal.id, result.skipped))
                    report.locked += [(deal.id, b, r) for b, r in result.locked]
                    if result.interrupted:
                        hold = _earlier(hold, deal.modified_time)
                    else:
                        newest = _later(newest, deal.modified_time)
                    fatal = fatal or result.fatal
                if fatal is not None:
                    break
        finally:
            self._advance(since, newest, hold, report)
        if fatal is not None:
            raise fatal

    def _advance(
        self, since: str, newest: str | None, hold: str | None, report: PollReport
    ) -> None:
        """Move the cursor past committed work only (strictly-after: one second before the
        oldest interrupted deal)."""
        cursor = newest
        if hold is not None:
            moment = parse_time(hold)
            cursor = (
                (moment - timedelta(seconds=1)).isoformat(timespec="seconds") if moment else None
            )
            report.status = "interrupted"
        if cursor and _later(since, cursor) == cursor and cursor != since:
            self.ledger.set_cursor(cursor)

    async def _process_page(self, deals: list[Deal], stages: StageMap) -> list[DealResult]:
        resolver = CustomerResolver(self.ledger, self.billing, self.config.module, self.importer)
        resolver.preload(deals)
        runner = PageRunner(
            self.ledger,
            self.billing,
            self.triggers,
            self.config.module,
            self.executor,
            self.concurrency,
        )
        return await runner.run(deals, stages, resolver)


def _later(a: str | None, b: Any) -> str | None:
    """The later of two CRM timestamps (None and non-strings lose)."""
    if not isinstance(b, str) or not b:
        return a
    if a is None:
        return b
    ta, tb = parse_time(a), parse_time(b)
    if ta is None or tb is None:
        return max(a, b)
    return b if tb > ta else a


def _earlier(a: str | None, b: Any) -> str | None:
    if not isinstance(b, str) or not b:
        return a
    if a is None:
        return b
    return a if _later(a, b) == b else b
