"""Step 1 (and "Update credentials"): the Zoho self-client, verified before going on.

Secrets are typed into masked inputs, handed to a worker that verifies them and then stores
them in the keyring, and cleared from the screen and the draft; they are never shown again.
"""

from __future__ import annotations

import re

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from zsync_tui.messages import LookupFailed, LookupFinished
from zsync_tui.screens.step import SetupStep
from zsync_tui.setup_backend import SecretState
from zsync_tui.setup_flow import ConnectionFacts, ConnectionForm, SetupDraft, StepId

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

SHARED_WITH_CRM = (
    "What is shared: zsync reads your CRM organization (name, edition, base currency) and its "
    "users, and the Billing organization's name, email address and country. With both-ways "
    "sync, all your Billing customers' details (names, emails, phones, addresses) are written "
    "to CRM, owned by the CRM user you choose below."
)
NO_ZSC_KEY = (
    "No ZSC key: Zoho retired the ZSC (Zoho Service Communication) key. zsync uses OAuth with "
    "one Self Client from api-console.zoho.com for both CRM and Billing instead: paste its "
    "client ID and secret, and a grant code (valid 3 minutes) or a refresh token."
)


class ConnectStep(SetupStep):
    """Data centre, client id and secret, grant code or refresh token, org and owner."""

    STEP_ID = "connect"
    HEADING = "Connect Zoho CRM and Zoho Billing"
    # Focused as the screen is shown: focusing the scrolling body first (Textual's default)
    # and then the field would restyle the whole form twice.
    AUTO_FOCUS = "#client-id"

    def __init__(self, draft: SetupDraft, steps: tuple[StepId, ...]) -> None:
        super().__init__(draft, steps)
        self.secrets: SecretState | None = None
        self.verified_form: ConnectionForm | None = None
        self.busy = False

    def body(self) -> ComposeResult:
        form = self.draft.connection
        centres = self.zsync.backend.data_centres()
        yield Static(self.HEADING, classes="step-title")
        yield Static(NO_ZSC_KEY, classes="note")
        with Horizontal(classes="field-row"):
            yield Label("Data centre", classes="field-label")
            yield Select(
                [(code, code) for code in centres],
                value=form.data_centre if form.data_centre in centres else centres[0],
                allow_blank=False,
                id="data-centre",
                compact=True,
            )
        # Asked for the custom data centre only: mounted when it is chosen, so the first
        # paint of the usual case does without them.
        with Vertical(id="custom-urls"):
            if form.data_centre == "custom":
                yield from self._custom_url_fields()
        with Horizontal(classes="field-row"):
            yield Label("Client ID", classes="field-label")
            yield Input(form.client_id, placeholder="1000.XXXXXXXX", id="client-id", compact=True)
        with Horizontal(classes="field-row"):
            yield Label("Client secret", classes="field-label")
            yield Input(form.client_secret, password=True, id="client-secret", compact=True)
        with Horizontal(classes="field-row"):
            yield Label("I have a", classes="field-label")
            with RadioSet(id="token-kind", compact=True):
                yield RadioButton(
                    "Refresh token",
                    value=form.token_kind == "refresh_token",
                    id="refresh_token",
                    compact=True,
                )
                yield RadioButton(
                    "Grant code",
                    value=form.token_kind == "grant_code",
                    id="grant_code",
                    compact=True,
                )
        with Horizontal(classes="field-row"):
            yield Label("Token or code", classes="field-label")
            yield Input(form.token, password=True, id="token", compact=True)
        yield Static("Checking where secrets can be kept…", id="secret-state", classes="note")
        # Filled once the credentials are verified: the first paint does without its widgets.
        yield Vertical(id="after-verify")
        yield Static(SHARED_WITH_CRM, classes="note")

    def _custom_url_fields(self) -> ComposeResult:
        form = self.draft.connection
        with Horizontal(classes="field-row"):
            yield Label("Accounts URL", classes="field-label")
            yield Input(form.accounts_url, placeholder="https://…", id="accounts-url", compact=True)
        with Horizontal(classes="field-row"):
            yield Label("API domain", classes="field-label")
            yield Input(form.api_domain, placeholder="https://…", id="api-domain", compact=True)

    def _after_verify_fields(self) -> ComposeResult:
        yield Static("", id="verified", classes="success")
        with Horizontal(classes="field-row"):
            yield Label("Billing org", classes="field-label")
            yield Select[str](
                [], prompt="Choose the Billing organization", id="billing-org", compact=True
            )
        with Horizontal(classes="field-row"):
            yield Label("Record owner", classes="field-label")
            yield Select[str](
                [], prompt="CRM user who owns records zsync creates", id="owner", compact=True
            )

    def on_mount(self) -> None:
        super().on_mount()
        self._show_custom_urls()
        self.query_one("#after-verify").display = False
        if self.draft.facts is not None:
            self.call_later(self._show_facts, self.draft.facts)
        # Asking the keyring loads it (and may wake a Secret Service): after the first paint.
        self.call_after_refresh(
            self.zsync.lookup, self, "secret-state", self.zsync.backend.secret_state
        )

    @property
    def next_label(self) -> str:
        return "Verify  (ctrl+n)"

    # -- reading the form -------------------------------------------------------------------

    def current_form(self) -> ConnectionForm:
        kind = self.query_one("#token-kind", RadioSet).pressed_button
        return ConnectionForm(
            data_centre=str(self.query_one("#data-centre", Select).value),
            accounts_url=self._typed("#accounts-url"),
            api_domain=self._typed("#api-domain"),
            client_id=self.query_one("#client-id", Input).value.strip(),
            client_secret=self.query_one("#client-secret", Input).value.strip(),
            token_kind="grant_code" if kind and kind.id == "grant_code" else "refresh_token",
            token=self.query_one("#token", Input).value.strip(),
        )

    def _typed(self, selector: str) -> str:
        """What a field holds; "" for a field not mounted (the custom data centre's URLs)."""
        fields = self.query(selector).results(Input)
        return next((field.value.strip() for field in fields), "")

    @on(Select.Changed, "#data-centre")
    def _show_custom_urls(self) -> None:
        custom = self.query_one("#data-centre", Select).value == "custom"
        urls = self.query_one("#custom-urls")
        if custom and not urls.children:
            urls.mount_compose(self._custom_url_fields())
        urls.display = custom

    @on(Input.Changed)
    @on(RadioSet.Changed, "#token-kind")
    @on(Select.Changed, "#data-centre")
    def _form_edited(self) -> None:
        if self.verified_form is not None and self.current_form() != self.verified_form:
            # Verified facts belong to the credentials that were verified.
            self.verified_form = None
            self.query_one("#after-verify").display = False
            self.query_one("#next", Button).label = self.next_label

    # -- secrets: where they can live -------------------------------------------------------

    def _show_secret_state(self, state: SecretState) -> None:
        self.secrets = state
        widget = self.query_one("#secret-state", Static)
        secret_input = self.query_one("#client-secret", Input)
        token_input = self.query_one("#token", Input)
        if state.source == "environment":
            widget.update(
                "Secrets come from ZSYNC_CLIENT_SECRET and ZSYNC_REFRESH_TOKEN for this process "
                "only; leave the secret fields empty to use them. Nothing is written anywhere."
            )
            secret_input.placeholder = token_input.placeholder = "given by the environment"
        elif not state.keyring.usable:
            from zsync_tui.secrets import WHAT_TO_DO

            widget.update(f"No usable keyring: {state.keyring.reason}.\n{WHAT_TO_DO}")
            widget.add_class("warning")
        elif state.source == "keyring":
            widget.update("Secrets are kept in the OS keyring. Leave them empty to keep them.")
            secret_input.placeholder = token_input.placeholder = "stored in the keyring"
        elif state.keyring.backend.endswith("ProcessMemoryKeyring"):
            widget.update(
                "Demo: the secrets are kept in this process's memory only and forgotten on exit."
            )
        else:
            widget.update(f"Secrets will be kept in the OS keyring ({state.keyring.backend}).")

    # -- validation and the two lookups (verify, then store) --------------------------------

    def problems(self) -> list[str]:
        form = self.current_form()
        stored = self.secrets is not None and self.secrets.source in ("environment", "keyring")
        found: list[str] = []
        if self.busy:
            return ["Wait: zsync is still talking to Zoho."]
        if self.secrets is None:
            return ["Wait: zsync is still checking where secrets can be kept."]
        if not self.secrets.can_keep_secrets:
            found.append(
                "There is nowhere safe to keep the secrets: unlock or install a keyring, or "
                "start zsync with ZSYNC_CLIENT_SECRET and ZSYNC_REFRESH_TOKEN set."
            )
        if form.data_centre == "custom":
            for label, value in (
                ("Accounts URL", form.accounts_url),
                ("API domain", form.api_domain),
            ):
                if not value.startswith(("https://", "http://")):
                    found.append(f"{label}: give an http(s) URL for the custom data centre.")
        if not form.client_id:
            found.append(
                "Client ID: paste the client ID of your Self Client (api-console.zoho.com)."
            )
        if not form.client_secret and not stored:
            found.append("Client secret: paste the client secret of the same Self Client.")
        if not form.token and not stored:
            found.append(
                "Token: paste a grant code (Self Client → Generate Code) or a refresh token."
            )
        if found or self.verified_form is None:
            return found
        if self.query_one("#billing-org", Select).is_blank():
            found.append("Billing org: choose the Billing organization to link.")
        owner = self.query_one("#owner", Select).value
        if not isinstance(owner, str) or not EMAIL.match(owner):
            found.append(
                "Record owner: choose the CRM user who will own the records zsync creates."
            )
        return found

    def advance(self) -> None:
        form = self.current_form()
        self.busy = True
        if self.verified_form is None:
            self.query_one("#next", Button).label = "Verifying…"
            self.zsync.lookup(self, "verify", lambda: self.zsync.backend.verify(form))
            return
        self.save()
        self.query_one("#next", Button).label = "Saving…"
        self.zsync.lookup(self, "store", lambda: self.zsync.backend.store_connection(self.draft))

    def save(self) -> None:
        assert self.verified_form is not None
        self.draft.connection = self.verified_form
        self.draft.billing_org_id = str(self.query_one("#billing-org", Select).value)
        self.draft.owner_email = str(self.query_one("#owner", Select).value)
        if self.draft.one_way_reason:
            self.draft.direction = "fetch_from_crm"

    async def _show_facts(self, facts: ConnectionFacts) -> None:
        after_verify = self.query_one("#after-verify")
        if not after_verify.children:
            await after_verify.mount_compose(self._after_verify_fields())
        self.query_one("#verified", Static).update(
            f"✓ Verified. CRM: {facts.crm_org_name} ({facts.crm_edition} edition, "
            f"base currency {facts.crm_currency}"
            f"{', multi-currency' if facts.crm_multi_currency else ''}); "
            f"signed in as {facts.user_email}; {len(facts.billing_orgs)} Billing organization(s)."
        )
        orgs = self.query_one("#billing-org", Select)
        orgs.set_options(
            (f"{o.name} ({o.organization_id}, {o.currency_code or '?'})", o.organization_id)
            for o in facts.billing_orgs
        )
        wanted = self.draft.billing_org_id or (
            facts.billing_orgs[0].organization_id if len(facts.billing_orgs) == 1 else ""
        )
        if wanted:
            orgs.value = wanted
        owners = self.query_one("#owner", Select)
        users = facts.users or (facts.user_email,)
        owners.set_options((email, email) for email in users)
        owners.value = self.draft.owner_email if self.draft.owner_email in users else users[0]
        self.query_one("#after-verify").display = True

    @on(LookupFinished)
    async def _answered(self, event: LookupFinished) -> None:
        event.stop()
        if event.what == "secret-state":
            assert isinstance(event.value, SecretState)
            self._show_secret_state(event.value)
            return
        self.busy = False
        if event.what == "verify":
            assert isinstance(event.value, ConnectionFacts)
            self.draft.facts = event.value
            self.verified_form = self.current_form()
            await self._show_facts(event.value)
            self.query_one("#next", Button).label = "Save and go on  (ctrl+n)"
            self.show_problems([])
            self.query_one("#billing-org", Select).focus()
        elif event.what == "store":
            self.draft.connection.forget_secrets()
            self.draft.connected = True
            for field in ("#client-secret", "#token"):
                self.query_one(field, Input).value = ""
            self.query_one("#next", Button).label = "Save and go on  (ctrl+n)"
            self.complete()

    @on(LookupFailed)
    def _failed(self, event: LookupFailed) -> None:
        event.stop()
        self.busy = False
        self.query_one("#next", Button).label = (
            self.next_label if self.verified_form is None else "Save and go on  (ctrl+n)"
        )
        if event.what == "secret-state":
            from zsync_tui.secrets import BackendStatus

            self._show_secret_state(
                SecretState(BackendStatus(False, "unknown", event.reason.rstrip(".")), "missing")
            )
            return
        verb = "Verifying" if event.what == "verify" else "Storing"
        self.show_problems([f"{verb} the credentials failed: {event.reason}"])
