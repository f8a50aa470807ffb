"""The deal triggers as a service: what the commands, `zsync run` and the TUI call.

service = DealService(runtime)
await service.poll_once() -> PollReport           # one watcher poll with fresh clients
service.make_watcher(crm, billing) -> DealWatcher  # for a loop that keeps its clients
service.deals() -> list[DealSummary]              # what the store knows, no network
await service.link(deal_id, entity, billing_id) -> LinkResult
await service.unlink(deal_id, entity, billing_id) -> LinkResult
await service.simulate(deal_id, stage) -> Simulation   # writes nothing
await service.check_stages() -> StageMap          # refuses stages the CRM lacks

A poll holds the profile's deals lock (`sync/run_lock.py`, its own, not the customer sync's):
`reconcile` takes every pending action as one a dead poller left and sends it again when
Billing has not got it yet, which is right only when no other poller is sending it right now.
`poll_once` raises `RunLocked` when another process polls; `watch` skips that poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from zsync_tui.connection import ConnectFailed, open_clients
from zsync_tui.runtime import Runtime
from zsync_tui.sync.config import ConfigError
from zsync_tui.sync.deals.config import TriggerConfig
from zsync_tui.sync.deals.customers import CustomerImportFailed
from zsync_tui.sync.deals.ledger import DealLedger, decode
from zsync_tui.sync.deals.links import DealLinker, LinkResult
from zsync_tui.sync.deals.model import SEEN, SKIP, StageMap
from zsync_tui.sync.deals.simulate import Simulation, simulate
from zsync_tui.sync.deals.stages import validate_against_crm
from zsync_tui.sync.deals.watcher import DealWatcher, PollReport
from zsync_tui.sync.profile_service import ProfileService
from zsync_tui.sync.run_lock import DEALS, RunLock, RunLocked
from zsync_tui.zoho.session import ZohoOptions


@dataclass
class DealSummary:
    """One deal as the store knows it: last handled stage, actions, links, skip, locks."""

    deal_id: str
    stage: str | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    skipped: str | None = None
    locked: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "deal_id": self.deal_id,
            "stage": self.stage,
            "actions": self.actions,
            "links": self.links,
            "skipped": self.skipped,
            "locked": self.locked,
        }


class DealService(ProfileService):
    """Deal-trigger operations for one profile (see the module docstring)."""

    def __init__(
        self, runtime: Runtime, profile: str | None = None, options: ZohoOptions | None = None
    ) -> None:
        super().__init__(runtime, profile, options)
        self._import_lock = asyncio.Lock()

    def ledger(self) -> DealLedger:
        return DealLedger(self.runtime.store, int(self.profile().id or 0))

    def polling(self, action: str = "deal poll") -> RunLock:
        """The profile's deals lock, to hold for one poll or one hand link (`RunLocked` when
        taken): a link made while a poll acts on the same deal could get a second document."""
        profile = self.profile()
        data_dir = self.runtime.paths.data_dir
        return RunLock.for_profile(data_dir, int(profile.id or 0), profile.name, action, DEALS)

    def make_watcher(self, crm: Any, billing: Any) -> DealWatcher:
        """A watcher over open clients; a deal whose customer is missing in Billing gets it
        imported by the customer sync engine first. A Billing org that is not the first linked
        to its CRM org gets no triggers (one-way)."""
        from zsync_tui.sync.service import SyncService

        one_way = SyncService(self.runtime, self.profile_name, self.options).is_secondary_org()
        return DealWatcher(
            self.ledger(),
            self.config(),
            crm,
            billing,
            importer=self._import_customer,
            one_way=one_way,
        )

    async def _import_customer(self, crm_module: str, crm_id: str) -> None:
        # Imported lazily: the customer sync service imports the whole engine.
        from zsync_tui.sync.run_lock import RunLocked
        from zsync_tui.sync.service import SyncDisabled, SyncService

        service = SyncService(self.runtime, self.profile_name, self.options)
        fetch_one = getattr(service, "fetch_one", None)
        # One customer sync at a time: two at once could both create the same customer.
        async with self._import_lock:
            try:
                if fetch_one is not None:
                    await fetch_one(crm_id)
                else:
                    # An incremental run reads the CRM records changed since its cursor,
                    # which includes a new Account or Contact.
                    await service.run()
            except (SyncDisabled, ConfigError, ConnectFailed, RunLocked) as exc:
                raise CustomerImportFailed(str(exc)) from None

    async def watch(
        self,
        stop: asyncio.Event,
        *,
        busy: asyncio.Lock | None = None,
        polls: int = 0,
        on_report: Callable[[PollReport], None] | None = None,
    ) -> None:
        """Poll every `poll_seconds` on one set of clients until `stop` is set (or after
        `polls` polls). `busy` is held during each poll: `zsync run` holds it during a
        customer sync, so the two take turns (their Billing calls never overlap)."""
        async with open_clients(
            self.runtime, profile=self.profile_name, options=self.options
        ) as clients:
            watcher = self.make_watcher(clients.crm, clients.billing)
            done = 0
            while not stop.is_set():
                if self.config() != watcher.config:
                    # `zsync configure` or the TUI changed the triggers since the last poll.
                    watcher = self.make_watcher(clients.crm, clients.billing)
                async with busy or contextlib.nullcontext():
                    try:
                        with self.polling():
                            report = await watcher.poll_once()
                    except RunLocked as exc:
                        report = PollReport(status="busy", message=str(exc))
                done += 1
                if on_report is not None:
                    on_report(report)
                if polls and done >= polls:
                    return
                wait = float(watcher.interval_seconds)
                if report.resumes_at is not None:
                    wait = max(wait, report.resumes_at.timestamp() - time.time())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)

    async def poll_once(self) -> PollReport:
        async with open_clients(
            self.runtime, profile=self.profile_name, options=self.options
        ) as clients:
            with self.polling():
                return await self.make_watcher(clients.crm, clients.billing).poll_once()

    async def check_stages(self, triggers: TriggerConfig | None = None) -> StageMap:
        """The CRM's stage map; `ConfigError` when the triggers name a stage it lacks."""
        triggers = triggers or self.config().triggers or TriggerConfig()
        async with open_clients(
            self.runtime, profile=self.profile_name, options=self.options
        ) as clients:
            return await validate_against_crm(triggers, clients.crm)

    async def link(self, deal_id: str, entity: str, billing_id: str) -> LinkResult:
        return await self._change_link(
            "deal link", lambda linker: linker.link(deal_id, entity, billing_id)
        )

    async def unlink(self, deal_id: str, entity: str, billing_id: str) -> LinkResult:
        return await self._change_link(
            "deal unlink", lambda linker: linker.unlink(deal_id, entity, billing_id)
        )

    async def _change_link(
        self, action: str, change: Callable[[DealLinker], Awaitable[LinkResult]]
    ) -> LinkResult:
        with self.polling(action):
            async with open_clients(
                self.runtime, profile=self.profile_name, options=self.options
            ) as clients:
                module = self.config().module
                return await change(DealLinker(self.ledger(), clients.crm, clients.billing, module))

    async def simulate(self, deal_id: str, stage: str) -> Simulation:
        async with open_clients(
            self.runtime, profile=self.profile_name, options=self.options
        ) as clients:
            return await simulate(
                self.ledger(), self.config(), clients.crm, clients.billing, deal_id, stage
            )

    def deals(self) -> list[DealSummary]:
        return summarize(self.ledger())


def summarize(ledger: DealLedger) -> list[DealSummary]:
    """Every deal the triggers acted on, skipped, locked or linked (not the baseline)."""
    found: dict[str, DealSummary] = {}
    for row in ledger.rows():
        summary = found.setdefault(row.deal_id, DealSummary(row.deal_id))
        facts = decode(row.message)
        if row.action == SEEN:
            summary.stage = row.message
        elif row.action == SKIP:
            summary.skipped = str(facts.get("reason") or "")
        elif row.state == "locked":
            summary.locked.append(
                {"billing_id": row.billing_id, "reason": facts.get("reason"), "kind": row.action}
            )
        else:
            summary.actions.append(
                {
                    "action": row.action,
                    "generation": row.generation,
                    "state": row.state,
                    "billing_id": row.billing_id,
                    "error": facts.get("error"),
                }
            )
    for link in ledger.links():
        summary = found.setdefault(link.deal_id, DealSummary(link.deal_id))
        summary.links.append(
            {"entity": link.billing_entity, "billing_id": link.billing_id, "origin": link.origin}
        )
    return [s for s in found.values() if s.actions or s.links or s.skipped or s.locked]
