"""`ServiceBackend`: the setup flow's calls, made with `connection.py` and `sync/`.

The App calls these from thread workers. Zoho calls are coroutines, so the backend keeps one
asyncio loop on a thread of its own and one set of clients on it between calls: listing views,
fields and stages and running the dry run then share one access token instead of refreshing
one per step.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from zsync_tui.messages import SyncCounts
from zsync_tui.runtime import Runtime
from zsync_tui.setup_backend import ProgressCallback, SecretState
from zsync_tui.setup_convert import config_into_draft, draft_config, plan_summary
from zsync_tui.setup_flow import (
    BillingOrg,
    ConnectionFacts,
    ConnectionForm,
    DuplicateRow,
    FieldCatalogue,
    FieldChoice,
    FieldPair,
    PlanSummary,
    SetupDraft,
    Stage,
    ViewChoice,
)
from zsync_tui.setup_start import FirstScreen, saved_profile_state
from zsync_tui.zoho.datacentres import DC_CODES

# The clients, the engine and httpx load on first use, in a worker: the first screen paints
# before they are imported.
if TYPE_CHECKING:
    from zsync_tui.connection import ConnectionReport, ConnectRequest, HeldTokenCache
    from zsync_tui.store import Profile
    from zsync_tui.sync.events import RunReport, SyncProgress
    from zsync_tui.zoho.oauth import Secret
    from zsync_tui.zoho.session import ZohoClients, ZohoOptions

T = TypeVar("T")
# CRM field types a Billing customer field cannot hold.
UNMAPPABLE_TYPES = {"lookup", "ownerlookup", "multiselectlookup", "subform", "profileimage"}


class _ServiceLoop:
    """One asyncio loop on a daemon thread; blocking callers submit coroutines to it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="zsync-setup-services", daemon=True
        )
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


