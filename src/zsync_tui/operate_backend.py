"""The adapter between the operating screens and the services: the customer sync service
(`sync/service.py`), the deals engine (`sync/deals/`) and the state store.

Screens call this only from the App's thread workers for anything that reaches Zoho (every
method that may block on the wire says so); store reads are short and may run anywhere. No
textual here, and nothing below reaches httpx except through the services.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlmodel import col, select

from zsync_tui.operate_queries import StoreQueries
from zsync_tui.operate_rows import (
    Budget,
    ConflictRow,
    CustomerFilter,
    CustomerRow,
    DealRow,
    DuplicateRow,
    DuplicateState,
    ErrorGroup,
    FieldValues,
    Health,
    JournalRow,
    RunSummary,
)
from zsync_tui.runtime import Runtime
from zsync_tui.store import DuplicateMatch
from zsync_tui.sync.config import IntegrationConfig
from zsync_tui.sync.events import RunReport, SyncProgress
from zsync_tui.sync.links_csv import write_links_csv
from zsync_tui.sync.service import SyncService

if TYPE_CHECKING:
    from zsync_tui.sync.deals.service import DealService

#: Billing's daily allowance when the plan is unknown (zoho/budget.py's default).
BILLING_DAILY_CALLS = 2_500
#: CRM credits per rolling 24 h of the lowest edition, used when the edition is unknown.
CRM_DAILY_CREDITS = 5_000
#: The settings screen's export has always left out `billing_parent_id`; its header is kept.
LINK_COLUMNS = ("crm_module", "crm_id", "billing_entity", "billing_id", "origin", "state")


def describe_problem(exc: BaseException) -> str:
    """One sentence for the user, with what to do next, from any failure of a service call."""
    from zsync_tui.connection import ConnectFailed
    from zsync_tui.sync.config import ConfigError
    from zsync_tui.sync.deals.links import LinkRefused
    from zsync_tui.sync.deals.simulate import SimulationRefused
    from zsync_tui.sync.links_csv import LinksImportError
    from zsync_tui.sync.run_lock import RunLocked
    from zsync_tui.sync.service import ConflictNotOpen, SyncDisabled

    told = (
        RunLocked,
        LinksImportError,
        ConnectFailed,
        SyncDisabled,
        ConflictNotOpen,
        LinkRefused,
        SimulationRefused,
    )
    if isinstance(exc, told):
        text = str(exc)
    elif isinstance(exc, ConfigError):
        text = f"the configuration needs a change ({exc}); open Settings → Edit configuration"
    elif isinstance(exc, OSError):
        text = f"{exc.strerror or exc}: check the path and the permissions, then try again"
    else:
        name = type(exc).__name__
        detail = str(exc).strip() or name
        if "RateLimited" in name or "BudgetExhausted" in name:
            text = f"{detail}; zsync resumes by itself when the budget allows"
        else:
            text = f"{detail} (details in the log); try again, or run `zsync doctor`"
    return text if text.endswith((".", "!", "?")) else text + "."


class OperateBackend:
    """Everything the dashboard, conflicts, duplicates, customers, CRM search, deals, history
    and settings screens ask of the services, for the runtime's profile."""

    def __init__(
        self,
        runtime: Runtime,
        service: SyncService | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.runtime = runtime
        self.service = service or SyncService(runtime)
        self.clock = clock or (lambda: datetime.now(UTC))
        self._queries: StoreQueries | None = None

    # -- plumbing --------------------------------------------------------------------------

    @property
    def queries(self) -> StoreQueries:
        """Store reads for the profile (ConnectFailed when the profile is not connected)."""
        if self._queries is None:
            profile = self.service.profile()
            self._queries = StoreQueries(self.runtime.store, int(profile.id or 0))
        return self._queries

    def _deal_service(self) -> DealService:
        from zsync_tui.sync.deals.service import DealService

        return DealService(self.runtime)

    # -- configuration ---------------------------------------------------------------------

    def config(self) -> IntegrationConfig:
        return self.service.config()

    def set_enabled(self, enabled: bool) -> None:
        """Disable or reactivate every sync and trigger; links and history stay."""
        self.service.set_enabled(enabled)

    def set_interval(self, interval: str) -> IntegrationConfig:
        """Change how often customers sync (`30m`, `2h`, ...); ConfigError names a bad value."""
        config = IntegrationConfig.from_mapping(
            {**self.config().model_dump(exclude_none=True), "interval": interval}
        )
        _run(self.service.save_config(config, check_remote=False))
        return config

    # -- health, budget, history -----------------------------------------------------------

    def health(self) -> Health:
        return self.queries.health(self.service.status(), self.config().interval_seconds)

    def budget(self, now: datetime | None = None) -> Budget:
        return self.queries.budget(now or self.clock(), CRM_DAILY_CREDITS, BILLING_DAILY_CALLS)

    def runs(self) -> list[RunSummary]:
        return self.queries.runs()

    def run_errors(self, run_id: int) -> list[ErrorGroup]:
        return self.queries.run_errors(run_id)

    def run_journal(self, run_id: int) -> list[JournalRow]:
        return self.queries.journal(run_id=run_id)

    # -- runs (block on the wire) ----------------------------------------------------------

    def run(
        self,
        *,
        dry_run: bool,
        progress: Callable[[SyncProgress], None],
        cancel: threading.Event,
    ) -> RunReport:
        """One sync run (or dry run) on this thread; `cancel` stops it between pages."""

        async def go() -> RunReport:
            stop = asyncio.Event()

            async def watch() -> None:
                while not cancel.is_set():
                    await asyncio.sleep(0.05)
                stop.set()

            watcher = asyncio.create_task(watch())
            try:
                return await self.service.run(dry_run=dry_run, progress=progress, cancel=stop)
            finally:
                watcher.cancel()

        return _run(go())

    def child_command(self, dry_run: bool) -> list[str] | None:
        """The command that runs this sync in a process of its own (`operate_sync_child`),
        or None when it cannot: the client options hold objects (a test transport, shared
        budgets) that only exist in this process."""
        from zsync_tui.operate_sync_child import OPTION_FIELDS
        from zsync_tui.zoho.transport import RetryPolicy

        options = self.service.options
        if options is not None and (
            options.http_transport is not None
            or options.crm_budget is not None
            or options.billing_budget is not None
            or options.retry != RetryPolicy()
        ):
            return None
        command = [sys.executable, "-m", "zsync_tui.operate_sync_child", "--stop-on-stdin-close"]
        command += ["--profile", self.service.profile_name]
        paths = self.runtime.paths
        dirs = (paths.config_dir, paths.data_dir, paths.state_dir, paths.log_dir)
        root = paths.config_dir.parent
        if [d.name for d in dirs] == ["config", "data", "state", "log"] and all(
            d.parent == root for d in dirs
        ):
            command += ["--data-dir", str(root)]  # else the platform's places, as here
        if options is not None:
            chosen = {name: getattr(options, name) for name in OPTION_FIELDS}
            command += ["--options", json.dumps(chosen)]
        if dry_run:
            command.append("--dry-run")
        return command

    def child_environment(self) -> dict[str, str]:
        """The environment of the sync child: ours, with the profile's two secrets in the
        variables `zsync sync` takes them from for one process (never argv). A keyring that
        lives in this process only (the demo's, the tests') is out of the child's reach, and
        the child asks no keyring for them again. ConnectFailed when there are none."""
        from zsync_tui.connection import ConnectFailed
        from zsync_tui.secrets import ENV_VARS, CredentialStore, SecretKind

        profile = self.service.profile()
        credentials = CredentialStore(
            profile.name, timeout_s=self.runtime.settings.keyring_timeout_s
        )
        environment = dict(os.environ)
        for kind in (SecretKind.CLIENT_SECRET, SecretKind.REFRESH_TOKEN):
            value = credentials.get(kind)
            if not value:
                raise ConnectFailed(
                    f"profile {profile.name!r} has no stored secrets: run `zsync connect` "
                    "again, or set ZSYNC_CLIENT_SECRET and ZSYNC_REFRESH_TOKEN"
                )
            environment[ENV_VARS[kind]] = value
        return environment

    def fetch_one(self, record_id: str) -> RunReport:
        """Pull one record (a CRM id or a Billing customer id) from CRM now."""
        report: RunReport = _run(self.service.fetch_one(record_id))
        return report

    # -- conflicts -------------------------------------------------------------------------

    def conflicts(self) -> list[ConflictRow]:
        return self.queries.conflicts()

    def link_fields(self, link_id: int) -> list[FieldValues]:
        return self.queries.link_fields(link_id)

    def resolve_conflict(
        self, conflict_id: int, take: Literal["crm", "billing", "value"], value: str | None = None
    ) -> None:
        """Settle one conflict with CRM's value, Billing's, or `value`; the next run writes
        it wherever it is not yet (`SyncService.resolve_conflict`)."""
        if take == "value":
            self.service.resolve_conflict(conflict_id, value=value or "")
        else:
            self.service.resolve_conflict(conflict_id, take=take)

    def resolve_field_everywhere(self, field: str, take: Literal["crm", "billing"]) -> int:
        """Settle every open conflict of `field` the same way; how many were settled."""
        settled = 0
        for row in self.conflicts():
            if row.field == field:
                self.resolve_conflict(row.id, take)
                settled += 1
        return settled

    # -- duplicates ------------------------------------------------------------------------

    def count_duplicates(self, state: DuplicateState = "waiting", min_score: float = 0.0) -> int:
        return self.queries.count_duplicates(state, min_score)

    def duplicates(
        self,
        offset: int,
        limit: int,
        *,
        state: DuplicateState = "waiting",
        min_score: float = 0.0,
        descending: bool = True,
    ) -> list[DuplicateRow]:
        return self.queries.duplicates(
            offset, limit, state=state, min_score=min_score, descending=descending
        )

    def decide_duplicates(
        self,
        approve: bool,
        ids: list[int] | None = None,
        *,
        min_score: float = 0.0,
    ) -> int:
        """Approve (link on the next run) or reject (create a new customer) matches: the
        given ids, or every waiting match scoring at least `min_score`. How many changed."""
        state = "approved" if approve else "rejected"
        with self.runtime.store.write() as session:
            query = select(DuplicateMatch).where(
                DuplicateMatch.profile_id == self.queries.profile_id,
                DuplicateMatch.state == "waiting",
            )
            if ids is not None:
                query = query.where(col(DuplicateMatch.id).in_(ids))
            else:
                query = query.where(DuplicateMatch.score >= min_score)
            rows = session.exec(query).all()
            for row in rows:
                row.state = state
                session.add(row)
        return len(rows)

    # -- customers -------------------------------------------------------------------------

    def count_customers(self, which: CustomerFilter = "all") -> int:
        return self.queries.count_customers(which)

    def customers(
        self, offset: int, limit: int, which: CustomerFilter = "all"
    ) -> list[CustomerRow]:
        return self.queries.customers(offset, limit, which)

    def customer(self, link_id: int) -> tuple[CustomerRow, list[FieldValues]] | None:
        return self.queries.customer(link_id)

    def customer_journal(self, row: CustomerRow) -> list[JournalRow]:
        return self.queries.journal(remote_ids=(row.crm_id, row.billing_id), limit=200)

    def push(self, link_ids: list[int]) -> RunReport:
        """Send these customers' Billing values to CRM now (blocks on the wire)."""
        report: RunReport = _run(self.service.push(link_ids))
        return report

    def unlink(self, link_ids: list[int]) -> int:
        """Forget these links (the records stay on both sides)."""
        return self.service.unlink(link_ids)

    def fetch_many(self, rows: list[CustomerRow]) -> list[str]:
        """Fetch each customer from CRM; the problems, one line per record that failed."""
        problems = []
        for row in rows:
            report = self.fetch_one(row.crm_id)
            if report.errors:
                problems.extend(report.error_messages)
        return problems

    # -- CRM search (blocks on the wire) ---------------------------------------------------

    def search_crm(self, text: str) -> list[dict[str, Any]]:
        """CRM records matching `text` (contacts by name in contacts mode, else accounts by
        name with their contacts); each says whether it is `linked` already (blocks)."""
        found: list[dict[str, Any]] = _run(self.service.crm_search(text))
        return found

    def import_crm(self, crm_id: str) -> RunReport:
        """Bring one CRM record into Billing now and link it (the duplicate rules apply)."""
        report: RunReport = _run(self.service.crm_import(crm_id))
        return report

    # -- deals -----------------------------------------------------------------------------

    def deals(self) -> list[DealRow]:
        """Every deal the triggers acted on, skipped, locked or that is linked (no network)."""
        return [
            DealRow(
                deal_id=summary.deal_id,
                links=tuple(
                    (str(k["entity"]), str(k["billing_id"]), str(k["origin"]))
                    for k in summary.links
                ),
                actions=tuple(
                    (str(a["action"]), int(a["generation"]), str(a["state"]), a.get("error"))
                    for a in summary.actions
                ),
                stage=summary.stage,
                skipped=summary.skipped,
                locked=tuple(
                    f"{lock.get('kind')} {lock.get('billing_id')}: {lock.get('reason')}"
                    for lock in summary.locked
                ),
            )
            for summary in self._deal_service().deals()
        ]

    def link_deal(self, deal_id: str, entity: str, billing_id: str) -> str:
        """Tie a deal to a quote, sales order or invoice of its customer (blocks); the
        engine refuses another customer's document with the reason."""
        result = _run(self._deal_service().link(deal_id, entity, billing_id))
        return str(result.note or f"deal {deal_id} linked to {entity} {billing_id}")

    def unlink_deal(self, deal_id: str, entity: str, billing_id: str) -> str:
        """Dissociate a hand-made link; trigger links are refused with the reason (blocks)."""
        result = _run(self._deal_service().unlink(deal_id, entity, billing_id))
        return str(result.note or f"deal {deal_id} dissociated from {entity} {billing_id}")

    def simulate_deal(self, deal_id: str, stage: str) -> list[str]:
        """What the triggers would do if the deal moved to `stage`; writes nothing (blocks)."""
        simulation = _run(self._deal_service().simulate(deal_id, stage))
        decision = simulation.decision
        lines = [f"from {simulation.from_stage} to {stage} (probability {simulation.probability})"]
        lines += [f"would {action.as_dict()}" for action in decision.actions]
        lines += [f"locked: {lock.billing_id}: {lock.reason}" for lock in decision.locks]
        if decision.skipped:
            lines.append(f"skipped: {decision.skipped}")
        lines += list(decision.notes) + list(simulation.notes)
        return lines

    # -- links -----------------------------------------------------------------------------

    def export_links(self, path: Path) -> int:
        """Write every link of the profile to a CSV file; how many rows."""
        return write_links_csv(self.runtime.store, self.queries.profile_id, path, LINK_COLUMNS)

    def import_links(self, path: Path) -> int:
        """Read links back from a CSV file made by `export_links`, all or nothing
        (`LinksImportError` names each bad row); how many were added."""
        return self.service.import_links(path)


def _run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a service coroutine on this (worker) thread's own loop."""
    return asyncio.run(coroutine)
