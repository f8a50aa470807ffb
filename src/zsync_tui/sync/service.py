"""The customer sync as a service: what the TUI and the commands call.

    service = SyncService(runtime)                 # the runtime's profile
    service.config() -> IntegrationConfig          # stored, or the defaults
    await service.save_config(config)              # validated against the orgs, then stored
    await service.run(dry_run=False, full=False, progress=callback, cancel=event) -> RunReport
    await service.plan() -> RunReport              # a dry run: items, nothing written
    await service.fetch_one(record_id) -> RunReport
    await service.resolve_conflict(conflict_id, take="crm"|"billing", value=None)
    await service.push(link_ids) -> RunReport      # Billing's values to CRM now (actions.py)
    service.unlink(link_ids) -> int                # forget links; "do not auto-match" after
    service.import_links(path) -> int              # links CSV back, all or nothing
    service.status() -> dict                       # health counts, last run, conflicts waiting
    service.set_enabled(False|True)

Every call that writes (a run that is not a dry run, fetch_one, crm_import, push, unlink,
import_links) holds the profile's run lock (`sync/run_lock.py`) for its whole length, and
raises `RunLocked` at once when another process or writer holds it. A dry run takes no lock:
it writes nothing, neither remotely nor in the store, and a plan read while another run is
half way is simply that run's state so far.

Engine calls run on the caller's event loop; the TUI runs them in a thread worker with its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from zsync_tui.connection import open_clients
from zsync_tui.store import Conflict, Profile, RecordLink
from zsync_tui.sync.actions import LinkActions, link_ids_for, push_refusal, unlink_links
from zsync_tui.sync.config import ConfigError, IntegrationConfig
from zsync_tui.sync.config_checks import RemoteFacts, check_against_remote, resolve_view
from zsync_tui.sync.deals.stages import stage_problems
from zsync_tui.sync.engine import CustomerSync, ProgressCallback
from zsync_tui.sync.events import RunReport
from zsync_tui.sync.ledger import Ledger, link_values, store_link_values
from zsync_tui.sync.links_csv import import_links_csv
from zsync_tui.sync.profile_service import ProfileService
from zsync_tui.sync.run_lock import RunLock, mark_interrupted_runs
from zsync_tui.sync.status_report import profile_status
from zsync_tui.zoho.errors import NotFound


class ConflictNotOpen(LookupError):
    """The conflict does not exist or is already settled."""


class SyncDisabled(RuntimeError):
    """The integration is disabled; `zsync enable` turns it back on."""


class SyncService(ProfileService):
    """Customer sync operations for one profile (see the module docstring)."""

    # -- configuration ---------------------------------------------------------------------

    def is_secondary_org(self) -> bool:
        """True when an earlier profile links another Billing org to the same CRM org."""
        me = self.profile()
        if not me.crm_org_id:
            return False
        with self.runtime.store.read() as session:
            earlier = session.exec(
                select(Profile).where(
                    Profile.crm_org_id == me.crm_org_id,
                    Profile.billing_org_id != me.billing_org_id,
                    col(Profile.id) < (me.id or 0),
                )
            ).first()
        return earlier is not None

    async def remote_facts(self, crm: Any, billing: Any) -> RemoteFacts:
        config = self.config()
        views: dict[str, list[dict[str, Any]]] = {}
        for key, module in (("account_view", "Accounts"), ("contact_view", "Contacts")):
            if getattr(config, key) is not None:
                views[module] = await crm.custom_views(module)
        org = await crm.org()
        billing_currency = None
        profile = self.profile()
        for candidate in await billing.organizations():
            if str(candidate.id) == str(profile.billing_org_id):
                billing_currency = candidate.currency_code
        # Billing documents no call that lists custom fields; when the client has none, the
        # check happens at write time (Billing refuses an unknown label, and says so).
        custom_fields: tuple[str, ...] | None = None
        if hasattr(billing, "customer_custom_fields"):
            custom_fields = tuple(await billing.customer_custom_fields())
        return RemoteFacts(
            views=views,
            billing_custom_fields=custom_fields,
            crm_multi_currency=org.multi_currency,
            crm_base_currency=org.base_currency,
            billing_currency=billing_currency,
            is_secondary_billing_org=self.is_secondary_org(),
        )

    async def save_config(self, config: IntegrationConfig, check_remote: bool = True) -> None:
        """Store `config` after checking it against the orgs; ConfigError names the key."""
        if check_remote:
            async with open_clients(
                self.runtime, profile=self.profile_name, options=self.options
            ) as clients:
                facts = await self._facts_for(config, clients.crm, clients.billing)
                stage_issues = await stage_problems(config.triggers, clients.crm)
            problems = check_against_remote(config, facts) + stage_issues
            if problems:
                raise ConfigError(problems)
        self._store_config(config)

    async def _facts_for(self, config: IntegrationConfig, crm: Any, billing: Any) -> RemoteFacts:
        saved = self.profile().config_toml
        self._store_config(config)
        try:
            return await self.remote_facts(crm, billing)
        finally:
            with self.runtime.store.write() as session:
                row = session.get(Profile, self.profile().id)
                if row is not None:
                    row.config_toml = saved
                    session.add(row)

    def _store_config(self, config: IntegrationConfig) -> None:
        with self.runtime.store.write() as session:
            row = session.get(Profile, self.profile().id)
            if row is None:
                raise ConfigError([("profile", "not connected: run `zsync connect` first")])
            row.config_toml = config.to_toml()
            row.enabled = config.enabled
            row.updated_at = datetime.now(UTC)
            session.add(row)

    def set_enabled(self, enabled: bool) -> None:
        """Disable or re-enable every sync without touching links or history."""
        config = self.config().model_copy(update={"enabled": enabled})
        self._store_config(config)

    # -- runs ------------------------------------------------------------------------------

    async def run(
        self,
        *,
        dry_run: bool = False,
        full: bool = False,
        progress: ProgressCallback | None = None,
        cancel: asyncio.Event | None = None,
    ) -> RunReport:
        """One customer sync run (or a dry run). ConfigError/ZohoError for setup problems."""
        config = self.config()
        if not config.enabled and not dry_run:
            raise SyncDisabled("the integration is disabled: run `zsync enable` first")
        with contextlib.nullcontext() if dry_run else self.writing("sync"):
            profile = self.profile()
            ledger = Ledger(self.runtime.store, int(profile.id or 0))
            async with open_clients(
                self.runtime, profile=self.profile_name, options=self.options
            ) as clients:
                facts = await self.remote_facts(clients.crm, clients.billing)
                problems = [p for p in check_against_remote(config, facts) if p[0] != "direction"]
                if problems:
                    raise ConfigError(problems)
                views = {
                    module: resolve_view(facts.views.get(module, ()), wanted) or wanted
                    for module, wanted in (
                        ("Accounts", config.account_view),
                        ("Contacts", config.contact_view),
                    )
                    if wanted
                }
                engine = CustomerSync(
                    config,
                    clients.crm,
                    clients.billing,
                    ledger,
                    dry_run=dry_run,
                    full=full,
                    one_way=facts.is_secondary_billing_org,
                    views=views,
                    progress=progress,
                    cancel=cancel,
                )
                return await engine.run()

    @contextlib.contextmanager
    def writing(self, action: str) -> Iterator[list[int]]:
        """Hold the profile's run lock for `action` ("sync", "push", ...); `RunLocked` (who
        holds it, what to do) when another writer has it. Yields the ids of the runs found
        still "running", now marked interrupted: with the lock free, their process is gone."""
        profile = self.profile()
        pid = int(profile.id or 0)
        with RunLock.for_profile(self.runtime.paths.data_dir, pid, profile.name, action):
            yield mark_interrupted_runs(self.runtime.store, pid)

    def _lock(self, profile_id: int) -> RunLock:
        return RunLock.for_profile(self.runtime.paths.data_dir, profile_id, "", "status")

    async def plan(self, full: bool = False) -> RunReport:
        """A dry run: every decision as a `PlanItem` in `.items`, nothing written."""
        return await self.run(dry_run=True, full=full)

    async def _engine(self, clients: Any, **kwargs: Any) -> CustomerSync:
        config = self.config()
        facts = await self.remote_facts(clients.crm, clients.billing)
        problems = [p for p in check_against_remote(config, facts) if p[0] != "direction"]
        if problems:
            raise ConfigError(problems)
        ledger = Ledger(self.runtime.store, int(self.profile().id or 0))
        return CustomerSync(
            config,
            clients.crm,
            clients.billing,
            ledger,
            one_way=facts.is_secondary_billing_org,
            **kwargs,
        )

    async def fetch_one(self, record_id: str) -> RunReport:
        """Pull one record from CRM now: `record_id` is a Billing customer id or a CRM id."""
        config = self.config()
        pid = int(self.profile().id or 0)
        with self.runtime.store.read() as session:
            link = session.exec(
                select(RecordLink).where(
                    RecordLink.profile_id == pid,
                    (RecordLink.billing_id == record_id) | (RecordLink.crm_id == record_id),
                )
            ).first()
        with self.writing("fetch one"):
            async with open_clients(
                self.runtime, profile=self.profile_name, options=self.options
            ) as clients:
                engine = await self._engine(clients)
                if link is not None:
                    return await engine.run_one(link.crm_module, link.crm_id)
                for module in config.crm_modules:
                    try:
                        await clients.crm.get_record(module, record_id)
                    except NotFound:
                        continue
                    return await engine.run_one(module, record_id)
        raise NotFound(
            f"{record_id} is neither a linked Billing customer nor a CRM record of "
            f"{', '.join(config.crm_modules)}: check the id "
            "(`zsync links list`, `zsync crm search`)"
        )

    # -- admin actions on chosen links (sync/actions.py) ---------------------------------------

    async def push(self, link_ids: list[int]) -> RunReport:
        """Send these linked customers' mapped Billing values to CRM now; ConfigError when the
        profile only fetches from CRM (one-way, or a second Billing org)."""
        config = self.config()
        refusal = push_refusal(config.direction, self.is_secondary_org())
        if refusal is not None:
            raise refusal
        ledger = Ledger(self.runtime.store, int(self.profile().id or 0))
        with self.writing("push"):
            async with open_clients(
                self.runtime, profile=self.profile_name, options=self.options
            ) as clients:
                actions = LinkActions(config, clients.crm, clients.billing, ledger)
                return await actions.push(link_ids)

    def unlink(self, link_ids: list[int]) -> int:
        """Forget these links (both records stay); the next runs neither re-link nor copy
        them until they are linked again. How many links were forgotten."""
        with self.writing("unlink"):
            return unlink_links(Ledger(self.runtime.store, int(self.profile().id or 0)), link_ids)

    def import_links(self, path: Path) -> int:
        """Read links back from a CSV file (all or nothing: `LinksImportError` lists the bad
        rows); how many were added."""
        with self.writing("links import"):
            return import_links_csv(self.runtime.store, int(self.profile().id or 0), path).added

    def link_ids_for(self, record_ids: list[str]) -> list[int]:
        """The links of these CRM or Billing ids; LookupError names the ids not linked."""
        return link_ids_for(Ledger(self.runtime.store, int(self.profile().id or 0)), record_ids)

    async def crm_import(self, crm_id: str) -> RunReport:
        """Import one CRM record not yet synced (the duplicate rules apply)."""
        return await self.fetch_one(crm_id)

    async def crm_search(self, text: str) -> list[dict[str, Any]]:
        """CRM records not necessarily synced yet: contacts mode by name; accounts modes by
        account name, each with its contacts. Each result says whether it is linked."""
        config = self.config()
        pid = int(self.profile().id or 0)
        module = "Contacts" if config.module == "contacts" else "Accounts"
        async with open_clients(
            self.runtime, profile=self.profile_name, options=self.options
        ) as clients:
            found = await clients.crm.search(module, word=text)
            results: list[dict[str, Any]] = []
            for record in found[:50]:
                item: dict[str, Any] = {
                    "module": module,
                    "id": str(record.get("id")),
                    "name": record.get("Account_Name")
                    or record.get("Full_Name")
                    or record.get("Last_Name"),
                    "email": record.get("Email"),
                }
                if module == "Accounts" and len(found) <= 10:
                    contacts = await clients.crm.account_contacts(
                        item["id"], ["Full_Name", "Email"]
                    )
                    item["contacts"] = [
                        {
                            "id": str(c.get("id")),
                            "name": c.get("Full_Name"),
                            "email": c.get("Email"),
                        }
                        for c in contacts
                    ]
                results.append(item)
        with self.runtime.store.read() as session:
            linked = set(
                session.exec(
                    select(RecordLink.crm_id).where(
                        RecordLink.profile_id == pid,
                        col(RecordLink.crm_id).in_([r["id"] for r in results]),
                    )
                ).all()
            )
        for item in results:
            item["linked"] = item["id"] in linked
        return results

    def resolve_conflict(
        self, conflict_id: int, take: str | None = None, value: str | None = None
    ) -> str | None:
        """Settle an open conflict with CRM's value (`take="crm"`), Billing's
        (`take="billing"`) or `value`; the next run writes it wherever it is not yet.
        Returns the chosen value; `ConflictNotOpen` if there is no such open conflict."""
        if (take is None) == (value is None):
            raise ValueError("give take='crm'|'billing' or a value, not both")
        pid = int(self.profile().id or 0)
        with self.runtime.store.write() as session:
            row = session.get(Conflict, conflict_id)
            if row is None or row.profile_id != pid or row.state != "open":
                raise ConflictNotOpen(f"no open conflict {conflict_id}: see `zsync conflicts list`")
            chosen = (
                value if take is None else (row.crm_value if take == "crm" else row.billing_value)
            )
            link = session.get(RecordLink, row.link_id)
            if link is not None:
                values = link_values(link)
                values["override"][row.field] = chosen
                store_link_values(
                    link, values["base"], values["crm"], values["billing"], values["override"]
                )
                link.billing_hash = None
                link.billing_modified_time = None
                session.add(link)
            row.state = "resolved"
            row.resolution = f"take {take}" if take else "set"
            row.resolved_value = chosen
            row.resolved_at = datetime.now(UTC)
            session.add(row)
        return chosen

    # -- status ----------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """In sync, excluded by reason, failing by reason, conflicts waiting, last run."""
        profile = self.profile()
        lock = self._lock(int(profile.id or 0))
        return profile_status(self.runtime.store, profile, self.config().enabled, lock)