class ServiceBackend:
    """The setup flow over the real services (Zoho, or the sandbox over loopback)."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        options: ZohoOptions | None = None,
        prefill: ConnectionForm | None = None,
    ) -> None:
        self.runtime = runtime
        self.options = options
        self.prefill = prefill
        self._loop = _ServiceLoop()
        self._stack: AsyncExitStack | None = None
        self._clients: ZohoClients | None = None
        self._verified: tuple[ConnectRequest, Secret] | None = None
        self._held_token: HeldTokenCache | None = None

    # -- the saved profile ------------------------------------------------------------------

    def _profile(self) -> Profile | None:
        # The store (SQLAlchemy) is imported on first use, off the event loop: start-up paints
        # the first screen without waiting for it.
        from sqlmodel import select

        from zsync_tui.store import Profile

        with self.runtime.store.read() as session:
            return session.exec(
                select(Profile).where(Profile.name == self.runtime.profile_name)
            ).first()

    def is_configured(self) -> bool:
        profile = self._profile()
        return bool(profile and profile.client_id and profile.config_toml)

    def quick_first_screen(self) -> FirstScreen | None:
        state = saved_profile_state(self.runtime.paths.database_file, self.runtime.profile_name)
        if state == "configured":
            return FirstScreen("operate")
        if state == "absent":
            return FirstScreen("setup", self._unsaved_draft())
        return None  # connected only: the draft needs the store's profile and config

    def _unsaved_draft(self) -> SetupDraft:
        draft = SetupDraft()
        if self.prefill is not None:
            draft.connection = replace(self.prefill)
        return draft

    def warm_up(self) -> None:
        self._profile()

    def load_draft(self) -> SetupDraft:
        from zsync_tui.sync.config import IntegrationConfig

        draft = self._unsaved_draft()
        profile = self._profile()
        if profile is None or not profile.client_id:
            return draft
        draft.connection = replace(
            draft.connection,
            data_centre=profile.data_centre,
            accounts_url=profile.accounts_url or "" if profile.data_centre == "custom" else "",
            api_domain=profile.api_domain or "" if profile.data_centre == "custom" else "",
            client_id=profile.client_id,
        )
        draft.connected = True
        draft.billing_org_id = profile.billing_org_id or ""
        draft.owner_email = profile.owner_email or ""
        draft.facts = ConnectionFacts(
            crm_org_name=profile.crm_org_name or "",
            crm_org_id=profile.crm_org_id or "",
            crm_edition="",
            crm_currency="",
            crm_multi_currency=False,
            user_email=profile.owner_email or "",
            billing_orgs=(
                BillingOrg(profile.billing_org_id or "", profile.billing_org_name or ""),
            ),
            linked_billing_org_ids=self._other_billing_orgs(profile.crm_org_id or ""),
        )
        if profile.config_toml:
            config_into_draft(IntegrationConfig.from_toml(profile.config_toml), draft)
        return draft

    def _other_billing_orgs(self, crm_org_id: str) -> tuple[str, ...]:
        if not crm_org_id:
            return ()
        from sqlmodel import select

        from zsync_tui.store import Profile

        with self.runtime.store.read() as session:
            rows = session.exec(
                select(Profile.billing_org_id).where(
                    Profile.crm_org_id == crm_org_id, Profile.name != self.runtime.profile_name
                )
            ).all()
        return tuple(row for row in rows if row)

    # -- connect ------------------------------------------------------------------------------

    def data_centres(self) -> tuple[str, ...]:
        return DC_CODES

    def secret_state(self) -> SecretState:
        from zsync_tui.secrets import SecretKind

        credentials = self.runtime.credentials
        return SecretState(credentials.status(), credentials.source_of(SecretKind.REFRESH_TOKEN))

    def _request(self, form: ConnectionForm) -> ConnectRequest:
        from zsync_tui.connection import ConnectRequest
        from zsync_tui.secrets import SecretKind
        from zsync_tui.zoho.oauth import Secret

        credentials = self.runtime.credentials
        client_secret = form.client_secret or credentials.get(SecretKind.CLIENT_SECRET) or ""
        token = form.token or credentials.get(SecretKind.REFRESH_TOKEN) or ""
        if not client_secret or not token:
            raise ValueError("the client secret and a refresh token or grant code are needed")
        grant = form.token_kind == "grant_code" and bool(form.token)
        custom = form.data_centre == "custom"
        return ConnectRequest(
            profile=self.runtime.profile_name,
            data_centre=form.data_centre,
            client_id=form.client_id,
            client_secret=Secret(client_secret),
            refresh_token=None if grant else Secret(token),
            grant_code=Secret(token) if grant else None,
            accounts_url=form.accounts_url if custom else None,
            api_domain=form.api_domain if custom else None,
            pick_first_org=True,
        )

    def verify(self, form: ConnectionForm) -> ConnectionFacts:
        from zsync_tui.connection import HeldTokenCache, verify

        request = self._request(form)
        # The token got here serves the verification on save too, then the first session.
        self._held_token = HeldTokenCache()
        report, refresh_token = self._loop.run(
            verify(request, options=self.options, token_cache=self._held_token)
        )
        # A grant code works once: later calls use the refresh token it was exchanged for.
        self._verified = (
            replace(request, grant_code=None, refresh_token=refresh_token),
            refresh_token,
        )
        return self._facts(report)

    def _facts(self, report: ConnectionReport) -> ConnectionFacts:
        org = report.crm_org
        users = tuple(dict.fromkeys([report.owner.email, report.crm_user.email]))
        return ConnectionFacts(
            crm_org_name=org.name,
            crm_org_id=org.id,
            crm_edition=org.edition or "unknown",
            crm_currency=org.base_currency or "unknown",
            crm_multi_currency=org.multi_currency,
            user_email=report.crm_user.email,
            billing_orgs=tuple(
                BillingOrg(o.id, o.name, o.currency_code or "") for o in report.billing_orgs
            ),
            users=users,
            linked_billing_org_ids=self._other_billing_orgs(org.id),
        )

    def store_connection(self, draft: SetupDraft) -> None:
        from zsync_tui.connection import save, verify

        if self._verified is None:
            raise ValueError("verify the credentials first")
        request, refresh_token = self._verified
        request = replace(
            request,
            billing_org_id=draft.billing_org_id,
            owner_email=draft.owner_email,
            pick_first_org=False,
        )
        held = self._held_token
        report, _ = self._loop.run(verify(request, options=self.options, token_cache=held))
        save(self.runtime, request, report, refresh_token, held.text if held else None)
        self._verified = None
        self._loop.run(self._close_clients())  # the next call uses what was just stored

    # -- lookups over one set of clients -----------------------------------------------------

    async def _open(self) -> ZohoClients:
        from zsync_tui.connection import open_clients

        if self._clients is None:
            stack = AsyncExitStack()
            self._clients = await stack.enter_async_context(
                open_clients(self.runtime, options=self.options)
            )
            self._stack = stack
        return self._clients

    async def _close_clients(self) -> None:
        if self._stack is not None:
            stack, self._stack, self._clients = self._stack, None, None
            await stack.aclose()

    def close(self) -> None:
        """Close the clients and stop the loop (the App calls this when it exits)."""
        try:
            # Bounded: quitting must not wait on a server that stopped answering.
            self._loop.run(self._close_clients(), timeout=5.0)
        except Exception:  # exiting anyway; the loop thread is a daemon
            pass
        self._loop.stop()

    def list_views(self, crm_module: str) -> tuple[ViewChoice, ...]:
        async def views() -> list[dict[str, Any]]:
            return list(await (await self._open()).crm.custom_views(crm_module))

        return tuple(
            ViewChoice(
                str(view.get("id")),
                str(view.get("display_value") or view.get("name") or view.get("id")),
                bool(view.get("system_defined", True)),
            )
            for view in self._loop.run(views())
        )

    def field_catalogue(self, draft: SetupDraft) -> FieldCatalogue:
        from zsync_tui.connection import load_profile
        from zsync_tui.sync.config import default_field_map
        from zsync_tui.sync.field_defaults import BILLING_CUSTOMER_FIELDS, CUSTOM_FIELD_PREFIX

        module = "Contacts" if draft.module == "contacts" else "Accounts"
        profile = load_profile(self.runtime)

        async def gather() -> tuple[list[dict[str, Any]], Any, str, tuple[str, ...]]:
            clients = await self._open()
            fields = await clients.crm.fields(module)
            org = await clients.crm.org()
            currency = ""
            for candidate in await clients.billing.organizations():
                if str(candidate.id) == str(profile.billing_org_id):
                    currency = candidate.currency_code or ""
            customs: tuple[str, ...] = ()
            if hasattr(clients.billing, "customer_custom_fields"):
                customs = tuple(await clients.billing.customer_custom_fields())
            return fields, org, currency, customs

        fields, org, billing_currency, customs = self._loop.run(gather())
        crm_fields = tuple(
            FieldChoice(
                str(f["api_name"]),
                str(f.get("field_label") or f["api_name"]),
                bool(f.get("custom_field")),
            )
            for f in fields
            if f.get("api_name") and str(f.get("data_type", "")) not in UNMAPPABLE_TYPES
        )
        billing_fields = tuple(FieldChoice(name, name) for name in sorted(BILLING_CUSTOMER_FIELDS))
        billing_fields += tuple(
            FieldChoice(f"{CUSTOM_FIELD_PREFIX}{label}", label, True) for label in customs
        )
        entries = default_field_map("contacts" if draft.module == "contacts" else "accounts")
        defaults = tuple(
            FieldPair(e.crm, e.billing, e.direction, e.policy or "manual") for e in entries
        )
        return FieldCatalogue(
            crm_fields,
            billing_fields,
            defaults,
            org.base_currency or "",
            billing_currency,
            org.multi_currency,
        )

    def list_stages(self) -> tuple[Stage, ...]:
        async def stages() -> list[Any]:
            found = await (await self._open()).crm.stage_probabilities()
            return sorted(found.values(), key=lambda s: (s.sequence or 0, s.name))

        return tuple(Stage(s.name, s.probability or 0) for s in self._loop.run(stages()))

    # -- plan, save, run ---------------------------------------------------------------------

    def plan(self, draft: SetupDraft) -> PlanSummary:
        from zsync_tui.connection import load_profile
        from zsync_tui.sync.config_checks import resolve_view
        from zsync_tui.sync.engine import CustomerSync
        from zsync_tui.sync.ledger import Ledger

        config = draft_config(draft, with_triggers=False)
        profile = load_profile(self.runtime)
        # The admin's verdicts so far count: a linked match plans as a link, a rejected one
        # as a create (the run reads them from the same table).
        self._record_decisions(draft.matches)

        async def dry_run() -> tuple[RunReport, dict[str, str]]:
            clients = await self._open()
            views: dict[str, str] = {}
            for module, wanted in (
                ("Accounts", config.account_view),
                ("Contacts", config.contact_view),
            ):
                if wanted:
                    listed = await clients.crm.custom_views(module)
                    views[module] = resolve_view(listed, wanted) or wanted
            engine = CustomerSync(
                config,
                clients.crm,
                clients.billing,
                Ledger(self.runtime.store, int(profile.id or 0)),
                dry_run=True,
                one_way=bool(draft.one_way_reason),
                views=views,
            )
            report = await engine.run()
            matched = {i.billing_id for i in report.items if i.score is not None and i.billing_id}
            names: dict[str, str] = {}
            if matched:
                # The plan names the CRM side only; one pass over the customer list (200 a
                # page) names the Billing side of every match.
                async for page in clients.billing.list_customers():
                    for customer in page:
                        key = str(customer.get("customer_id", ""))
                        if key in matched:
                            names[key] = str(customer.get("display_name") or key)
                    if len(names) == len(matched):
                        break
            return report, names

        report, names = self._loop.run(dry_run())
        return plan_summary(report, names)

    def save(self, draft: SetupDraft) -> None:
        from zsync_tui.sync.service import SyncService

        config = draft_config(draft, with_triggers=True)
        service = SyncService(self.runtime, options=self.options)
        self._loop.run(service.save_config(config))
        self._record_decisions(draft.matches)

    def _record_decisions(self, rows: list[DuplicateRow]) -> None:
        """Keep the admin's verdict on each match, so the run links or creates accordingly."""
        from sqlmodel import col, select

        from zsync_tui.connection import load_profile
        from zsync_tui.store import DuplicateMatch

        decided = [row for row in rows if row.accepted is not None]
        if not decided:
            return
        profile_id = int(load_profile(self.runtime).id or 0)
        with self.runtime.store.write() as session:
            existing = {
                (m.crm_module, m.crm_id): m
                for m in session.exec(
                    select(DuplicateMatch).where(
                        DuplicateMatch.profile_id == profile_id,
                        col(DuplicateMatch.crm_id).in_([r.crm_id for r in decided]),
                    )
                ).all()
            }
            for row in decided:
                match = existing.get((row.crm_module, row.crm_id)) or DuplicateMatch(
                    profile_id=profile_id,
                    crm_module=row.crm_module,
                    crm_id=row.crm_id,
                    billing_id=row.billing_id,
                    score=row.score,
                    reasons=row.reasons,
                )
                match.billing_id = row.billing_id
                match.state = "approved" if row.accepted else "rejected"
                session.add(match)

    def run_sync(self, progress: ProgressCallback) -> tuple[str, SyncCounts, str]:
        from zsync_tui.sync.service import SyncService

        def forward(event: SyncProgress) -> None:
            progress(event.phase.replace("_", " "), event.done, event.total)

        service = SyncService(self.runtime, options=self.options)
        report = self._loop.run(service.run(progress=forward))
        counts = SyncCounts(
            created_in_billing=report.created.get("billing", 0),
            created_in_crm=report.created.get("crm", 0),
            updated_in_billing=report.updated.get("billing", 0),
            updated_in_crm=report.updated.get("crm", 0),
            linked=report.linked,
            skipped=report.skipped,
            conflicts=report.conflicts,
            errors=report.errors,
        )
        message = report.message or "; ".join(report.error_messages[:3])
        return report.status, counts, message
