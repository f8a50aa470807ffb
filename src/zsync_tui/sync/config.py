"""The integration's configuration: a typed, validated model, saved as TOML in
`Profile.config_toml`.

The names below are stable; the setup screens and the commands build on them.

TOML schema (every key optional; the defaults are shown)::

    module = "accounts"                  # "accounts" | "contacts" | "accounts_and_contacts"
    include_contacts_without_account = false   # accounts_and_contacts only
    direction = "both_ways"              # "fetch_from_crm" | "both_ways"
    duplicates = "review"                # "clone" | "overwrite" | "skip" | "review"
    account_view = "All Accounts"        # a CRM view name or id; absent = every record
    contact_view = "All Contacts"
    interval = "2h"                      # <number><s|m|h|d>, at least 1m, at most 7d
    enabled = true
    default_policy = "manual"            # policy of field_map entries that name none

    [[field_map]]                        # absent = the module's defaults (field_defaults.py)
    crm = "Phone"                        # CRM field API name
    billing = "phone"                    # Billing path: "phone", "billing_address.city",
                                         #   "custom_fields.<label>"
    direction = "both"                   # "both" | "to_billing" | "to_crm"
    policy = "manual"                    # "crm_wins" | "billing_wins" | "newest_wins" | "manual"

    [triggers]                           # deal-stage triggers (sync/trigger_config.py)

Public API:
    IntegrationConfig                     the model; `.from_toml(text)`, `.to_toml()`,
                                          `.from_mapping(dict)`, `.to_json_dict()`,
                                          `.defaults()`, `.effective_field_map()`,
                                          `.interval_seconds`, `.crm_modules`
    FieldMapEntry                         one `[[field_map]]` entry
    ConfigError                           refused input; `.problems` lists (key, reason)
    default_field_map(module)             the default entries for "accounts" | "contacts"
    load_profile_config(profile)          the stored config, or the defaults
    Module, Direction, DuplicatePolicy, FieldDirection, MergePolicy   the Literal types
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zsync_tui.sync.deals.config import TriggerConfig
from zsync_tui.sync.field_defaults import (
    ACCOUNT_DEFAULTS,
    BILLING_CUSTOMER_FIELDS,
    CONTACT_DEFAULTS,
    CRM_READ_ONLY_FIELDS,
    CUSTOM_FIELD_PREFIX,
)

Module = Literal["accounts", "contacts", "accounts_and_contacts"]
Direction = Literal["fetch_from_crm", "both_ways"]
DuplicatePolicy = Literal["clone", "overwrite", "skip", "review"]
FieldDirection = Literal["both", "to_billing", "to_crm"]
MergePolicy = Literal["crm_wins", "billing_wins", "newest_wins", "manual"]

MODULES: tuple[Module, ...] = ("accounts", "contacts", "accounts_and_contacts")
CRM_FIELD_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")
INTERVAL_PATTERN = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
INTERVAL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_INTERVAL_S = 60
MAX_INTERVAL_S = 7 * 86400


class ConfigError(ValueError):
    """A configuration was refused; one line per problem, each naming the key and the reason."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{key}: {reason}" for key, reason in problems))


