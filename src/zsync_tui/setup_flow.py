"""The setup flow's state: what the admin has chosen so far, step by step.

Plain data, no textual: the steps read it to pre-fill themselves and write it when they are
left with Next; `setup_backend.py` turns it into the engine's configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

StepId = Literal[
    "connect", "module", "direction", "duplicates", "view", "field_mapping", "triggers", "review"
]
STEP_ORDER: tuple[StepId, ...] = (
    "connect",
    "module",
    "direction",
    "duplicates",
    "view",
    "field_mapping",
    "triggers",
    "review",
)
STEP_TITLES: dict[StepId, str] = {
    "connect": "Connect",
    "module": "Module",
    "direction": "Direction",
    "duplicates": "Duplicates",
    "view": "View",
    "field_mapping": "Fields",
    "triggers": "Triggers",
    "review": "Review",
}

MODULE_LABELS = {
    "accounts": "Accounts",
    "contacts": "Contacts",
    "accounts_and_contacts": "Accounts & their Contacts",
}
MODULE_NOTES = {
    "accounts": "CRM Accounts become Billing customers, with their contact persons. "
    "CRM Contacts are not synced.",
    "contacts": "CRM Contacts become Billing customers, one customer per contact. "
    "CRM Accounts are not synced.",
    "accounts_and_contacts": "Each CRM Account becomes a customer and its Contacts become that "
    "customer's contact persons.",
}
DIRECTION_LABELS = {
    "fetch_from_crm": "Fetch from CRM (CRM → Billing only)",
    "both_ways": "Sync both ways (CRM ⇄ Billing)",
}
DUPLICATE_LABELS = {
    "review": "Review: I accept or reject each match below before anything is written",
    "overwrite": "Overwrite: link the two records and merge them into one",
    "clone": "Clone: create a new record anyway",
    "skip": "Skip: leave the record where it is, unsynced",
}
FIELD_DIRECTIONS = ("both", "to_billing", "to_crm")
FIELD_POLICIES = ("crm_wins", "billing_wins", "newest_wins", "manual")


@dataclass
class ConnectionForm:
    """What the Connect step asks for. The secrets live here only until they are stored."""

    data_centre: str = "us"
    accounts_url: str = ""
    api_domain: str = ""
    client_id: str = ""
    client_secret: str = ""
    token_kind: Literal["refresh_token", "grant_code"] = "refresh_token"
    token: str = ""

    def forget_secrets(self) -> None:
        """Drop the secrets once the keyring (or the environment) holds them."""
        self.client_secret = ""
        self.token = ""


@dataclass(frozen=True)
class BillingOrg:
    """A Billing organization the API listed for these credentials."""

    organization_id: str
    name: str
    currency_code: str = ""
    country: str = ""
    email: str = ""


@dataclass(frozen=True)
class ConnectionFacts:
    """What verifying the credentials found out."""

    crm_org_name: str
    crm_org_id: str
    crm_edition: str
    crm_currency: str
    crm_multi_currency: bool
    user_email: str
    billing_orgs: tuple[BillingOrg, ...]
    users: tuple[str, ...] = ()
    # Billing org ids already linked to this CRM org by another profile: the next is one-way.
    linked_billing_org_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ViewChoice:
    """A CRM custom view (predefined or made by a user)."""

    view_id: str
    name: str
    system_defined: bool = True


@dataclass(frozen=True)
class FieldChoice:
    """A field one API reports, as the mapping step offers it."""

    api_name: str
    label: str
    custom: bool = False


@dataclass
class FieldPair:
    """One mapped pair, with which way it flows and who wins a true conflict."""

    crm: str
    billing: str
    direction: str = "both"
    policy: str = "newest_wins"


@dataclass(frozen=True)
class FieldCatalogue:
    """The fields both sides report for the chosen module, and the default pairs."""

    crm_fields: tuple[FieldChoice, ...]
    billing_fields: tuple[FieldChoice, ...]
    default_pairs: tuple[FieldPair, ...]
    crm_currency: str = ""
    billing_currency: str = ""
    crm_multi_currency: bool = False

    @property
    def billing_custom_fields(self) -> tuple[FieldChoice, ...]:
        return tuple(f for f in self.billing_fields if f.custom)

    @property
    def currency_problem(self) -> str:
        """Why the sync cannot run with these currencies, or '' when it can."""
        if not self.crm_multi_currency:
            return ""
        if (
            self.crm_currency
            and self.billing_currency
            and self.crm_currency != self.billing_currency
        ):
            return (
                f"The CRM uses multi-currency with base currency {self.crm_currency}, but the "
                f"Billing organization's base currency is {self.billing_currency}. They must "
                "match: change one of them in Zoho, then come back."
            )
        return ""


@dataclass(frozen=True)
class Stage:
    """A CRM deal stage with the probability its pipeline gives it."""

    name: str
    probability: int


@dataclass
class DuplicateRow:
    """A match the plan found: a CRM record that looks like a Billing customer."""

    crm_id: str
    crm_name: str
    billing_id: str
    billing_name: str
    score: float
    reasons: str
    accepted: bool | None = None  # None: not decided yet
    crm_module: str = "Accounts"


@dataclass
class TriggerChoices:
    """Deal-stage automation as the Triggers step edits it."""

    enabled: bool = False
    quote_create_stages: list[str] = field(default_factory=list)
    quote_accept_stage: str = ""
    quote_decline_stage: str = ""
    invoice_on_won: bool = False
    void_on_lost: bool = False


@dataclass(frozen=True)
class PlanSummary:
    """The dry run's counts, and the duplicate matches it found."""

    create_in_billing: int
    create_in_crm: int
    update_in_billing: int
    update_in_crm: int
    link: int
    skip: int
    conflicts: int
    matches: tuple[DuplicateRow, ...] = ()
    skip_reasons: tuple[tuple[str, int], ...] = ()
    #: Records the sync will not send, as the other side would refuse them (reason, count).
    refusals: tuple[tuple[str, int], ...] = ()