class FieldMapEntry(BaseModel):
    """One mapped pair: a CRM field API name and a Billing customer path."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    crm: str
    billing: str
    direction: FieldDirection = "both"
    policy: MergePolicy | None = None

    @field_validator("crm")
    @classmethod
    def _crm_api_name(cls, value: str) -> str:
        if not CRM_FIELD_PATTERN.match(value):
            raise ValueError(f"{value!r} is not a CRM field API name (letters, digits, _)")
        return value

    @field_validator("billing")
    @classmethod
    def _billing_path(cls, value: str) -> str:
        if value.startswith(CUSTOM_FIELD_PREFIX):
            if not value[len(CUSTOM_FIELD_PREFIX) :].strip():
                raise ValueError("a custom field needs its label: custom_fields.<label>")
            return value
        if value not in BILLING_CUSTOMER_FIELDS:
            known = ", ".join(sorted(BILLING_CUSTOMER_FIELDS))
            raise ValueError(
                f"{value!r} is not a Billing customer field (known: {known}; "
                "or custom_fields.<label>)"
            )
        return value

    @model_validator(mode="after")
    def _writable_in_crm(self) -> FieldMapEntry:
        if self.crm in CRM_READ_ONLY_FIELDS and self.direction != "to_billing":
            raise ValueError(f"{self.crm} is computed by CRM; its direction must be to_billing")
        return self

    @property
    def is_custom(self) -> bool:
        return self.billing.startswith(CUSTOM_FIELD_PREFIX)

    @property
    def custom_label(self) -> str:
        return self.billing[len(CUSTOM_FIELD_PREFIX) :]


def default_field_map(crm_module: Literal["accounts", "contacts"]) -> list[FieldMapEntry]:
    """The default pairs of zoho-api.md §1.5 for CRM Accounts or CRM Contacts."""
    pairs = ACCOUNT_DEFAULTS if crm_module == "accounts" else CONTACT_DEFAULTS
    return [FieldMapEntry(crm=crm, billing=billing, direction=d) for crm, billing, d in pairs]


class IntegrationConfig(BaseModel):
    """What to sync, which way, how duplicates and conflicts are settled, and how often."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    module: Module = "accounts"
    include_contacts_without_account: bool = False
    direction: Direction = "both_ways"
    duplicates: DuplicatePolicy = "review"
    account_view: str | None = Field(default=None, min_length=1, max_length=200)
    contact_view: str | None = Field(default=None, min_length=1, max_length=200)
    interval: str = "2h"
    enabled: bool = True
    default_policy: MergePolicy = "manual"
    field_map: list[FieldMapEntry] = Field(default_factory=list)
    triggers: TriggerConfig | None = None

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: str) -> str:
        seconds = parse_interval(value)
        if not MIN_INTERVAL_S <= seconds <= MAX_INTERVAL_S:
            raise ValueError("must be between 1m and 7d")
        return value.strip()

    @model_validator(mode="after")
    def _consistent(self) -> IntegrationConfig:
        if self.include_contacts_without_account and self.module != "accounts_and_contacts":
            raise ValueError(
                "include_contacts_without_account: applies only to module accounts_and_contacts"
            )
        if self.module == "contacts" and self.account_view is not None:
            raise ValueError("account_view: module contacts does not sync CRM Accounts")
        if self.module == "accounts" and self.contact_view is not None:
            raise ValueError("contact_view: module accounts does not sync CRM Contacts")
        seen_billing: set[str] = set()
        seen_to_crm: set[str] = set()
        for index, entry in enumerate(self.field_map):
            if entry.billing in seen_billing:
                raise ValueError(f"field_map.{index}.billing: {entry.billing} is mapped twice")
            seen_billing.add(entry.billing)
            if entry.direction != "to_billing":
                if entry.crm in seen_to_crm:
                    raise ValueError(
                        f"field_map.{index}.crm: {entry.crm} receives two Billing fields; "
                        "make one of them to_billing"
                    )
                seen_to_crm.add(entry.crm)
        return self

    # -- derived values -------------------------------------------------------------------

    @property
    def interval_seconds(self) -> int:
        return parse_interval(self.interval)

    @property
    def primary_crm_module(self) -> Literal["accounts", "contacts"]:
        """The CRM module whose records become customers (and take `field_map`)."""
        return "contacts" if self.module == "contacts" else "accounts"

    @property
    def crm_modules(self) -> tuple[str, ...]:
        """CRM module API names read by a run, in the order they are processed."""
        return {
            "accounts": ("Accounts",),
            "contacts": ("Contacts",),
            "accounts_and_contacts": ("Accounts", "Contacts"),
        }[self.module]

    def effective_field_map(self) -> list[FieldMapEntry]:
        """The entries in force for the primary module, each with its policy filled in."""
        entries = self.field_map or default_field_map(self.primary_crm_module)
        return [self._with_policy(entry) for entry in entries]

    def standalone_contact_field_map(self) -> list[FieldMapEntry]:
        """Map for CRM Contacts that become customers of their own (contacts with no account)."""
        if self.module == "contacts":
            return self.effective_field_map()
        return [self._with_policy(entry) for entry in default_field_map("contacts")]

    def _with_policy(self, entry: FieldMapEntry) -> FieldMapEntry:
        if entry.policy is not None:
            return entry
        return entry.model_copy(update={"policy": self.default_policy})

    # -- import / export ------------------------------------------------------------------

    @classmethod
    def defaults(cls, module: Module = "accounts") -> IntegrationConfig:
        return cls(module=module)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> IntegrationConfig:
        """Validate a parsed mapping; raise ConfigError naming each refused key."""
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(_problems(exc)) from exc

    @classmethod
    def from_toml(cls, text: str) -> IntegrationConfig:
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([("(file)", f"not valid TOML: {exc}")]) from exc
        return cls.from_mapping(raw)

    def to_toml(self) -> str:
        """TOML that `from_toml` reads back into an equal config."""
        return tomli_w.dumps(self._plain())

    def to_json_dict(self) -> dict[str, Any]:
        data = self._plain()
        data["field_map"] = [
            entry.model_dump(exclude_none=True) for entry in self.effective_field_map()
        ]
        data["field_map_is_default"] = not self.field_map
        data["interval_seconds"] = self.interval_seconds
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_json_dict(), indent=2)

    def _plain(self) -> dict[str, Any]:
        data = self.model_dump(exclude_none=True)
        if not data.get("field_map"):
            data.pop("field_map", None)
        return data


def parse_interval(value: str) -> int:
    """Seconds in an interval such as `90s`, `15m`, `2h`, `1d`."""
    match = INTERVAL_PATTERN.match(value)
    if not match:
        raise ValueError(f"{value!r} is not an interval like 30m, 2h or 1d")
    return int(match.group(1)) * INTERVAL_UNITS[match.group(2)]


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        reason = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        reason = reason.removeprefix("Value error, ")
        if not key and ": " in reason:
            # Cross-field rules name their own key as "key: reason".
            key, reason = reason.split(": ", 1)
        problems.append((key or "(root)", reason))
    return problems


def load_profile_config(config_toml: str | None) -> IntegrationConfig:
    """The config stored on a profile, or the defaults when none was saved."""
    if not config_toml:
        return IntegrationConfig()
    return IntegrationConfig.from_toml(config_toml)