@dataclass
class SetupDraft:
    """Everything chosen so far; each step pre-fills from it and writes back on Next."""

    connection: ConnectionForm = field(default_factory=ConnectionForm)
    facts: ConnectionFacts | None = None
    connected: bool = False  # credentials verified and stored for this profile
    billing_org_id: str = ""
    owner_email: str = ""
    module: str = ""
    include_contacts_without_account: bool = False
    direction: str = ""
    duplicates: str = "review"
    matches: list[DuplicateRow] = field(default_factory=list)
    account_view: str = ""
    contact_view: str = ""
    field_map: list[FieldPair] = field(default_factory=list)
    field_map_module: str = ""  # the module the field map was built for
    triggers: TriggerChoices = field(default_factory=TriggerChoices)
    plan: PlanSummary | None = None

    @property
    def billing_org(self) -> BillingOrg | None:
        if self.facts is None:
            return None
        return next(
            (o for o in self.facts.billing_orgs if o.organization_id == self.billing_org_id), None
        )

    @property
    def one_way_reason(self) -> str:
        """Why only Fetch from CRM is allowed, or '' when both ways is possible."""
        if self.facts and self.billing_org_id and self.facts.linked_billing_org_ids:
            others = [i for i in self.facts.linked_billing_org_ids if i != self.billing_org_id]
            if others:
                return (
                    "Another Billing organization is already linked to this CRM organization. "
                    "Only the first one syncs both ways; this one fetches from CRM only, and "
                    "gets no quote or invoice triggers."
                )
        return ""

    def needs_views(self) -> tuple[str, ...]:
        """The CRM modules whose view the View step asks for."""
        if self.module == "accounts_and_contacts":
            return ("Accounts", "Contacts")
        return ("Contacts",) if self.module == "contacts" else ("Accounts",)
